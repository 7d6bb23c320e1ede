"""Every error of the API is JSON ``{"error": code, "message": text}`` with a fitting status, never a traceback.

A service error also carries ``"key"``, its message id in the catalogue (app/messages.py); its message is in
the request's language (``Accept-Language``: English when it prefers ``en`` to ``zh``, else Chinese)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.messages import accept_language, text
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied, ServiceError, Unavailable

log = logging.getLogger("pinzhi.api")

SERVICE_ERRORS: tuple[tuple[type[ServiceError], int, str], ...] = (
    (PermissionDenied, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (Invalid, 422, "invalid"),
    (Unavailable, 503, "database_unavailable"),
)
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests"}
INTERNAL = "api.internal"  # message ids (app/locale)
DB_DOWN = "api.db_down"


class ApiError(Exception):
    """An error raised by the API layer itself (authentication, CSRF); ``key``: its message id."""

    def __init__(self, status: int, code: str, key: str, headers: dict[str, str] | None = None):
        super().__init__(key)
        self.status, self.code, self.key, self.headers = status, code, key, headers


def _lang(request: Request) -> str:
    return accept_language(request.headers.get("accept-language"))


def error_response(status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                   fields: list[dict[str, str]] | None = None, extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message, **(extra or {})}
    if fields is not None:
        body["fields"] = fields
    return JSONResponse(body, status_code=status, headers=headers)


def _loc(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, text(exc.key, _lang(request)), headers=exc.headers,
                              extra={"key": exc.key})

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        message = exc.message(_lang(request))
        extra = {"key": exc.key} if exc.key else None
        for cls, status, code in SERVICE_ERRORS:
            if isinstance(exc, cls):
                return error_response(status, code, message, extra=extra,
                                      headers={"Retry-After": "5"} if status == 503 else None)
        return error_response(400, "bad_request", message, extra=extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [{"loc": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors()]
        first = fields[0] if fields else {"loc": "", "message": ""}
        message = text("api.invalid_request", _lang(request), loc=first["loc"], detail=first["message"])
        return error_response(422, "invalid", message, fields=fields)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return error_response(409, "conflict", text("api.conflict", _lang(request)))

    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc.__class__.__name__)
        return error_response(503, "database_unavailable", text(DB_DOWN, _lang(request)), headers={"Retry-After": "5"})

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        log.warning("data error: %s", exc.orig)
        return error_response(422, "invalid", text("api.out_of_range", _lang(request)))

    app.add_exception_handler(OperationalError, _db_down)  # connection refused or lost, database locked
    app.add_exception_handler(InterfaceError, _db_down)
    app.add_exception_handler(PoolTimeout, _db_down)
    app.add_middleware(CatchAll)


class CatchAll:
    """Turns any unhandled exception into a logged 500 JSON answer (instead of re-raising to the server)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            accept = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
            await error_response(500, "internal", text(INTERNAL, accept_language(accept)))(scope, receive, send)
