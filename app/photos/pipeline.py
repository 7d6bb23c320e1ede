"""Photo-evidence pipeline: validate an upload, render display copy + thumbnail, store them.

Order of work for one upload (cheapest refusal first; nothing touches the disk until the
photo has been fully validated and both JPEGs are encoded in memory):

1. size in bytes (``empty`` / ``too_large``);
2. format from magic bytes (``not_an_image`` / ``unsupported_format`` / ``heic_unsupported``);
3. SHA-256 of the bytes -> already stored? return the same record (``deduplicated=True``);
4. pixel count from the container header (``too_many_pixels``), before Pillow is involved;
5. container walk to the end marker (``truncated`` / ``trailing_data`` / ``corrupt``), counting
   JPEG scans (``too_complex`` past ``max_jpeg_scans``) and frame headers (``two_frames``), and
   looking for script code in metadata or broken containers (``script_content``);
6. in a decode worker process limited in CPU time and address space (:mod:`app.photos.worker`;
   a worker killed by a limit gives ``too_complex``): ``Image.open`` with Pillow's
   decompression-bomb warning turned into an error, size re-checked; JPEG DCT scaling via
   ``draft()`` so a 12 MP photo is decoded at 1/2..1/8 scale; full decode (a truncated stream raises; ``LOAD_TRUNCATED_IMAGES`` is never touched);
7. resize (reduce-then-resample; alpha, 16-bit and palette images are flattened onto white
   and reduced strip by strip, never converted at full size), EXIF orientation applied on the
   small image, ICC profile converted to sRGB, every metadata block dropped;
8. thumbnail from the display copy; atomic writes.

Thread-safe: no Pillow global is modified; per-photo locks serialise identical uploads; the
worker pool (2 processes) bounds concurrent decodes, and a small semaphore does when decoding
in process (``PINZHI_PHOTO_WORKERS=0``).
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
from typing import TYPE_CHECKING, Any

from PIL import ExifTags, Image, ImageCms

from app.photos import errors, formats, store
from app.photos.errors import PhotoRejected
from app.photos.formats import AcceptedFormat

if TYPE_CHECKING:
    from app.photos.worker import DecodePool

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
    #: more scans (SOS segments) than this in a JPEG is refused before decoding
    max_jpeg_scans: int = formats.MAX_JPEG_SCANS

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "display_px", "thumb_px", "max_jpeg_scans"):
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

        r = _render_bounded(data, fmt, limits)
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


def precheck(data: bytes, fmt: AcceptedFormat, limits: PhotoLimits = DEFAULT_LIMITS) -> tuple[int, int] | None:
    """Every refusal that needs no decoding: header pixel count, container structure, JPEG scans."""
    max_pixels = _effective_max_pixels(limits)
    dims = formats.header_size(fmt, data)
    if dims is not None and dims[0] * dims[1] > max_pixels:
        raise errors.too_many_pixels(dims[0], dims[1], max_pixels)
    formats.check_structure(fmt, data, max_scans=limits.max_jpeg_scans)
    return dims


def render(data: bytes, fmt: AcceptedFormat, limits: PhotoLimits = DEFAULT_LIMITS) -> Rendered:
    """Validate and render one accepted-format upload in this process; raises PhotoRejected."""
    return decode_render(data, fmt, limits, precheck(data, fmt, limits))


def _render_bounded(data: bytes, fmt: AcceptedFormat, limits: PhotoLimits) -> Rendered:
    """:func:`render`, with the decoding done in a CPU- and memory-limited worker process."""
    dims = precheck(data, fmt, limits)
    pool = decode_pool()
    if pool is None:
        return decode_render(data, fmt, limits, dims)
    return pool.render(data, fmt, limits, dims)


def decode_pool() -> DecodePool | None:
    """The process-wide worker pool (None when ``PINZHI_PHOTO_WORKERS=0``: decode in process)."""
    from app.photos import worker  # local: the worker module imports this one

    return worker.shared_pool()


def decode_render(
    data: bytes, fmt: AcceptedFormat, limits: PhotoLimits, dims: tuple[int, int] | None
) -> Rendered:
    """Decode and render an upload that passed :func:`precheck` (runs inside a decode worker)."""
    max_pixels = _effective_max_pixels(limits)
    label = _LABEL[fmt]
    if fmt == "HEIF":
        from app.photos import heif

        heif.available()  # registers pillow-heif's opener in this (worker) process
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
            except MemoryError:
                raise
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
    except MemoryError:
        raise
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


def _flat(im: Image.Image) -> Image.Image:
    """Any decoded mode -> RGB, L or CMYK, alpha composited onto white."""
    work = _resizable(im)
    if work.mode in ("RGBA", "LA"):
        # paste through the alpha channel onto white = "over" compositing, without an RGBA copy
        flat = Image.new(work.mode[:-1], work.size, (255,) * (len(work.mode) - 1))
        flat.paste(work.convert(work.mode[:-1]), mask=work.getchannel("A"))
        return flat if flat.mode == "RGB" else flat.convert("RGB")
    return work


#: Pixels converted at a time by :func:`_flat_reduced` (an RGBA strip of this size is 4 MB).
STRIP_PIXELS = 1_000_000


def _flat_reduced(im: Image.Image, target: tuple[int, int]) -> Image.Image:
    """:func:`_flat` then an integer ``reduce()``, strip by strip: no full-size converted copy.

    Alpha, 16-bit and palette images need a mode conversion (Pillow's own resize of RGBA makes a
    full-size premultiplied copy, and 16-bit grey goes through 32-bit ``I``: a 49 MP picture would
    need another 200-400 MB). Flattening onto white is linear in the premultiplied colour, so
    flattening each strip and then averaging gives the same pixels as averaging then flattening.
    """
    w, h = im.size
    factor = max(1, int(min(w / target[0], h / target[1]) / REDUCING_GAP))
    rows = max(factor, STRIP_PIXELS // max(1, w) // factor * factor)
    out: Image.Image | None = None
    for y in range(0, h, rows):
        strip = _flat(im.crop((0, y, w, min(h, y + rows))))
        small = strip.reduce(factor) if factor > 1 else strip
        if out is None:
            out = Image.new(small.mode, (-(-w // factor), -(-h // factor)))
        out.paste(small, (0, y // factor))
    assert out is not None
    return out


def _display_image(
    im: Image.Image, target: tuple[int, int], orientation: int, resample: Image.Resampling
) -> Image.Image:
    icc = im.info.get("icc_profile")
    needs_conversion = im.mode not in ("RGB", "L", "CMYK") or "transparency" in im.info
    work = _flat_reduced(im, target) if needs_conversion else im
    if work.size != target:
        work = work.resize(target, resample, reducing_gap=REDUCING_GAP)
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
