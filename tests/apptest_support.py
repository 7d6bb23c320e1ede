"""Helpers shared by the AppTest suites: run the real streamlit_app.py signed in, read what it shows."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.ui.state import APPTEST_TOKEN_KEY

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
TIMEOUT = 30


def app_as(token: str | None, page: str | None = None, **params: str) -> AppTest:
    """An AppTest signed in with ``token`` (standing in for the session cookie), run once, then on ``page``
    with ``params``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if token is not None:
        at.session_state[APPTEST_TOKEN_KEY] = token
    at.run()
    if page is not None or params:
        at.query_params.update(params)
        if page is not None:
            at.switch_page(f"app/pages/{page}")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def nav_titles(at: AppTest) -> set[str]:
    """Titles of the pages ``st.navigation`` registered in the last run (not exposed in the element tree)."""
    return {info["page_name"] for info in at._registered_pages.values()}


def as_shown(markdown: str) -> str:
    """Markdown source as a reader sees the text: backslash escapes and md()'s word joiners removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """All the visible text of markdown, captions, titles, subheaders and alerts, one per line."""
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(as_shown(str(e.value)) for e in getattr(at, kind))
    return "\n".join(parts)
