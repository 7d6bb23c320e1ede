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
from scoring.safe_yaml import short_repr

HUNDRED = Decimal(100)
ANSWER_KEYS = {"result", "count", "counts", "points", "checked", "failed", "note"}


#: Why an answer cannot be scored, by code: the English text (``str.format`` with named fields; ``item`` is
#: the item id). The app's message catalogue has ``engine.<code>`` with the same fields in every language.
REFUSALS_EN = {
    "na_not_allowed": "item {item}: N/A is not allowed for this item",
    "na_alone": "item {item}: an N/A answer takes no other value",
    "whole": "item {item}: {key} must be a whole number >= 0 (got {got})",
    "clause_whole": "item {item}: count of clause {clause} must be a whole number >= 0 (got {got})",
    "shape": "item {item}: a {scoring} item takes {{{shape}}}",
    "shape_clauses": "item {item}: a multi-clause deduct item takes {{{shape}}}",
    "counts_object": "item {item}: counts must be an object keyed by clause id",
    "unknown_clause": "item {item}: unknown clause {clause} (clauses: {known})",
    "min_sample": "item {item}: at least {min} must be checked (got {got})",
    "failed_exceeds": "item {item}: failed ({failed}) must not exceed checked ({checked})",
    "answer_object": "item {item}: answer must be an object",
    "unknown_fields": "item {item}: unknown answer field(s) {fields}",
    "result": "item {item}: result must be pass or fail (got {got})",
    "result_na": "item {item}: result must be pass, fail or na (got {got})",
    "points_range": "item {item}: points must be from 0 to {max} (got {got})",
    "points_step": "item {item}: points must be a multiple of {step} (got {got})",
    "answers_object": "answers must be an object keyed by item id",
    "unknown_item": "item {item}: unknown item id for checklist {checklist}",
    "no_answer": "item {item}: no answer",
}


class ScoringError(ValueError):
    """An answer set that cannot be scored. ``item_id`` names the offending item when there is one; ``code``
    and ``params`` say why as data (a key of :data:`REFUSALS_EN`), ``str()`` says it in English."""

    def __init__(self, code: str, item_id: str | None = None, /, **params: Any):
        self.item_id = item_id
        self.code = code
        self.params = {"item": item_id, **params} if item_id is not None else params
        super().__init__(REFUSALS_EN[code].format(**self.params))


@dataclass(frozen=True, slots=True)
class ItemScore:
    """One item's figures. Bonus and penalty items award nothing and count in no points figure:
    what they add or take is in ``bonus`` / ``penalty``."""

    id: str
    section_id: str
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    na: bool
    failed: bool
    group_id: str | None = None
    bonus: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class GroupScore:
    id: str
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    percent_exact: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        return round_half_up(self.percent_exact)


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    awarded: Decimal
    applicable: Decimal
    possible: Decimal
    percent_exact: Decimal | None
    critical_failed: bool
    groups: tuple[GroupScore, ...] = ()

    @property
    def percent(self) -> Decimal | None:
        return round_half_up(self.percent_exact)


def _percent_number(p: Decimal | None) -> float | None:
    return None if p is None else float(p)


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
    bonus: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)

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
            "percent": _percent_number(self.percent),
            "grade": self.grade,
            "critical_failed": self.critical_failed,
            "sections": [
                {
                    "id": s.id,
                    "awarded": number(s.awarded),
                    "applicable": number(s.applicable),
                    "percent": _percent_number(s.percent),
                    "groups": [
                        {"id": g.id, "awarded": number(g.awarded), "applicable": number(g.applicable),
                         "percent": _percent_number(g.percent)}
                        for g in s.groups
                    ],
                }
                for s in self.sections
            ],
            "bonus": number(self.bonus),
            "penalty": number(self.penalty),
            "failed_items": list(self.failed_items),
        }


def number(d: Decimal) -> int | float:
    """A decimal as a JSON number: whole numbers as int, others as float."""
    return int(d) if d == d.to_integral_value() else float(d)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one answer gives: item points awarded, or (bonus/penalty) what it adds or takes."""

    awarded: Decimal
    na: bool
    failed: bool
    bonus: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)


ZERO = Decimal(0)


def _na(item: Item, answer: Mapping[str, Any]) -> bool:
    if answer.get("result") != "na":
        return False
    if not item.na:
        raise ScoringError("na_not_allowed", item.id)
    if set(answer) - {"result", "note"}:
        raise ScoringError("na_alone", item.id)
    return True


def _whole(item: Item, answer: Mapping[str, Any], key: str, clause: bool = False) -> Decimal:
    value = answer[key]
    n = as_decimal(value)
    if n is None or n < 0 or n != n.to_integral_value():
        if clause:
            raise ScoringError("clause_whole", item.id, clause=key, got=short_repr(value))
        raise ScoringError("whole", item.id, key=key, got=short_repr(value))
    return n


def _expect(item: Item, answer: Mapping[str, Any], key: str) -> None:
    if "result" in answer or key not in answer:
        if key == "counts":
            raise ScoringError("shape_clauses", item.id, shape=key_shape(key))
        raise ScoringError("shape", item.id, scoring=item.scoring, shape=key_shape(key))


def key_shape(key: str) -> str:
    return {"count": '"count": n', "counts": '"counts": {"a": n, ...}', "points": '"points": x',
            "checked": '"checked": n, "failed": k'}[key]


def _deduct_rules(item: Item, answer: Mapping[str, Any]) -> Outcome:
    _expect(item, answer, "counts")
    counts = answer["counts"]
    if not isinstance(counts, Mapping):
        raise ScoringError("counts_object", item.id)
    lost = ZERO
    takes_all = False
    for rule_id in counts:
        rule = item.rule(rule_id) if isinstance(rule_id, str) else None
        if rule is None:
            known = ", ".join(r.id for r in item.rules)
            raise ScoringError("unknown_clause", item.id, clause=short_repr(rule_id), known=known)
        n = _whole(item, counts, rule_id, clause=True)
        if rule.per is None:
            takes_all = takes_all or n >= 1
        else:
            lost += n * rule.per
    awarded = ZERO if takes_all else max(ZERO, item.points - lost)
    return Outcome(awarded, False, awarded < item.points)


def _sample(item: Item, answer: Mapping[str, Any]) -> Outcome:
    _expect(item, answer, "checked")
    if "failed" not in answer:
        raise ScoringError("shape", item.id, scoring="sample", shape=key_shape("checked"))
    n = _whole(item, answer, "checked")
    k = _whole(item, answer, "failed")
    if n < item.min_sample:
        raise ScoringError("min_sample", item.id, min=item.min_sample, got=str(n))
    if k > n:
        raise ScoringError("failed_exceeds", item.id, failed=str(k), checked=str(n))
    awarded = round_half_up(item.points * (n - k) / n)
    assert awarded is not None
    return Outcome(awarded, False, k > 0)


def _adjustment(item: Item, answer: Mapping[str, Any]) -> Outcome:
    _expect(item, answer, "count")
    n = _whole(item, answer, "count")
    assert item.per is not None
    amount = n * item.per
    if item.max is not None:
        amount = min(amount, item.max)
    if item.scoring == "bonus":
        return Outcome(ZERO, False, False, bonus=amount)
    return Outcome(ZERO, False, n > 0, penalty=amount)


def evaluate(item: Item, answer: Any) -> Outcome:
    """Everything one answer gives for one item. Raises :class:`ScoringError` naming the item."""
    if not isinstance(answer, Mapping):
        raise ScoringError("answer_object", item.id)
    unknown = set(answer) - ANSWER_KEYS
    if unknown:
        raise ScoringError("unknown_fields", item.id, fields=short_repr(", ".join(sorted(map(str, unknown))))[1:-1])
    if _na(item, answer):
        return Outcome(ZERO, True, False)
    if item.scoring == "pass_fail":
        result = answer.get("result")
        if result == "pass":
            return Outcome(item.points, False, False)
        if result == "fail":
            return Outcome(ZERO, False, True)
        raise ScoringError("result_na" if item.na else "result", item.id, got=short_repr(result))
    if item.scoring == "deduct":
        if item.rules:
            return _deduct_rules(item, answer)
        _expect(item, answer, "count")
        count = _whole(item, answer, "count")
        assert item.per is not None
        awarded = max(ZERO, item.points - count * item.per)
        return Outcome(awarded, False, awarded < item.points)
    if item.scoring == "sample":
        return _sample(item, answer)
    if item.scoring in ("bonus", "penalty"):
        return _adjustment(item, answer)
    # scale
    _expect(item, answer, "points")
    x = as_decimal(answer["points"])
    if x is None or x < 0 or x > item.points:
        raise ScoringError("points_range", item.id, max=str(item.points), got=short_repr(answer["points"]))
    if (x / item.step) != (x / item.step).to_integral_value():
        raise ScoringError("points_step", item.id, step=str(item.step), got=short_repr(answer["points"]))
    return Outcome(x, False, x < item.points)


def score_item(item: Item, answer: Any) -> tuple[Decimal, bool]:
    """Awarded points for one answer and whether it is N/A. Raises :class:`ScoringError`.

    Bonus and penalty items award no points (see :func:`evaluate` for what they add or take).
    """
    outcome = evaluate(item, answer)
    return outcome.awarded, outcome.na


def _percent(awarded: Decimal, applicable: Decimal) -> Decimal | None:
    return None if applicable == 0 else awarded / applicable * HUNDRED


def score(checklist: Checklist, answers: Mapping[str, Any]) -> ScoreResult:
    """Score one complete answer set. Every item needs an answer; unknown ids are errors."""
    if not isinstance(answers, Mapping):
        raise ScoringError("answers_object")
    for item_id in answers:
        if not isinstance(item_id, str) or not checklist.has_item(item_id):
            raise ScoringError("unknown_item", str(item_id)[:80], checklist=checklist.id)

    item_scores: list[ItemScore] = []
    section_scores: list[SectionScore] = []
    checklist_critical = False
    bonus = penalty = ZERO
    for section in checklist.sections:
        awarded = applicable = ZERO
        section_critical = False
        group_sums: dict[str, list[Decimal]] = {g.id: [ZERO, ZERO] for g in section.groups}
        for item in section.items:
            if item.id not in answers:
                raise ScoringError("no_answer", item.id)
            got = evaluate(item, answers[item.id])
            its = ItemScore(item.id, section.id, got.awarded, ZERO if got.na else item.points, item.points, got.na,
                            got.failed, item.group, got.bonus, got.penalty)
            item_scores.append(its)
            awarded += its.awarded
            applicable += its.applicable
            bonus += got.bonus
            penalty += got.penalty
            if item.group is not None:
                sums = group_sums[item.group]
                sums[0] += its.awarded
                sums[1] += its.applicable
            if its.failed and item.critical == "section":
                section_critical = True
            if its.failed and item.critical == "checklist":
                checklist_critical = True
        if section_critical:
            awarded = ZERO
        groups = tuple(
            GroupScore(g.id, group_sums[g.id][0], group_sums[g.id][1], g.points,
                       _percent(group_sums[g.id][0], group_sums[g.id][1]))
            for g in section.groups
        )
        section_scores.append(
            SectionScore(section.id, awarded, applicable, section.points, _percent(awarded, applicable),
                         section_critical, groups)
        )

    total_applicable = sum((s.applicable for s in section_scores), ZERO)
    total_awarded = sum((s.awarded for s in section_scores), ZERO) + bonus - penalty
    total_awarded = min(max(total_awarded, ZERO), total_applicable)
    if checklist_critical:
        total_awarded = ZERO
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
        bonus=bonus,
        penalty=penalty,
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
    copy = checklist.map_items(lambda i: replace(i, na=True))
    if len(_NA_COPIES) >= _NA_COPIES_MAX:
        _NA_COPIES.clear()
    _NA_COPIES[id(checklist)] = (checklist, copy)
    return copy
