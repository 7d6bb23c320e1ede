"""Every error of the API is JSON ``{"error": code, "message": text}`` with a fitting status, never a traceback."""

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
INTERNAL = "服务器内部错误，请稍后再试 / Internal error, please try again later"
DB_DOWN = "数据库暂时无法访问，请稍后再试 / The database cannot be reached, please try again later"


class ApiError(Exception):
    """An error raised by the API layer itself (authentication, CSRF)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                   fields: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return JSONResponse(body, status_code=status, headers=headers)


def _loc(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        for cls, status, code in SERVICE_ERRORS:
            if isinstance(exc, cls):
                return error_response(status, code, str(exc),
                                      headers={"Retry-After": "5"} if status == 503 else None)
        return error_response(400, "bad_request", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [{"loc": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors()]
        first = fields[0] if fields else {"loc": "", "message": ""}
        message = f"请求数据有误 / Invalid request: {first['loc']}: {first['message']}"
        return error_response(422, "invalid", message, fields=fields)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return error_response(409, "conflict", "数据与当前状态冲突，请刷新后重试 / Conflicts with the current state, reload and retry")

    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc.__class__.__name__)
        return error_response(503, "database_unavailable", DB_DOWN, headers={"Retry-After": "5"})

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        log.warning("data error: %s", exc.orig)
        return error_response(422, "invalid", "数据超出允许范围 / A value is out of range")

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
            await error_response(500, "internal", INTERNAL)(scope, receive, send)
