"""API authentication on SQLite and PostgreSQL: session cookie + CSRF, bearer tokens, revocation, disabled users."""

from __future__ import annotations

import hashlib
import uuid

import pytest
import sqlalchemy as sa
from api_support import PREFIX, Api, api_for

from app import cli
from app.db.models import Answer, ApiToken, AuditLog, Inspection
from app.services import api_tokens, auth, org
from app.services import inspections as svc
from app.services.actor import SYSTEM
from app.services.errors import PermissionDenied

START = {"site": "A", "shift_date": "2026-11-20", "shift": "早班", "subject": "site", "staff": None,
         "checklist": "site-check"}


@pytest.fixture
def api(db, tmp_path, monkeypatch):
    yield from api_for(db, tmp_path, monkeypatch)


def draft(api: Api) -> int:
    with api.db.write() as s:
        return svc.start_inspection(session=s, actor=api.w.supervisor, site_id=api.w.site_a, shift_date=api.w.day,
                                    shift_name="早班", subject_type="site", checklist_id="site-check")


def answer_body(result: str = "pass") -> dict:
    return {"value": {"result": result}, "op_id": str(uuid.uuid4()), "answered_at": 1_700_000_000_000}


def n_inspections(api: Api) -> int:
    with api.db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Inspection)))


def answer_of(api: Api, iid: int, item: str = "desk.clean"):
    with api.db.read() as s:
        return s.scalar(sa.select(Answer.value).where(Answer.inspection_id == iid, Answer.item_id == item))


# ----------------------------------------------------------------------------- cookie + CSRF
def test_cookie_writes_need_the_csrf_header(api: Api):
    iid = draft(api)
    token = api.session_of("sup")
    csrf = api.call("sup", "GET", "/me", csrf=False).json()["csrf"]
    assert csrf == auth.csrf_token(token)
    cookie = {"Cookie": f"{auth.SESSION_COOKIE}={token}"}
    path = f"{PREFIX}/inspections/{iid}/answers/desk.clean"
    for headers in (cookie, {**cookie, "X-CSRF-Token": "wrong"}, {**cookie, "X-CSRF-Token": token},
                    {**cookie, "X-CSRF-Token": auth.csrf_token(api.session_of("sup_b"))}):
        r = api.http.put(path, headers=headers, json=answer_body())
        assert r.status_code == 403 and r.json()["error"] == "csrf", headers
        assert answer_of(api, iid) is None
        r = api.http.post(f"{PREFIX}/inspections", headers=headers, json=START)
        assert r.status_code == 403 and n_inspections(api) == 1
        r = api.http.post(f"{PREFIX}/inspections/{iid}/submit", headers=headers)
        assert r.status_code == 403
    r = api.http.put(path, headers={**cookie, "X-CSRF-Token": csrf}, json=answer_body())
    assert r.status_code == 200 and answer_of(api, iid) == {"result": "pass"}
    # reads need no CSRF header
    assert api.http.get(f"{PREFIX}/inspections/{iid}", headers=cookie).status_code == 200


def test_bearer_writes_need_no_csrf(api: Api):
    iid = draft(api)
    r = api.call("sup", "PUT", f"/inspections/{iid}/answers/desk.clean", via="bearer", json=answer_body("fail"))
    assert r.status_code == 200 and answer_of(api, iid) == {"result": "fail"}


def test_unauthenticated_requests_are_refused(api: Api):
    iid = draft(api)
    routes = [("GET", "/me"), ("GET", "/inspections"), ("POST", "/inspections"), ("GET", f"/inspections/{iid}"),
              ("PUT", f"/inspections/{iid}/answers/desk.clean"), ("PUT", f"/inspections/{iid}/notes/desk.clean"),
              ("POST", f"/inspections/{iid}/photos"), ("POST", f"/inspections/{iid}/submit"),
              ("GET", "/scorecard?month=2026-11"), ("GET", "/photos/1")]
    signed_out = api.session_of("sup")
    with api.db.write() as s:
        auth.sign_out(s, token=signed_out)
    variants = [{}, {"Cookie": f"{auth.SESSION_COOKIE}=forged"},
                {"Cookie": f"{auth.SESSION_COOKIE}={signed_out}", "X-CSRF-Token": auth.csrf_token(signed_out)},
                {"Authorization": "Bearer pzt_forged"}, {"Authorization": "Basic c3VwOnB3"},
                # a bad Authorization header never falls back to a good cookie
                {"Authorization": "Bearer nope",
                 "Cookie": f"{auth.SESSION_COOKIE}={api.session_of('admin')}"}]
    for method, path in routes:
        for headers in variants:
            r = api.http.request(method, PREFIX + path, headers=headers, json=START)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.json()["error"] == "unauthenticated"
    assert n_inspections(api) == 1 and answer_of(api, iid) is None
    assert api.http.get(f"{PREFIX}/healthz").status_code == 200  # no sign-in for the load balancer


def test_a_disabled_users_session_stops_at_once(api: Api):
    iid = draft(api)
    assert api.call("sup", "GET", "/me").status_code == 200
    assert api.call("sup", "GET", "/me", via="bearer").status_code == 200
    with api.db.write() as s:
        org.set_user_active(s, actor=api.w.admin, username="sup", active=False)
    for via in ("cookie", "bearer"):
        assert api.call("sup", "GET", "/me", via=via).status_code == 401
        r = api.call("sup", "PUT", f"/inspections/{iid}/answers/desk.clean", via=via, json=answer_body())
        assert r.status_code == 401
    assert answer_of(api, iid) is None
    with api.db.write() as s:
        org.set_user_active(s, actor=api.w.admin, username="sup", active=True)
    assert api.call("sup", "GET", "/me", via="bearer").status_code == 200


# ----------------------------------------------------------------------------- API tokens
def test_token_lifecycle_hashed_revocable_last_used(api: Api):
    with api.db.write() as s:
        token, view = api_tokens.create_token(s, actor=api.w.admin, username="zhangli", name="kiosk tablet")
    assert token.startswith("pzt_") and view.username == "zhangli" and view.last_used_at is None
    with api.db.read() as s:
        row = s.get(ApiToken, view.id)
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(v) for v in s.execute(sa.select(ApiToken.__table__)).one()]
        assert token not in stored and token not in str(s.execute(sa.select(AuditLog.detail)).all())
    r = api.http.get(f"{PREFIX}/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and (r.json()["username"], r.json()["role"]) == ("zhangli", "staff")
    with api.db.read() as s:
        used = s.get(ApiToken, view.id).last_used_at
        assert used is not None
        assert [t.id for t in api_tokens.list_tokens(s, actor=api.w.admin, username="zhangli")] == [view.id]
        assert [t.id for t in api_tokens.list_tokens(s, actor=api.w.staff)] == [view.id]
    with api.db.write() as s:
        api_tokens.revoke_token(s, actor=api.w.admin, token_id=view.id)
    r = api.http.get(f"{PREFIX}/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    with api.db.read() as s:
        assert s.get(ApiToken, view.id).revoked_at is not None
        actions = s.scalars(sa.select(AuditLog.action).where(AuditLog.entity == "api_token")).all()
        assert actions == ["api_token.create", "api_token.revoke"]


def test_only_admins_create_tokens(api: Api):
    for actor in (api.w.manager, api.w.supervisor, api.w.staff):
        with pytest.raises(PermissionDenied), api.db.write() as s:
            api_tokens.create_token(s, actor=actor, username=actor.username)
    with api.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    with api.db.write() as s:
        _, view = api_tokens.create_token(s, actor=api.w.admin, username="sup")
    with pytest.raises(PermissionDenied), api.db.write() as s:  # someone else's token
        api_tokens.revoke_token(s, actor=api.w.other_supervisor, token_id=view.id)
    with api.db.write() as s:  # the user may revoke their own
        api_tokens.revoke_token(s, actor=api.w.supervisor, token_id=view.id)


def test_cli_token_create_and_revoke(sqlite_db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PINZHI_LANG", "en")
    with sqlite_db.write() as s:
        auth.create_first_admin(s, username="boss", password="correct-horse-1")
        auth.create_user(s, actor=SYSTEM, username="kiosk", password="correct-horse-1", role="admin")
    assert cli.main(["token", "create", "kiosk", "--name", "front desk"]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert token.startswith("pzt_") and "shown once" in out.err
    with sqlite_db.read() as s:
        row = s.scalar(sa.select(ApiToken))
        assert (row.name, row.token_hash) == ("front desk", hashlib.sha256(token.encode()).hexdigest())
        assert row.created_by is None  # the CLI acts as the system
    assert cli.main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "kiosk" in listing and token not in listing and "active" in listing and "last used never" in listing
    monkeypatch.delenv("PINZHI_LANG")  # the default language of the command line: Chinese
    assert cli.main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "kiosk" in listing and "最近使用 从未  有效" in listing
    assert cli.main(["token", "revoke", str(row.id)]) == 0
    assert capsys.readouterr().out.strip() == f"用户 kiosk 的令牌 {row.id} 已吊销"
    with sqlite_db.read() as s:
        assert s.get(ApiToken, row.id).revoked_at is not None
        assert api_tokens.authenticate(s, token) is None
    assert cli.main(["token", "create", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
