"""Benchmark: app.photos.ingest_photo versus a naive Pillow pipeline on a 12 MP phone JPEG.

    .venv/bin/python benchmarks/photo_ingest.py [--runs 15] [--check]

The naive baseline is what one would write first: full decode -> ImageOps.exif_transpose ->
LANCZOS resize to 1600 px -> LANCZOS thumbnail from the full image -> save both as JPEG at
the same qualities (to memory; the pipeline also hashes, validates and writes to disk).
Runs are interleaved and each pipeline run gets a fresh store, so dedupe never short-circuits.
Targets: time ratio <= 0.3, PSNR(display vs naive display) >= 38 dB, display copy <= 500 KB.
``--check`` exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps, ImageStat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.photos import PhotoLimits, ingest_photo, open_stored  # noqa: E402
from app.photos.pipeline import DISPLAY_QUALITY, THUMB_QUALITY  # noqa: E402

TARGET_RATIO = 0.3
TARGET_PSNR = 38.0
TARGET_DISPLAY_BYTES = 500 * 1024


def make_photo(width: int = 4000, height: int = 3000, seed: int = 7) -> bytes:
    """A phone-like 12 MP JPEG: gradients, shapes, edges, sensor noise; EXIF orientation 6."""
    rnd = random.Random(seed)
    size = (width, height)
    r = Image.linear_gradient("L").resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    im = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(im)
    for _ in range(60):
        x, y, s = rnd.randrange(width), rnd.randrange(height), rnd.randrange(50, 600)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        draw.ellipse((x, y, x + s, y + int(s * 0.7)), fill=colour)
    for _ in range(40):
        pts = (rnd.randrange(width), rnd.randrange(height), rnd.randrange(width), rnd.randrange(height))
        draw.line(pts, fill=(rnd.randrange(256),) * 3, width=rnd.randrange(1, 8))
    im = im.filter(ImageFilter.GaussianBlur(1.2))  # optics
    # sensor noise: zero-mean gaussian per channel, sigma 9 grey levels
    noise = Image.merge("RGB", [Image.effect_noise(size, 9) for _ in range(3)])
    im = ImageChops.add(im, noise, scale=1.0, offset=-128)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0110] = "BenchPhone 12"
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    return buf.getvalue()


def _fit(w: int, h: int, box: int) -> tuple[int, int]:
    longest = max(w, h)
    return max(1, round(w * box / longest)), max(1, round(h * box / longest))


def naive(data: bytes, limits: PhotoLimits) -> tuple[bytes, bytes]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        full = ImageOps.exif_transpose(im).convert("RGB")
    display = full.resize(_fit(*full.size, limits.display_px), Image.Resampling.LANCZOS)
    thumb = full.resize(_fit(*full.size, limits.thumb_px), Image.Resampling.LANCZOS)
    out = []
    for img, q in ((display, DISPLAY_QUALITY), (thumb, THUMB_QUALITY)):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q, optimize=True, subsampling="4:2:0")
        out.append(buf.getvalue())
    return out[0], out[1]


def psnr(a: Image.Image, b: Image.Image) -> float:
    if a.size != b.size:
        raise ValueError(f"size mismatch {a.size} vs {b.size}")
    try:
        import numpy as np

        x = np.asarray(a.convert("RGB"), dtype=np.float64)
        y = np.asarray(b.convert("RGB"), dtype=np.float64)
        mse = float(((x - y) ** 2).mean())
    except ImportError:
        diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
        mse = sum(ImageStat.Stat(diff).sum2) / (3 * a.width * a.height)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args(argv)
    runs = max(15, args.runs)
    limits = PhotoLimits()

    data = make_photo()
    with Image.open(io.BytesIO(data)) as probe:
        src = f"{probe.width}x{probe.height} JPEG q92, EXIF orientation {probe.getexif().get(0x0112)}"
    print(f"source: {src}, {len(data) / 1e6:.2f} MB")

    tmp = Path(tempfile.mkdtemp(prefix="pinzhi-bench-"))
    try:
        t_pipe: list[float] = []
        t_naive: list[float] = []
        photo = None
        naive_out = (b"", b"")
        # one untimed warm-up of each, then interleaved timed runs
        ingest_photo(data, root=tmp / "warm", limits=limits)
        naive(data, limits)
        for i in range(runs):
            root = tmp / f"run{i}"  # fresh store: no dedupe short-circuit
            order = (0, 1) if i % 2 == 0 else (1, 0)
            for which in order:
                t0 = time.perf_counter()
                if which == 0:
                    photo = ingest_photo(data, root=root, limits=limits)
                    t_pipe.append(time.perf_counter() - t0)
                    assert not photo.deduplicated
                else:
                    naive_out = naive(data, limits)
                    t_naive.append(time.perf_counter() - t0)
        assert photo is not None
        display = open_stored(root, photo.display_path)
        thumb = open_stored(root, photo.thumb_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ms_pipe = statistics.median(t_pipe) * 1000
    ms_naive = statistics.median(t_naive) * 1000
    ratio = ms_pipe / ms_naive
    with Image.open(io.BytesIO(display)) as a, Image.open(io.BytesIO(naive_out[0])) as b:
        quality = psnr(a, b)
        sizes = f"pipeline {a.width}x{a.height}, naive {b.width}x{b.height}"

    print(f"runs: {runs} each, interleaved (median)")
    print(f"pipeline: {ms_pipe:.1f} ms/photo   naive: {ms_naive:.1f} ms/photo")
    print(f"ratio pipeline/naive: {ratio:.3f}   (target <= {TARGET_RATIO})")
    print(f"PSNR display vs naive display: {quality:.2f} dB   (target >= {TARGET_PSNR}); {sizes}")
    print(
        f"display: {len(display) / 1024:.1f} KB (target <= {TARGET_DISPLAY_BYTES // 1024} KB), "
        f"thumb: {len(thumb) / 1024:.1f} KB; naive display {len(naive_out[0]) / 1024:.1f} KB, "
        f"naive thumb {len(naive_out[1]) / 1024:.1f} KB"
    )
    missed = [
        name
        for name, ok in (
            ("ratio", ratio <= TARGET_RATIO),
            ("psnr", quality >= TARGET_PSNR),
            ("display size", len(display) <= TARGET_DISPLAY_BYTES),
        )
        if not ok
    ]
    print("targets: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
