"""Monthly scorecards for staff and sites (GitHub issue "Monthly scorecard review").

Pure functions, no I/O apart from :func:`load_scorecard_rules`.

Definitions, for a subject S (a staff member or a site) and a calendar month M of the
shift date (already the Asia/Shanghai local date):

* ``s_k``: mean of the percents of S's SUPERVISOR inspections of checklist kind ``k`` in M.
  Null percents (nothing scorable) are skipped; a kind whose percents are all null has no ``s_k``.
* ``score`` = sum(w_k * s_k) / sum(w_k) over the kinds with a positive weight that have an ``s_k``;
  ``coverage`` = that sum(w_k) / sum of all weights of the subject type.  No such kind ->
  score ``None``, grade ``None``, coverage 0.
* ``grade``: from the exact (unrounded) score through the subject type's bands.
* ``delta`` = score(M) - score(M-1) when both exist.
* ``inspections``: the number of S's supervisor inspections in M of a kind with a positive weight
  (an inspection whose percent is null still counts: it was carried out).  This is the count
  compared with ``min_inspections``.
* ``rank``: competition ranking (1, 1, 3) on the exact score among the subjects of the type that
  have a score and at least ``min_inspections`` inspections; the others get rank ``None``.
* Self-checks sit beside the score and never enter it: ``self_checks`` (count in M, any kind),
  ``self_mean`` (mean of their non-null percents) and ``self_gap`` (see :class:`ScorecardRow`).

All arithmetic is done on exact fractions; each reported figure is converted to ``Decimal`` once
(28 significant digits, as ``Decimal`` division under the default context).  Rounding for display
(half-up, 2 places) only happens in the ``*_display`` properties and :meth:`ScorecardRow.to_dict`.

There is one implementation: :func:`monthly_scorecard` aggregates the inspection figures into
:class:`KindAggregate` rows and calls :func:`monthly_scorecard_from_aggregates`, which the app can
also feed from a monthly roll-up table.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import MAX_PREC, ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from scoring import safe_yaml
from scoring.grades import GradeBand, round_half_up, sort_bands
from scoring.safe_yaml import short_repr

SUBJECT_TYPES: tuple[str, ...] = ("staff", "site")
KINDS: tuple[str, ...] = ("appearance", "safety", "training", "standard", "workflow")
INSPECTION_KINDS: tuple[str, ...] = ("supervisor", "self_check")
SUPERVISOR = "supervisor"
SELF_CHECK = "self_check"

# Context of every Decimal division that produces a reported figure (same as Python's default).
_FIGURE_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
# Sums of percents must stay exact: a wide precision, and an error (never a silent rounding) if not.
_SUM_CONTEXT = Context(prec=60, traps=[Inexact, InvalidOperation])
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --------------------------------------------------------------------------------------------
# Months
# --------------------------------------------------------------------------------------------


def month_of(d: date) -> str:
    """Calendar month ``'YYYY-MM'`` of a shift date (already the Asia/Shanghai local date)."""
    return f"{d.year:04d}-{d.month:02d}"


def _parse_month(month: str) -> tuple[int, int]:
    if isinstance(month, str):
        return _parse_month_str(month)
    raise TypeError(f"month must be a 'YYYY-MM' string, got {month!r}")


@lru_cache(maxsize=1024)
def _parse_month_str(month: str) -> tuple[int, int]:
    if not isinstance(month, str):
        raise TypeError(f"month must be a 'YYYY-MM' string, got {month!r}")
    m = _MONTH_RE.match(month)
    if m is None:
        raise ValueError(f"month must be 'YYYY-MM', got {month!r}")
    return int(m.group(1)), int(m.group(2))


def previous_month(month: str) -> str:
    """``'2026-01'`` -> ``'2025-12'``."""
    year, mon = _parse_month(month)
    if mon == 1:
        return f"{year - 1:04d}-12"
    return f"{year:04d}-{mon - 1:02d}"


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


#: Every rule of a scorecard rules file, by code: the English text (``str.format`` with named fields). The app's
#: message catalogue has ``scorecard_rules.<code>`` with the same fields in every language.
RULES_EN = {
    "root_mapping": "must be a mapping with version, staff, site",
    "unknown_key": "unknown key (allowed: {allowed})",
    "required": "is required",
    "version": "must be a non-empty string, quote it (got {got})",
    "subject_mapping": "must be a mapping with weights, min_inspections, grades",
    "weights_mapping": "must be a mapping of checklist kind to weight",
    "unknown_kind": "unknown checklist kind (known: {known})",
    "weight": "weight must be a number >= 0 (got {got})",
    "positive_weight": "at least one kind must have a positive weight",
    "min_inspections": "must be an integer >= 0 (got {got})",
    "grades_list": "must be a non-empty list of {{grade, min}}",
    "band_mapping": "must be a mapping with exactly the keys grade and min",
    "grade_text": "must be a non-empty string (got {got})",
    "band_min": "must be a number between 0 and 100 (got {got})",
    "duplicate_grade": "duplicate grade {got}",
    "duplicate_min": "duplicate min {got}",
    "lowest_band": "the lowest band must have min 0 so that every score gets a grade",
    "unreadable": "cannot be read ({detail})",
    "invalid_yaml": "is not valid YAML ({detail})",
}


class ScorecardRulesError(ValueError):
    """A scorecard rules file breaks a rule; names the file, the key and the rule (``rule``: English;
    ``code`` and ``params``: the same as data, a key of :data:`RULES_EN`)."""

    def __init__(self, source: str, key: str, code: str, **params: Any) -> None:
        self.source = source
        self.key = key
        self.code = code
        self.params = params
        self.rule = RULES_EN[code].format(**params)
        super().__init__(f"{source}: {key}: {self.rule}")


@dataclass(frozen=True, slots=True)
class SubjectRules:
    """Scorecard rules of one subject type."""

    weights: Mapping[str, Decimal]
    min_inspections: int
    bands: tuple[GradeBand, ...]

    @property
    def total_weight(self) -> Decimal:
        return sum(self.weights.values(), Decimal(0))

    @property
    def weighted_kinds(self) -> tuple[str, ...]:
        """Kinds with a positive weight, in :data:`KINDS` order."""
        return tuple(k for k in KINDS if self.weights.get(k, Decimal(0)) > 0)


@dataclass(frozen=True, slots=True)
class ScorecardRules:
    version: str
    staff: SubjectRules
    site: SubjectRules

    def for_subject(self, subject_type: str) -> SubjectRules:
        if subject_type == "staff":
            return self.staff
        if subject_type == "site":
            return self.site
        raise ValueError(f"subject_type must be one of {SUBJECT_TYPES}, got {subject_type!r}")


def _number(value: Any, source: str, key: str, code: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScorecardRulesError(source, key, code, got=short_repr(value))
    if isinstance(value, float) and not math.isfinite(value):
        raise ScorecardRulesError(source, key, code, got=short_repr(value))
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ScorecardRulesError(source, key, code, got=short_repr(value))
    return number


def _parse_subject(data: Any, source: str, prefix: str) -> SubjectRules:
    if not isinstance(data, dict):
        raise ScorecardRulesError(source, prefix, "subject_mapping")
    allowed = {"weights", "min_inspections", "grades"}
    for key in data:
        if key not in allowed:
            raise ScorecardRulesError(source, f"{prefix}.{key}", "unknown_key", allowed=", ".join(sorted(allowed)))
    for key in ("weights", "min_inspections", "grades"):
        if key not in data:
            raise ScorecardRulesError(source, f"{prefix}.{key}", "required")

    raw_weights = data["weights"]
    if not isinstance(raw_weights, dict):
        raise ScorecardRulesError(source, f"{prefix}.weights", "weights_mapping")
    weights: dict[str, Decimal] = {}
    for kind, raw in raw_weights.items():
        key = f"{prefix}.weights.{kind}"
        if kind not in KINDS:
            raise ScorecardRulesError(source, key, "unknown_kind", known=", ".join(KINDS))
        weight = _number(raw, source, key, "weight")
        if weight < 0:
            raise ScorecardRulesError(source, key, "weight", got=short_repr(raw))
        weights[kind] = weight
    if not any(w > 0 for w in weights.values()):
        raise ScorecardRulesError(source, f"{prefix}.weights", "positive_weight")

    min_inspections = data["min_inspections"]
    if isinstance(min_inspections, bool) or not isinstance(min_inspections, int) or min_inspections < 0:
        raise ScorecardRulesError(source, f"{prefix}.min_inspections", "min_inspections",
                                  got=short_repr(min_inspections))

    raw_grades = data["grades"]
    if not isinstance(raw_grades, list) or not raw_grades:
        raise ScorecardRulesError(source, f"{prefix}.grades", "grades_list")
    bands: list[GradeBand] = []
    for i, item in enumerate(raw_grades):
        key = f"{prefix}.grades[{i}]"
        if not isinstance(item, dict) or set(item) != {"grade", "min"}:
            raise ScorecardRulesError(source, key, "band_mapping")
        grade = item["grade"]
        if not isinstance(grade, str) or not grade.strip():
            raise ScorecardRulesError(source, f"{key}.grade", "grade_text", got=short_repr(grade))
        low = _number(item["min"], source, f"{key}.min", "band_min")
        if not Decimal(0) <= low <= Decimal(100):
            raise ScorecardRulesError(source, f"{key}.min", "band_min", got=short_repr(item["min"]))
        if any(b.grade == grade for b in bands):
            raise ScorecardRulesError(source, f"{key}.grade", "duplicate_grade", got=short_repr(grade))
        if any(b.min == low for b in bands):
            raise ScorecardRulesError(source, f"{key}.min", "duplicate_min", got=short_repr(item["min"]))
        bands.append(GradeBand(grade, low))
    ordered = sort_bands(bands)
    if ordered[-1].min != 0:
        raise ScorecardRulesError(source, f"{prefix}.grades", "lowest_band")
    return SubjectRules(weights=MappingProxyType(weights), min_inspections=min_inspections, bands=ordered)


def parse_scorecard_rules(data: Any, *, source: str = "<scorecard rules>") -> ScorecardRules:
    """Validate already-parsed YAML/JSON data; errors name ``source``, the key and the rule."""
    if not isinstance(data, dict):
        raise ScorecardRulesError(source, "<root>", "root_mapping")
    allowed = {"version", *SUBJECT_TYPES}
    for key in data:
        if key not in allowed:
            raise ScorecardRulesError(source, str(key)[:60], "unknown_key", allowed=", ".join(sorted(allowed)))
    for key in ("version", *SUBJECT_TYPES):
        if key not in data:
            raise ScorecardRulesError(source, key, "required")
    version = data["version"]
    if not isinstance(version, str) or not version.strip():
        raise ScorecardRulesError(source, "version", "version", got=short_repr(version))
    return ScorecardRules(
        version=version,
        staff=_parse_subject(data["staff"], source, "staff"),
        site=_parse_subject(data["site"], source, "site"),
    )


def load_scorecard_rules(path: str | Path) -> ScorecardRules:
    """Load and validate ``checklists/scorecard.yaml`` (or another file of the same shape)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScorecardRulesError(source, "<file>", "unreadable", detail=str(exc)) from exc
    try:
        data = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        raise ScorecardRulesError(source, "<file>", "invalid_yaml", detail=str(exc)) from exc
    return parse_scorecard_rules(data, source=source)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _check_decimal(name: str, value: object) -> None:
    if type(value) is Decimal and value.is_finite():  # the common case, checked cheaply
        return
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__} {value!r}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value!r}")


@dataclass(frozen=True, slots=True)
class InspectionFigure:
    """One submitted inspection: its subject, checklist and exact percent (``None``: nothing scorable)."""

    subject_type: str
    subject_id: str
    checklist_id: str
    kind: str
    inspection_kind: str
    shift_date: date
    percent: Decimal | None

    def __post_init__(self) -> None:
        _check_choice("subject_type", self.subject_type, SUBJECT_TYPES)
        _check_choice("kind", self.kind, KINDS)
        _check_choice("inspection_kind", self.inspection_kind, INSPECTION_KINDS)
        if not isinstance(self.shift_date, date):
            raise TypeError(f"shift_date must be a date, got {self.shift_date!r}")
        if self.percent is not None:
            _check_decimal("percent", self.percent)

    @property
    def month(self) -> str:
        return month_of(self.shift_date)


@dataclass(frozen=True, slots=True)
class KindAggregate:
    """A roll-up of inspections sharing subject, month, kind, inspection kind and checklist.

    ``count``: inspections; ``percent_count``: those with a non-null percent; ``percent_sum``:
    the sum of those percents.  Several rows with the same key are simply added together.
    """

    subject_type: str
    subject_id: str
    month: str
    kind: str
    inspection_kind: str
    checklist_id: str
    count: int
    percent_sum: Decimal
    percent_count: int

    def __post_init__(self) -> None:
        _check_choice("subject_type", self.subject_type, SUBJECT_TYPES)
        _check_choice("kind", self.kind, KINDS)
        _check_choice("inspection_kind", self.inspection_kind, INSPECTION_KINDS)
        _parse_month(self.month)
        _check_decimal("percent_sum", self.percent_sum)
        for name in ("count", "percent_count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {value!r}")
        if self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")
        if not 0 <= self.percent_count <= self.count:
            raise ValueError(f"percent_count must be between 0 and count, got {self.percent_count}")
        if self.percent_count == 0 and self.percent_sum != 0:
            raise ValueError("percent_sum must be 0 when percent_count is 0")


def aggregate_figures(figures: Iterable[InspectionFigure]) -> list[KindAggregate]:
    """Roll inspection figures up into one :class:`KindAggregate` per key (sums are exact)."""
    groups: dict[tuple[str, str, str, str, str, str], list[InspectionFigure]] = {}
    for f in figures:
        key = (f.subject_type, f.subject_id, f.month, f.kind, f.inspection_kind, f.checklist_id)
        groups.setdefault(key, []).append(f)
    result: list[KindAggregate] = []
    with localcontext() as ctx:
        # Exact addition: enough precision for any sum, and fail loudly rather than round.
        ctx.prec = MAX_PREC
        ctx.traps[Inexact] = True
        for key in sorted(groups):
            members = groups[key]
            percents = [f.percent for f in members if f.percent is not None]
            total = sum(percents, Decimal(0))
            result.append(
                KindAggregate(*key, count=len(members), percent_sum=total, percent_count=len(percents))
            )
    return result


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _display(value: Decimal | None) -> Decimal | None:
    return round_half_up(value)


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    """One subject's monthly scorecard.  Figures are exact; ``*_display`` are half-up, 2 places.

    ``self_gap``: over the checklists that have, for this subject in this month, both a self-check
    and a supervisor inspection with a non-null percent: (mean of the self-check percents on those
    checklists) - (mean of the supervisor percents on those checklists), each a plain mean over
    inspections.  ``None`` when no checklist overlaps.
    """

    subject_type: str
    subject_id: str
    month: str
    score: Decimal | None
    grade: str | None
    coverage: Decimal
    rank: int | None
    delta: Decimal | None
    inspections: int
    kinds: dict[str, Decimal] = field(default_factory=dict)
    self_checks: int = 0
    self_mean: Decimal | None = None
    self_gap: Decimal | None = None

    @property
    def score_display(self) -> Decimal | None:
        return _display(self.score)

    @property
    def delta_display(self) -> Decimal | None:
        return _display(self.delta)

    @property
    def coverage_percent_display(self) -> Decimal:
        value = _display(self.coverage * 100)
        assert value is not None
        return value

    @property
    def self_mean_display(self) -> Decimal | None:
        return _display(self.self_mean)

    @property
    def self_gap_display(self) -> Decimal | None:
        return _display(self.self_gap)

    def to_dict(self) -> dict[str, Any]:
        """Display values (half-up to 2 places); coverage as a percent."""
        return {
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "month": self.month,
            "rank": self.rank,
            "score": self.score_display,
            "grade": self.grade,
            "coverage_percent": self.coverage_percent_display,
            "delta": self.delta_display,
            "inspections": self.inspections,
            "kinds": {k: _display(v) for k, v in self.kinds.items()},
            "self_checks": self.self_checks,
            "self_mean": self.self_mean_display,
            "self_gap": self.self_gap_display,
        }


# --------------------------------------------------------------------------------------------
# The one implementation
# --------------------------------------------------------------------------------------------


@dataclass
class _Sums:
    count: int = 0
    total_dec: Decimal = Decimal(0)  # exact: sums run under _SUM_CONTEXT, which traps inexact results
    n: int = 0  # non-null percents

    def add(self, agg: KindAggregate) -> None:
        self.count += agg.count
        self.total_dec = _SUM_CONTEXT.add(self.total_dec, agg.percent_sum)
        self.n += agg.percent_count

    @property
    def total(self) -> Fraction:
        return Fraction(self.total_dec)

    def mean(self) -> Fraction | None:
        if not self.n:
            return None
        num, den = self.total_dec.as_integer_ratio()
        return Fraction(num, den * self.n)  # one normalisation instead of two


@dataclass
class _SubjectMonth:
    supervisor_by_kind: dict[str, _Sums] = field(default_factory=dict)
    supervisor_by_checklist: dict[str, _Sums] = field(default_factory=dict)
    self_by_checklist: dict[str, _Sums] = field(default_factory=dict)


@dataclass(frozen=True)
class _Score:
    kind_means: dict[str, Fraction]
    score: Fraction | None
    coverage: Fraction
    inspections: int


_Index = dict[tuple[str, str], _SubjectMonth]  # (month, subject_id) -> sums


def _index(aggregates: Iterable[KindAggregate], subject_type: str) -> _Index:
    index: _Index = {}
    for agg in aggregates:
        if not isinstance(agg, KindAggregate):
            raise TypeError(f"expected KindAggregate, got {type(agg).__name__}")
        if agg.subject_type != subject_type:
            continue
        sm = index.setdefault((agg.month, agg.subject_id), _SubjectMonth())
        if agg.inspection_kind == SUPERVISOR:
            sm.supervisor_by_kind.setdefault(agg.kind, _Sums()).add(agg)
            sm.supervisor_by_checklist.setdefault(agg.checklist_id, _Sums()).add(agg)
        else:
            sm.self_by_checklist.setdefault(agg.checklist_id, _Sums()).add(agg)
    return index


def _fraction_weights(rules: SubjectRules) -> dict[str, Fraction]:
    return {k: Fraction(rules.weights[k]) for k in rules.weighted_kinds}


_ONE = Fraction(1)


def _score(sm: _SubjectMonth | None, rules: SubjectRules, weights: dict[str, Fraction] | None = None,
           *, all_kinds: bool = True, total: Fraction | None = None) -> _Score:
    """A subject's month. ``all_kinds=False`` (previous month, for the delta) skips unweighted kind means."""
    if sm is None:
        return _Score({}, None, Fraction(0), 0)
    weights = weights if weights is not None else _fraction_weights(rules)
    by_kind = sm.supervisor_by_kind
    kind_means: dict[str, Fraction] = {}
    for kind, sums in by_kind.items():
        if all_kinds or kind in weights:
            mean = sums.mean()
            if mean is not None:
                kind_means[kind] = mean
    present = [k for k in weights if k in kind_means]  # weights: the weighted kinds, in KINDS order
    if not present:
        score: Fraction | None = None
        covered = Fraction(0)
    elif len(present) == 1:  # one kind: the score is its mean (the weight cancels)
        score, covered = kind_means[present[0]], weights[present[0]]
    else:
        covered = sum((weights[k] for k in present), Fraction(0))
        score = sum((weights[k] * kind_means[k] for k in present), Fraction(0)) / covered
    inspections = sum(by_kind[k].count for k in weights if k in by_kind)
    total = Fraction(rules.total_weight) if total is None else total
    return _Score(kind_means, score, _ONE if covered == total else covered / total, inspections)



def _grade(bands: Sequence[GradeBand], score: Fraction | None) -> str | None:
    """Highest band whose min <= the exact score (compared as exact fractions)."""
    return _grader(bands)(score)


def _grader(bands: Sequence[GradeBand]) -> Callable[[Fraction | None], str | None]:
    """:func:`_grade` with the bands sorted and converted once."""
    ordered = [(Fraction(b.min), b.grade) for b in sort_bands(bands)]

    def grade(score: Fraction | None) -> str | None:
        if score is None:
            return None
        for low, name in ordered:
            if low <= score:
                return name
        return ordered[-1][1] if ordered else None

    return grade


def _dec(value: Fraction) -> Decimal:
    return _FIGURE_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _opt_dec(value: Fraction | None) -> Decimal | None:
    return None if value is None else _dec(value)


def _mean_of(parts: Iterable[_Sums]) -> Fraction | None:
    """Mean over inspections of several sums (exact)."""
    merged = _Sums()
    for s in parts:
        merged.total_dec = _SUM_CONTEXT.add(merged.total_dec, s.total_dec)
        merged.n += s.n
    return merged.mean()


def _self_figures(sm: _SubjectMonth) -> tuple[int, Fraction | None, Fraction | None]:
    if not sm.self_by_checklist:
        return 0, None, None
    self_count = sum(s.count for s in sm.self_by_checklist.values())
    self_mean = _mean_of(sm.self_by_checklist.values())
    overlap = [
        c
        for c, s in sm.self_by_checklist.items()
        if s.n and c in sm.supervisor_by_checklist and sm.supervisor_by_checklist[c].n
    ]
    gap: Fraction | None = None
    if overlap:
        own = _mean_of(sm.self_by_checklist[c] for c in overlap)
        sup = _mean_of(sm.supervisor_by_checklist[c] for c in overlap)
        assert own is not None and sup is not None  # every overlapping checklist has n > 0 on both sides
        gap = own - sup
    return self_count, self_mean, gap


def _rows(index: _Index, rules: ScorecardRules, month: str, subject_type: str) -> list[ScorecardRow]:
    subject_rules = rules.for_subject(subject_type)
    prev = previous_month(month)
    subjects = sorted(sid for (m, sid) in index if m == month)
    weights = _fraction_weights(subject_rules)
    total = Fraction(subject_rules.total_weight)
    grade = _grader(subject_rules.bands)
    scores = {sid: _score(index[(month, sid)], subject_rules, weights, total=total) for sid in subjects}
    # Sort keys (float, exact): float() of a Fraction is correctly rounded, hence monotonic, so floats
    # never order two scores the wrong way round; equal floats fall back to the exact comparison.
    eligible = sorted(
        (float(s.score), s.score)
        for s in scores.values()
        if s.score is not None and s.inspections >= subject_rules.min_inspections
    )
    rows: list[ScorecardRow] = []
    for sid in subjects:
        sc = scores[sid]
        rank: int | None = None
        if sc.score is not None and sc.inspections >= subject_rules.min_inspections:
            # competition ranking: 1 + how many eligible scores are strictly higher
            rank = 1 + len(eligible) - bisect_right(eligible, (float(sc.score), sc.score))
        prev_score = _score(index.get((prev, sid)), subject_rules, weights, all_kinds=False, total=total).score
        delta = sc.score - prev_score if sc.score is not None and prev_score is not None else None
        self_count, self_mean, gap = _self_figures(index[(month, sid)])
        rows.append(
            ScorecardRow(
                subject_type=subject_type,
                subject_id=sid,
                month=month,
                score=_opt_dec(sc.score),
                grade=grade(sc.score),
                coverage=_dec(sc.coverage),
                rank=rank,
                delta=_opt_dec(delta),
                inspections=sc.inspections,
                kinds={k: _dec(v) for k, v in sc.kind_means.items()},
                self_checks=self_count,
                self_mean=_opt_dec(self_mean),
                self_gap=_opt_dec(gap),
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.subject_id))
    return rows


def monthly_scorecard_from_aggregates(
    aggregates: Iterable[KindAggregate], *, rules: ScorecardRules, month: str, subject_type: str
) -> list[ScorecardRow]:
    """Scorecard rows of every subject of ``subject_type`` with any inspection in ``month``.

    Rows with a rank come first (by rank, then subject_id), then the unranked by subject_id.
    Aggregates of other subject types and months are ignored (except month-1, used for delta).
    """
    _parse_month(month)
    _check_choice("subject_type", subject_type, SUBJECT_TYPES)
    return _rows(_index(aggregates, subject_type), rules, month, subject_type)


def monthly_scorecard(
    figures: Iterable[InspectionFigure], *, rules: ScorecardRules, month: str, subject_type: str
) -> list[ScorecardRow]:
    """Same as :func:`monthly_scorecard_from_aggregates` on :func:`aggregate_figures` of ``figures``."""
    return monthly_scorecard_from_aggregates(
        aggregate_figures(figures), rules=rules, month=month, subject_type=subject_type
    )


def _as_aggregates(data: Iterable[InspectionFigure | KindAggregate]) -> list[KindAggregate]:
    figures: list[InspectionFigure] = []
    aggregates: list[KindAggregate] = []
    for item in data:
        if isinstance(item, InspectionFigure):
            figures.append(item)
        elif isinstance(item, KindAggregate):
            aggregates.append(item)
        else:
            raise TypeError(f"expected InspectionFigure or KindAggregate, got {type(item).__name__}")
    return aggregates + aggregate_figures(figures)


def trend(
    data: Iterable[InspectionFigure | KindAggregate],
    rules: ScorecardRules,
    subject_type: str,
    subject_id: str,
    months: Sequence[str],
) -> list[tuple[str, Decimal | None]]:
    """``(month, exact score or None)`` for each month, in the given order (e.g. a 12-month chart)."""
    _check_choice("subject_type", subject_type, SUBJECT_TYPES)
    for m in months:
        _parse_month(m)
    subject_rules = rules.for_subject(subject_type)
    index = _index(_as_aggregates(data), subject_type)
    return [(m, _opt_dec(_score(index.get((m, subject_id)), subject_rules).score)) for m in months]


__all__ = [
    "INSPECTION_KINDS",
    "KINDS",
    "SUBJECT_TYPES",
    "InspectionFigure",
    "KindAggregate",
    "ScorecardRow",
    "ScorecardRules",
    "ScorecardRulesError",
    "SubjectRules",
    "aggregate_figures",
    "load_scorecard_rules",
    "month_of",
    "monthly_scorecard",
    "monthly_scorecard_from_aggregates",
    "parse_scorecard_rules",
    "previous_month",
    "trend",
]
