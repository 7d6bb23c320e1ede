"""The one exception the photo pipeline raises for a refused upload.

Every refusal carries a stable machine ``code`` (for logs, metrics and tests) and a user-facing message
of the catalogue (``key`` and ``params``, app/messages.py) that says *why* the photo was refused:
``message(lang)``, ``message_zh`` (also ``str(exc)``) and ``message_en``.
"""

from __future__ import annotations

from typing import Any, Literal

from app import messages

RejectCode = Literal[
    "empty",
    "too_large",
    "too_many_pixels",
    "not_an_image",
    "unsupported_format",
    "heic_unsupported",
    "truncated",
    "trailing_data",
    "corrupt",
    "too_complex",
    "two_frames",
    "script_content",
]


class PhotoRejected(Exception):
    """An uploaded photo was refused; nothing was written to disk."""

    def __init__(self, code: RejectCode, key: str, params: dict[str, Any] | None = None, **details: Any) -> None:
        self.code: RejectCode = code
        self.key = key
        self.params: dict[str, Any] = params or {}
        self.details: dict[str, Any] = details
        super().__init__(self.message_zh)

    def message_params(self) -> dict[str, Any]:
        """The message's parameters (``kind``, what the bytes are, is itself a message id: photo.kind.*)."""
        return {k: messages.msg(v) if k == "kind" else v for k, v in self.params.items()}

    def message(self, lang: str = "zh") -> str:
        return messages.text(self.key, lang, **self.message_params())

    @property
    def message_zh(self) -> str:
        return self.message("zh")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def __str__(self) -> str:
        return self.message_zh

    def __repr__(self) -> str:
        return f"PhotoRejected(code={self.code!r}, key={self.key!r})"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (crosses the decode worker's pipe)."""
        return {"code": self.code, "key": self.key, "params": self.params, "details": self.details}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PhotoRejected:
        return cls(d["code"], d["key"], d["params"], **d["details"])


# ---------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------

_MB = 1024 * 1024


def _num(x: float) -> str:
    """1 decimal, without a useless trailing '.0' (15.0 -> '15', 17.23 -> '17.2')."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def fmt_mb(n: int) -> str:
    return f"{_num(n / _MB)} MB"


def fmt_kb(n: int) -> str:
    return f"{_num(n / 1024)} KB" if n >= 1024 else f"{n} B"


def fmt_mp(n: int) -> str:
    return _num(n / 1_000_000)


# ---------------------------------------------------------------------------
# Constructors, one per code (keeps wording consistent across the pipeline)
# ---------------------------------------------------------------------------


def empty() -> PhotoRejected:
    return PhotoRejected("empty", "photo.empty")


def too_large(actual: int, limit: int) -> PhotoRejected:
    return PhotoRejected("too_large", "photo.too_large", {"limit": fmt_mb(limit), "actual": fmt_mb(actual)},
                         actual_bytes=actual, limit_bytes=limit)


def too_many_pixels(width: int, height: int, limit: int) -> PhotoRejected:
    return PhotoRejected("too_many_pixels", "photo.too_many_pixels",
                         {"width": width, "height": height, "mp": fmt_mp(width * height), "limit": fmt_mp(limit)},
                         width=width, height=height, limit_pixels=limit)


def not_an_image(detected: str | None) -> PhotoRejected:
    """``detected``: the message id naming what the file is (photo.kind.*), if known."""
    if detected is None:
        return PhotoRejected("not_an_image", "photo.not_an_image", detected=None)
    return PhotoRejected("not_an_image", "photo.not_an_image_kind", {"kind": detected},
                         detected=messages.text(detected, "en"))


def unsupported_format(detected: str) -> PhotoRejected:
    return PhotoRejected("unsupported_format", "photo.unsupported_format", {"kind": detected},
                         detected=messages.text(detected, "en"))


def heic_unsupported() -> PhotoRejected:
    return PhotoRejected("heic_unsupported", "photo.heic_unsupported")


def truncated(fmt: str) -> PhotoRejected:
    return PhotoRejected("truncated", "photo.truncated", {"format": fmt}, format=fmt)


def trailing_data(fmt: str, extra: int) -> PhotoRejected:
    return PhotoRejected("trailing_data", "photo.trailing_data", {"format": fmt, "extra": fmt_kb(extra)},
                         format=fmt, extra_bytes=extra)


def corrupt(fmt: str) -> PhotoRejected:
    return PhotoRejected("corrupt", "photo.corrupt", {"format": fmt}, format=fmt)


def too_many_scans(scans: int, limit: int) -> PhotoRejected:
    return PhotoRejected("too_complex", "photo.too_many_scans", {"scans": scans, "limit": limit},
                         scans=scans, limit_scans=limit)


def too_complex(fmt: str, cpu_seconds: int, memory_mb: int) -> PhotoRejected:
    return PhotoRejected("too_complex", "photo.too_complex",
                         {"format": fmt, "cpu_seconds": cpu_seconds, "memory_mb": memory_mb},
                         format=fmt, cpu_seconds=cpu_seconds, memory_mb=memory_mb)


def two_frames(sizes: list[tuple[int, int]]) -> PhotoRejected:
    return PhotoRejected("two_frames", "photo.two_frames",
                         {"n": len(sizes), "sizes": ", ".join(f"{w}×{h}" for w, h in sizes[:3])},
                         frames=len(sizes))


def script_content(fmt: str) -> PhotoRejected:
    return PhotoRejected("script_content", "photo.script_content", {"format": fmt}, format=fmt)
