"""Monthly scorecard (月度考核): figures from the roll-up, named, with actions and training beside them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.config import checklists_dir
from app.db.models import Inspection, InspectionSection, MonthlyRollup, Site, Staff
from app.services import actions, catalog
from app.services import training as training_svc
from app.services.actor import Actor
from app.services.errors import Invalid, Unavailable
from app.services.signoff import _check_month
from app.standards.problem_text import scorecard_rules_problem
from scoring.monthly import (
    KindAggregate,
    ScorecardRow,
    ScorecardRules,
    ScorecardRulesError,
    load_scorecard_rules,
    monthly_scorecard_from_aggregates,
    previous_month,
    trend,
)

_rules_cache: dict[str, tuple[float | None, ScorecardRules]] = {}
_lock = threading.Lock()


def rules(directory: Path | None = None) -> ScorecardRules:
    path = Path(directory or checklists_dir()) / "scorecard.yaml"
    try:
        mtime: float | None = path.stat().st_mtime
    except OSError:
        mtime = None  # missing or unreadable: load_scorecard_rules below says why
    with _lock:
        hit = _rules_cache.get(str(path))
        if hit and hit[0] == mtime:
            return hit[1]
    try:
        loaded = load_scorecard_rules(path)
    except ScorecardRulesError as exc:  # the deployment's file is broken: said on the page, in the user's language
        raise Unavailable("scorecard.rules_invalid", problem=scorecard_rules_problem(exc)) from exc
    with _lock:
        _rules_cache[str(path)] = (mtime, loaded)
    return loaded


@dataclass(frozen=True)
class ScorecardLine:
    row: ScorecardRow
    subject_type: str
    subject_id: int
    name: str
    code: str
    site_id: int
    site_name: str
    post: str | None
    open_actions: int
    training: training_svc.TrainingRates | None = None

    def to_dict(self) -> dict[str, object]:
        """The row of ``pinzhi scorecard --format json`` (display values, half-up to 2 places)."""
        r = self.row

        def num(d: Decimal | None) -> float | None:
            return None if d is None else float(d)

        return {
            "subject": {self.subject_type: self.code}, "name": self.name, "site": self.site_name,
            "post": self.post, "score": num(r.score_display), "grade": r.grade,
            "coverage": float(r.coverage_percent_display), "rank": r.rank, "delta": num(r.delta_display),
            "inspections": r.inspections, "kinds": {k: float(v.quantize(Decimal("0.01"))) for k, v in r.kinds.items()},
            "self_checks": r.self_checks, "self_gap": num(r.self_gap_display), "open_actions": self.open_actions,
        }


def _visible_site_ids(session: Session, actor: Actor, site_id: int | None) -> list[int] | None:
    """The sites in view; ``None`` means every site (an admin without a filter: no IN list needed)."""
    actor.require("manager", "admin")
    if site_id is not None:
        actor.require_site(site_id)
        return [site_id]
    if actor.is_admin:
        return None
    return sorted(actor.site_ids)


def aggregates(session: Session, *, months: list[str], subject_type: str, site_ids: list[int] | None,
               supervisor_only_months: tuple[str, ...] = ()) -> list[KindAggregate]:
    """The roll-up rows of these months (plain columns, no ORM objects: this is the hot path).

    For ``supervisor_only_months`` (e.g. the previous month, needed only for the delta) self-check
    rows are not read.
    """
    t = MonthlyRollup.__table__.c
    q = (select(t.subject_id, t.month, t.kind, t.inspection_kind, t.checklist_id, t.count, t.percent_sum,
                t.percent_count)
         .where(t.month.in_(months), t.subject_type == subject_type, t.count > 0))
    if supervisor_only_months:
        q = q.where(or_(t.month.not_in(supervisor_only_months), t.inspection_kind == "supervisor"))
    if site_ids is not None:
        q = q.where(t.site_id.in_(site_ids or [-1]))
    return [
        KindAggregate(subject_type, str(sid), month, kind, ikind, cid, count, Decimal(psum), pcount)
        for sid, month, kind, ikind, cid, count, psum, pcount in session.execute(q)
    ]


def scorecard(session: Session, *, actor: Actor, month: str, subject_type: str, site_id: int | None = None
              ) -> list[ScorecardLine]:
    """The ranked scorecard of one month. Ranks are among the subjects shown (the chosen site or all visible)."""
    _check_month(month)
    if subject_type not in ("staff", "site"):
        raise Invalid("scorecard.subject_unknown")
    site_ids = _visible_site_ids(session, actor, site_id)
    prev = previous_month(month)
    aggs = aggregates(session, months=[month, prev], subject_type=subject_type, site_ids=site_ids,
                      supervisor_only_months=(prev,))
    rows = monthly_scorecard_from_aggregates(aggs, rules=rules(), month=month, subject_type=subject_type)
    # plain columns (no ORM objects): at company scale this runs for thousands of rows
    sites = {i: (code, name) for i, code, name in session.execute(select(Site.id, Site.code, Site.name))}
    open_by = actions.open_counts(session, month=month)  # the month's actions not yet verified
    lines = []
    if subject_type == "staff":
        q = select(Staff.id, Staff.name, Staff.code, Staff.site_id, Staff.post)
        if site_ids is not None:  # by id, not by current site: someone may have moved since the inspection
            q = q.where(Staff.id.in_([int(r.subject_id) for r in rows] or [-1]))
        staff = {row[0]: row for row in session.execute(q)}
        for r in rows:
            sid, name, code, site, post = staff[int(r.subject_id)]
            lines.append(ScorecardLine(r, "staff", sid, name, code, site, sites[site][1], post,
                                       open_by.get(("staff", sid), 0)))
    else:
        for r in rows:
            sid = int(r.subject_id)
            code, name = sites[sid]
            lines.append(ScorecardLine(r, "site", sid, name, code, sid, name, None, open_by.get(("site", sid), 0),
                                       training_svc.rates(session, site_id=sid, month=month)))
    return lines


def months_back(month: str, n: int) -> list[str]:
    out = [month]
    while len(out) < n:
        out.append(previous_month(out[-1]))
    return list(reversed(out))


def trends(session: Session, *, actor: Actor, month: str, subject_type: str, subject_ids: list[int],
           site_id: int | None = None, n: int = 12) -> dict[int, list[tuple[str, Decimal | None]]]:
    site_ids = _visible_site_ids(session, actor, site_id)
    months = months_back(month, n)
    aggs = aggregates(session, months=months, subject_type=subject_type, site_ids=site_ids)
    r = rules()
    return {sid: trend(aggs, r, subject_type, str(sid), months) for sid in subject_ids}


def section_matrix(session: Session, *, actor: Actor, month: str, subject_type: str, site_id: int | None = None
                   ) -> dict[int, dict[str, Decimal]]:
    """Per subject: percent per section title (sum awarded / sum applicable over the month's supervisor inspections)."""
    site_ids = _visible_site_ids(session, actor, site_id)
    subject_col = Inspection.staff_id if subject_type == "staff" else Inspection.site_id
    q = (select(subject_col, Inspection.checklist_version_id, InspectionSection.section_id,
                func.sum(InspectionSection.awarded), func.sum(InspectionSection.applicable))
         .join(InspectionSection, InspectionSection.inspection_id == Inspection.id)
         .where(Inspection.month == month, Inspection.subject_type == subject_type, Inspection.status == "submitted",
                Inspection.kind == "supervisor")
         .group_by(subject_col, Inspection.checklist_version_id, InspectionSection.section_id))
    if site_ids is not None:
        q = q.where(Inspection.site_id.in_(site_ids or [-1]))
    titles: dict[tuple[int, str], str] = {}
    sums: dict[int, dict[str, list[Decimal]]] = {}
    from app.db.models import ChecklistVersion

    for subject, version_id, section_id, awarded, applicable in session.execute(q):
        if subject is None:
            continue
        key = (version_id, section_id)
        if key not in titles:
            cv = session.get(ChecklistVersion, version_id)
            c = catalog.stored_checklist(cv) if cv else None
            sec = next((s for s in c.sections if s.id == section_id), None) if c else None
            titles[key] = sec.title if sec else section_id
        acc = sums.setdefault(subject, {}).setdefault(titles[key], [Decimal(0), Decimal(0)])
        acc[0] += Decimal(awarded)
        acc[1] += Decimal(applicable)
    # a section with nothing applicable (all N/A) has no percent: it is left out, not shown as 0
    return {subj: {t: a / p * 100 for t, (a, p) in secs.items() if p} for subj, secs in sums.items()}
