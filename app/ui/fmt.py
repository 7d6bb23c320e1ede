"""Display formatting: every figure shown is rounded half-up (never Python's half-even)."""

from __future__ import annotations

from decimal import Decimal

from scoring.grades import round_half_up


def num(d: Decimal | None, places: int = 2, suffix: str = "", signed: bool = False) -> str:
    if d is None:
        return "—"
    q = round_half_up(Decimal(d), Decimal(1).scaleb(-places))
    assert q is not None
    return f"{'+' if signed and q > 0 else ''}{q}{suffix}"


def pct(d: Decimal | None, places: int = 2) -> str:
    return num(d, places, "%")
