"""Photo-evidence pipeline: validate an upload, render display copy + thumbnail, store them.

Order of work for one upload (cheapest refusal first; nothing touches the disk until the
photo has been fully validated and both JPEGs are encoded in memory):

1. size in bytes (``empty`` / ``too_large``);
2. format from magic bytes (``not_an_image`` / ``unsupported_format`` / ``heic_unsupported``);
3. SHA-256 of the bytes -> already stored? return the same record (``deduplicated=True``);
4. pixel count from the container header (``too_many_pixels``), before Pillow is involved;
5. container walk to the end marker (``truncated`` / ``trailing_data`` / ``corrupt``);
6. ``Image.open`` with Pillow's decompression-bomb warning turned into an error, size
   re-checked; JPEG DCT scaling via ``draft()`` so a 12 MP photo is decoded at 1/2..1/8 scale;
   full decode (a truncated stream raises; ``LOAD_TRUNCATED_IMAGES`` is never touched);
7. resize (reduce-then-resample), EXIF orientation applied on the small image, alpha
   flattened onto white, ICC profile converted to sRGB, every metadata block dropped;
8. thumbnail from the display copy; atomic writes.

Thread-safe: no Pillow global is modified; per-photo locks serialise identical uploads; a
small semaphore bounds concurrent decodes (memory).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import threading
import warnings
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, ImageCms

from app.photos import errors, formats, store
from app.photos.errors import PhotoRejected
from app.photos.formats import AcceptedFormat

log = logging.getLogger(__name__)

DISPLAY_QUALITY = 84
THUMB_QUALITY = 80
#: reduce() by an integer factor first while the remaining ratio stays >= this gap
REDUCING_GAP = 2.0
#: Filter for a full downscale (PNG, WebP, and the thumbnail from the display copy).
RESAMPLE = Image.Resampling.LANCZOS
#: Filter for the small (< 2x) step left after JPEG DCT scaling did the heavy reduction:
#: a short windowed filter, ~2x cheaper than LANCZOS here and within ~1.5 dB of it.
RESIDUAL_RESAMPLE = Image.Resampling.HAMMING


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 50_000_000
    display_px: int = 1600
    thumb_px: int = 320

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "display_px", "thumb_px"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"PhotoLimits.{name} must be a positive int, got {value!r}")
        if self.thumb_px > self.display_px:
            raise ValueError("PhotoLimits.thumb_px must not exceed display_px")


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str  #: SHA-256 (hex) of the uploaded bytes; the content address
    display_path: str  #: relative to root, posix, e.g. "ab/cd/<sha256>.jpg"
    thumb_path: str  #: "ab/cd/<sha256>.thumb.jpg"
    width: int  #: display copy, upright
    height: int
    original_width: int  #: as stored in the file (before EXIF orientation)
    original_height: int
    original_format: str  #: "JPEG" | "PNG" | "WEBP" | "HEIF"
    byte_size: int  #: display copy bytes
    captured_at: datetime | None  #: EXIF DateTimeOriginal, else DateTime (naive, camera clock)
    orientation: int | None  #: EXIF orientation 1..8 as shot, None if absent
    deduplicated: bool  #: True if these bytes were already stored (nothing was written)


DEFAULT_LIMITS = PhotoLimits()

_locks = store.KeyedLocks()
_decode_slots = threading.BoundedSemaphore(max(1, min(4, os.cpu_count() or 1)))
# warnings.catch_warnings() swaps the process-wide filter list; serialise our own use of it.
_warnings_lock = threading.Lock()

_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_PIL_FORMATS: dict[AcceptedFormat, list[str]] = {
    "JPEG": ["JPEG"],  # JPEG files with an MPF index open as "MPO" through the JPEG factory
    "PNG": ["PNG"],
    "WEBP": ["WEBP"],
    "HEIF": ["HEIF"],
}
_LABEL: dict[AcceptedFormat, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def ingest_photo(
    data: bytes,
    *,
    root: Path,
    limits: PhotoLimits = DEFAULT_LIMITS,
    filename: str | None = None,
) -> StoredPhoto:
    """Validate ``data`` (the uploaded bytes), store display copy + thumbnail under ``root``.

    ``filename`` is used for logging only; it never influences a path or the decision.
    Raises :class:`PhotoRejected` (nothing written) if the upload is refused.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be bytes")
    data = bytes(data)
    try:
        return _ingest(data, Path(root), limits)
    except PhotoRejected as exc:
        log.info("photo rejected: code=%s size=%d filename=%s", exc.code, len(data), _log_name(filename))
        raise


def _log_name(filename: str | None) -> str:
    if filename is None:
        return "-"
    return repr(filename[:120])


def _effective_max_pixels(limits: PhotoLimits) -> int:
    pil_max = Image.MAX_IMAGE_PIXELS
    return limits.max_pixels if pil_max is None else min(limits.max_pixels, int(pil_max))


def _ingest(data: bytes, root: Path, limits: PhotoLimits) -> StoredPhoto:
    if not data:
        raise errors.empty()
    if len(data) > limits.max_bytes:
        raise errors.too_large(len(data), limits.max_bytes)
    fmt = formats.sniff(data)
    sha = hashlib.sha256(data).hexdigest()
    max_pixels = _effective_max_pixels(limits)

    with _locks.hold(f"{os.path.realpath(root)}\0{sha}"):
        existing = store.load_record(root, sha)
        if (
            existing is not None
            and existing.get("display_px") == limits.display_px
            and existing.get("thumb_px") == limits.thumb_px
        ):
            ow, oh = existing["original_width"], existing["original_height"]
            if ow * oh > max_pixels:
                raise errors.too_many_pixels(ow, oh, max_pixels)
            return _record_to_photo(existing, deduplicated=True)

        r = render(data, fmt, limits)
        display_rel, thumb_rel, _ = store.rel_paths(sha)
        photo = StoredPhoto(
            sha256=sha,
            display_path=display_rel,
            thumb_path=thumb_rel,
            width=r.width,
            height=r.height,
            original_width=r.original_width,
            original_height=r.original_height,
            original_format=fmt,
            byte_size=len(r.display),
            captured_at=r.captured_at,
            orientation=r.orientation,
            deduplicated=False,
        )
        record = asdict(photo)
        del record["deduplicated"]
        record.update(
            v=store.RECORD_VERSION,
            captured_at=photo.captured_at.isoformat() if photo.captured_at else None,
            display_px=limits.display_px,
            thumb_px=limits.thumb_px,
        )
        store.commit(root, sha, r.display, r.thumb, record)
        return photo


def _record_to_photo(record: dict[str, Any], *, deduplicated: bool) -> StoredPhoto:
    fields = {k: record[k] for k in StoredPhoto.__dataclass_fields__ if k != "deduplicated"}
    return StoredPhoto(**fields, deduplicated=deduplicated)


# ---------------------------------------------------------------------------
# Rendering (pure: bytes in, bytes out; no disk)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    display: bytes
    thumb: bytes
    width: int
    height: int
    original_width: int
    original_height: int
    captured_at: datetime | None
    orientation: int | None


def render(data: bytes, fmt: AcceptedFormat, limits: PhotoLimits = DEFAULT_LIMITS) -> Rendered:
    """Validate and render one accepted-format upload; raises PhotoRejected."""
    max_pixels = _effective_max_pixels(limits)
    dims = formats.header_size(fmt, data)
    if dims is not None and dims[0] * dims[1] > max_pixels:
        raise errors.too_many_pixels(dims[0], dims[1], max_pixels)
    formats.check_structure(fmt, data)

    label = _LABEL[fmt]
    with _decode_slots:
        im = _open_guarded(data, fmt, dims, max_pixels)
        try:
            ow, oh = im.size
            if ow * oh > max_pixels:
                raise errors.too_many_pixels(ow, oh, max_pixels)
            target = _fit(ow, oh, limits.display_px)
            resample = RESAMPLE
            if fmt == "JPEG" and target != (ow, oh):
                # DCT scaling: decode at 1/2, 1/4 or 1/8 while staying >= the target size.
                longest = max(ow, oh)
                if im.draft("RGB", (ow * limits.display_px // longest, oh * limits.display_px // longest)):
                    resample = RESIDUAL_RESAMPLE if im.size != (ow, oh) else RESAMPLE
            try:
                im.load()
            except Exception as exc:
                if "truncated" in str(exc).lower():
                    raise errors.truncated(label) from exc
                raise errors.corrupt(label) from exc
            captured_at, orientation, to_apply = _metadata(im, fmt)
            display = _display_image(im, target, to_apply, resample)
        finally:
            im.close()

    thumb = display.resize(
        _fit(display.width, display.height, limits.thumb_px), RESAMPLE, reducing_gap=REDUCING_GAP
    )
    return Rendered(
        display=_encode_jpeg(display, DISPLAY_QUALITY),
        thumb=_encode_jpeg(thumb, THUMB_QUALITY),
        width=display.width,
        height=display.height,
        original_width=ow,
        original_height=oh,
        captured_at=captured_at,
        orientation=orientation,
    )


def _fit(w: int, h: int, box: int) -> tuple[int, int]:
    """Size with the longest side at most ``box`` (never upscaled)."""
    longest = max(w, h)
    if longest <= box:
        return w, h
    return max(1, round(w * box / longest)), max(1, round(h * box / longest))


_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


def _open_guarded(
    data: bytes, fmt: AcceptedFormat, dims: tuple[int, int] | None, max_pixels: int
) -> Image.Image:
    """Image.open (header only) with Pillow's DecompressionBombWarning raised as an error.

    The explicit pixel checks before and after this call are the real guard; this is the
    backstop for containers whose size we could not read ourselves (HEIC).
    """
    try:
        with _warnings_lock, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=_PIL_FORMATS[fmt])
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        if dims is None:
            m = _BOMB_PIXELS.search(str(exc))
            dims = (int(m.group(1)), 1) if m else (0, 0)
        raise errors.too_many_pixels(dims[0], dims[1], max_pixels) from exc
    except Exception as exc:
        raise errors.corrupt(_LABEL[fmt]) from exc


# -- metadata ----------------------------------------------------------------

_EXIF_DT = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def parse_exif_datetime(value: object) -> datetime | None:
    """'YYYY:MM:DD HH:MM:SS' -> naive datetime; None for missing/blank/invalid values."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    m = _EXIF_DT.match(value.strip("\x00 \t"))
    if m is None:
        return None
    try:
        return datetime(*(int(g) for g in m.groups()))  # type: ignore[arg-type]
    except ValueError:  # "0000:00:00 00:00:00" and friends
        return None


def _valid_orientation(value: object) -> int | None:
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _metadata(im: Image.Image, fmt: AcceptedFormat) -> tuple[datetime | None, int | None, int]:
    """(captured_at, orientation as shot, orientation still to apply to the pixels)."""
    try:
        exif = im.getexif()
    except Exception:  # malformed EXIF never blocks a photo; we just learn nothing from it
        return None, None, 1
    orientation = _valid_orientation(exif.get(ExifTags.Base.Orientation))
    captured_at = None
    try:
        captured_at = parse_exif_datetime(exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal))
    except Exception:
        captured_at = None
    if captured_at is None:
        captured_at = parse_exif_datetime(exif.get(ExifTags.Base.DateTime))
    if fmt == "HEIF":
        # pillow-heif already applied the rotation (irot/imir) and reset EXIF orientation to 1.
        shot = _valid_orientation(im.info.get("original_orientation"))
        return captured_at, shot if shot is not None else orientation, 1
    return captured_at, orientation, orientation or 1


# -- pixels ------------------------------------------------------------------


def _resizable(im: Image.Image) -> Image.Image:
    """Bring any decoded mode to one that resizes correctly: RGB, RGBA, L, LA or CMYK."""
    mode = im.mode
    if "transparency" in im.info and mode in ("P", "L", "RGB"):
        return im.convert("RGBA")
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return im
    if mode == "P":
        return im.convert("RGB")
    if mode == "PA":
        return im.convert("RGBA")
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I;16") or mode == "I":  # 16-bit grey: scale, don't clip
        return im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode in ("RGBa", "La"):
        return im.convert(mode[0:-1] + "A")
    return im.convert("RGB")  # YCbCr, LAB, HSV, RGBX, F ...


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to RGB, going through the embedded ICC profile (e.g. Display P3) when present."""
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" not in (ImageCms.getProfileDescription(src) or "").lower():
                out = ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")
                if out is not None:
                    return out
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # broken or mismatched profile: fall back to a plain conversion
    return im if im.mode == "RGB" else im.convert("RGB")


def _display_image(
    im: Image.Image, target: tuple[int, int], orientation: int, resample: Image.Resampling
) -> Image.Image:
    icc = im.info.get("icc_profile")
    work = _resizable(im)
    if work.size != target:
        work = work.resize(target, resample, reducing_gap=REDUCING_GAP)
    if work.mode in ("RGBA", "LA"):
        rgba = work.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        work = flat.convert("RGB")
    work = _to_srgb(work, icc if isinstance(icc, bytes) else None)
    if orientation in _TRANSPOSE:
        work = work.transpose(_TRANSPOSE[orientation])
    if work is im:
        work = im.copy()
    work.info = {}  # drop every metadata block (EXIF, XMP, ICC, comments, dpi, ...)
    return work


def _encode_jpeg(im: Image.Image, quality: int) -> bytes:
    im.info = {}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=True, subsampling="4:2:0")
    return buf.getvalue()
