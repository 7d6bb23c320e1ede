"""Close Streamlit's sidebar after a page is chosen in it on a narrow screen (a phone).

Below Streamlit's ``md`` breakpoint the top navigation falls back to the sidebar, which then lies over the
page. Streamlit closes it after a choice only when the browser's user agent says "mobile"; a phone in
"desktop site" mode, a narrow desktop window or a browser test at 390 px keeps it open over the page. This
component (custom components v2, no iframe, no HTML of its own) adds one click listener to the document that
presses the sidebar's collapse button after a navigation link in the sidebar is chosen on a narrow screen.

The JS is served as a file from this folder (``/_stcore/bidi-components/pinzhi.navcloser/``), so it runs under
the app's ``script-src 'self'`` CSP, as the inspection screen does (app/ui/inspection_screen/__init__.py).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

NAME = "pinzhi.navcloser"
ASSET_DIR = Path(__file__).resolve().parent


def mount() -> None:
    """Mount the listener (call it inside ``st.sidebar``: it draws nothing)."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(NAME) is None:
        manifest = ComponentManifest(name="pinzhi", version="1",
                                     components=[ComponentConfig(name="navcloser", asset_dir=ASSET_DIR.name)])
        manager.register_from_manifest(manifest, ASSET_DIR.parent)
    st.components.v2.component(NAME, html="<span hidden></span>", js="nav_closer.js")(key="pz_nav_closer")
