"""The monthly review's version-2 figures: the Pareto per clause of multi-clause items (which clause cost the
most) and each subject's bonus and penalty of the month.

Both read what the month's submitted supervisor inspections stored: the Pareto the answers of the items that
failed (the same rows as the item Pareto, :func:`app.services.actions.pareto`), shared among their clauses by
:func:`scoring.clauses.clause_losses`; the bonus and penalty the score snapshot of each inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Answer, ChecklistVersion, CorrectiveAction, Inspection
from app.services import catalog
from app.services.actions import _scope
from app.services.actor import Actor
from app.services.scorecard import _visible_site_ids
from app.services.signoff import _check_month
from scoring import Checklist
from scoring.clauses import clause_counts, clause_losses

ZERO = Decimal(0)


@dataclass(frozen=True)
class ClauseLoss:
    """One clause of one item over the month: points it cost, occurrences counted, inspections it happened in."""

    checklist_id: str
    item_id: str
    clause_id: str
    letter: str  # A, B, C … in the order the standard writes them
    item_text: str
    clause_text: str
    all_clause: bool  # per: all (本项不得分)
    lost: Decimal
    times: int
    inspections: int


@dataclass(frozen=True)
class Adjustment:
    """A subject's bonus and penalty over the month's supervisor inspections (what the scores added and took)."""

    bonus: Decimal
    penalty: Decimal
    inspections: int  # inspections with a bonus or a penalty


class _Versions:
    """Checklists of stored versions, each parsed once per call."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict[int, Checklist | None] = {}

    def get(self, version_id: int) -> Checklist | None:
        if version_id not in self.cache:
            cv = self.session.get(ChecklistVersion, version_id)
            self.cache[version_id] = catalog.stored_checklist(cv) if cv is not None else None
        return self.cache[version_id]


def letter(position: int) -> str:
    return chr(ord("A") + position) if 0 <= position < 26 else str(position + 1)


def pareto_clauses(session: Session, *, actor: Actor, month: str, site_id: int | None = None,
                   subject_type: str | None = None, top: int = 15) -> list[ClauseLoss]:
    """The month's clauses of multi-clause items by points lost (most first), as the item Pareto sees them."""
    _check_month(month)
    q = (select(CorrectiveAction.inspection_id, CorrectiveAction.item_id, Inspection.checklist_version_id,
                Answer.value)
         .select_from(CorrectiveAction)
         .join(Inspection, Inspection.id == CorrectiveAction.inspection_id)
         .join(Answer, (Answer.inspection_id == CorrectiveAction.inspection_id)
               & (Answer.item_id == CorrectiveAction.item_id))
         .where(CorrectiveAction.month == month))
    q = _scope(q, actor)
    if site_id is not None:
        q = q.where(CorrectiveAction.site_id == site_id)
    if subject_type:
        q = q.where(Inspection.subject_type == subject_type)
    versions = _Versions(session)
    acc: dict[tuple[str, str, str], list[Any]] = {}
    for _iid, item_id, version_id, value in session.execute(q):
        checklist = versions.get(version_id)
        if checklist is None or not checklist.has_item(item_id):
            continue
        item = checklist.item(item_id)
        if not item.rules:
            continue
        counts = clause_counts(item, value)
        for rid, lost in clause_losses(item, value).items():
            pos = [r.id for r in item.rules].index(rid)
            rule = item.rules[pos]
            key = (checklist.id, item_id, rid)
            row = acc.setdefault(key, [item.text, rule.text, rule.per is None, letter(pos), ZERO, 0, 0])
            row[4] += lost
            row[5] += counts.get(rid, 0)
            row[6] += 1
    out = [ClauseLoss(cid, iid, rid, row[3], row[0], row[1], row[2], row[4], row[5], row[6])
           for (cid, iid, rid), row in acc.items()]
    out.sort(key=lambda c: (-c.lost, -c.times, c.checklist_id, c.item_id, c.clause_id))
    return out[:top]


def adjustments(session: Session, *, actor: Actor, month: str, subject_type: str, site_id: int | None = None
                ) -> dict[int, Adjustment]:
    """Subject id (staff or site) -> its bonus and penalty of the month; subjects without any are left out."""
    _check_month(month)
    site_ids = _visible_site_ids(session, actor, site_id)
    subject_col = Inspection.staff_id if subject_type == "staff" else Inspection.site_id
    q = (select(subject_col, Inspection.snapshot)
         .where(Inspection.month == month, Inspection.subject_type == subject_type,
                Inspection.status == "submitted", Inspection.kind == "supervisor"))
    if site_ids is not None:
        q = q.where(Inspection.site_id.in_(site_ids or [-1]))
    sums: dict[int, list[Any]] = {}
    for subject, snap in session.execute(q):
        if subject is None or not snap:
            continue
        bonus = Decimal(str(snap.get("bonus") or 0))
        penalty = Decimal(str(snap.get("penalty") or 0))
        if not bonus and not penalty:
            continue
        row = sums.setdefault(subject, [ZERO, ZERO, 0])
        row[0] += bonus
        row[1] += penalty
        row[2] += 1
    return {s: Adjustment(b, p, n) for s, (b, p, n) in sums.items()}


@dataclass(frozen=True)
class GroupFigure:
    """One group (分项) of a checklist over the month: sums of its awarded and applicable points."""

    checklist_title: str
    section_title: str
    group_id: str
    group_title: str
    points: Decimal
    awarded: Decimal
    applicable: Decimal
    inspections: int

    @property
    def percent(self) -> Decimal | None:
        return None if not self.applicable else self.awarded / self.applicable * 100


def group_figures(session: Session, *, actor: Actor, month: str, site_id: int | None = None,
                  subject_type: str | None = None) -> list[GroupFigure]:
    """The month's groups over its submitted supervisor inspections (from their score snapshots), in the order
    of each checklist; empty when no checklist of the month has groups."""
    _check_month(month)
    site_ids = _visible_site_ids(session, actor, site_id)
    q = (select(Inspection.checklist_version_id, Inspection.snapshot)
         .where(Inspection.month == month, Inspection.status == "submitted", Inspection.kind == "supervisor"))
    if subject_type:
        q = q.where(Inspection.subject_type == subject_type)
    if site_ids is not None:
        q = q.where(Inspection.site_id.in_(site_ids or [-1]))
    versions = _Versions(session)
    acc: dict[tuple[str, str, str], list[Any]] = {}
    order: dict[tuple[str, str, str], tuple[str, int]] = {}
    for version_id, snap in session.execute(q):
        sections = [s for s in (snap or {}).get("sections", []) if s.get("groups")]
        checklist = versions.get(version_id) if sections else None
        if checklist is None:
            continue
        titles = {g.id: (s.title, g) for s in checklist.sections for g in s.groups}
        position = {g.id: n for n, g in enumerate(checklist.groups)}
        for sec in sections:
            for g in sec["groups"]:
                if g["id"] not in titles:
                    continue
                section_title, group = titles[g["id"]]
                key = (checklist.id, sec["id"], g["id"])
                row = acc.setdefault(key, [checklist.title, section_title, group.title, group.points, ZERO, ZERO, 0])
                row[4] += Decimal(str(g["awarded"]))
                row[5] += Decimal(str(g["applicable"]))
                row[6] += 1
                order.setdefault(key, (checklist.title, position[g["id"]]))
    keys = sorted(acc, key=lambda k: order[k])
    return [GroupFigure(acc[k][0], acc[k][1], k[2], acc[k][2], acc[k][3], acc[k][4], acc[k][5], acc[k][6])
            for k in keys]
