"""Content sniffing and container checks, done on the raw bytes before Pillow decodes anything.

* :func:`sniff` decides the format from magic bytes only (never the file name or the
  browser's MIME type) and refuses everything that is not JPEG, PNG, WebP or HEIC.
* :func:`header_size` reads the pixel dimensions from the container header so the pixel
  limit is enforced before Pillow allocates or decodes anything.
* :func:`check_structure` walks the container to its end marker (JPEG EOI, PNG IEND, WebP
  RIFF length): a file that stops early is ``truncated``; bytes hidden after the end
  (a ZIP appended to a JPEG, ...) are ``trailing_data``.
"""

from __future__ import annotations

import re
import zlib
from typing import Literal

from app.photos import errors

AcceptedFormat = Literal["JPEG", "PNG", "WEBP", "HEIF"]

#: Bytes tolerated after the end marker (some encoders add a few bytes of padding).
TRAILING_TOLERANCE = 32
#: Extra JPEG images allowed after the first one when the file declares MPF (Multi-Picture
#: Format: camera "MPO" files, HDR gain maps of recent iPhones / Android "Ultra HDR").
_MAX_MPF_IMAGES = 8

_PNG_SIG = b"\x89PNG\r\n\x1a\n"

# ISO-BMFF (HEIF / AVIF / MP4) brands.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_HEIC_SPECIFIC = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_VIDEO_BRANDS = {
    b"isom",
    b"iso2",
    b"mp41",
    b"mp42",
    b"qt  ",
    b"M4V ",
    b"3gp4",
    b"3gp5",
    b"3g2a",
    b"avc1",
    b"dash",
}

# Message ids (app/locale) naming the things we recognise but refuse.
_GIF = "photo.kind.gif"
_TIFF = "photo.kind.tiff"
_BMP = "photo.kind.bmp"
_ICO = "photo.kind.ico"
_PSD = "photo.kind.psd"
_JP2 = "photo.kind.jp2"
_JXL = "photo.kind.jxl"
_AVIF = "photo.kind.avif"
_SVG = "photo.kind.svg"

_PDF = "photo.kind.pdf"
_ZIP = "photo.kind.zip"
_RAR = "photo.kind.rar"
_7Z = "photo.kind.7z"
_GZ = "photo.kind.gz"
_EXE = "photo.kind.exe"
_ELF = "photo.kind.elf"
_OLE = "photo.kind.ole"
_VIDEO = "photo.kind.video"
_AUDIO = "photo.kind.audio"
_HTML = "photo.kind.html"
_TEXT = "photo.kind.text"
_PS = "photo.kind.ps"


def _ftyp_brands(data: bytes) -> tuple[bytes, set[bytes]] | None:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    box = int.from_bytes(data[0:4], "big")
    box = min(max(box, 16), len(data), 4096)
    major = data[8:12]
    compat = {data[i : i + 4] for i in range(16, box - 3, 4)}
    return major, compat | {major}


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg"):
        return True
    return head.startswith((b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in head


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte char cut at the 4 KB boundary is fine
        if exc.start < len(head) - 4:
            return False
        text = head[: exc.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\r\n\f" for c in text)


def sniff(data: bytes) -> AcceptedFormat:
    """Return the accepted format of ``data`` or raise :class:`PhotoRejected`."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG_SIG):
        return "PNG"
    if len(data) >= 16 and data[0:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    brands = _ftyp_brands(data)
    if brands is not None:
        major, all_brands = brands
        if major in _AVIF_BRANDS or (all_brands & _AVIF_BRANDS and not all_brands & _HEIC_SPECIFIC):
            raise errors.unsupported_format(_AVIF)
        if all_brands & _HEIF_BRANDS:
            from app.photos import heif  # local: only touches pillow-heif when a HEIC arrives

            if not heif.available():
                raise errors.heic_unsupported()
            return "HEIF"
        if all_brands & _VIDEO_BRANDS:
            raise errors.not_an_image(_VIDEO)
    raise _refusal(data)


def _refusal(data: bytes) -> errors.PhotoRejected:
    """Name what the bytes are, for the user-facing message."""
    image_magics: list[tuple[tuple[bytes, ...], str]] = [
        ((b"GIF87a", b"GIF89a"), _GIF),
        ((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"), _TIFF),
        ((b"8BPS",), _PSD),
        ((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"), _JP2),
        ((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"), _JXL),
    ]
    for magics, name in image_magics:
        if data.startswith(magics):
            return errors.unsupported_format(name)
    if data.startswith(b"BM") and len(data) >= 26 and data[6:10] == b"\x00\x00\x00\x00":
        return errors.unsupported_format(_BMP)
    if data.startswith(b"\x00\x00\x01\x00") and len(data) >= 6 and data[4:6] != b"\x00\x00":
        return errors.unsupported_format(_ICO)
    if _looks_like_svg(data):
        return errors.unsupported_format(_SVG)

    other_magics: list[tuple[tuple[bytes, ...], str]] = [
        ((b"%PDF-",), _PDF),
        ((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"), _ZIP),
        ((b"Rar!\x1a\x07",), _RAR),
        ((b"7z\xbc\xaf\x27\x1c",), _7Z),
        ((b"\x1f\x8b",), _GZ),
        ((b"MZ",), _EXE),
        ((b"\x7fELF",), _ELF),
        ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), _OLE),
        ((b"%!PS",), _PS),
        ((b"ID3", b"fLaC", b"OggS"), _AUDIO),
        ((b"\x1a\x45\xdf\xa3",), _VIDEO),
    ]
    for magics, name in other_magics:
        if data.startswith(magics):
            return errors.not_an_image(name)
    if data[0:4] == b"RIFF" and len(data) >= 12:
        return errors.not_an_image(_AUDIO if data[8:12] == b"WAVE" else _VIDEO)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return errors.not_an_image(_HTML)
    if _looks_like_text(data):
        return errors.not_an_image(_TEXT)
    return errors.not_an_image(None)


# ---------------------------------------------------------------------------
# Header dimensions (no decoding)
# ---------------------------------------------------------------------------

_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_header_size(data: bytes) -> tuple[int, int] | None:
    pos, n = 2, len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):
            return None
        seglen = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in _SOF_MARKERS and pos + 9 <= n:
            h = int.from_bytes(data[pos + 5 : pos + 7], "big")
            w = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return (w, h) if w and h else None
        pos += 2 + seglen
    return None


def _webp_header_size(data: bytes) -> tuple[int, int] | None:
    chunk, n = data[12:16], len(data)
    if chunk == b"VP8X" and n >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 " and n >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and n >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def header_size(fmt: AcceptedFormat, data: bytes) -> tuple[int, int] | None:
    """(width, height) as declared by the container header, or None if not found cheaply."""
    if fmt == "JPEG":
        return _jpeg_header_size(data)
    if fmt == "PNG":
        if len(data) >= 24 and data[12:16] == b"IHDR":
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        return None
    if fmt == "WEBP":
        return _webp_header_size(data)
    return None  # HEIF: Pillow/pillow-heif reads the size from the container without decoding


# ---------------------------------------------------------------------------
# Structure: truncation and trailing data
# ---------------------------------------------------------------------------


class _Truncated(Exception):
    pass


class _Corrupt(Exception):
    pass


class _Script(Exception):
    pass


class _TooManyScans(Exception):
    def __init__(self, scans: int) -> None:
        self.scans = scans


class _TwoFrames(Exception):
    def __init__(self, sizes: list[tuple[int, int]]) -> None:
        self.sizes = sizes


#: Default cap on the scans (SOS segments) of one JPEG. Encoders write 1 (baseline) or about 10
#: (libjpeg/mozjpeg progressive; 6 for grey); each extra scan of a "scan bomb" costs libjpeg a
#: full pass over the coefficients (~35 ms at 49 MP), so 3,000 repeated scans decode for ~107 s.
#: Measured at 7000x7000: 6 scans 0.2 s, 51 scans 1.6 s, 96 scans 3.3 s of CPU, so 100 scans at
#: the 50 MP pixel limit stay inside the decode worker's 5 s CPU budget.
MAX_JPEG_SCANS = 100

# Script code hidden in an image (web-shell polyglots): PHP open tags, ASP/JSP tags, HTML script.
_SCRIPT = re.compile(rb"<\?php|<\?=|<%[@=]|<script[\s>]", re.IGNORECASE)

# In entropy-coded data 0xFF is always followed by 0x00 (stuffing), a restart marker
# (D0-D7) or a fill byte 0xFF; anything else is the next real marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_scan(data: bytes, start: int, max_scans: int = MAX_JPEG_SCANS) -> tuple[int, bool]:
    """Walk one JPEG from its SOI at ``start``; return (offset after EOI, declares MPF).

    Counts the scans (SOS) and frame headers (SOF) on the way: more than ``max_scans`` scans or a
    second SOF raise before anything is decoded. Script code in metadata segments (APPn, COM) or
    in stray bytes between segments raises :class:`_Script`.
    """
    n = len(data)
    if data[start : start + 2] != b"\xff\xd8":
        raise _Corrupt
    pos, has_mpf, scans = start + 2, False, 0
    frames: list[tuple[int, int]] = []
    while True:
        if pos + 2 > n:
            raise _Truncated
        if data[pos] != 0xFF:
            # Stray bytes between segments: libjpeg skips them with a warning; so do we.
            m = _NEXT_MARKER.search(data, pos)
            if _SCRIPT.search(data, pos, m.start() if m else n):
                raise _Script
            if m is None:
                raise _Truncated
            pos = m.start()
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            return pos + 2, has_mpf
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if marker in (0x00, 0xD8):
            raise _Corrupt
        if pos + 4 > n:
            raise _Truncated
        seglen = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if seglen < 2:
            raise _Corrupt
        end = pos + 2 + seglen
        if end > n:
            raise _Truncated
        if marker == 0xE2 and data[pos + 4 : pos + 8] == b"MPF\x00":
            has_mpf = True
        if (0xE0 <= marker <= 0xEF or marker == 0xFE) and _SCRIPT.search(data, pos + 4, end):
            raise _Script
        if marker in _SOF_MARKERS:
            frames.append((int.from_bytes(data[pos + 7 : pos + 9], "big"), int.from_bytes(data[pos + 5 : pos + 7], "big")))
            if len(frames) > 1:
                raise _TwoFrames(frames)
        if marker == 0xDA:  # SOS: skip the entropy-coded scan to the next marker
            scans += 1
            if scans > max_scans:
                raise _TooManyScans(scans)
            m = _NEXT_MARKER.search(data, end)
            if m is None:
                raise _Truncated
            pos = m.start()
        else:
            pos = end


def _check_tail(fmt: str, data: bytes, end: int) -> None:
    extra = len(data) - end
    if _SCRIPT.search(data, end):
        raise _Script
    if extra <= TRAILING_TOLERANCE:
        return
    tail = data[end:]
    if not tail.strip(b"\x00") or not tail.strip(b"\xff"):  # padding only
        return
    raise errors.trailing_data(fmt, extra)


def _check_jpeg(data: bytes, max_scans: int) -> None:
    end, has_mpf = _jpeg_scan(data, 0, max_scans)
    # MPF files carry their extra images (second view, HDR gain map) after the first EOI.
    images = 1
    while has_mpf and images < _MAX_MPF_IMAGES:
        nxt = len(data) - len(data[end:].lstrip(b"\x00"))  # skip zero padding, if any
        if not data.startswith(b"\xff\xd8\xff", nxt):
            break
        end, _ = _jpeg_scan(data, nxt, max_scans)
        images += 1
    _check_tail("JPEG", data, end)


def _check_png(data: bytes) -> None:
    view = memoryview(data)
    pos, n, first = len(_PNG_SIG), len(data), True
    while True:
        if pos + 12 > n:
            raise _Truncated
        length = int.from_bytes(data[pos : pos + 4], "big")
        ctype = data[pos + 4 : pos + 8]
        if length > 0x7FFFFFFF or not ctype.isalpha() or (first and ctype != b"IHDR"):
            raise _Corrupt
        first = False
        end = pos + 12 + length
        if end > n:
            raise _Truncated
        if ctype in (b"tEXt", b"iTXt") and _SCRIPT.search(data, pos + 8, end - 4):
            raise _Script
        critical = ctype[0:1].isupper()
        if critical and zlib.crc32(view[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            raise _Corrupt
        if ctype == b"IEND":
            _check_tail("PNG", data, end)
            return
        pos = end


def _check_webp(data: bytes) -> None:
    riff_size = int.from_bytes(data[4:8], "little")
    if riff_size < 12:
        raise _Corrupt
    if len(data) < 8 + riff_size:
        raise _Truncated
    _check_tail("WebP", data, 8 + riff_size + (riff_size & 1))


def check_structure(fmt: AcceptedFormat, data: bytes, *, max_scans: int = MAX_JPEG_SCANS) -> None:
    """Raise ``truncated`` / ``trailing_data`` / ``corrupt`` for a malformed container.

    Also, before anything is decoded: ``too_complex`` for a JPEG with more than ``max_scans``
    scans, ``two_frames`` for a JPEG with a second frame header, ``script_content`` for script
    code in metadata or for a broken container that carries script code (a "PHP after the magic
    bytes" polyglot is not an interrupted upload).
    """
    label = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}[fmt]
    try:
        if fmt == "JPEG":
            _check_jpeg(data, max_scans)
        elif fmt == "PNG":
            _check_png(data)
        elif fmt == "WEBP":
            _check_webp(data)
        # HEIF: ISO-BMFF boxes; libheif itself refuses truncated files on decode.
    except _Script:
        raise errors.script_content(label) from None
    except _TooManyScans as exc:
        raise errors.too_many_scans(exc.scans, max_scans) from None
    except _TwoFrames as exc:
        raise errors.two_frames(exc.sizes) from None
    except _Truncated:
        if _SCRIPT.search(data):
            raise errors.script_content(label) from None
        raise errors.truncated(label) from None
    except _Corrupt:
        if _SCRIPT.search(data):
            raise errors.script_content(label) from None
        raise errors.corrupt(label) from None
