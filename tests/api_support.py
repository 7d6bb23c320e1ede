"""The JSON API in tests: mounted under /api/v1 in a small Starlette app, as the server mounts it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import yaml
from factories import checklist_dict, item, section, use_checklists
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.testclient import TestClient
from world import PASSWORD, World, build_world

from app.api import create_api
from app.config import REPO_ROOT
from app.services import api_tokens, auth
from app.services.actor import SYSTEM

PREFIX = "/api/v1"
SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct", per=1)]),
     section("safe", [item("safe.exit", 4, scoring="scale", na=True)])],
    id="site-check", version="2026.1", subject="site", kind="safety",
)
STAFF_CL = checklist_dict(
    [section("look", [item("look.badge", 1), item("look.hair", 1, evidence="on_fail")])],
    id="staff-look", version="1", subject="staff", kind="appearance", self_check=True,
)
STAFF_ALL = {"look.badge": {"result": "pass"}, "look.hair": {"result": "pass"}}
SCORECARD = yaml.safe_load((REPO_ROOT / "checklists" / "scorecard.yaml").read_text(encoding="utf-8"))
USERS = ("admin", "manager", "mgr_a", "sup", "sup_b", "zhangli")


def jpeg(color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


async def _outer_not_found(request: Request, exc: Exception) -> JSONResponse:
    # Starlette's Mount does not match a path holding a newline (%0A), so such a request never reaches the
    # API: the server answers it. Like the real server should, this one answers in the API's error format.
    return JSONResponse({"error": "not_found", "message": "Not Found"}, status_code=404)


def mounted(get_db: Any) -> Starlette:
    return Starlette(routes=[Mount(PREFIX, app=create_api(get_db))],
                     exception_handlers={404: _outer_not_found})


@dataclass
class Api:
    """A client of the mounted API that acts as any world user, by session cookie or by bearer token."""

    db: Any
    w: World
    http: TestClient
    sessions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def session_of(self, user: str) -> str:
        if user not in self.sessions:
            with self.db.write() as s:
                self.sessions[user], _ = auth.sign_in(s, username=user, password=PASSWORD)
        return self.sessions[user]

    def token_of(self, user: str) -> str:
        if user not in self.tokens:
            with self.db.write() as s:
                self.tokens[user], _ = api_tokens.create_token(s, actor=SYSTEM, username=user, name="test")
        return self.tokens[user]

    def call(self, user: str | None, method: str, path: str, *, via: str = "cookie", csrf: bool = True,
             headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        h = dict(headers or {})
        if user is not None and via == "cookie":
            token = self.session_of(user)
            h["Cookie"] = f"{auth.SESSION_COOKIE}={token}"
            if csrf:
                h["X-CSRF-Token"] = auth.csrf_token(token)
        elif user is not None:
            h["Authorization"] = f"Bearer {self.token_of(user)}"
        return self.http.request(method, PREFIX + path, headers=h, **kw)


def api_for(db, tmp_path, monkeypatch) -> Iterator[Api]:
    """The body of a test's ``api`` fixture: checklists, a world, and a client of the mounted API."""
    use_checklists(tmp_path, monkeypatch, SITE_CL, STAFF_CL, scorecard=SCORECARD)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    w = build_world(db)
    with db.write() as s:  # a manager of site A only (the world's manager has both sites)
        auth.create_user(s, actor=SYSTEM, username="mgr_a", password=PASSWORD, role="manager", site_codes=["A"])
    with TestClient(mounted(lambda: db), raise_server_exceptions=False) as http:
        yield Api(db, w, http)
