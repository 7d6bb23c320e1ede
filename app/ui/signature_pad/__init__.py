"""The close-out signature pad as a custom component v2 (no iframe): a canvas drawn with pointer events.

``signature.js`` and ``signature.css`` in this folder are served as files under
``/_stcore/bidi-components/pinzhi.signature/`` (this folder is registered as the component's asset
directory, as app/ui/inspection_screen does), so the JS runs under the app's ``script-src 'self'`` CSP.

Data contract (``data=`` of the mount), all JSON: ``key`` (a new key starts an empty pad), ``role``
(``"inspector"``/``"subject"``, a DOM hook), ``height`` (CSS px), ``disabled``, ``labels``
(``clear``, ``save``, ``hint``, ``aria``). The component reports one trigger, ``signed``:
``{"png": "data:image/png;base64,…", "strokes": n, "at": epoch ms}`` when 保存签名 is pressed (also with
nothing drawn: :func:`app.services.signatures.check_png` refuses a blank canvas with its own message).

DOM hooks: ``canvas[data-role=signature-canvas][data-role-name=<role>]``,
``button[data-action=clear-signature]``, ``button[data-action=save-signature]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from app.ui.i18n import t

NAME = "pinzhi.signature"
ASSET_DIR = Path(__file__).resolve().parent


def _register() -> Any:
    """Register this folder as the component's asset directory (once per server) and define the component."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(NAME) is None:
        manifest = ComponentManifest(name="pinzhi", version="1",
                                     components=[ComponentConfig(name="signature", asset_dir=ASSET_DIR.name)])
        manager.register_from_manifest(manifest, ASSET_DIR.parent)
    return st.components.v2.component(NAME, html="<div class='pzs-root'></div>", css="signature.css",
                                      js="signature.js", isolate_styles=False)


def pad(*, key: str, role: str, disabled: bool = False, height: int = 200) -> str | None:
    """Mount a signature pad; returns the PNG data URL when 保存签名 was pressed in this run (else None)."""
    component = _register()
    labels = {"clear": t("sig_clear"), "save": t("sig_save"), "hint": t("sig_hint"), "aria": t("sig_aria")}
    result = component(key=key, data={"key": key, "role": role, "height": height, "disabled": disabled,
                                      "labels": labels}, on_signed_change=lambda: None)
    signed = getattr(result, "signed", None)
    return signed.get("png") if isinstance(signed, dict) else None
