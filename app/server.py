"""The one ASGI app: Streamlit's pages plus ``/auth`` and the JSON API under ``/api/v1``.

Started by ``streamlit run app/server.py`` (scripts/run.sh); any ASGI server works too
(``uvicorn app.server:app``). One database engine per process (:func:`app.db.engine.process_database`),
shared by the pages, the auth routes and the API.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from streamlit.starlette import App

from app.api import create_api
from app.config import REPO_ROOT, database_url
from app.db.engine import Database, process_database
from app.services import auth
from app.web.auth_routes import create_auth_routes
from app.web.security import SecurityMiddleware


def get_db() -> Database:
    return process_database(database_url())


def session_ok(token: str | None) -> bool:
    if not token:
        return False
    with get_db().read() as s:
        return auth.actor_from_token(s, token) is not None


def routes() -> list[BaseRoute]:
    return [*create_auth_routes(get_db), Mount("/api/v1", app=create_api(get_db))]


async def not_found(request: Request, exc: Exception) -> Response:
    """404s under /api answer in the API's JSON shape (a path the mount cannot match, e.g. with %0A)."""
    detail = getattr(exc, "detail", None) or "Not Found"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "not_found", "message": "没有这个接口 / No such API route"}, status_code=404)
    return PlainTextResponse(str(detail), status_code=404)


app = App(
    str(REPO_ROOT / "streamlit_app.py"),
    routes=routes(),
    middleware=[Middleware(SecurityMiddleware, session_ok=session_ok, cookie=auth.SESSION_COOKIE)],
    exception_handlers={404: not_found},
)
