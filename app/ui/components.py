"""Our custom components v2 whose JS/CSS are files served by the app itself.

Streamlit serves a v2 component's inline ``js=``/``css=`` strings from ``blob:`` URLs, which the app's strict
CSP (``script-src 'self'``) refuses. Registering the component's folder as its asset directory makes Streamlit
serve the files under ``/_stcore/bidi-components/<name>/`` instead, i.e. from ``'self'``. This uses Streamlit
internals (``get_bidi_component_manager``, ``ComponentManifest``), checked against Streamlit 1.67.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st


def file_component(name: str, folder: Path, *, html: str, js: str, css: str | None = None,
                   isolate_styles: bool = False) -> Any:
    """Register ``folder`` as the asset directory of component ``pinzhi.<name>`` (once per server) and define
    the component with ``js``/``css`` file names inside that folder."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    full = f"pinzhi.{name}"
    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(full) is None:
        manifest = ComponentManifest(name="pinzhi", version="1",
                                     components=[ComponentConfig(name=name, asset_dir=folder.name)])
        manager.register_from_manifest(manifest, folder.parent)
    kwargs: dict[str, Any] = {"html": html, "js": js, "isolate_styles": isolate_styles}
    if css is not None:
        kwargs["css"] = css
    return st.components.v2.component(full, **kwargs)
