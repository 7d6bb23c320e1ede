"""Photo-evidence pipeline (app.photos): refusals, orientation, metadata stripping, store.

All fixtures are generated in code (Pillow / raw bytes); nothing binary is committed.
"""

from __future__ import annotations

import io
import random
import struct
import threading
import warnings
import zipfile
import zlib
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from app.photos import PhotoLimits, PhotoRejected, StoredPhoto, ingest_photo, open_stored
from app.photos import heif as heif_support
from app.photos import pipeline as pipeline_mod
from app.photos import store as store_mod

# ---------------------------------------------------------------------------
# fixtures / helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decode in this process: for tests that patch Pillow internals (a worker would not see it)."""
    monkeypatch.setattr(pipeline_mod, "decode_pool", lambda: None)


def all_files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*"))


def assert_nothing_written(tmp_path: Path) -> None:
    assert all_files(tmp_path) == [], f"left on disk: {all_files(tmp_path)}"


def encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def scene(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A non-trivial RGB picture (gradients + noise) so JPEG sizes are realistic."""
    w, h = size
    r = Image.linear_gradient("L").resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = Image.effect_noise(size, 40)
    return Image.merge("RGB", (r, g, b))


def jpeg(size: tuple[int, int] = (640, 480), **kw: object) -> bytes:
    return encode(scene(size), "JPEG", quality=90, **kw)


def png_chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def fake_png(width: int, height: int) -> bytes:
    """A structurally valid PNG header claiming width×height, with a tiny IDAT (never decodable)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def reject(data: bytes, root: Path, **kw: object) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as info:
        ingest_photo(data, root=root, **kw)  # type: ignore[arg-type]
    exc = info.value
    assert str(exc) == exc.message_zh
    assert exc.message_zh and exc.message_en
    return exc


def stored_image(root: Path, rel: str) -> Image.Image:
    im = Image.open(io.BytesIO(open_stored(root, rel)))
    im.load()
    return im


# ---------------------------------------------------------------------------
# refusals: each with its own code, a message that says why, and nothing on disk
# ---------------------------------------------------------------------------


def test_empty_file_rejected(tmp_path: Path, root: Path) -> None:
    exc = reject(b"", root)
    assert exc.code == "empty"
    assert "0 字节" in exc.message_zh and "empty" in exc.message_en
    assert_nothing_written(tmp_path)


def test_over_byte_limit_rejected_with_sizes(tmp_path: Path, root: Path) -> None:
    data = jpeg((64, 64)) + b"\x00" * int(17.2 * 1024 * 1024)
    exc = reject(data, root, filename="big.jpg")
    assert exc.code == "too_large"
    assert "15 MB" in exc.message_zh and "17.2 MB" in exc.message_zh
    assert "15 MB" in exc.message_en and "17.2 MB" in exc.message_en
    assert_nothing_written(tmp_path)


def test_byte_limit_is_configurable(tmp_path: Path, root: Path) -> None:
    data = jpeg((320, 240))
    exc = reject(data, root, limits=PhotoLimits(max_bytes=1024))
    assert exc.code == "too_large" and "上限" in exc.message_zh
    assert exc.details == {"actual_bytes": len(data), "limit_bytes": 1024}
    assert_nothing_written(tmp_path)


def test_50000x50000_png_refused_by_pixel_limit_before_decoding(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = fake_png(50_000, 50_000)
    assert len(data) < 200  # created cheaply

    def no_open(*_a: object, **_k: object) -> None:
        raise AssertionError("Pillow must not even open a file over the pixel limit")

    monkeypatch.setattr(Image, "open", no_open)
    exc = reject(data, root)
    assert exc.code == "too_many_pixels"
    assert "50000×50000" in exc.message_zh and "50 百万像素" in exc.message_zh
    assert "50000×50000" in exc.message_en and "50 MP" in exc.message_en
    assert_nothing_written(tmp_path)


def test_pixel_limit_is_configurable(tmp_path: Path, root: Path) -> None:
    exc = reject(jpeg((200, 100)), root, limits=PhotoLimits(max_pixels=10_000))
    assert exc.code == "too_many_pixels" and "200×100" in exc.message_zh
    assert_nothing_written(tmp_path)


def test_pillow_bomb_warning_is_an_error_without_leaking_filters(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, in_process: None
) -> None:
    # Force the backstop path: our own header check sees nothing, Pillow's limit is tiny.
    monkeypatch.setattr(pipeline_mod.formats, "header_size", lambda fmt, data: None)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 15_000)  # 200×100 = 20 000: warning, not error
    filters_before = list(warnings.filters)
    exc = reject(jpeg((200, 100)), root, limits=PhotoLimits(max_pixels=10**9))
    assert exc.code == "too_many_pixels"
    assert isinstance(exc.__cause__, Image.DecompressionBombWarning)
    assert warnings.filters == filters_before
    assert_nothing_written(tmp_path)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("payload.txt", "hidden " * 2000)
        zf.writestr("run.sh", "#!/bin/sh\necho pwned\n")
    return buf.getvalue()


def test_jpeg_with_appended_zip_rejected(tmp_path: Path, root: Path) -> None:
    payload = _zip_bytes()
    data = jpeg() + payload
    assert zipfile.is_zipfile(io.BytesIO(data))  # a real polyglot
    exc = reject(data, root)
    assert exc.code == "trailing_data"
    assert "附带" in exc.message_zh and "JPEG" in exc.message_zh
    assert "extra data" in exc.message_en
    assert exc.details["extra_bytes"] == len(payload)
    assert_nothing_written(tmp_path)


def test_png_with_data_after_iend_rejected(tmp_path: Path, root: Path) -> None:
    exc = reject(encode(scene(), "PNG") + _zip_bytes(), root)
    assert exc.code == "trailing_data" and "PNG" in exc.message_zh
    assert_nothing_written(tmp_path)


def test_webp_with_data_after_riff_rejected(tmp_path: Path, root: Path) -> None:
    exc = reject(encode(scene(), "WEBP", quality=80) + _zip_bytes(), root)
    assert exc.code == "trailing_data" and "WebP" in exc.message_zh
    assert_nothing_written(tmp_path)


def test_small_padding_after_eoi_is_tolerated(root: Path) -> None:
    photo = ingest_photo(jpeg() + b"\x00" * 4096, root=root)
    assert photo.original_format == "JPEG"
    photo = ingest_photo(jpeg((300, 200)) + b"\r\n", root=root)
    assert photo.width == 300


def test_jpeg_cut_in_half_rejected(tmp_path: Path, root: Path) -> None:
    data = jpeg()
    exc = reject(data[: len(data) // 2], root)
    assert exc.code == "truncated"
    assert "不完整" in exc.message_zh and "incomplete" in exc.message_en
    assert_nothing_written(tmp_path)


def test_truncated_png_and_webp_rejected(tmp_path: Path, root: Path) -> None:
    png = encode(scene(), "PNG")
    webp = encode(scene(), "WEBP", quality=80)
    assert reject(png[: len(png) * 2 // 3], root).code == "truncated"
    assert reject(webp[: len(webp) // 2], root).code == "truncated"
    assert_nothing_written(tmp_path)


def test_corrupt_png_crc_rejected(tmp_path: Path, root: Path) -> None:
    data = bytearray(encode(scene((64, 64)), "PNG"))
    data[30] ^= 0xFF  # the IHDR CRC no longer matches its data
    exc = reject(bytes(data), root)
    assert exc.code == "corrupt" and "损坏" in exc.message_zh
    assert_nothing_written(tmp_path)


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\
<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    ("case", "make", "code", "zh", "en"),
    [
        ("svg", lambda: SVG, "unsupported_format", "SVG", "SVG"),
        ("tiff", lambda: encode(scene((64, 64)), "TIFF"), "unsupported_format", "TIFF", "TIFF"),
        ("gif", lambda: encode(scene((64, 64)), "GIF"), "unsupported_format", "检测到 GIF", "GIF"),
        ("bmp", lambda: encode(scene((64, 64)), "BMP"), "unsupported_format", "BMP", "BMP"),
        ("pdf", lambda: encode(scene((64, 64)), "PDF"), "not_an_image", "PDF", "PDF"),
        (
            "exe_named_jpg",
            lambda: b"MZ\x90\x00\x03\x00\x00\x00" + bytes(512),
            "not_an_image",
            "可执行",
            "executable",
        ),
        ("zip", _zip_bytes, "not_an_image", "压缩包", "ZIP"),
        (
            "random",
            lambda: bytes([0x13]) + random.Random(42).randbytes(4095),
            "not_an_image",
            "不是可识别的图片",
            "not a recognisable image",
        ),
        (
            "avif",
            lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64),
            "unsupported_format",
            "AVIF",
            "AVIF",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_non_photo_content_rejected(
    tmp_path: Path, root: Path, case: str, make: object, code: str, zh: str, en: str
) -> None:
    data = make()  # type: ignore[operator]
    # the (lying) name and any browser type are irrelevant: decided by content only
    exc = reject(data, root, filename=f"{case}.jpg")
    assert exc.code == code, exc.message_en
    assert zh in exc.message_zh and en in exc.message_en
    assert_nothing_written(tmp_path)


def test_passwd_named_jpg_rejected_and_name_ignored(tmp_path: Path, root: Path) -> None:
    data = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    exc = reject(data, root, filename="../../etc/passwd.jpg")
    assert exc.code == "not_an_image"
    assert "文本文件" in exc.message_zh and "text file" in exc.message_en
    assert_nothing_written(tmp_path)


def test_traversal_file_name_never_reaches_a_path(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "photos"
    photo = ingest_photo(jpeg(), root=root, filename="../../etc/passwd.jpg")
    names = [p.relative_to(tmp_path).as_posix() for p in all_files(tmp_path) if p.is_file()]
    assert all(n.startswith("a/b/photos/") for n in names)
    assert not any("passwd" in n or "etc" in n or ".." in n for n in names)
    assert photo.display_path == f"{photo.sha256[:2]}/{photo.sha256[2:4]}/{photo.sha256}.jpg"
    assert photo.thumb_path == f"{photo.sha256[:2]}/{photo.sha256[2:4]}/{photo.sha256}.thumb.jpg"


def test_heic_without_decoder_gives_clear_message(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heif_support, "available", lambda: False)
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(256)
    exc = reject(data, root, filename="IMG_0001.HEIC")
    assert exc.code == "heic_unsupported"
    assert "HEIC" in exc.message_zh and "兼容性最佳" in exc.message_zh
    assert "HEIC" in exc.message_en and "Most Compatible" in exc.message_en
    assert_nothing_written(tmp_path)


def test_heif_version_gate() -> None:
    assert heif_support._version_tuple("1.8.1") >= heif_support.MIN_VERSION
    assert heif_support._version_tuple("1.7.0") >= heif_support.MIN_VERSION
    assert heif_support._version_tuple("0.22.0") < heif_support.MIN_VERSION
    assert heif_support._version_tuple("1.6.2rc1") < heif_support.MIN_VERSION


def test_heic_is_ingested_when_pillow_heif_is_installed(root: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not heif_support.available():
        pytest.skip(f"pillow-heif {pillow_heif.__version__} is older than 1.7")
    upright = Image.new("RGB", (300, 200), (40, 40, 200))
    upright.paste((230, 20, 20), (0, 0, 60, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.DateTime] = "2024:05:06 07:08:09"
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # inverse of orientation 6
    data = encode(stored, "HEIF", exif=exif.tobytes(), quality=90)
    photo = ingest_photo(data, root=root)
    assert photo.original_format == "HEIF"
    assert (photo.width, photo.height) == (300, 200)
    assert photo.orientation == 6
    assert photo.captured_at == datetime(2024, 5, 6, 7, 8, 9)
    out = stored_image(root, photo.display_path)
    r, g, b = out.getpixel((10, 10))
    assert r > 150 and b < 100


# ---------------------------------------------------------------------------
# orientation
# ---------------------------------------------------------------------------

# transform that *undoes* orientation N (ImageOps.exif_transpose applies these)
_APPLY = pipeline_mod._TRANSPOSE
_INVERSE = {
    n: {
        Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
        Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
    }.get(op, op)
    for n, op in _APPLY.items()
}


def _is_red(px: tuple[int, ...]) -> bool:
    r, g, b = px[:3]
    return r > 180 and g < 80 and b < 80


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(root: Path, orientation: int) -> None:
    upright = Image.new("RGB", (240, 160), (30, 120, 60))  # landscape, green
    upright.paste((230, 20, 20), (0, 0, 60, 40))  # red top-left corner
    raw = upright if orientation == 1 else upright.transpose(_INVERSE[orientation])
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    photo = ingest_photo(encode(raw, "JPEG", quality=95, exif=exif.tobytes()), root=root)

    assert photo.orientation == orientation
    assert (photo.original_width, photo.original_height) == raw.size
    assert (photo.width, photo.height) == (240, 160)
    out = stored_image(root, photo.display_path)
    assert out.size == (240, 160)
    assert _is_red(out.getpixel((10, 10)))
    for corner in ((229, 10), (10, 149), (229, 149)):
        assert not _is_red(out.getpixel(corner)), (orientation, corner)
    thumb = stored_image(root, photo.thumb_path)
    assert _is_red(thumb.getpixel((5, 5))) and not _is_red(
        thumb.getpixel((thumb.width - 5, thumb.height - 5))
    )


def test_orientation_applied_after_dct_scaled_downscale(root: Path) -> None:
    upright = scene((3000, 2000))
    upright.paste((230, 20, 20), (0, 0, 300, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    raw = upright.transpose(_INVERSE[8])
    photo = ingest_photo(encode(raw, "JPEG", quality=90, exif=exif.tobytes()), root=root)
    assert (photo.width, photo.height) == (1600, 1067)
    out = stored_image(root, photo.display_path)
    assert _is_red(out.getpixel((20, 20))) and not _is_red(out.getpixel((1580, 20)))


def test_missing_or_bogus_orientation_is_none(root: Path) -> None:
    assert ingest_photo(jpeg((100, 80)), root=root).orientation is None
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 9
    photo = ingest_photo(encode(scene((100, 80)), "JPEG", exif=exif.tobytes()), root=root)
    assert photo.orientation is None and (photo.width, photo.height) == (100, 80)


# ---------------------------------------------------------------------------
# metadata stripping and capture time
# ---------------------------------------------------------------------------

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="SecretTool"/></rdf:RDF>'
    b'</x:xmpmeta><?xpacket end="w"?>'
)


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "ACME"
    exif[ExifTags.Base.Model] = "SecretCam 9000"
    exif[ExifTags.Base.DateTime] = "2020:01:01 00:00:00"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:03:15 09:41:27"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.MakerNote] = b"MAKERNOTE-SECRET"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 2.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 1.0)
    return exif


def _assert_clean(blob: bytes) -> None:
    for marker in (
        b"Exif",
        b"GPS",
        b"xmp",
        b"XMP",
        b"xap",
        b"ICC_PROFILE",
        b"SecretCam",
        b"MAKERNOTE",
        b"ACME",
        b"SecretTool",
    ):
        assert marker not in blob, marker
    im = Image.open(io.BytesIO(blob))
    assert im.format == "JPEG" and im.mode == "RGB"
    assert len(im.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(im.info)
    assert [name for name, _ in im.applist] == ["APP0"]  # only the JFIF header remains


def test_stored_files_carry_no_exif_gps_xmp_icc(root: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = encode(
        scene((800, 600)),
        "JPEG",
        quality=90,
        exif=_exif_with_gps().tobytes(),
        xmp=XMP,
        icc_profile=srgb,
        comment=b"secret comment",
    )
    assert b"GPS" in src or b"\x88\x25" in src  # the source really has a GPS IFD ...
    assert b"xap" in src and b"ICC_PROFILE" in src  # ... XMP and ICC
    photo = ingest_photo(src, root=root)
    for rel in (photo.display_path, photo.thumb_path):
        blob = open_stored(root, rel)
        _assert_clean(blob)
        assert b"secret comment" not in blob
    assert photo.captured_at == datetime(2024, 3, 15, 9, 41, 27)


def test_png_text_chunks_and_exif_are_dropped(root: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "png secret text")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=False)
    info.add_text("Author", "someone", zip=True)
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2023:07:08 10:11:12"
    photo = ingest_photo(encode(scene((500, 400)), "PNG", pnginfo=info, exif=exif.tobytes()), root=root)
    assert photo.captured_at == datetime(2023, 7, 8, 10, 11, 12)
    blob = open_stored(root, photo.display_path)
    _assert_clean(blob)
    assert b"png secret text" not in blob and b"someone" not in blob


def test_captured_at_prefers_datetimeoriginal_falls_back_to_datetime(root: Path) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2021:12:31 23:59:58"
    photo = ingest_photo(encode(scene((120, 90)), "JPEG", exif=exif.tobytes()), root=root)
    assert photo.captured_at == datetime(2021, 12, 31, 23, 59, 58)
    assert photo.captured_at.tzinfo is None

    exif[ExifTags.Base.DateTime] = "0000:00:00 00:00:00"
    photo = ingest_photo(encode(scene((121, 90)), "JPEG", exif=exif.tobytes()), root=root)
    assert photo.captured_at is None
    assert ingest_photo(jpeg((122, 90)), root=root).captured_at is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024:03:15 09:41:27", datetime(2024, 3, 15, 9, 41, 27)),
        (b"2024:03:15 09:41:27\x00", datetime(2024, 3, 15, 9, 41, 27)),
        ("2024-03-15T09:41:27", datetime(2024, 3, 15, 9, 41, 27)),
        ("    :  :     :  :  ", None),
        ("2024:02:30 10:00:00", None),
        (12345, None),
        (None, None),
    ],
)
def test_parse_exif_datetime(raw: object, expected: datetime | None) -> None:
    assert pipeline_mod.parse_exif_datetime(raw) == expected


# ---------------------------------------------------------------------------
# sizes, modes, formats
# ---------------------------------------------------------------------------


def test_display_1600_and_thumb_320(root: Path) -> None:
    photo = ingest_photo(jpeg((4000, 3000)), root=root)
    assert (photo.original_width, photo.original_height) == (4000, 3000)
    assert (photo.width, photo.height) == (1600, 1200)
    display = stored_image(root, photo.display_path)
    thumb = stored_image(root, photo.thumb_path)
    assert display.size == (1600, 1200) and max(display.size) == 1600
    assert thumb.size == (320, 240) and max(thumb.size) == 320
    assert photo.byte_size == len(open_stored(root, photo.display_path)) <= 500 * 1024


def test_custom_sizes_and_no_upscaling(root: Path) -> None:
    photo = ingest_photo(jpeg((800, 600)), root=root)
    assert (photo.width, photo.height) == (800, 600)  # smaller than 1600: kept
    assert stored_image(root, photo.thumb_path).size == (320, 240)
    small = ingest_photo(jpeg((1000, 500)), root=root, limits=PhotoLimits(display_px=400, thumb_px=100))
    assert (small.width, small.height) == (400, 200)
    assert stored_image(root, small.thumb_path).size == (100, 50)


def test_large_png_is_downscaled(root: Path) -> None:
    photo = ingest_photo(encode(scene((3000, 2000)), "PNG"), root=root)
    assert photo.original_format == "PNG"
    assert (photo.width, photo.height) == (1600, 1067)
    assert stored_image(root, photo.display_path).size == (1600, 1067)
    assert stored_image(root, photo.thumb_path).size == (320, 213)


def test_webp_is_accepted(root: Path) -> None:
    photo = ingest_photo(encode(scene((2000, 1000)), "WEBP", quality=85), root=root)
    assert photo.original_format == "WEBP" and (photo.width, photo.height) == (1600, 800)
    lossless = ingest_photo(encode(scene((300, 200)), "WEBP", lossless=True), root=root)
    assert (lossless.width, lossless.height) == (300, 200)


def test_png_with_alpha_becomes_rgb_on_white(root: Path) -> None:
    im = Image.new("RGBA", (400, 300), (0, 0, 0, 0))  # fully transparent *black*
    im.paste((200, 0, 0, 255), (100, 100, 300, 200))
    photo = ingest_photo(encode(im, "PNG"), root=root)
    out = stored_image(root, photo.display_path)
    assert out.mode == "RGB"
    assert min(out.getpixel((10, 10))) >= 250  # white, not black
    r, g, b = out.getpixel((200, 150))
    assert r > 180 and g < 40 and b < 40


def _transparent_palette_image() -> Image.Image:
    im = Image.new("P", (50, 40), 0)
    im.putpalette([0, 0, 0, 255, 0, 0])
    im.info["transparency"] = 0  # index 0 (black) is transparent
    return im


@pytest.mark.parametrize(
    ("make", "check"),
    [
        # palette with a transparent index -> white
        (_transparent_palette_image, lambda px: min(px) >= 250),
        (lambda: Image.new("LA", (50, 40), (0, 0)), lambda px: min(px) >= 250),
        (lambda: Image.new("I;16", (50, 40), 40000), lambda px: abs(px[0] - 156) <= 3 and px[0] == px[2]),
        (lambda: Image.new("L", (50, 40), 77), lambda px: abs(px[0] - 77) <= 3),
        (lambda: Image.new("1", (50, 40), 1), lambda px: min(px) >= 250),
    ],
    ids=["P+transparency", "LA", "I;16", "L", "1"],
)
def test_png_modes_become_proper_rgb(root: Path, make: object, check: object) -> None:
    im = make()  # type: ignore[operator]
    photo = ingest_photo(encode(im, "PNG"), root=root)
    out = stored_image(root, photo.display_path)
    assert out.mode == "RGB"
    assert check(out.getpixel((25, 20))), out.getpixel((25, 20))  # type: ignore[operator]


def test_cmyk_jpeg_becomes_rgb(root: Path) -> None:
    cmyk = Image.new("CMYK", (120, 80), (0, 255, 255, 0))  # red in CMYK
    photo = ingest_photo(encode(cmyk, "JPEG", quality=95), root=root)
    r, g, b = stored_image(root, photo.display_path).getpixel((60, 40))
    assert r > 200 and g < 60 and b < 60


def test_icc_profile_is_applied_then_dropped(
    root: Path, monkeypatch: pytest.MonkeyPatch, in_process: None
) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    calls: list[str] = []
    real = ImageCms.profileToProfile

    def spy(*args: object, **kwargs: object) -> object:
        calls.append("transform")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    # pretend the embedded profile is wide-gamut so the colour transform really runs
    monkeypatch.setattr(ImageCms, "getProfileDescription", lambda profile: "Display P3")
    monkeypatch.setattr(ImageCms, "profileToProfile", spy)
    src = Image.new("RGB", (200, 100), (10, 120, 230))
    photo = ingest_photo(encode(src, "JPEG", quality=95, icc_profile=icc), root=root)
    assert calls == ["transform"]
    blob = open_stored(root, photo.display_path)
    assert b"ICC_PROFILE" not in blob
    r, g, b = Image.open(io.BytesIO(blob)).getpixel((100, 50))
    assert abs(r - 10) < 8 and abs(g - 120) < 8 and abs(b - 230) < 8

    # a garbage profile never blocks the photo
    photo = ingest_photo(encode(src, "JPEG", quality=94, icc_profile=b"not a profile" * 10), root=root)
    assert b"ICC_PROFILE" not in open_stored(root, photo.display_path)


def test_mpo_with_second_image_is_not_trailing_data(root: Path) -> None:
    first, second = scene((320, 240)), scene((160, 120))
    data = encode(first, "MPO", save_all=True, append_images=[second], quality=90)
    assert data.count(b"\xff\xd8\xff") >= 2 and b"MPF\x00" in data
    photo = ingest_photo(data, root=root)
    assert (photo.width, photo.height) == (320, 240) and photo.original_format == "JPEG"
    # ... but an MPO followed by a ZIP is still refused
    with pytest.raises(PhotoRejected) as info:
        ingest_photo(data + _zip_bytes(), root=root)
    assert info.value.code == "trailing_data"


def test_progressive_and_greyscale_jpeg(root: Path) -> None:
    prog = ingest_photo(encode(scene((2400, 1800)), "JPEG", progressive=True, quality=90), root=root)
    assert (prog.width, prog.height) == (1600, 1200)
    grey = ingest_photo(encode(scene((2400, 1800)).convert("L"), "JPEG"), root=root)
    assert stored_image(root, grey.display_path).mode == "RGB"


# ---------------------------------------------------------------------------
# store: dedupe, atomicity, safe reads, threads, no global state touched
# ---------------------------------------------------------------------------


def test_same_photo_twice_is_stored_once(root: Path) -> None:
    data = jpeg((900, 700))
    first = ingest_photo(data, root=root, filename="a.jpg")
    files = {p: p.stat().st_mtime_ns for p in all_files(root) if p.is_file()}
    second = ingest_photo(data, root=root, filename="b.jpg")
    assert not first.deduplicated and second.deduplicated
    assert asdict(first) | {"deduplicated": True} == asdict(second)
    assert {p: p.stat().st_mtime_ns for p in all_files(root) if p.is_file()} == files
    assert sorted(p.name for p in files) == sorted(
        [f"{first.sha256}.jpg", f"{first.sha256}.thumb.jpg", f"{first.sha256}.json"]
    )


def test_dedupe_rebuilds_a_damaged_entry(root: Path) -> None:
    data = jpeg((500, 400))
    first = ingest_photo(data, root=root)
    (root / first.thumb_path).unlink()
    again = ingest_photo(data, root=root)
    assert not again.deduplicated and (root / first.thumb_path).is_file()


def test_failed_write_leaves_nothing(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = store_mod.os.replace
    calls = {"n": 0}

    def flaky_replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(store_mod.os, "replace", flaky_replace)
    with pytest.raises(OSError):
        ingest_photo(jpeg(), root=root)
    assert_nothing_written(tmp_path)


def test_open_stored_only_reads_store_paths(tmp_path: Path, root: Path) -> None:
    photo = ingest_photo(jpeg(), root=root)
    assert open_stored(root, photo.thumb_path)[:3] == b"\xff\xd8\xff"
    (tmp_path / "secret.txt").write_text("nope")
    bad = [
        "../secret.txt",
        "/etc/passwd",
        f"{photo.sha256[:2]}/{photo.sha256[2:4]}/../../../secret.txt",
        f"{photo.sha256[:2]}/{photo.sha256[2:4]}/{photo.sha256}.json",
        f"00/00/{photo.sha256}.jpg",
        photo.display_path.upper(),
    ]
    for rel in bad:
        with pytest.raises(ValueError):
            open_stored(root, rel)
    with pytest.raises(FileNotFoundError):
        open_stored(root, f"ab/cd/abcd{'0' * 60}.jpg")


def test_concurrent_uploads(root: Path) -> None:
    photos = [jpeg((700 + i, 500)) for i in range(3)]
    results: list[StoredPhoto] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(data: bytes) -> None:
        try:
            r = ingest_photo(data, root=root)
            with lock:
                results.append(r)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(photos[i % 3],)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 12
    for sha in {r.sha256 for r in results}:
        same = [r for r in results if r.sha256 == sha]
        assert sum(not r.deduplicated for r in same) == 1
        assert len({(r.width, r.height, r.byte_size) for r in same}) == 1
    assert len([p for p in all_files(root) if p.is_file()]) == 9
    assert not [p for p in all_files(root) if p.name.startswith(".tmp-")]


def test_no_pillow_global_state_is_changed(root: Path) -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    ingest_photo(jpeg((3000, 2000)), root=root)
    with pytest.raises(PhotoRejected):
        ingest_photo(fake_png(50_000, 50_000), root=root)
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters)) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_package_does_not_import_streamlit_or_sqlalchemy() -> None:
    import subprocess
    import sys

    code = "import sys, app.photos; print(sorted(m for m in ('streamlit', 'sqlalchemy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        PhotoLimits(max_bytes=0)
    with pytest.raises(ValueError):
        PhotoLimits(display_px=100, thumb_px=200)


# ---------------------------------------------------------------------------
# fuzz: damaged uploads are either stored or refused cleanly, never half-written
# ---------------------------------------------------------------------------

_SEEDS = {"jpeg": jpeg((96, 64), exif=_exif_with_gps().tobytes()), "png": encode(scene((64, 48)), "PNG")}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(_SEEDS)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 255), st.sampled_from(["set", "cut", "insert"])), max_size=4
    ),
)
def test_fuzzed_uploads_never_crash(tmp_path_factory: pytest.TempPathFactory, kind: str, edits: list) -> None:
    data = bytearray(_SEEDS[kind])
    for where, value, op in edits:
        i = int(where * (len(data) - 1))
        if op == "set":
            data[i] = value
        elif op == "cut":
            del data[i:]
            if not data:
                break
        else:
            data[i:i] = bytes([value]) * 7
    root = tmp_path_factory.mktemp("fuzz")
    try:
        photo = ingest_photo(bytes(data), root=root)
    except PhotoRejected:
        assert all_files(root) == []
    else:
        assert (root / photo.display_path).is_file() and (root / photo.thumb_path).is_file()
