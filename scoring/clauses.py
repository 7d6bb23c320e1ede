"""What each clause of a multi-clause item cost (the Pareto per clause of the monthly review).

An answer ``{"counts": {"a": 2, "c": 1}}`` of an item with points P loses ``L = P - awarded`` (扣完为止, and a
``per: all`` clause that happened takes all of P). Each clause that happened has a nominal deduction: count x
per, or P for a ``per: all`` clause. The loss L is shared among the clauses in proportion to their nominal
deductions, so the clause shares of one answer add up to exactly what the item lost (to the last digit of
:class:`decimal.Decimal`'s 28), whichever clause came first.

Example: P = 3, clause a (0.5 each) twice and clause c (all) once: nominal 1 and 3, L = 3, so a cost
3 x 1/4 = 0.75 and c cost 3 x 3/4 = 2.25.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from scoring.engine import ScoringError, evaluate
from scoring.model import Item

ZERO = Decimal(0)


def clause_counts(item: Item, answer: Any) -> dict[str, int]:
    """The clause counts of a valid answer of a multi-clause item (clauses at 0 left out); {} otherwise."""
    if not item.rules or not isinstance(answer, Mapping) or not isinstance(answer.get("counts"), Mapping):
        return {}
    try:
        evaluate(item, answer)
    except ScoringError:
        return {}
    got = {r.id: int(Decimal(str(answer["counts"][r.id]))) for r in item.rules if r.id in answer["counts"]}
    return {rid: n for rid, n in got.items() if n > 0}


def clause_losses(item: Item, answer: Any) -> dict[str, Decimal]:
    """Clause id -> the part of the item's lost points that clause caused (only clauses that happened)."""
    counts = clause_counts(item, answer)
    if not counts:
        return {}
    nominal = {r.id: (item.points if r.per is None else counts[r.id] * r.per) for r in item.rules if r.id in counts}
    total = sum(nominal.values(), ZERO)
    lost = item.points - evaluate(item, answer).awarded
    if total == 0 or lost == 0:
        return {}
    return {rid: lost * n / total for rid, n in nominal.items()}
