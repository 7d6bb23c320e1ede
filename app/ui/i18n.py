"""UI strings: :func:`t` renders a message of the catalogue (app/messages.py, the PO files under
app/locale) in the language chosen for this browser session. Item texts stay as the standards wrote them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import messages

# Escape hatch for merges: entries added here (``ZH.update({...})`` / ``EN.update({...})``) are shown, but
# the catalogue test fails until they are moved into the PO files (scripts/i18n_po.py legacy).
ZH: dict[str, str] = {}
EN: dict[str, str] = {}


LANG_COOKIE = "pz_lang"  # written by app/ui/page_lang when a language is chosen


def lang() -> str:
    """The browser session's language: the switch in the sidebar; before it is touched, ``?lang=`` or else the
    language chosen last time in this browser (the ``pz_lang`` cookie), else Chinese. Decided before anything
    is drawn, so the page title and stylesheet are in it too."""
    if "lang" not in st.session_state:
        cookie = st.context.cookies.get(LANG_COOKIE)
        for choice in (st.query_params.get("lang"), cookie):
            if choice in ("zh", "en"):
                st.session_state["lang"] = choice
                break
    return "en" if st.session_state.get("lang") == "en" else "zh"


def t(key: str, **kw: Any) -> str:
    current = lang()
    legacy = (EN if current == "en" else ZH).get(key) or ZH.get(key)
    if legacy is not None:
        return legacy.format(**kw) if kw else legacy
    return messages.text(key, current, **kw)


def tv(kind: str, value: str | None) -> str:
    """A stored value (shift, post, grade, action status, site kind) labelled in the chosen language."""
    return messages.value(kind, value, lang())


def ct(obj: Any, field: str = "title") -> str:
    """A checklist's, section's or item's own text (``title``/``text``), its English version in English mode
    when the standard has one (``title_en``/``text_en``)."""
    english = getattr(obj, f"{field}_en", None) if lang() == "en" else None
    return str(english or getattr(obj, field))


def tr(message: Any) -> str:
    """A service error or lazy message (:class:`app.messages.Msg`) in the chosen language."""
    render = getattr(message, "message", None) or getattr(message, "render", None)
    return str(render(lang())) if callable(render) else str(message)
