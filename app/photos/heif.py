"""Optional HEIC support (iPad photos) through pillow-heif >= 1.7, registered once, lazily."""

from __future__ import annotations

import threading
from importlib import metadata

MIN_VERSION = (1, 7)

_lock = threading.Lock()
_state: bool | None = None  # None = not probed yet


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def available() -> bool:
    """True when pillow-heif >= 1.7 is installed; registers its Pillow opener on first use."""
    global _state
    if _state is not None:
        return _state
    with _lock:
        if _state is None:
            _state = _probe()
        return _state


def _probe() -> bool:
    try:
        if _version_tuple(metadata.version("pillow-heif")) < MIN_VERSION:
            return False
        import pillow_heif
    except Exception:  # not installed, or broken native library
        return False
    # Registration adds "HEIF" to Pillow's plugin table (process-global, idempotent) and is
    # done once under the lock above.
    pillow_heif.register_heif_opener()
    return True
