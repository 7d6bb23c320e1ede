"""``/auth``: the sign-in page, sign-in, first administrator and sign-out.

The session token only ever travels in the ``pinzhi_session`` cookie (HttpOnly, SameSite=Lax, Secure on
HTTPS): never in a URL, so it is in no browser history, shared link or access log. The pages and the
JSON API read the cookie and check it against the database on every run or request.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app import messages
from app.db.engine import Database
from app.services import auth
from app.services.errors import ServiceError, Unavailable

# field of the page templates -> message id of the catalogue (app/messages.py)
_TEXT_KEYS = {"title": "auth_page.title", "app": "app", "signin": "signin", "username": "username",
              "password": "password", "hint": "sign_in_hint", "first_admin": "first_admin",
              "password_again": "password_again", "create_admin": "create_admin",
              "passwords_differ": "passwords_differ", "policy": "auth_page.policy",
              "other_lang": "auth_page.other_lang", "signed_out": "auth_page.signed_out",
              "missing_fields": "auth_page.missing_fields"}
TEXT = {lang: {**{k: messages.text(key, lang) for k, key in _TEXT_KEYS.items()}, "other": other}
        for lang, other in (("zh", "en"), ("en", "zh"))}

PAGE = """<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
 body {{ font-family: "Source Sans Pro", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
        background: #f8fafc; color: #111827; margin: 0; font-size: 18px; }}
 main {{ max-width: 26rem; margin: 8vh auto; background: #fff; border: 1px solid #d1d5db;
        border-radius: .75rem; padding: 2rem; }}
 h1 {{ font-size: 1.6rem; margin: 0 0 1rem; }}
 label {{ display: block; margin: 1rem 0 .3rem; font-weight: 600; }}
 input {{ width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: .7rem; border: 1px solid #6b7280;
         border-radius: .5rem; }}
 button {{ margin-top: 1.5rem; width: 100%; min-height: 48px; font-size: 1.1rem; border: 0; border-radius: .5rem;
          background: #92400e; color: #fff; font-weight: 600; cursor: pointer; }}
 .hint {{ color: #4b5563; font-size: .95rem; }}
 .error {{ background: #fee2e2; color: #7f1d1d; border-radius: .5rem; padding: .7rem; margin: 1rem 0; }}
 .info {{ background: #e0f2fe; color: #0c4a6e; border-radius: .5rem; padding: .7rem; margin: 1rem 0; }}
 nav {{ text-align: right; font-size: .95rem; }} nav a {{ color: #1e40af; }}
</style></head>
<body><main>
<nav><a href="/auth/login?lang={other}">{other_lang}</a></nav>
<h1>{heading}</h1>
{message}
{form}
</main></body></html>
"""

SIGN_IN_FORM = """<p class="hint">{hint}</p>
<form method="post" action="/auth/login?lang={lang}">
<label for="username">{username}</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" required maxlength="64">
<label for="password">{password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button type="submit">{signin}</button>
</form>"""

FIRST_ADMIN_FORM = """<p class="hint">{policy}</p>
<form method="post" action="/auth/first-admin?lang={lang}">
<label for="username">{username}</label>
<input id="username" name="username" value="admin" autocomplete="username" required maxlength="64">
<label for="password">{password}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required maxlength="256">
<label for="password2">{password_again}</label>
<input id="password2" name="password2" type="password" autocomplete="new-password" required maxlength="256">
<button type="submit">{create_admin}</button>
</form>"""


def _lang(request: Request) -> str:
    """``?lang=``, else the language chosen last in the app (the ``pz_lang`` cookie), else Accept-Language."""
    for choice in (request.query_params.get("lang"), request.cookies.get("pz_lang")):
        if choice in ("zh", "en"):
            return choice
    return messages.accept_language(request.headers.get("accept-language"))


def sign_in_form(lang: str) -> str:
    """The sign-in form (our own texts only); also shown by the Streamlit page when a session ends."""
    return SIGN_IN_FORM.format(lang=lang, **TEXT[lang])


def render_page(lang: str, *, first_admin: bool, error: str | None = None, info: str | None = None) -> str:
    """The sign-in (or first-administrator) page. Only our own texts and an escaped message go in."""
    text = TEXT[lang]
    form = FIRST_ADMIN_FORM.format(lang=lang, **text) if first_admin else sign_in_form(lang)
    message = ""
    if error:
        message = f'<div class="error" role="alert">{html.escape(error)}</div>'
    elif info:
        message = f'<div class="info" role="status">{html.escape(info)}</div>'
    return PAGE.format(html_lang="zh-CN" if lang == "zh" else "en", title=text["title"],
                       heading=text["first_admin"] if first_admin else f'{text["app"]} · {text["signin"]}',
                       other=text["other"], other_lang=text["other_lang"], message=message, form=form)


def client_address(request: Request) -> str | None:
    """The client's address; behind a reverse proxy (PINZHI_TRUST_PROXY=1) the first X-Forwarded-For hop."""
    if os.environ.get("PINZHI_TRUST_PROXY") == "1":
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else None


def is_https(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    return os.environ.get("PINZHI_TRUST_PROXY") == "1" and request.headers.get("x-forwarded-proto") == "https"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=auth.SESSION_DAYS * 86400, path="/",
                        httponly=True, samesite="lax", secure=is_https(request))


async def _credentials(request: Request) -> tuple[dict[str, str], bool]:
    """Form fields or a JSON object; returns (fields, is_json)."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        try:
            data = json.loads(await request.body())
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return {}, True
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}, True
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}, False


def create_auth_routes(get_db: Callable[[], Database]) -> list[Route]:
    def needs_first_admin() -> bool:
        with get_db().read() as s:
            return auth.needs_first_admin(s)

    async def login_page(request: Request) -> Response:
        lang = _lang(request)
        first = await run_in_threadpool(needs_first_admin)
        info = TEXT[lang]["signed_out"] if request.query_params.get("out") == "1" else None
        return HTMLResponse(render_page(lang, first_admin=first, info=info), headers={"cache-control": "no-store"})

    def _do_sign_in(username: str, password: str, address: str | None) -> auth.SignIn:
        """Sign in; a refusal is raised only after its failure count and audit row are committed."""
        with get_db().write() as s:
            outcome = auth.attempt_sign_in(s, username=username, password=password, address=address)
        if isinstance(outcome, ServiceError):
            raise outcome
        return outcome

    async def login(request: Request) -> Response:
        lang = _lang(request)
        fields, is_json = await _credentials(request)
        username, password = fields.get("username", "")[:64], fields.get("password", "")[:256]
        status, error, headers = 401, None, {"cache-control": "no-store"}
        if not username or not password:
            status, code, error = 400, "missing_fields", TEXT[lang]["missing_fields"]
        else:
            try:
                done = await run_in_threadpool(_do_sign_in, username, password, client_address(request))
            except auth.Throttled as exc:
                status, code, error = 429, "throttled", exc.message(lang)
                headers["retry-after"] = str(exc.retry_after)
            except Unavailable as exc:  # the database is busy or down: not the user's password
                status, code, error = 503, "database_unavailable", exc.message(lang)
                headers["retry-after"] = "5"
            except ServiceError as exc:
                status, code, error = 401, "bad_login", exc.message(lang)
            else:
                if is_json:
                    response: Response = JSONResponse(
                        {"user": {"username": done.actor.username, "display_name": done.actor.display_name,
                                  "role": done.actor.role}, "csrf": auth.csrf_token(done.token)},
                        headers=headers)
                else:
                    response = RedirectResponse("/", status_code=303, headers=headers)
                set_session_cookie(response, request, done.token)
                return response
        if is_json:
            return JSONResponse({"error": code, "message": error}, status_code=status, headers=headers)
        page = render_page(lang, first_admin=False, error=error)
        return HTMLResponse(page, status_code=status, headers=headers)

    def _do_first_admin(username: str, password: str, address: str | None) -> auth.SignIn:
        with get_db().write() as s:
            auth.create_first_admin(s, username=username, password=password)
        return _do_sign_in(username, password, address)

    async def first_admin(request: Request) -> Response:
        lang = _lang(request)
        fields, _ = await _credentials(request)
        username, password = fields.get("username", "").strip()[:64], fields.get("password", "")[:256]
        if password != fields.get("password2", password):
            error: str | None = TEXT[lang]["passwords_differ"]
        else:
            try:
                done = await run_in_threadpool(_do_first_admin, username, password, client_address(request))
            except ServiceError as exc:
                error = exc.message(lang)
            else:
                response = RedirectResponse("/", status_code=303, headers={"cache-control": "no-store"})
                set_session_cookie(response, request, done.token)
                return response
        first = await run_in_threadpool(needs_first_admin)
        return HTMLResponse(render_page(lang, first_admin=first, error=error), status_code=400)

    def _do_sign_out(token: str) -> None:
        with get_db().write() as s:
            auth.sign_out(s, token=token)

    async def logout(request: Request) -> Response:
        token = request.cookies.get(auth.SESSION_COOKIE)
        if token:
            await run_in_threadpool(_do_sign_out, token)
        if "application/json" in request.headers.get("accept", ""):
            response: Response = JSONResponse({"signed_out": True})
        else:
            response = RedirectResponse(f"/auth/login?out=1&lang={_lang(request)}", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=is_https(request))
        return response

    return [
        Route("/auth/login", login_page, methods=["GET"]),
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/first-admin", first_admin, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
    ]

