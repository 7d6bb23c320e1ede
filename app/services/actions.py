"""Corrective actions (整改): opened by failed items, fixed with an after photo, verified by someone else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.db.models import Answer, CorrectiveAction, Inspection, InspectionPhoto, Site, Staff, User
from app.messages import msg, text
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.services.text import clean_note
from scoring import Checklist, ScoreResult

STATUSES = ("open", "fixed", "verified")
MANAGING_ROLES = ("supervisor", "manager", "admin")


NOTE_MAX = 2000


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ActionView:
    id: int
    inspection_id: int
    item_id: str
    item_text: str
    checklist_id: str
    points_lost: Decimal
    site_id: int
    site_name: str
    staff_id: int | None
    staff_name: str | None
    month: str
    status: str
    opened_at: datetime
    due_at: datetime
    fixed_at: datetime | None
    fixed_by: str | None
    fix_note: str | None
    fix_photo_id: int | None
    verified_at: datetime | None
    verified_by: str | None
    verify_note: str | None
    reopened: int

    @property
    def overdue(self) -> bool:
        return self.status == "open" and _aware(self.due_at) < _now()


def _responsible_staff(session: Session, site_id: int) -> int | None:
    return session.scalar(
        select(Staff.id).where(Staff.site_id == site_id, Staff.responsible, Staff.active).order_by(Staff.id).limit(1)
    )


def open_for(session: Session, insp: Inspection, checklist: Checklist, result: ScoreResult) -> int:
    """One action per failed item (called in the submit/amend transaction). Returns how many were opened.

    After an amendment, actions of items that no longer fail are closed as verified by the amendment.
    """
    existing = {a.item_id: a for a in session.scalars(
        select(CorrectiveAction).where(CorrectiveAction.inspection_id == insp.id))}
    now = _now()
    assignee = insp.staff_id if insp.staff_id is not None else _responsible_staff(session, insp.site_id)
    opened = 0
    failed = set(result.failed_items)
    for its in result.items:
        if its.id not in failed or its.id in existing:
            continue
        item = checklist.item(its.id)
        session.add(CorrectiveAction(
            inspection_id=insp.id, item_id=its.id, item_text=item.text, section_id=its.section_id,
            checklist_id=checklist.id, points_lost=its.applicable - its.awarded + its.penalty, site_id=insp.site_id,
            staff_id=assignee, month=insp.month, status="open", opened_at=now,
            due_at=now + timedelta(hours=checklist.item_due_hours(its.id)), reopened=0,
        ))
        opened += 1
    for item_id, action in existing.items():
        if item_id not in failed and action.status != "verified":
            action.status, action.verified_at, action.verify_note = ("verified", now,
                                                                     text("actions.closed_by_amendment"))
    return opened


def _view(a: CorrectiveAction, names: dict[int, str], sites: dict[int, str], staff: dict[int, str]) -> ActionView:
    return ActionView(
        a.id, a.inspection_id, a.item_id, a.item_text, a.checklist_id, a.points_lost, a.site_id,
        sites.get(a.site_id, ""), a.staff_id, staff.get(a.staff_id) if a.staff_id else None, a.month, a.status,
        a.opened_at, a.due_at, a.fixed_at, names.get(a.fixed_by) if a.fixed_by else None, a.fix_note,
        a.fix_photo_id, a.verified_at, names.get(a.verified_by) if a.verified_by else None, a.verify_note,
        a.reopened,
    )


def _scope(q: Any, actor: Actor) -> Any:
    if actor.role == "staff":
        return q.where(CorrectiveAction.staff_id == (actor.staff_id or -1))
    if not actor.is_admin:
        return q.where(CorrectiveAction.site_id.in_(actor.site_ids or {-1}))
    return q


def list_actions(session: Session, *, actor: Actor, status: str | None = None, site_id: int | None = None,
                 month: str | None = None, overdue_only: bool = False, limit: int = 500) -> list[ActionView]:
    q = _scope(select(CorrectiveAction), actor).order_by(CorrectiveAction.due_at).limit(limit)
    if status:
        q = q.where(CorrectiveAction.status == status)
    if site_id is not None:
        q = q.where(CorrectiveAction.site_id == site_id)
    if month:
        q = q.where(CorrectiveAction.month == month)
    if overdue_only:
        q = q.where(CorrectiveAction.status == "open", CorrectiveAction.due_at < _now())
    rows = list(session.scalars(q))
    names: dict[int, str] = {i: n for i, n in session.execute(select(User.id, User.display_name))}
    sites: dict[int, str] = {i: n for i, n in session.execute(select(Site.id, Site.name))}
    staff: dict[int, str] = {i: n for i, n in session.execute(select(Staff.id, Staff.name))}
    return [_view(a, names, sites, staff) for a in rows]


def open_counts(session: Session, *, month: str | None = None) -> dict[tuple[str, int], int]:
    """Open (not yet verified) actions per subject: ("staff", staff_id) and ("site", site_id)."""
    q = (select(Inspection.subject_type, Inspection.staff_id, Inspection.site_id, func.count())
         .select_from(CorrectiveAction)
         .join(Inspection, Inspection.id == CorrectiveAction.inspection_id)
         .where(CorrectiveAction.status != "verified")
         .group_by(Inspection.subject_type, Inspection.staff_id, Inspection.site_id))
    if month:
        q = q.where(CorrectiveAction.month == month)
    out: dict[tuple[str, int], int] = {}
    for subject_type, staff_id, site_id, n in session.execute(q):
        key = ("staff", staff_id) if subject_type == "staff" and staff_id is not None else ("site", site_id)
        out[key] = out.get(key, 0) + n
    return out


def _get(session: Session, action_id: int) -> CorrectiveAction:
    a = session.get(CorrectiveAction, action_id)
    if a is None:
        raise NotFound("actions.unknown")
    return a


def mark_fixed(*, session: Session, actor: Actor, action_id: int, note: str, photo_data: bytes | None,
               filename: str | None = None) -> None:
    """The assigned staff member (or a supervisor/manager of the site) reports the fix with a note and photo."""
    note = clean_note(note, field=msg("field.fix_note"), max_len=NOTE_MAX) or ""
    a = _get(session, action_id)
    if actor.role == "staff":
        if a.staff_id != actor.staff_id:
            raise PermissionDenied("actions.own_only")
    else:
        actor.require(*MANAGING_ROLES)
        actor.require_site(a.site_id)
    if a.status != "open":
        raise Conflict("actions.not_open")
    if not note.strip():
        raise Invalid("actions.fix_note_missing")
    if not photo_data:
        raise Invalid("actions.fix_photo_missing")
    from app.services import photos

    photo = photos.store_upload(session, actor=actor, data=photo_data, filename=filename)
    a.status, a.fixed_at, a.fixed_by, a.fix_note, a.fix_photo_id = "fixed", _now(), actor.id, note.strip(), photo.id
    audit.record(session, actor=actor, action="action.fixed", entity="corrective_action", entity_id=a.id,
                 detail={"note": note.strip(), "photo": photo.sha256})


def _reported_fix(session: Session, actor: Actor, action_id: int, verb: str) -> CorrectiveAction:
    """``verb``: the message id of what is being done (actions.verb_*)."""
    """A fixed action that ``actor`` may judge: a supervisor/manager of the site who is not the fixer."""
    a = _get(session, action_id)
    actor.require(*MANAGING_ROLES)
    actor.require_site(a.site_id)
    if a.status != "fixed":
        raise Conflict("actions.not_fixed", verb=msg(verb))
    if a.fixed_by == actor.id:
        raise PermissionDenied("actions.own_fix", verb=msg(verb))
    return a


def verify(*, session: Session, actor: Actor, action_id: int, note: str = "") -> None:
    """A supervisor or manager who is not the fixer confirms the fix (回访/复核)."""
    note = clean_note(note, field=msg("field.verify_note"), max_len=NOTE_MAX) or ""
    a = _reported_fix(session, actor, action_id, "actions.verb_verify")
    a.status, a.verified_at, a.verified_by, a.verify_note = "verified", _now(), actor.id, note.strip() or None
    audit.record(session, actor=actor, action="action.verified", entity="corrective_action", entity_id=a.id,
                 detail={"note": note.strip()})


def reopen(*, session: Session, actor: Actor, action_id: int, note: str) -> None:
    """The verifier finds the fix insufficient: back to open, with a reason and a fresh deadline."""
    note = clean_note(note, field=msg("field.return_reason"), max_len=NOTE_MAX) or ""
    a = _reported_fix(session, actor, action_id, "actions.verb_return")
    if not note.strip():
        raise Invalid("actions.return_needs_reason")
    hours = max(1, int((_aware(a.due_at) - _aware(a.opened_at)).total_seconds() // 3600))
    now = _now()
    a.status, a.reopened, a.verify_note = "open", a.reopened + 1, note.strip()
    a.fixed_at = a.fixed_by = None
    a.due_at = now + timedelta(hours=hours)
    audit.record(session, actor=actor, action="action.reopened", entity="corrective_action", entity_id=a.id,
                 detail={"note": note.strip()})


@dataclass(frozen=True)
class Finding:
    """What the inspector recorded on an action's failed item: the note and the before photos
    ((photo id, caption) in the order they were added)."""

    note: str | None
    photos: tuple[tuple[int, str | None], ...]


def findings(session: Session, *, actor: Actor, action_ids: list[int]) -> dict[int, Finding]:
    """The inspector's note and before photos of each action the actor may see (an action card shows them to
    whoever fixes it, who may not otherwise see the inspection, e.g. the responsible staff of a site)."""
    if not action_ids:
        return {}
    acts = list(session.execute(_scope(
        select(CorrectiveAction.id, CorrectiveAction.inspection_id, CorrectiveAction.item_id)
        .where(CorrectiveAction.id.in_(action_ids)), actor)))
    inspections = {iid for _, iid, _ in acts}
    notes: dict[tuple[int, str], str | None] = {
        (iid, item): note for iid, item, note in session.execute(
            select(Answer.inspection_id, Answer.item_id, Answer.note).where(Answer.inspection_id.in_(inspections)))}
    photos: dict[tuple[int, str], list[tuple[int, str | None]]] = {}
    for iid, item, photo_id, caption in session.execute(
            select(InspectionPhoto.inspection_id, InspectionPhoto.item_id, InspectionPhoto.photo_id,
                   InspectionPhoto.caption)
            .where(InspectionPhoto.inspection_id.in_(inspections)).order_by(InspectionPhoto.id)):
        photos.setdefault((iid, item), []).append((photo_id, caption))
    return {aid: Finding((notes.get((iid, item)) or "").strip() or None, tuple(photos.get((iid, item), ())))
            for aid, iid, item in acts}


def can_see_photo(session: Session, actor: Actor, photo_id: int) -> bool:
    """The actor sees an action with this photo: its after photo, or a before photo of its failed item."""
    q = _scope(select(CorrectiveAction.id).where(CorrectiveAction.fix_photo_id == photo_id), actor)
    if session.scalar(q.limit(1)) is not None:
        return True
    before = _scope(select(CorrectiveAction.id).join(InspectionPhoto, and_(
        InspectionPhoto.inspection_id == CorrectiveAction.inspection_id,
        InspectionPhoto.item_id == CorrectiveAction.item_id)).where(InspectionPhoto.photo_id == photo_id), actor)
    return session.scalar(before.limit(1)) is not None


def pareto(session: Session, *, actor: Actor, month: str, site_id: int | None = None, subject_type: str | None = None,
           top: int = 15) -> list[tuple[str, str, Decimal, int]]:
    """Most-deducted items of the month: (item id, text, points lost, times)."""
    q = (select(CorrectiveAction.item_id, func.min(CorrectiveAction.item_text), func.sum(CorrectiveAction.points_lost),
                func.count())
         .select_from(CorrectiveAction)
         .join(Inspection, Inspection.id == CorrectiveAction.inspection_id)
         .where(CorrectiveAction.month == month)
         .group_by(CorrectiveAction.item_id)
         .order_by(func.sum(CorrectiveAction.points_lost).desc(), func.count().desc())
         .limit(top))
    q = _scope(q, actor)
    if site_id is not None:
        q = q.where(CorrectiveAction.site_id == site_id)
    if subject_type:
        q = q.where(Inspection.subject_type == subject_type)
    return [(i, txt, Decimal(lost), n) for i, txt, lost, n in session.execute(q)]
