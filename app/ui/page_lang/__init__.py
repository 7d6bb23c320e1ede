"""The page's language, kept: the chosen language is written to the document (``<html lang>``, so screen
readers and the browser's translation offer read the page in the right language) and to a cookie ``pz_lang``
(one year, not HttpOnly: a preference, not a credential), so a reload, a new tab or the sign-in page after
signing out stay in the language the user chose. :func:`app.ui.i18n.lang` reads the cookie when the session
has no choice yet; only ``zh`` and ``en`` are taken from it.

Data contract: ``{"lang": "zh" | "en"}``; the component draws nothing and sends nothing back. Its JS is served
from this folder under the app's ``script-src 'self'`` CSP (app/ui/components.py).
"""

from __future__ import annotations

from pathlib import Path

from app.ui.components import file_component

ASSET_DIR = Path(__file__).resolve().parent
COOKIE = "pz_lang"


def mount(lang: str) -> None:
    file_component("pagelang", ASSET_DIR, html="<span hidden></span>", js="page_lang.js")(
        key="pz_page_lang", data={"lang": "en" if lang == "en" else "zh"})
