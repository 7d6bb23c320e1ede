"""Streamlit glue: the cached database, the signed-in actor, language, styling.

``st.session_state`` is only a cache: every answer, note and photo is written to the database when
given. The sign-in token lives in an HttpOnly cookie, never in the URL; every run checks it in the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from app.config import database_url
from app.db.engine import Database, process_database
from app.services import auth
from app.services.actor import Actor
from app.ui.i18n import lang, t

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def get_db() -> Database:
    """The server process's one database (shared with the auth routes and the API; never a session)."""
    return process_database(database_url())


@contextmanager
def write() -> Iterator:
    with get_db().write() as session:
        yield session


@contextmanager
def read() -> Iterator:
    with get_db().read() as session:
        yield session


def local_today():
    return datetime.now(LOCAL_TZ).date()


def local_time(dt: datetime | None) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


APPTEST_TOKEN_KEY = "_apptest_token"


def session_token() -> str | None:
    """The sign-in token from the HttpOnly session cookie (set by ``POST /auth/login``).

    Streamlit's AppTest cannot send cookies, so under ``PINZHI_APPTEST=1`` (set by the test suite only) a
    token placed in session state by the test stands in for the cookie. Session state is server-side:
    no browser can set it.
    """
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    if not isinstance(token, str) and os.environ.get("PINZHI_APPTEST") == "1":
        token = st.session_state.get(APPTEST_TOKEN_KEY)  # AppTest's client context is a stand-in
    return token if isinstance(token, str) and token else None


def current_actor() -> Actor | None:
    """The signed-in actor, checked against the database on every run (revoked, expired or disabled: None)."""
    lang()  # the language is decided before anything is drawn (?lang=, the pz_lang cookie)
    token = session_token()
    if not token:
        return None
    with read() as s:
        return auth.actor_from_token(s, token)


def require_actor() -> Actor:
    """The signed-in actor on a page that navigation only offers to signed-in users."""
    actor = current_actor()
    if actor is None:
        st.rerun()  # the session ended (signed out elsewhere, disabled, expired): back to sign-in
    assert actor is not None
    return actor


def keep_params(**params: str | None) -> None:
    """Set (or remove with None) query parameters."""
    for k, v in params.items():
        if v is None:
            if k in st.query_params:
                del st.query_params[k]
        else:
            st.query_params[k] = v


CSS = """
<style>
/* tablet first: big touch targets, readable text */
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 3.6rem; }
html, body, [class*="css"] { font-size: 17px; }
div[data-testid="stButton"] button, div[data-testid="stFormSubmitButton"] button,
div[data-testid="stDownloadButton"] button { min-height: 48px; font-size: 1.05rem; }
div[data-testid="stButtonGroup"] button { min-height: 48px; min-width: 64px; font-size: 1.05rem; }
.pz-score { font-size: 1.6rem; font-weight: 700; }
/* contrast >= 4.5:1 (axe-core, issue 12): Streamlit draws captions (image captions too) at opacity .6 (#828180 on
   white, 3.88:1); .8 gives #595756 (7:1 on white) */
[data-testid="stCaptionContainer"] { opacity: .8; }
/* section headings are h2 under the page's h1 (axe heading-order), drawn at the size of the h4 they were */
div[data-testid="stMarkdownContainer"] h2 { font-size: 1.25rem; padding: 1rem 0 .25rem; }
/* sign-in form shown when a session ended mid-use (app/pages/login.py) and the sidebar's sign-out form */
.pz-login label { display: block; margin: .8rem 0 .3rem; font-weight: 600; }
.pz-login input { width: 100%; box-sizing: border-box; font-size: 1.05rem; padding: .6rem;
                  border: 1px solid #6b7280; border-radius: .5rem; }
.pz-login button, .pz-signout button { margin-top: 1rem; min-height: 48px; font-size: 1.05rem; border-radius: .5rem;
                  border: 1px solid #92400e; background: #92400e; color: #fff; padding: 0 1.2rem; cursor: pointer; }
.pz-signout button { background: #fff; color: #92400e; margin-top: .3rem; }
</style>
"""


def _css_string(text: str) -> str:
    """Our own catalogue text as a CSS string literal (quotes and backslashes escaped, no ``<`` to end the
    style element)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ") + '"'


# the "Press Enter to apply" span of a text input: the first of two (then the second is the length counter), or
# the only one of an input without a length limit (with one, a lone span is the counter)
_ENTER_HINTS = ('[data-testid="InputInstructions"] > span:first-child:not(:last-child)',
                ':is([data-testid="stTextInput"], [data-testid="stTextArea"], [data-testid="stNumberInput"])'
                ':not(:has(input[maxlength], textarea[maxlength])) [data-testid="InputInstructions"] > span:only-child')
_ENTER_HINT = ", ".join(_ENTER_HINTS)
_ENTER_HINT_AFTER = ", ".join(h + "::after" for h in _ENTER_HINTS)


def widget_texts_css() -> str:
    """Streamlit's file uploader draws its button ("Upload") and its limits line ("200MB per file • JPG, …",
    Streamlit's upload limit, not our photo limit) in English in the browser, and a text input its "Press
    Enter to apply / submit form", with no parameter to change them: ours are laid over them (the original
    text kept at size 0)."""
    from app.services.photos import limits

    mb = limits().max_bytes / (1024 * 1024)
    button, hint = t("upload_button"), t("upload_limits", mb=f"{mb:g}")
    return f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: {_css_string(button)}; font-size: 1rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: {_css_string(hint)}; font-size: .8rem; }}
{_ENTER_HINT} {{ font-size: 0; }}
{_ENTER_HINT_AFTER} {{ content: {_css_string(t("input_enter_hint"))}; font-size: .75rem; }}
</style>"""


def style() -> None:
    # style-only st.html goes to Streamlit's event container: no layout element, and no markdown
    # parse of the whole stylesheet on every rerender (st.markdown did that on every tap)
    st.html(CSS + widget_texts_css())
