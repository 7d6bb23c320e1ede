"""CJK font discovery and small static charts drawn with Pillow (PNG bytes).

Plotly's static export needs kaleido and a browser, which a property office server does not have;
these charts are drawn directly: a 12-month score trend (line) and a staff score bar chart, with the
grade bands as dashed reference lines. Labels use the same CJK font as the PDF.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.messages import text, value
from app.reports import one_line

# ----------------------------------------------------------------------------- fonts
FONT_ENV = "PINZHI_CJK_FONT"
FONT_PACKAGE = "fonts-noto-cjk"

# (regular, bold) in order of preference; Debian paths
_CANDIDATES: tuple[tuple[str, str | None], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),
)
_PROBE = "中考核"  # a face must have these glyphs


class MissingCJKFont(RuntimeError):
    """No font with Chinese glyphs: the PDF cannot be made."""


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # face number inside a .ttc/.otc collection (0 for .ttf/.otf)


@dataclass(frozen=True)
class CJKFont:
    regular: FontFace
    bold: FontFace | None


def _face_index(path: str) -> int | None:
    """The face to use: the Simplified Chinese one of a collection if there is one; ``None`` if no CJK glyphs.

    Face names are read first (cheap); the character map (slow on a CJK font) only of the face chosen.
    """
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.lower().endswith((".ttc", ".otc")):
            fonts = list(TTCollection(path, lazy=True).fonts)
        else:
            fonts = [TTFont(path, lazy=True)]
    except Exception:  # noqa: BLE001 - an unreadable file is simply not a candidate
        return None

    def name(i: int) -> str:
        try:
            return str(fonts[i]["name"].getDebugName(4) or fonts[i]["name"].getDebugName(1) or "")
        except Exception:  # noqa: BLE001
            return ""

    def has_cjk(i: int) -> bool:
        try:
            cmap = fonts[i].getBestCmap() or {}
        except Exception:  # noqa: BLE001
            return False
        return all(ord(ch) in cmap for ch in _PROBE)

    def preference(i: int) -> int:
        words = name(i).replace("-", " ").split()
        if "Mono" in words:
            return 3
        if "SC" in words or "GB" in name(i) or "Hans" in words:
            return 0
        if "JP" in words or "KR" in words or "TC" in words or "HK" in words:
            return 2
        return 1

    for i in sorted(range(len(fonts)), key=lambda i: (preference(i), i)):
        if has_cjk(i):
            return i
    return None


def _fc_match() -> str | None:
    exe = shutil.which("fc-match")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"], capture_output=True, text=True,
                             timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


@lru_cache(maxsize=1)
def cjk_font() -> CJKFont:
    """The CJK font for reports (``PINZHI_CJK_FONT`` overrides). Raises :class:`MissingCJKFont`."""
    candidates: list[tuple[str, str | None]] = []
    if os.environ.get(FONT_ENV):
        candidates.append((os.environ[FONT_ENV], None))
    candidates += list(_CANDIDATES)
    matched = _fc_match()
    if matched:
        candidates.append((matched, None))
    for regular, bold in candidates:
        if not Path(regular).is_file():
            continue
        index = _face_index(regular)
        if index is None:
            continue
        bold_face = None
        if bold and Path(bold).is_file():
            b_index = _face_index(bold)
            if b_index is not None:
                bold_face = FontFace(bold, b_index)
        return CJKFont(FontFace(regular, index), bold_face)
    raise MissingCJKFont(text("rep.no_cjk_font", "zh", package=FONT_PACKAGE, env=FONT_ENV))


@lru_cache(maxsize=32)
def _pil_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    f = cjk_font()
    face = f.bold if bold and f.bold else f.regular
    return ImageFont.truetype(face.path, size=size, index=face.index)


# ----------------------------------------------------------------------------- charts
S = 2  # drawing scale: everything is drawn at twice the nominal pixel size, for print
INK = (38, 38, 38)
GRID = (225, 225, 225)
AXIS = (130, 130, 130)
LINE = (31, 96, 170)
BAND_COLORS = {"优秀": (46, 139, 87), "良好": (31, 96, 170), "合格": (214, 137, 16), "不合格": (192, 57, 43)}
NO_SCORE = (170, 170, 170)


def grade_color(grade: str | None) -> tuple[int, int, int]:
    return BAND_COLORS.get(grade or "", NO_SCORE)


#: Chart text is one line: a name with a newline, or of 500 characters, is flattened and cut.
TITLE_CHARS, LABEL_CHARS = 60, 16


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _text_w(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont) -> float:
    return draw.textlength(text, font=font)


def _dashed_hline(draw: ImageDraw.ImageDraw, x0: float, x1: float, y: float, color: tuple[int, int, int],
                  dash: int = 10 * S, gap: int = 6 * S, width: int = S) -> None:
    x = x0
    while x < x1:
        draw.line([(x, y), (min(x + dash, x1), y)], fill=color, width=width)
        x += dash + gap


def _y_range(values: Sequence[float], bands: Sequence[tuple[str, float]]) -> tuple[float, float]:
    lo = min([*values, 100.0]) if values else 60.0
    lo = min(lo, min((b for _, b in bands if b > 0), default=60.0))
    lo = max(0.0, (int(lo) // 10) * 10 - 10)
    return lo, 100.0


def _label_pos(d: ImageDraw.ImageDraw, label: str, font: ImageFont.FreeTypeFont, x: float, y: float,
               prev: float | None, nxt: float | None, v: float, bottom: float) -> tuple[float, float]:
    """Where a point's value label goes so that the line does not cross it: above a peak, below a valley,
    on the free side of a slope (upper left of a rising point, upper right of a falling one)."""
    tw = _text_w(d, label, font)
    above, below = y - 24 * S, y + 9 * S
    centred = x - tw / 2
    if prev is not None and nxt is not None:
        if prev < v < nxt:
            return x - tw - 7 * S, y - 22 * S
        if prev > v > nxt:
            return x + 7 * S, y - 22 * S
    higher = [n for n in (prev, nxt) if n is not None and n > v]
    if higher and y + 26 * S < bottom:
        return centred, below
    return centred, above


def line_chart(points: Sequence[tuple[str, float | None]], *, title: str,
               bands: Sequence[tuple[str, float]] = (), size: tuple[int, int] = (900, 340), lang: str = "zh") -> bytes:
    """A score trend: one point per month (``None`` = no score, the line breaks), value labels, grade lines."""
    title = one_line(title, TITLE_CHARS)
    points = [(one_line(label, LABEL_CHARS), v) for label, v in points]
    w, h = size[0] * S, size[1] * S
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    f_title, f_lab, f_small = _pil_font(17 * S, bold=True), _pil_font(12 * S), _pil_font(11 * S)
    d.text((16 * S, 10 * S), title, font=f_title, fill=INK)
    band_labels = [f"{value('grade', grade, lang)} {b:g}" for grade, b in bands]
    # room on the right for the widest band label ("Excellent 90" is wider than "优秀 90")
    margin = max([64 * S, *(_text_w(d, lab, f_small) + 12 * S for lab in band_labels)])
    left, right, top, bottom = 52 * S, w - margin, 48 * S, h - 44 * S
    values = [v for _, v in points if v is not None]
    lo, hi = _y_range(values, bands)

    def y_of(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    step = 10 if hi - lo <= 60 else 20
    for t in range(int(lo), int(hi) + 1, step):
        y = y_of(t)
        d.line([(left, y), (right, y)], fill=GRID, width=S)
        label = str(t)
        d.text((left - 8 * S - _text_w(d, label, f_small), y - 7 * S), label, font=f_small, fill=AXIS)
    for (grade, b), band_label in zip(bands, band_labels, strict=True):
        if lo < b < hi:
            y = y_of(b)
            color = grade_color(grade)
            _dashed_hline(d, left, right, y, color)
            d.text((right + 6 * S, y - 8 * S), band_label, font=f_small, fill=color)
    d.line([(left, top), (left, bottom), (right, bottom)], fill=AXIS, width=S)
    n = max(len(points), 1)
    slot = (right - left) / n
    xy: list[tuple[float, float] | None] = []
    for i, (label, v) in enumerate(points):
        x = left + slot * (i + 0.5)
        lab = label[2:] if len(label) == 7 else label  # 2026-11 -> 26-11
        d.text((x - _text_w(d, lab, f_small) / 2, bottom + 8 * S), lab, font=f_small, fill=AXIS)
        xy.append(None if v is None else (x, y_of(v)))
    run: list[tuple[float, float]] = []
    for p in [*xy, None]:
        if p is None:
            if len(run) > 1:
                d.line(run, fill=LINE, width=3 * S, joint="curve")
            run = []
        else:
            run.append(p)
    vals = [v for _, v in points]
    for i, p in enumerate(xy):
        v = vals[i]
        if p is None or v is None:
            continue
        x, y = p
        r = 5 * S
        d.ellipse([x - r, y - r, x + r, y + r], fill="white", outline=LINE, width=2 * S)
        label = f"{v:.2f}"
        d.text(_label_pos(d, label, f_lab, x, y, vals[i - 1] if i else None,
                          vals[i + 1] if i + 1 < len(vals) else None, v, bottom), label, font=f_lab, fill=INK)
    if not values:
        msg = text("rep.chart_no_scores", lang)
        d.text(((left + right) / 2 - _text_w(d, msg, f_lab) / 2, (top + bottom) / 2), msg, font=f_lab, fill=AXIS)
    return _png(im)


def bar_chart(bars: Sequence[tuple[str, float | None, str | None]], *, title: str,
              bands: Sequence[tuple[str, float]] = (), width: int = 900, bar_px: int = 26, lang: str = "zh") -> bytes:
    """Horizontal bars, one per ``(label, score or None, grade)``, in the given order, coloured by grade."""
    title = one_line(title, TITLE_CHARS)
    bars = [(one_line(label, LABEL_CHARS), v, g) for label, v, g in bars]
    n = max(len(bars), 1)
    w = width * S
    top, row = 50 * S, bar_px * S + 8 * S
    h = top + n * row + 40 * S
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    f_title, f_lab, f_small = _pil_font(17 * S, bold=True), _pil_font(13 * S), _pil_font(11 * S)
    d.text((16 * S, 10 * S), title, font=f_title, fill=INK)
    name_w = max([_text_w(d, lab, f_lab) for lab, _, _ in bars] + [40 * S])
    left, right = 24 * S + name_w, w - 70 * S
    bottom = top + n * row
    lo, hi = 0.0, 100.0

    def x_of(v: float) -> float:
        return left + (max(lo, min(hi, v)) - lo) / (hi - lo) * (right - left)

    for t in range(0, 101, 20):
        x = x_of(t)
        d.line([(x, top - 4 * S), (x, bottom)], fill=GRID, width=S)
        d.text((x - _text_w(d, str(t), f_small) / 2, bottom + 8 * S), str(t), font=f_small, fill=AXIS)
    for grade, b in bands:
        if 0 < b < 100:
            x = x_of(b)
            color = grade_color(grade)
            yy = top - 4 * S
            while yy < bottom:
                d.line([(x, yy), (x, min(yy + 8 * S, bottom))], fill=color, width=S)
                yy += 13 * S
            label = value("grade", grade, lang)
            d.text((x - _text_w(d, label, f_small) / 2, top - 20 * S), label, font=f_small, fill=color)
    d.line([(left, top - 4 * S), (left, bottom)], fill=AXIS, width=S)
    for i, (label, v, bar_grade) in enumerate(bars):
        y0 = top + i * row + 4 * S
        y1 = y0 + bar_px * S
        d.text((left - 10 * S - _text_w(d, label, f_lab), y0 + (bar_px * S - 15 * S) / 2 - 2 * S), label,
               font=f_lab, fill=INK)
        if v is None:
            d.text((left + 8 * S, y0 + 4 * S), text("rep.chart_no_score", lang), font=f_small, fill=NO_SCORE)
            continue
        x1 = x_of(v)
        d.rectangle([left + S, y0, max(left + 2 * S, x1), y1], fill=grade_color(bar_grade))
        txt = f"{v:.2f}"
        d.text((x1 + 6 * S, y0 + (bar_px * S - 14 * S) / 2 - 2 * S), txt, font=f_lab, fill=INK)
    if not bars:
        msg = text("rep.chart_no_staff_scores", lang)
        d.text(((left + right) / 2 - _text_w(d, msg, f_lab) / 2, top + 4 * S), msg, font=f_lab, fill=AXIS)
    return _png(im)
