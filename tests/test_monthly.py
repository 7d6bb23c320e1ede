"""Monthly scorecard rules and figures (scoring/monthly.py)."""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.grades import GradeBand
from scoring.monthly import (
    InspectionFigure,
    KindAggregate,
    ScorecardRow,
    ScorecardRules,
    ScorecardRulesError,
    aggregate_figures,
    load_scorecard_rules,
    month_of,
    monthly_scorecard,
    monthly_scorecard_from_aggregates,
    parse_scorecard_rules,
    previous_month,
    trend,
)

SCORECARD_YAML = Path(__file__).resolve().parents[1] / "checklists" / "scorecard.yaml"

BANDS = [
    {"grade": "优秀", "min": 90},
    {"grade": "良好", "min": 80},
    {"grade": "合格", "min": 60},
    {"grade": "不合格", "min": 0},
]


def rules_data(
    *,
    staff_weights: dict[str, Any] | None = None,
    site_weights: dict[str, Any] | None = None,
    staff_min: int = 0,
    site_min: int = 0,
) -> dict[str, Any]:
    return {
        "version": "test",
        "staff": {
            "weights": staff_weights if staff_weights is not None else {"appearance": 1},
            "min_inspections": staff_min,
            "grades": copy.deepcopy(BANDS),
        },
        "site": {
            "weights": site_weights
            if site_weights is not None
            else {"standard": 5, "workflow": 2, "safety": 2, "training": 1, "appearance": 0},
            "min_inspections": site_min,
            "grades": copy.deepcopy(BANDS),
        },
    }


def make_rules(**kwargs: Any) -> ScorecardRules:
    return parse_scorecard_rules(rules_data(**kwargs))


RULES = make_rules()
MONTH = "2026-03"
DAY = date(2026, 3, 10)


def D(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def fig(
    subject: str,
    percent: str | int | None,
    *,
    kind: str = "appearance",
    checklist: str | None = None,
    insp: str = "supervisor",
    day: date = DAY,
    st_: str = "staff",
) -> InspectionFigure:
    return InspectionFigure(
        subject_type=st_,
        subject_id=subject,
        checklist_id=checklist or f"{kind}-1",
        kind=kind,
        inspection_kind=insp,
        shift_date=day,
        percent=D(percent),
    )


def site_fig(subject: str, kind: str, percent: str | int | None, **kw: Any) -> InspectionFigure:
    return fig(subject, percent, kind=kind, st_="site", **kw)


def one_row(
    figures: list[InspectionFigure],
    *,
    subject_type: str = "staff",
    rules: ScorecardRules = RULES,
    month: str = MONTH,
) -> ScorecardRow:
    rows = monthly_scorecard(figures, rules=rules, month=month, subject_type=subject_type)
    assert len(rows) == 1
    return rows[0]


# --------------------------------------------------------------------------------------------
# Months
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2026, 1, 1), "2026-01"),
        (date(2025, 12, 31), "2025-12"),
        (date(2026, 2, 28), "2026-02"),
        (date(2024, 2, 29), "2024-02"),
        (date(999, 7, 4), "0999-07"),
    ],
)
def test_month_of(day: date, month: str) -> None:
    assert month_of(day) == month


@pytest.mark.parametrize(
    ("month", "previous"),
    [("2026-01", "2025-12"), ("2026-03", "2026-02"), ("2026-12", "2026-11"), ("2000-10", "2000-09")],
)
def test_previous_month(month: str, previous: str) -> None:
    assert previous_month(month) == previous


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", ""])
def test_previous_month_rejects_bad_month(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        previous_month(bad)


@pytest.mark.parametrize(
    ("day", "in_january"),
    [
        (date(2025, 12, 31), False),
        (date(2026, 1, 1), True),
        (date(2026, 1, 31), True),
        (date(2026, 2, 1), False),
    ],
)
def test_month_boundaries_decide_which_month_counts(day: date, in_january: bool) -> None:
    figures = [fig("a", 70, day=date(2026, 1, 15)), fig("a", 100, day=day)]
    row = one_row(figures, month="2026-01")
    assert row.score == (Decimal(85) if in_january else Decimal(70))
    assert row.inspections == (2 if in_january else 1)


# --------------------------------------------------------------------------------------------
# Per-kind mean, nulls, weights, coverage
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percents", "mean", "inspections"),
    [
        (["80"], Decimal("80"), 1),
        (["80", "90"], Decimal("85"), 2),
        (["89.99", "90.00"], Decimal("89.995"), 2),
        (["100", "0", "50"], Decimal("50"), 3),
        (["100", None, "50"], Decimal("75"), 3),  # null skipped in the mean, counted as inspection
        (["10", "20", "20"], Decimal(50) / 3, 3),  # Decimal division, 28 digits
    ],
)
def test_per_kind_mean_of_supervisor_percents(
    percents: list[str | None], mean: Decimal, inspections: int
) -> None:
    row = one_row([fig("a", p, checklist=f"c{i}") for i, p in enumerate(percents)])
    assert row.kinds == {"appearance": mean}
    assert row.score == mean
    assert row.inspections == inspections


def test_kind_with_only_null_percents_has_no_mean() -> None:
    row = one_row([fig("a", None), fig("a", None)])
    assert row.kinds == {}
    assert (row.score, row.grade, row.coverage, row.rank) == (None, None, Decimal(0), None)
    assert row.inspections == 2


@pytest.mark.parametrize(
    ("means", "score", "coverage"),
    [
        # weights: standard 5, workflow 2, safety 2, training 1, appearance 0 (total 10)
        ({"standard": "90", "workflow": "80", "safety": "70", "training": "60"}, Decimal("81"), Decimal(1)),
        ({"standard": "90"}, Decimal("90"), Decimal("0.5")),
        ({"standard": "100", "training": "40"}, Decimal("90"), Decimal("0.6")),
        ({"workflow": "80", "safety": "60"}, Decimal("70"), Decimal("0.4")),
        ({"training": "55"}, Decimal("55"), Decimal("0.1")),
        # weight-0 kind ignored in both sums
        ({"standard": "90", "appearance": "0"}, Decimal("90"), Decimal("0.5")),
        ({"appearance": "100"}, None, Decimal(0)),
        # a kind whose percents are all null contributes neither score nor coverage
        ({"standard": "90", "safety": None}, Decimal("90"), Decimal("0.5")),
    ],
)
def test_weighted_score_and_coverage(
    means: dict[str, str | None], score: Decimal | None, coverage: Decimal
) -> None:
    figures = [site_fig("s1", k, p) for k, p in means.items()]
    row = one_row(figures, subject_type="site")
    assert row.score == score
    assert row.coverage == coverage
    assert row.kinds == {k: Decimal(p) for k, p in means.items() if p is not None}


def test_kind_absent_from_weights_is_ignored() -> None:
    rules = make_rules(staff_weights={"appearance": 1})
    row = one_row([fig("a", 90), fig("a", 10, kind="safety")], rules=rules)
    assert row.score == Decimal(90)
    assert row.coverage == Decimal(1)
    assert row.inspections == 1  # only weighted kinds count towards min_inspections
    assert row.kinds == {"appearance": Decimal(90), "safety": Decimal(10)}


def test_weight_zero_kind_does_not_count_towards_min_inspections() -> None:
    rules = make_rules(site_min=2)  # site appearance weight is 0
    figures = [
        site_fig("s1", "standard", 80),
        site_fig("s1", "appearance", 100),
        site_fig("s1", "appearance", 100, checklist="appearance-2"),
    ]
    row = one_row(figures, subject_type="site", rules=rules)
    assert (row.score, row.inspections, row.rank) == (Decimal(80), 1, None)
    assert row.kinds == {"standard": Decimal(80), "appearance": Decimal(100)}


def test_fractional_weights() -> None:
    rules = make_rules(staff_weights={"appearance": 1.5, "safety": 0.5})
    row = one_row([fig("a", 80), fig("a", 40, kind="safety")], rules=rules)
    assert row.score == Decimal(70)
    assert row.coverage == Decimal(1)


# --------------------------------------------------------------------------------------------
# Grades and display
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percents", "grade", "display"),
    [
        (["89.99", "90.00"], "良好", Decimal("90.00")),  # exact 89.995 -> 良好 although shown 90.00
        (["90"], "优秀", Decimal("90.00")),
        (["79.995"], "合格", Decimal("80.00")),
        (["80"], "良好", Decimal("80.00")),
        (["59.999"], "不合格", Decimal("60.00")),
        (["60"], "合格", Decimal("60.00")),
        (["0"], "不合格", Decimal("0.00")),
        (["100"], "优秀", Decimal("100.00")),
    ],
)
def test_grade_from_exact_score(percents: list[str], grade: str, display: Decimal) -> None:
    row = one_row([fig("a", p, checklist=f"c{i}") for i, p in enumerate(percents)])
    assert row.grade == grade
    assert row.score_display == display
    assert str(row.score_display) == str(display)


@pytest.mark.parametrize(
    ("percent", "display"),
    [
        ("89.995", "90.00"),
        ("89.994", "89.99"),
        ("66.665", "66.67"),  # half-up, not banker's (66.66)
        ("0.005", "0.01"),
        ("12.345", "12.35"),
        ("50", "50.00"),
    ],
)
def test_display_is_half_up_two_places(percent: str, display: str) -> None:
    row = one_row([fig("a", percent)])
    assert row.score == Decimal(percent)
    assert str(row.score_display) == display
    assert str(row.to_dict()["score"]) == display
    assert str(row.to_dict()["kinds"]["appearance"]) == display


def test_to_dict_display_values() -> None:
    figures = [
        site_fig("s1", "standard", "90.005"),
        site_fig("s1", "safety", "80"),
        site_fig("s1", "standard", "85", insp="self_check", checklist="standard-1"),
        site_fig("s1", "standard", "70", day=date(2026, 2, 3)),
    ]
    d = one_row(figures, subject_type="site").to_dict()
    # score = (5*90.005 + 2*80) / 7 = 87.14642857...
    assert d["score"] == Decimal("87.15")
    assert d["grade"] == "良好"
    assert d["coverage_percent"] == Decimal("70.00")
    assert d["delta"] == Decimal("17.15")
    assert d["self_mean"] == Decimal("85.00")
    assert d["self_gap"] == Decimal("-5.01")  # 85 - 90.005 = -5.005 -> half-up away from zero
    assert d["rank"] == 1
    assert d["inspections"] == 2
    assert d["self_checks"] == 1


# --------------------------------------------------------------------------------------------
# Delta
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "current_day", "previous_day", "previous_percent", "delta"),
    [
        ("2026-03", date(2026, 3, 5), date(2026, 2, 20), "70", Decimal("15")),
        ("2026-03", date(2026, 3, 5), date(2026, 2, 20), "95.5", Decimal("-10.5")),
        ("2026-01", date(2026, 1, 2), date(2025, 12, 31), "80", Decimal("5")),  # Jan -> previous Dec
        ("2026-03", date(2026, 3, 5), None, None, None),  # no previous month
        ("2026-03", date(2026, 3, 5), date(2026, 2, 20), None, None),  # previous month has no score
        ("2026-03", date(2026, 3, 5), date(2026, 1, 20), "70", None),  # two months back is not M-1
        ("2026-01", date(2026, 1, 2), date(2026, 12, 1), "70", None),  # next December is not M-1
    ],
)
def test_delta(
    month: str,
    current_day: date,
    previous_day: date | None,
    previous_percent: str | None,
    delta: Decimal | None,
) -> None:
    figures = [fig("a", 85, day=current_day)]
    if previous_day is not None:
        figures.append(fig("a", previous_percent, day=previous_day))
    row = one_row(figures, month=month)
    assert row.score == Decimal(85)
    assert row.delta == delta


def test_delta_none_when_current_month_has_no_score() -> None:
    row = one_row([fig("a", None), fig("a", 80, day=date(2026, 2, 1))])
    assert row.score is None
    assert row.delta is None


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"a": "90", "b": "90", "c": "80"}, [("a", 1), ("b", 1), ("c", 3)]),
        ({"c": "80", "b": "90", "a": "90"}, [("a", 1), ("b", 1), ("c", 3)]),
        ({"a": "70", "b": "80", "c": "90"}, [("c", 1), ("b", 2), ("a", 3)]),
        (
            {"a": "80", "b": "90", "c": "90", "d": "90", "e": "10"},
            [("b", 1), ("c", 1), ("d", 1), ("a", 4), ("e", 5)],
        ),
        ({"a": "50", "b": "50"}, [("a", 1), ("b", 1)]),
        # ties are on the exact score: 89.995 and 90.00 both display 90.00 but do not tie
        ({"a": "89.995", "b": "90.00"}, [("b", 1), ("a", 2)]),
        ({"x": "60"}, [("x", 1)]),
    ],
)
def test_competition_ranking(scores: dict[str, str], expected: list[tuple[str, int]]) -> None:
    figures = [fig(s, p) for s, p in scores.items()]
    rows = monthly_scorecard(figures, rules=RULES, month=MONTH, subject_type="staff")
    assert [(r.subject_id, r.rank) for r in rows] == expected


@pytest.mark.parametrize(
    ("counts", "min_inspections", "expected"),
    [
        # subject -> number of supervisor inspections, all at 90 (so every ranked subject ties)
        ({"a": 2, "b": 1, "c": 3}, 2, [("a", 1), ("c", 1), ("b", None)]),
        ({"a": 1, "b": 1}, 2, [("a", None), ("b", None)]),
        ({"a": 1, "b": 1}, 1, [("a", 1), ("b", 1)]),
        ({"a": 1, "b": 3}, 0, [("a", 1), ("b", 1)]),
        ({"z": 5, "a": 1, "m": 2}, 3, [("z", 1), ("a", None), ("m", None)]),
    ],
)
def test_min_inspections_unranked_listed_after(
    counts: dict[str, int], min_inspections: int, expected: list[tuple[str, int | None]]
) -> None:
    rules = make_rules(staff_min=min_inspections)
    figures = [fig(s, 90, checklist=f"c{i}") for s, n in counts.items() for i in range(n)]
    rows = monthly_scorecard(figures, rules=rules, month=MONTH, subject_type="staff")
    assert [(r.subject_id, r.rank) for r in rows] == expected
    assert {r.subject_id: r.inspections for r in rows} == counts


def test_unranked_subject_does_not_take_a_rank_from_others() -> None:
    rules = make_rules(staff_min=2)
    figures = [fig("top", 99), fig("a", 80), fig("a", 80), fig("b", 70), fig("b", 70)]
    rows = monthly_scorecard(figures, rules=rules, month=MONTH, subject_type="staff")
    assert [(r.subject_id, r.rank) for r in rows] == [("a", 1), ("b", 2), ("top", None)]
    assert rows[-1].score == Decimal(99)
    assert rows[-1].grade == "优秀"  # graded although unranked


def test_subject_without_score_is_unranked_even_above_minimum() -> None:
    rules = make_rules(staff_min=1)
    rows = monthly_scorecard([fig("a", None), fig("b", 50)], rules=rules, month=MONTH, subject_type="staff")
    assert [(r.subject_id, r.rank, r.score) for r in rows] == [("b", 1, Decimal(50)), ("a", None, None)]


def test_null_percent_inspections_count_towards_minimum() -> None:
    rules = make_rules(staff_min=2)
    row = one_row([fig("a", 75), fig("a", None, checklist="c2")], rules=rules)
    assert (row.inspections, row.rank, row.score) == (2, 1, Decimal(75))


def test_only_subjects_of_the_requested_type_and_month() -> None:
    figures = [
        fig("a", 80),
        site_fig("a", "standard", 10),
        fig("b", 70, day=date(2026, 2, 1)),
        fig("c", 60, insp="self_check"),
    ]
    rows = monthly_scorecard(figures, rules=RULES, month=MONTH, subject_type="staff")
    assert [(r.subject_id, r.score, r.rank, r.self_checks) for r in rows] == [
        ("a", Decimal(80), 1, 0),
        ("c", None, None, 1),  # any inspection, self-check included, lists the subject
    ]


# --------------------------------------------------------------------------------------------
# Self-checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "self_percents",
    [["100"], ["0"], ["100", "100", "0"], [None], ["55.5", None]],
)
def test_self_checks_never_inside_the_score(self_percents: list[str | None]) -> None:
    rules = make_rules(staff_min=2)
    base = [fig("a", 80), fig("b", 70), fig("b", 90, checklist="c2")]
    extra = [fig("a", p, insp="self_check", checklist=f"s{i}") for i, p in enumerate(self_percents)]
    before = monthly_scorecard(base, rules=rules, month=MONTH, subject_type="staff")
    after = monthly_scorecard(base + extra, rules=rules, month=MONTH, subject_type="staff")
    key = [(r.subject_id, r.score, r.grade, r.coverage, r.rank, r.inspections, r.kinds) for r in before]
    assert [
        (r.subject_id, r.score, r.grade, r.coverage, r.rank, r.inspections, r.kinds) for r in after
    ] == key
    a = next(r for r in after if r.subject_id == "a")
    assert a.rank is None  # still one supervisor inspection: self-checks do not count towards the minimum
    assert a.self_checks == len(self_percents)
    non_null = [Decimal(p) for p in self_percents if p is not None]
    assert a.self_mean == (sum(non_null) / len(non_null) if non_null else None)


@pytest.mark.parametrize(
    ("supervisor", "self_checks", "gap"),
    [
        # (checklist, percent) lists
        ([("c1", "80")], [("c1", "90")], Decimal("10")),
        ([("c1", "80")], [("c2", "90")], None),  # no common checklist
        ([("c1", "80"), ("c2", "40")], [("c1", "90"), ("c3", "10")], Decimal("10")),  # only c1 overlaps
        ([("c1", "80"), ("c2", "60")], [("c1", "90"), ("c2", "70")], Decimal("10")),
        # pooled means over inspections on the overlapping checklists
        (
            [("c1", "80"), ("c1", "60"), ("c2", "100")],
            [("c1", "75"), ("c2", "90"), ("c2", "60")],
            Decimal(225) / 3 - Decimal(240) / 3,
        ),
        ([("c1", None)], [("c1", "90")], None),  # supervisor side has no percent
        ([("c1", "80")], [("c1", None)], None),  # self side has no percent
        ([("c1", "80"), ("c1", None)], [("c1", "70"), ("c1", None)], Decimal("-10")),
        ([], [("c1", "70")], None),
    ],
)
def test_self_gap_only_over_overlapping_checklists(
    supervisor: list[tuple[str, str | None]], self_checks: list[tuple[str, str | None]], gap: Decimal | None
) -> None:
    figures = [fig("a", p, checklist=c) for c, p in supervisor]
    figures += [fig("a", p, checklist=c, insp="self_check") for c, p in self_checks]
    row = one_row(figures)
    assert row.self_gap == gap
    assert row.self_checks == len(self_checks)


def test_self_checks_of_previous_month_are_not_counted() -> None:
    figures = [fig("a", 80), fig("a", 50, insp="self_check", day=date(2026, 2, 28))]
    row = one_row(figures)
    assert (row.self_checks, row.self_mean, row.self_gap) == (0, None, None)


# --------------------------------------------------------------------------------------------
# Aggregates and trend
# --------------------------------------------------------------------------------------------


def test_aggregate_figures_sums_exactly() -> None:
    figures = [fig("a", "33.33"), fig("a", "33.34"), fig("a", None), fig("a", 50, checklist="c2")]
    aggs = aggregate_figures(figures)
    assert aggs == [
        KindAggregate(
            "staff", "a", MONTH, "appearance", "supervisor", "appearance-1", 3, Decimal("66.67"), 2
        ),
        KindAggregate("staff", "a", MONTH, "appearance", "supervisor", "c2", 1, Decimal("50"), 1),
    ]


def test_aggregates_path_matches_figures_path_on_example() -> None:
    figures = [
        site_fig("s1", "standard", "91.5"),
        site_fig("s1", "standard", "88", checklist="std-2"),
        site_fig("s1", "safety", "70"),
        site_fig("s1", "safety", "90", insp="self_check"),
        site_fig("s2", "workflow", "75"),
        site_fig("s2", "standard", "60", day=date(2026, 2, 1)),
    ]
    rollup = [
        KindAggregate("site", "s1", MONTH, "standard", "supervisor", "standard-1", 1, Decimal("91.5"), 1),
        KindAggregate("site", "s1", MONTH, "standard", "supervisor", "std-2", 1, Decimal("88"), 1),
        KindAggregate("site", "s1", MONTH, "safety", "supervisor", "safety-1", 1, Decimal("70"), 1),
        KindAggregate("site", "s1", MONTH, "safety", "self_check", "safety-1", 1, Decimal("90"), 1),
        KindAggregate("site", "s2", MONTH, "workflow", "supervisor", "workflow-1", 1, Decimal("75"), 1),
        KindAggregate("site", "s2", "2026-02", "standard", "supervisor", "standard-1", 1, Decimal("60"), 1),
    ]
    by_figures = monthly_scorecard(figures, rules=RULES, month=MONTH, subject_type="site")
    by_aggregates = monthly_scorecard_from_aggregates(rollup, rules=RULES, month=MONTH, subject_type="site")
    assert by_figures == by_aggregates
    assert [(r.subject_id, r.rank) for r in by_figures] == [("s1", 1), ("s2", 2)]
    assert by_figures[0].self_gap == Decimal(20)
    assert by_figures[1].delta == Decimal(15)  # 75 in March - 60 in February


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"count": 0, "percent_sum": Decimal(0), "percent_count": 0}, "count must be >= 1"),
        ({"count": 1, "percent_sum": Decimal(10), "percent_count": 2}, "percent_count"),
        ({"count": 1, "percent_sum": Decimal(10), "percent_count": 0}, "percent_sum must be 0"),
        ({"count": 1, "percent_sum": 10.0, "percent_count": 1}, "Decimal"),
        ({"count": 1, "percent_sum": Decimal(10), "percent_count": 1, "month": "2026-3"}, "YYYY-MM"),
        ({"count": 1, "percent_sum": Decimal(10), "percent_count": 1, "kind": "hygiene"}, "kind"),
    ],
)
def test_kind_aggregate_validation(kwargs: dict[str, Any], error: str) -> None:
    base: dict[str, Any] = {
        "subject_type": "staff",
        "subject_id": "a",
        "month": MONTH,
        "kind": "appearance",
        "inspection_kind": "supervisor",
        "checklist_id": "c1",
    }
    with pytest.raises((ValueError, TypeError), match=error):
        KindAggregate(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"percent": 90.0}, "Decimal"),
        ({"percent": Decimal("NaN")}, "finite"),
        ({"kind": "hygiene"}, "kind"),
        ({"inspection_kind": "audit"}, "inspection_kind"),
        ({"subject_type": "team"}, "subject_type"),
    ],
)
def test_inspection_figure_validation(changes: dict[str, Any], error: str) -> None:
    base: dict[str, Any] = {
        "subject_type": "staff",
        "subject_id": "a",
        "checklist_id": "c1",
        "kind": "appearance",
        "inspection_kind": "supervisor",
        "shift_date": DAY,
        "percent": Decimal(90),
    }
    with pytest.raises((ValueError, TypeError), match=error):
        InspectionFigure(**{**base, **changes})


def test_trend_reuses_monthly_scores() -> None:
    figures = [
        fig("a", 80, day=date(2025, 12, 3)),
        fig("a", 90, day=date(2026, 1, 5)),
        fig("a", 70, day=date(2026, 1, 25)),
        fig("a", None, day=date(2026, 2, 5)),
        fig("b", 10, day=date(2026, 1, 5)),
        fig("a", 0, insp="self_check", day=date(2026, 1, 6)),
    ]
    months = ["2025-11", "2025-12", "2026-01", "2026-02"]
    expected = [("2025-11", None), ("2025-12", Decimal(80)), ("2026-01", Decimal(80)), ("2026-02", None)]
    assert trend(figures, RULES, "staff", "a", months) == expected
    assert trend(aggregate_figures(figures), RULES, "staff", "a", months) == expected
    half = aggregate_figures(figures[:3]) + figures[3:]  # mixed inputs are fine
    assert trend(half, RULES, "staff", "a", months) == expected


# --------------------------------------------------------------------------------------------
# Rules file
# --------------------------------------------------------------------------------------------


def test_checklists_scorecard_yaml_loads() -> None:
    rules = load_scorecard_rules(SCORECARD_YAML)
    assert rules.version == "2026.1"
    assert dict(rules.staff.weights) == {"appearance": Decimal(1)}
    assert dict(rules.site.weights) == {
        "standard": Decimal(5),
        "workflow": Decimal(2),
        "safety": Decimal(2),
        "training": Decimal(1),
    }
    assert rules.staff.min_inspections == 2
    assert rules.site.min_inspections == 2
    for subject in (rules.staff, rules.site):
        assert subject.bands == (
            GradeBand("优秀", Decimal(90)),
            GradeBand("良好", Decimal(80)),
            GradeBand("合格", Decimal(60)),
            GradeBand("不合格", Decimal(0)),
        )
    row = one_row([fig("a", "89.99"), fig("a", "90.00", checklist="c2")], rules=rules)
    assert (row.grade, row.rank) == ("良好", 1)


def _mutate(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "key", "rule"),
    [
        ("site.weights.safety", -1, "site.weights.safety", "weight must be a number >= 0"),
        ("site.weights.safety", "heavy", "site.weights.safety", "weight must be a number >= 0"),
        ("site.weights.safety", True, "site.weights.safety", "weight must be a number >= 0"),
        ("site.weights.hygiene", 1, "site.weights.hygiene", "unknown checklist kind"),
        (
            "staff.weights",
            {"appearance": 0},
            "staff.weights",
            "at least one kind must have a positive weight",
        ),
        ("staff.weights", {}, "staff.weights", "at least one kind must have a positive weight"),
        ("staff.weights", [1, 2], "staff.weights", "must be a mapping"),
        ("staff.min_inspections", -1, "staff.min_inspections", "must be an integer >= 0"),
        ("staff.min_inspections", 1.5, "staff.min_inspections", "must be an integer >= 0"),
        ("site.min_inspections", _DELETE, "site.min_inspections", "is required"),
        ("site.grades", [], "site.grades", "must be a non-empty list"),
        ("site.grades.3.min", 10, "site.grades", "the lowest band must have min 0"),
        ("site.grades.1.min", 90, "site.grades[1].min", "duplicate min"),
        ("site.grades.1.grade", "优秀", "site.grades[1].grade", "duplicate grade"),
        ("site.grades.0.min", 101, "site.grades[0].min", "must be a number between 0 and 100"),
        ("site.grades.0", {"grade": "A"}, "site.grades[0]", "exactly the keys grade and min"),
        ("staff.grades.2.grade", "", "staff.grades[2].grade", "must be a non-empty string"),
        ("staff.due_hours", 24, "staff.due_hours", "unknown key"),
        ("version", 2026.1, "version", "must be a non-empty string"),
        ("site", _DELETE, "site", "is required"),
        ("teams", {}, "teams", "unknown key"),
    ],
)
def test_loader_errors_name_file_key_and_rule(
    tmp_path: Path, path: str, value: Any, key: str, rule: str
) -> None:
    data = rules_data()
    _mutate(data, path, value)
    target = tmp_path / "bad_scorecard.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScorecardRulesError) as info:
        load_scorecard_rules(target)
    assert info.value.key == key
    assert rule in info.value.rule
    message = str(info.value)
    assert str(target) in message
    assert f": {key}: " in message
    assert rule in message


@pytest.mark.parametrize(
    ("text", "rule"),
    [("staff: [unclosed", "is not valid YAML"), ("- 1\n- 2\n", "must be a mapping")],
)
def test_loader_errors_for_unparsable_file(tmp_path: Path, text: str, rule: str) -> None:
    target = tmp_path / "scorecard.yaml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ScorecardRulesError, match=rule) as info:
        load_scorecard_rules(target)
    assert str(target) in str(info.value)


def test_loader_error_for_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScorecardRulesError, match="cannot be read") as info:
        load_scorecard_rules(missing)
    assert str(missing) in str(info.value)


def test_valid_mutations_still_load(tmp_path: Path) -> None:
    data = rules_data(site_weights={"standard": 2.5, "safety": 0})
    target = tmp_path / "ok.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rules = load_scorecard_rules(target)
    assert dict(rules.site.weights) == {"standard": Decimal("2.5"), "safety": Decimal(0)}
    assert rules.site.weighted_kinds == ("standard",)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

PROP_RULES = make_rules(
    staff_weights={"appearance": 3, "safety": 1, "training": 0},
    site_weights={"standard": 5, "workflow": 2, "safety": 2, "training": 1, "appearance": 0},
    staff_min=2,
    site_min=2,
)
PROP_MONTHS = ["2025-12", "2026-01"]

percents = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10000).map(lambda i: Decimal(i).scaleb(-2)),
    st.sampled_from([Decimal(0), Decimal(100), Decimal("89.995"), Decimal("90")]),
)


@st.composite
def figure(draw: st.DrawFn) -> InspectionFigure:
    kind = draw(st.sampled_from(["appearance", "safety", "training", "standard", "workflow"]))
    return InspectionFigure(
        subject_type=draw(st.sampled_from(["staff", "site"])),
        subject_id=draw(st.sampled_from(["a", "b", "c", "d"])),
        checklist_id=f"{kind}-{draw(st.integers(min_value=1, max_value=3))}",
        kind=kind,
        inspection_kind=draw(st.sampled_from(["supervisor", "supervisor", "self_check"])),
        shift_date=date(2025, 12, 20) + timedelta(days=draw(st.integers(min_value=0, max_value=24))),
        percent=draw(percents),
    )


figure_lists = st.lists(figure(), max_size=40)
subject_types = st.sampled_from(["staff", "site"])
months = st.sampled_from(PROP_MONTHS)
PROP_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _kind_means(
    figures: list[InspectionFigure], subject_type: str, subject: str, month: str
) -> dict[str, Decimal]:
    by_kind: dict[str, list[Decimal]] = {}
    for f in figures:
        mine = (f.subject_type, f.subject_id, f.month) == (subject_type, subject, month)
        if mine and f.inspection_kind == "supervisor" and f.percent is not None:
            by_kind.setdefault(f.kind, []).append(f.percent)
    return {k: sum(v, Decimal(0)) / len(v) for k, v in by_kind.items()}


@PROP_SETTINGS
@given(figure_lists, subject_types, months)
def test_prop_score_between_min_and_max_kind_mean(
    figures: list[InspectionFigure], subject_type: str, month: str
) -> None:
    weighted = PROP_RULES.for_subject(subject_type).weighted_kinds
    for row in monthly_scorecard(figures, rules=PROP_RULES, month=month, subject_type=subject_type):
        means = {
            k: v
            for k, v in _kind_means(figures, subject_type, row.subject_id, month).items()
            if k in weighted
        }
        assert row.kinds == _kind_means(figures, subject_type, row.subject_id, month)
        if means:
            assert row.score is not None
            assert min(means.values()) <= row.score <= max(means.values())
        else:
            assert row.score is None and row.grade is None and row.coverage == 0


@PROP_SETTINGS
@given(figure_lists, subject_types, months)
def test_prop_coverage_between_zero_and_one(
    figures: list[InspectionFigure], subject_type: str, month: str
) -> None:
    rows = monthly_scorecard(figures, rules=PROP_RULES, month=month, subject_type=subject_type)
    for row in rows:
        assert Decimal(0) <= row.coverage <= Decimal(1)
        assert (row.coverage == 0) == (row.score is None)


@PROP_SETTINGS
@given(figure_lists, subject_types, months, st.randoms(use_true_random=False))
def test_prop_input_order_never_matters(
    figures: list[InspectionFigure], subject_type: str, month: str, rnd: random.Random
) -> None:
    shuffled = list(figures)
    rnd.shuffle(shuffled)
    expected = monthly_scorecard(figures, rules=PROP_RULES, month=month, subject_type=subject_type)
    assert monthly_scorecard(shuffled, rules=PROP_RULES, month=month, subject_type=subject_type) == expected
    aggs = aggregate_figures(figures)
    rnd.shuffle(aggs)
    assert (
        monthly_scorecard_from_aggregates(aggs, rules=PROP_RULES, month=month, subject_type=subject_type)
        == expected
    )


@PROP_SETTINGS
@given(figure_lists, subject_types, months, st.randoms(use_true_random=False))
def test_prop_figures_path_equals_aggregates_path(
    figures: list[InspectionFigure], subject_type: str, month: str, rnd: random.Random
) -> None:
    # A roll-up table may hold several partial rows per key: aggregate random chunks separately.
    chunks: list[list[InspectionFigure]] = [[] for _ in range(3)]
    for f in figures:
        chunks[rnd.randrange(3)].append(f)
    rollup = [agg for chunk in chunks for agg in aggregate_figures(chunk)]
    by_figures = monthly_scorecard(figures, rules=PROP_RULES, month=month, subject_type=subject_type)
    by_aggregates = monthly_scorecard_from_aggregates(
        rollup, rules=PROP_RULES, month=month, subject_type=subject_type
    )
    assert by_figures == by_aggregates
    subjects = {f.subject_id for f in figures if f.subject_type == subject_type and f.month == month}
    assert {r.subject_id for r in by_figures} == subjects
    for row in by_figures:
        assert trend(rollup, PROP_RULES, subject_type, row.subject_id, [month]) == [(month, row.score)]


@PROP_SETTINGS
@given(figure_lists, subject_types, months)
def test_prop_rows_ordered_and_ranked_by_competition(
    figures: list[InspectionFigure], subject_type: str, month: str
) -> None:
    rows = monthly_scorecard(figures, rules=PROP_RULES, month=month, subject_type=subject_type)
    ranked = [r for r in rows if r.rank is not None]
    unranked = [r for r in rows if r.rank is None]
    assert rows == ranked + unranked
    assert [r.subject_id for r in unranked] == sorted(r.subject_id for r in unranked)
    assert [(r.rank, r.subject_id) for r in ranked] == sorted((r.rank, r.subject_id) for r in ranked)
    minimum = PROP_RULES.for_subject(subject_type).min_inspections
    for r in ranked:
        assert r.score is not None and r.inspections >= minimum
        assert r.rank == 1 + sum(1 for o in ranked if o.score is not None and o.score > r.score)
    for r in unranked:
        assert r.score is None or r.inspections < minimum


@PROP_SETTINGS
@given(figure_lists, subject_types, months, figure(), st.sampled_from(["a", "b", "c", "d", "new"]))
def test_prop_adding_a_self_check_never_changes_score_or_rank(
    figures: list[InspectionFigure], subject_type: str, month: str, extra: InspectionFigure, subject: str
) -> None:
    self_check = InspectionFigure(
        subject_type=subject_type,
        subject_id=subject,
        checklist_id=extra.checklist_id,
        kind=extra.kind,
        inspection_kind="self_check",
        shift_date=extra.shift_date,
        percent=extra.percent,
    )
    before = monthly_scorecard(figures, rules=PROP_RULES, month=month, subject_type=subject_type)
    after = monthly_scorecard(
        figures + [self_check], rules=PROP_RULES, month=month, subject_type=subject_type
    )
    scored_after = {
        r.subject_id: (r.score, r.grade, r.rank, r.delta, r.coverage, r.inspections) for r in after
    }
    for r in before:
        assert scored_after.pop(r.subject_id) == (
            r.score,
            r.grade,
            r.rank,
            r.delta,
            r.coverage,
            r.inspections,
        )
    # only a subject new to the month may appear, unscored and unranked
    assert all(v[0] is None and v[2] is None for v in scored_after.values())
    assert len(scored_after) <= 1
