"""The JSON API v1 (FastAPI), mounted by the server under ``/api/v1``.

Its OpenAPI document is served at ``/api/v1/openapi.json``. Authentication: the session cookie (writes
also need ``X-CSRF-Token``) or an admin-issued API token (``Authorization: Bearer ...``).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from app.api import errors
from app.api.routes import build_router
from app.db.engine import Database

__all__ = ["create_api"]


def create_api(get_db: Callable[[], Database]) -> FastAPI:
    """The API app. ``get_db`` returns the process's database (one engine per process)."""
    api = FastAPI(
        title="Pinzhi API", version="1",
        description="品质巡检 JSON API v1. Mounted under /api/v1; errors are {\"error\": code, \"message\": text}.",
        openapi_url="/openapi.json", docs_url=None, redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
    )
    errors.install(api)
    api.include_router(build_router(get_db))
    return api
