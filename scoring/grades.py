"""Grade bands: the highest band whose ``min`` is at or below an exact percent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class GradeBand:
    grade: str
    min: Decimal


DEFAULT_BANDS: tuple[GradeBand, ...] = (
    GradeBand("优秀", Decimal(90)),
    GradeBand("良好", Decimal(80)),
    GradeBand("合格", Decimal(60)),
    GradeBand("不合格", Decimal(0)),
)


def sort_bands(bands: Sequence[GradeBand]) -> tuple[GradeBand, ...]:
    """Bands from the highest ``min`` down."""
    return tuple(sorted(bands, key=lambda b: b.min, reverse=True))


def grade_for(bands: Sequence[GradeBand], percent: Decimal | None) -> str | None:
    """The highest band whose min <= percent (exact, unrounded). ``None`` percent -> ``None``."""
    if percent is None:
        return None
    ordered = sort_bands(bands)
    for band in ordered:
        if band.min <= percent:
            return band.grade
    return ordered[-1].grade if ordered else None


def lowest_grade(bands: Sequence[GradeBand]) -> str | None:
    ordered = sort_bands(bands)
    return ordered[-1].grade if ordered else None


def round_half_up(value: Decimal | None, places: Decimal = TWO_PLACES) -> Decimal | None:
    """Half-up rounding for display (2 places by default)."""
    if value is None:
        return None
    return value.quantize(places, rounding=ROUND_HALF_UP)
