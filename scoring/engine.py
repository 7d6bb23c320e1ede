"""Scoring of one inspection, exactly as ``shared/DESIGN.md`` says.

All arithmetic is exact (:class:`decimal.Decimal`); only ``percent`` is rounded, half-up to 2 places,
and the grade is taken from the exact, unrounded percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from scoring.grades import grade_for, lowest_grade, round_half_up
from scoring.model import Checklist, Item, as_decimal

HUNDRED = Decimal(100)
ANSWER_KEYS = {"result", "count", "points", "note"}


class ScoringError(ValueError):
    """An answer set that cannot be scored. ``item_id`` names the offending item when there is one."""

    def __init__(self, message: str, item_id: str | None = None):
        self.item_id = item_id
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ItemScore:
    id: str
    section_id: str
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    na: bool

    @property
    def failed(self) -> bool:
        return not self.na and self.awarded < self.applicable


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    percent_exact: Decimal | None
    critical_failed: bool

    @property
    def percent(self) -> Decimal | None:
        return round_half_up(self.percent_exact)


@dataclass(frozen=True, slots=True)
class ScoreResult:
    checklist: str
    version: str
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    percent_exact: Decimal | None
    grade: str | None
    critical_failed: bool
    sections: tuple[SectionScore, ...]
    items: tuple[ItemScore, ...]
    failed_items: tuple[str, ...]

    @property
    def percent(self) -> Decimal | None:
        return round_half_up(self.percent_exact)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the CLI contract."""
        return {
            "checklist": self.checklist,
            "version": self.version,
            "awarded": number(self.awarded),
            "applicable": number(self.applicable),
            "possible": number(self.possible),
            "percent": None if self.percent is None else float(self.percent),
            "grade": self.grade,
            "critical_failed": self.critical_failed,
            "sections": [
                {
                    "id": s.id,
                    "awarded": number(s.awarded),
                    "applicable": number(s.applicable),
                    "percent": None if s.percent is None else float(s.percent),
                }
                for s in self.sections
            ],
            "failed_items": list(self.failed_items),
        }


def number(d: Decimal) -> int | float:
    """A decimal as a JSON number: whole numbers as int, others as float."""
    return int(d) if d == d.to_integral_value() else float(d)




def _na(item: Item, answer: Mapping[str, Any]) -> bool:
    if answer.get("result") != "na":
        return False
    if not item.na:
        raise ScoringError(f"item {item.id}: N/A is not allowed for this item", item.id)
    if set(answer) - {"result", "note"}:
        raise ScoringError(f"item {item.id}: an N/A answer takes no other value", item.id)
    return True


def score_item(item: Item, answer: Any) -> tuple[Decimal, bool]:
    """Awarded points for one answer and whether it is N/A. Raises :class:`ScoringError`."""
    if not isinstance(answer, Mapping):
        raise ScoringError(f"item {item.id}: answer must be an object", item.id)
    unknown = set(answer) - ANSWER_KEYS
    if unknown:
        raise ScoringError(f"item {item.id}: unknown answer field(s) {', '.join(sorted(map(str, unknown)))}", item.id)
    if _na(item, answer):
        return Decimal(0), True
    if item.scoring == "pass_fail":
        result = answer.get("result")
        if result == "pass":
            return item.points, False
        if result == "fail":
            return Decimal(0), False
        allowed = "pass, fail or na" if item.na else "pass or fail"
        raise ScoringError(f"item {item.id}: result must be {allowed} (got {result!r})", item.id)
    if item.scoring == "deduct":
        if "result" in answer or "count" not in answer:
            raise ScoringError(f"item {item.id}: a deduct item takes {{\"count\": n}}", item.id)
        count = as_decimal(answer["count"])
        if count is None or count < 0 or count != count.to_integral_value():
            raise ScoringError(f"item {item.id}: count must be a whole number >= 0 (got {answer['count']!r})", item.id)
        assert item.per is not None
        return max(Decimal(0), item.points - count * item.per), False
    # scale
    if "result" in answer or "points" not in answer:
        raise ScoringError(f"item {item.id}: a scale item takes {{\"points\": x}}", item.id)
    x = as_decimal(answer["points"])
    if x is None or x < 0 or x > item.points:
        raise ScoringError(f"item {item.id}: points must be from 0 to {item.points} (got {answer['points']!r})", item.id)
    if (x / item.step) != (x / item.step).to_integral_value():
        raise ScoringError(f"item {item.id}: points must be a multiple of {item.step} (got {answer['points']!r})", item.id)
    return x, False


def _percent(awarded: Decimal, applicable: Decimal) -> Decimal | None:
    return None if applicable == 0 else awarded / applicable * HUNDRED


def score(checklist: Checklist, answers: Mapping[str, Any]) -> ScoreResult:
    """Score one complete answer set. Every item needs an answer; unknown ids are errors."""
    if not isinstance(answers, Mapping):
        raise ScoringError("answers must be an object keyed by item id")
    for item_id in answers:
        if not isinstance(item_id, str) or not checklist.has_item(item_id):
            raise ScoringError(f"item {item_id}: unknown item id for checklist {checklist.id}", str(item_id))

    item_scores: list[ItemScore] = []
    section_scores: list[SectionScore] = []
    checklist_critical = False
    for section in checklist.sections:
        awarded = applicable = Decimal(0)
        section_critical = False
        for item in section.items:
            if item.id not in answers:
                raise ScoringError(f"item {item.id}: no answer", item.id)
            got, na = score_item(item, answers[item.id])
            its = ItemScore(item.id, section.id, got, Decimal(0) if na else item.points, item.points, na)
            item_scores.append(its)
            awarded += its.awarded
            applicable += its.applicable
            if its.failed and item.critical == "section":
                section_critical = True
            if its.failed and item.critical == "checklist":
                checklist_critical = True
        if section_critical:
            awarded = Decimal(0)
        section_scores.append(
            SectionScore(section.id, awarded, applicable, section.points, _percent(awarded, applicable), section_critical)
        )

    total_applicable = sum((s.applicable for s in section_scores), Decimal(0))
    total_awarded = Decimal(0) if checklist_critical else sum((s.awarded for s in section_scores), Decimal(0))
    percent = _percent(total_awarded, total_applicable)
    if percent is None:
        grade = None
    elif checklist_critical:
        grade = lowest_grade(checklist.grades)
    else:
        grade = grade_for(checklist.grades, percent)
    return ScoreResult(
        checklist=checklist.id,
        version=checklist.version,
        awarded=total_awarded,
        applicable=total_applicable,
        possible=checklist.possible,
        percent_exact=percent,
        grade=grade,
        critical_failed=checklist_critical,
        sections=tuple(section_scores),
        items=tuple(item_scores),
        failed_items=tuple(i.id for i in item_scores if i.failed),
    )


def partial_score(checklist: Checklist, answers: Mapping[str, Any]) -> ScoreResult:
    """Running score of a draft: unanswered (or invalid) items are treated as not applicable.

    Used for the "score so far" on the tablet; submission always goes through :func:`score`.
    """
    filled: dict[str, Any] = {}
    for item in checklist.items:
        answer = answers.get(item.id)
        valid = False
        if answer is not None:
            try:
                score_item(item, answer)
                valid = True
            except ScoringError:
                valid = False
        filled[item.id] = answer if valid else {"result": "na"}
    # Forced N/A must not trip the "N/A not allowed" rule: score a copy that allows N/A everywhere.
    return score(_na_allowed(checklist), filled)


_NA_COPIES: dict[int, tuple[Checklist, Checklist]] = {}  # id(original) -> (original, copy)
_NA_COPIES_MAX = 64


def _na_allowed(checklist: Checklist) -> Checklist:
    """The checklist with ``na`` allowed on every item, built once per checklist (this runs on every tap).

    The cache keeps the original alive beside its copy, so an id is never reused while cached.
    """
    hit = _NA_COPIES.get(id(checklist))
    if hit is not None and hit[0] is checklist:
        return hit[1]
    sections = tuple(replace(s, items=tuple(replace(i, na=True) for i in s.items)) for s in checklist.sections)
    copy = replace(checklist, sections=sections, _items_by_id={}, _section_of={})
    if len(_NA_COPIES) >= _NA_COPIES_MAX:
        _NA_COPIES.clear()
    _NA_COPIES[id(checklist)] = (checklist, copy)
    return copy
