"""Security headers on every response, and the page guard that sends signed-out visitors to sign-in.

The Content-Security-Policy is built from what Streamlit's front end was measured to need (the browser
test ``tests/browser/test_security_browser.py`` fails on any CSP violation on any page):
- scripts from this origin only (and WebAssembly compilation, which Streamlit's protobuf code does at
  start-up), plus the one inline ``<script>`` of Streamlit's index.html, allowed by
  its SHA-256 computed from the installed file at start-up (so a Streamlit upgrade cannot silently
  break or widen it);
- inline styles (Emotion, Streamlit's CSS-in-JS, writes <style> elements at run time);
- images, fonts and media from this origin and ``data:``/``blob:`` URLs (thumbnails, icons, charts);
- network connections (fetch, the WebSocket) to this origin only;
- no frames of any kind (``frame-src 'none'``; user text can never open an ``<iframe srcdoc>``), no
  plugins, no embedding of Pinzhi in another site (``frame-ancestors 'none'``), forms post here only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


@functools.cache
def streamlit_inline_script_hashes() -> tuple[str, ...]:
    """CSP hash sources for the inline scripts of the installed Streamlit's index.html."""
    import streamlit

    index = Path(streamlit.__file__).parent / "static" / "index.html"
    text = index.read_text(encoding="utf-8")
    return tuple(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(text)
    )


@functools.cache
def content_security_policy() -> str:
    # 'wasm-unsafe-eval' lets WebAssembly compile (never JS eval): Streamlit's protobuf runtime (long.js)
    # instantiates a small wasm module for 64-bit integers at start-up
    scripts = " ".join(("'self'", "'wasm-unsafe-eval'", *streamlit_inline_script_hashes()))
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'none'",
        "child-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
    ]


# first path segments that are never a page of the app
_NOT_PAGES = {"auth", "api", "_stcore", "static", "media", "component", "app", "healthz"}
_PAGE = re.compile(r"^/(?:([A-Za-z0-9_-]+)/?)?$")


def is_page_path(path: str) -> bool:
    m = _PAGE.match(path)
    if m is None:
        return False
    return m.group(1) is None or m.group(1) not in _NOT_PAGES


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


class SecurityMiddleware:
    """Pure ASGI middleware (WebSockets and streaming pass straight through).

    - adds :func:`security_headers` to every HTTP response;
    - answers a page request (``/``, ``/inspect`` …) without a live session with a redirect to
      ``/auth/login`` before any of the app is sent (``session_ok`` checks the cookie in the database).
    """

    def __init__(self, app: ASGIApp, *, session_ok: Callable[[str | None], bool], cookie: str):
        self.app = app
        self.session_ok = session_ok
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers()

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k, v) for k, v in extra if k not in names)]}
            await send(message)

        if scope.get("method") in ("GET", "HEAD") and is_page_path(scope.get("path", "")):
            token = _cookie(scope, self.cookie)
            ok = await anyio.to_thread.run_sync(self.session_ok, token)
            if not ok:
                lang = "en" if b"lang=en" in scope.get("query_string", b"") else "zh"
                await send_with_headers({"type": "http.response.start", "status": 303, "headers": [
                    (b"location", f"/auth/login?lang={lang}".encode()), (b"cache-control", b"no-store"),
                    (b"content-length", b"0")]})
                await send_with_headers({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send_with_headers)
