"""Who is calling: the session cookie (writes also need ``X-CSRF-Token``) or an API token (``Bearer``).

Both are resolved against the database on every request, so a revoked session or token, or a disabled
user, is refused at once.
"""

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ApiError
from app.db.engine import Database
from app.services import api_tokens, auth
from app.services.actor import Actor

cookie_scheme = APIKeyCookie(name=auth.SESSION_COOKIE, auto_error=False, scheme_name="session",
                             description="the session cookie set by POST /auth/login; writes also need "
                                         "the header X-CSRF-Token (the csrf value of GET /api/v1/me)")
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="token",
                           description="an API token created by an admin (pinzhi token create USERNAME)")

UNAUTHENTICATED = "api.unauthenticated"  # message ids (app/locale)
CSRF = "api.csrf"


@dataclass(frozen=True)
class Caller:
    actor: Actor
    via: Literal["cookie", "bearer"]
    csrf: str | None = None


def _unauthenticated() -> ApiError:
    return ApiError(401, "unauthenticated", UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})


def dependencies(get_db: Callable[[], Database]) -> tuple[Callable[..., Caller], Callable[..., Caller]]:
    """``(reader, writer)`` dependencies: the caller of any request, and of a write (CSRF checked)."""

    def caller(request: Request, cookie: Annotated[str | None, Security(cookie_scheme)] = None,
               bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None) -> Caller:
        db = get_db()
        if bearer is not None or request.headers.get("authorization"):
            # an Authorization header is used alone: a bad token never falls back to the cookie
            with db.read() as s:
                use = api_tokens.authenticate(s, bearer.credentials if bearer else None)
            if use is None:
                raise _unauthenticated()
            if use.touch_due:
                with db.write() as s:
                    api_tokens.mark_used(s, token_id=use.token_id)
            return Caller(use.actor, "bearer")
        if cookie:
            with db.read() as s:
                actor = auth.actor_from_token(s, cookie)
            if actor is not None:
                return Caller(actor, "cookie", auth.csrf_token(cookie))
        raise _unauthenticated()

    def writer(who: Annotated[Caller, Depends(caller)],
               x_csrf_token: Annotated[str | None, Header(description="with the session cookie: the csrf "
                                                                      "value of GET /api/v1/me")] = None
               ) -> Caller:
        if who.via == "cookie" and not (x_csrf_token and who.csrf
                                        and hmac.compare_digest(x_csrf_token.encode(), who.csrf.encode())):
            raise ApiError(403, "csrf", CSRF)
        return who

    return caller, writer
