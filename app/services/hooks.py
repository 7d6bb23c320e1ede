"""Work that joins the submit/amend transaction. Later features append to these lists at import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AFTER_SUBMIT: list[Callable[..., Any]] = []
AFTER_AMEND: list[Callable[..., Any]] = []
BEFORE_AMEND: list[Callable[..., Any]] = []
# (session, actor, photo_id) -> bool: other places a photo may be seen from (e.g. corrective actions)
PHOTO_READERS: list[Callable[..., bool]] = []
