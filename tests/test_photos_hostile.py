"""Hostile photos: scan bombs, 16-bit alpha bombs, two frame headers, PHP polyglots, worker limits.

The hostile files are built here (nothing binary is committed). Time bounds are safety bounds
("answered within 5 s"), memory is the worker's peak RSS as the kernel counted it (ru_maxrss).
"""

from __future__ import annotations

import io
import re
import resource
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.photos import PhotoLimits, PhotoRejected, ingest_photo
from app.photos import pipeline as pipeline_mod
from app.photos.worker import DecodePool

GIB_KB = 1024 * 1024  # ru_maxrss is in KB on Linux

_NEXT = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _segments(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, marker) of each JPEG segment after SOI; an SOS segment includes its scan data."""
    pos, out = 2, []
    while True:
        marker = data[pos + 1]
        if marker == 0xD9:
            out.append((pos, pos + 2, marker))
            return out
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            m = _NEXT.search(data, end)
            assert m is not None
            end = m.start()
        out.append((pos, end, marker))
        pos = end


def scan_bomb(size: int = 7000, repeats: int = 3000) -> bytes:
    """A progressive JPEG whose last scan (with its Huffman table) is repeated ``repeats`` times."""
    buf = io.BytesIO()
    Image.new("L", (size, size), 128).save(buf, "JPEG", progressive=True, quality=50)
    data = buf.getvalue()
    segs = _segments(data)
    last = max(i for i, s in enumerate(segs) if s[2] == 0xDA)
    start = segs[last - 1][0] if segs[last - 1][2] == 0xC4 else segs[last][0]
    block = data[start : segs[last][1]]
    eoi = segs[-1][0]
    return data[:eoi] + block * repeats + data[eoi:]


def _png_chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def png16_rgba(size: int = 7000) -> bytes:
    """A 16-bit RGBA PNG, half-transparent grey: ~380 KB on disk, 392 MB of raw samples."""
    row = b"\x00" + b"\x80" * (8 * size)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(size)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", size, size, 16, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def small_jpeg(size: tuple[int, int] = (800, 600), colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return scan_bomb()


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    return png16_rgba()


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[DecodePool]:
    """A fresh 2-worker pool (default limits: 5 s CPU, 1 GiB) used by the pipeline for this test."""
    p = DecodePool(2)
    monkeypatch.setattr(pipeline_mod, "decode_pool", lambda: p)
    yield p
    p.close()


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---------------------------------------------------------------------------
# the two files of the attack report
# ---------------------------------------------------------------------------


def test_scan_bomb_refused_before_decoding_within_5s(tmp_path: Path, bomb: bytes, pool: DecodePool) -> None:
    assert 400_000 < len(bomb) < 600_000
    assert bomb.count(b"\xff\xda") > 3000
    t0 = time.monotonic()
    with pytest.raises(PhotoRejected) as info:
        ingest_photo(bomb, root=tmp_path / "photos")
    elapsed = time.monotonic() - t0
    exc = info.value
    assert exc.code == "too_complex"
    assert "扫描段" in exc.message_zh and "上限 100" in exc.message_zh
    assert "too complex" in exc.message_en and "scans" in exc.message_en
    assert exc.details == {"scans": 101, "limit_scans": 100}
    assert elapsed < 5
    assert pool.stats().started == 0  # refused before any decoder ran
    assert files_under(tmp_path) == []


def test_16bit_rgba_png_bomb_answered_within_5s_and_1gib(tmp_path: Path, png_bomb: bytes, pool: DecodePool) -> None:
    assert 300_000 < len(png_bomb) < 450_000
    parent_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ingest_photo(small_jpeg(), root=tmp_path / "warm")  # start a worker: the bound is on the photo
    t0 = time.monotonic()
    photo = ingest_photo(png_bomb, root=tmp_path / "photos")
    elapsed = time.monotonic() - t0
    assert (photo.original_width, photo.original_height) == (7000, 7000)
    assert (photo.width, photo.height) == (1600, 1600)
    stats = pool.stats()
    print(f"16-bit RGBA PNG bomb: {elapsed:.2f} s wall, {stats.max_task_cpu_s:.2f} s CPU in the worker, "
          f"worker peak RSS {stats.peak_rss_kb / 1024:.0f} MB")
    # the bound is 5 s of CPU (the worker's own limit); the wall clock gets slack for a shared machine
    assert stats.max_task_cpu_s < 5
    assert elapsed < 15
    peak_kb = stats.peak_rss_kb
    # the worker really decoded 49 MP of RGBA (196 MB) ... and stayed far below the 1 GiB limit
    assert 196 * 1024 < peak_kb < GIB_KB, peak_kb
    # the parent process never holds the decoded pixels
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_before < 150 * 1024
    # half-transparent grey (0x80 / 65535 alpha ~ 50 %) on white
    out = Image.open(tmp_path / "photos" / photo.display_path)
    r, g, b = out.getpixel((800, 800))
    assert r == g == b or max(r, g, b) - min(r, g, b) <= 2
    assert 180 <= r <= 200, r


def test_alpha_flattened_strip_by_strip() -> None:
    """Alpha is composited onto white strip by strip before the integer reduce (no full-size copy)."""
    im = Image.new("RGBA", (4000, 3000), (0, 0, 255, 0))
    im.paste((255, 0, 0, 255), (0, 0, 2000, 3000))
    out = pipeline_mod._flat_reduced(im, (400, 300))  # reduce by 5, in strips of 250 rows
    assert out.mode == "RGB" and out.size == (800, 600)
    assert out.getpixel((10, 10)) == (255, 0, 0)
    assert out.getpixel((790, 590)) == (255, 255, 255)  # transparent blue is white, not blue
    assert out.getpixel((399, 300)) == (255, 0, 0) and out.getpixel((400, 300)) == (255, 255, 255)


def test_two_scan_bombs_do_not_block_a_normal_upload(tmp_path: Path, bomb: bytes, pool: DecodePool) -> None:
    codes: list[str] = []
    normal_time: list[float] = []

    def attack() -> None:
        try:
            ingest_photo(bomb, root=tmp_path / "photos")
        except PhotoRejected as exc:
            codes.append(exc.code)

    def normal() -> None:
        t0 = time.monotonic()
        ingest_photo(small_jpeg((1200, 900)), root=tmp_path / "photos")
        normal_time.append(time.monotonic() - t0)

    threads = [threading.Thread(target=attack), threading.Thread(target=attack), threading.Thread(target=normal)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == ["too_complex", "too_complex"]
    assert len(normal_time) == 1 and normal_time[0] < 5, normal_time
    assert len(files_under(tmp_path / "photos")) == 3  # display, thumb, record of the normal photo


def test_uncapped_scan_bombs_hit_the_worker_cpu_limit_and_workers_are_replaced(
    tmp_path: Path, bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the scan cap (defence in depth) the worker's CPU limit ends the decode."""
    bombs = [bomb, scan_bomb(repeats=2999)]  # different bytes: identical uploads would queue on one lock
    p = DecodePool(2, cpu_seconds=2)
    monkeypatch.setattr(pipeline_mod, "decode_pool", lambda: p)
    try:
        no_cap = PhotoLimits(max_jpeg_scans=1_000_000)
        codes: list[str] = []
        normal_time: list[float] = []

        def attack(data: bytes) -> None:
            try:
                ingest_photo(data, root=tmp_path / "photos", limits=no_cap)
            except PhotoRejected as exc:
                codes.append(exc.code)
                assert "too complex or too large" in exc.message_en and "2 s" in exc.message_en
                assert "过于复杂或过大" in exc.message_zh

        t0 = time.monotonic()
        attackers = [threading.Thread(target=attack, args=(b,)) for b in bombs]
        for t in attackers:
            t.start()
        time.sleep(0.5)  # both workers busy with a bomb
        normal = ingest_photo(small_jpeg((640, 480)), root=tmp_path / "photos")
        normal_time.append(time.monotonic() - t0)
        for t in attackers:
            t.join(60)
        print(f"normal upload behind two uncapped bombs: {normal_time[0]:.2f} s; all: {time.monotonic() - t0:.2f} s")
        assert codes == ["too_complex", "too_complex"]
        assert normal.width == 640
        # the normal upload waited until a bomb's worker ran out of CPU (2 s of CPU: ~5 s of wall time on an
        # idle machine, several times that on a loaded one; the parent's own deadline is 6x the CPU limit)
        assert normal_time[0] < 60, normal_time
        stats = p.stats()
        assert stats.replaced == 2 and stats.started >= 3
        assert stats.peak_rss_kb < GIB_KB
        # the replacement workers serve normal photos again
        for colour in ((10, 200, 10), (10, 10, 200)):
            assert ingest_photo(small_jpeg((500, 400), colour), root=tmp_path / "photos").width == 500
        assert p.stats().replaced == 2
    finally:
        p.close()


def test_memory_limit_turns_into_too_complex(tmp_path: Path, png_bomb: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker whose address space cannot hold the decoded pixels answers "too large", then serves on."""
    p = DecodePool(1, address_space=160 << 20)
    monkeypatch.setattr(pipeline_mod, "decode_pool", lambda: p)
    try:
        with pytest.raises(PhotoRejected) as info:
            ingest_photo(png_bomb, root=tmp_path / "photos")
        assert info.value.code == "too_complex" and "160 MB" in info.value.message_zh
        assert files_under(tmp_path) == []
        photo = ingest_photo(small_jpeg(), root=tmp_path / "photos")
        assert photo.width == 800
    finally:
        p.close()


# ---------------------------------------------------------------------------
# the right reason for crafted files
# ---------------------------------------------------------------------------


def test_two_frame_headers_named(tmp_path: Path) -> None:
    data = small_jpeg((100, 80))
    i = data.index(b"\xff\xc0")
    sof = bytearray(data[i : i + 2 + int.from_bytes(data[i + 2 : i + 4], "big")])
    sof[5:9] = struct.pack(">HH", 7000, 7000)  # the second frame claims 49 MP
    two = data[: i + len(sof)] + bytes(sof) + data[i + len(sof) :]
    with pytest.raises(PhotoRejected) as info:
        ingest_photo(two, root=tmp_path / "photos")
    exc = info.value
    assert exc.code == "two_frames"
    assert "帧头" in exc.message_zh and "100×80" in exc.message_zh and "7000×7000" in exc.message_zh
    assert "frame headers" in exc.message_en
    assert files_under(tmp_path) == []


PHP = b"<?php system($_GET['c']); ?>"


@pytest.mark.parametrize(
    ("case", "make", "label"),
    [
        ("php_right_after_jpeg_magic", lambda: b"\xff\xd8\xff\xe0" + PHP + b"\n" * 64, "JPEG"),
        ("php_between_jpeg_segments", lambda: small_jpeg()[:20] + PHP + small_jpeg()[20:], "JPEG"),
        ("php_in_jpeg_comment", lambda: small_jpeg()[:2] + b"\xff\xfe" + struct.pack(">H", len(PHP) + 2) + PHP
         + small_jpeg()[2:], "JPEG"),
        ("short_php_after_eoi", lambda: small_jpeg() + b"<?=`$_GET[c]`?>", "JPEG"),
        ("php_after_png_magic", lambda: b"\x89PNG\r\n\x1a\n" + PHP, "PNG"),
        ("php_in_png_text", lambda: _png_with_text(PHP), "PNG"),
    ],
    ids=lambda v: v if isinstance(v, str) and not v.isupper() else "",
)
def test_php_polyglots_named(tmp_path: Path, case: str, make: object, label: str) -> None:
    with pytest.raises(PhotoRejected) as info:
        ingest_photo(make(), root=tmp_path / "photos")  # type: ignore[operator]
    exc = info.value
    assert exc.code == "script_content", (case, exc.code)
    assert f"以 {label} 图片标记开头" in exc.message_zh and "脚本" in exc.message_zh
    assert "script code" in exc.message_en
    assert files_under(tmp_path) == []


def _png_with_text(text: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buf, "PNG")
    data = buf.getvalue()
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + _png_chunk(b"tEXt", b"Comment\x00" + text) + data[iend:]


def test_ordinary_progressive_jpeg_is_far_below_the_scan_cap(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 90, 160)).save(buf, "JPEG", progressive=True, quality=90)
    scans = buf.getvalue().count(b"\xff\xda")
    assert 5 <= scans <= 20
    assert ingest_photo(buf.getvalue(), root=tmp_path / "photos").width == 1200
    # and the cap is honoured exactly
    with pytest.raises(PhotoRejected) as info:
        ingest_photo(buf.getvalue(), root=tmp_path / "p2", limits=PhotoLimits(max_jpeg_scans=scans - 1))
    assert info.value.code == "too_complex"
    assert ingest_photo(buf.getvalue(), root=tmp_path / "p3", limits=PhotoLimits(max_jpeg_scans=scans)).width == 1200
