"""Inspections: start, answer (each answer committed when given), review, submit, amend.

Every function is keyword-only and session-first, and checks the actor's permissions itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CursorResult, delete, exists, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db.models import (
    Answer,
    ChecklistVersion,
    Inspection,
    InspectionPhoto,
    InspectionSection,
    InspectionSignature,
    Shift,
    Site,
    Staff,
    UserSite,
)
from app.messages import Joined, Msg, msg, text
from app.services import actions, audit, catalog, org, rollup, signoff
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.services.text import clean_note
from app.standards.problem_text import scoring_reason
from scoring import Checklist, ScoreResult, ScoringError, partial_score, score, score_item

INSPECTOR_ROLES = ("supervisor", "manager", "admin")


def _now() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- views
@dataclass(frozen=True)
class InspectionHeader:
    id: int
    checklist_id: str
    checklist_title: str
    checklist_version: str
    kind: str
    status: str
    site_id: int
    site_name: str
    subject_type: str
    staff_id: int | None
    subject_name: str
    shift_date: date
    shift_name: str
    inspector: str
    inspector_id: int
    updated_at: datetime
    submitted_at: datetime | None
    percent: Decimal | None
    grade: str | None
    amended: bool
    site_code: str = ""
    staff_code: str | None = None


@dataclass
class DraftView:
    header: InspectionHeader
    checklist: Checklist
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    photos: dict[str, list[PhotoRef]] = field(default_factory=dict)
    no_photo_reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PhotoRef:
    link_id: int
    photo_id: int
    item_id: str
    caption: str | None
    display_path: str
    thumb_path: str
    width: int
    height: int
    captured_at: datetime | None = None  # as the device reported it (UTC)


UNANSWERED = "unanswered"
PHOTO_REQUIRED = "photo_required"  # evidence: required, answered other than N/A, no photo
PHOTO_OR_REASON = "photo_or_reason"  # evidence: on_fail, failed, neither a photo nor a reason for none


@dataclass(frozen=True)
class Blocker:
    """One thing that stops an inspection from being submitted."""

    item_id: str
    number: int  # the item's number in the checklist (1-based), as the screen shows it
    kind: str  # UNANSWERED | PHOTO_REQUIRED | PHOTO_OR_REASON


@dataclass(frozen=True)
class Review:
    result: ScoreResult  # running score: unanswered items treated as not applicable
    answered: int
    total: int
    unanswered: tuple[str, ...]
    failed: tuple[str, ...]
    missing_evidence: tuple[str, ...]  # items whose evidence rule asks for a photo that is not there
    blocking_evidence: tuple[str, ...]  # of those, the ones that block submit (not excused by a reason)
    excused_evidence: tuple[str, ...] = ()  # on_fail items without a photo but with a written reason
    blockers: tuple[Blocker, ...] = ()  # exactly what blocks submit: unanswered items, then evidence

    @property
    def can_submit(self) -> bool:
        return not self.blockers


@dataclass(frozen=True)
class SubmitResult:
    inspection_id: int
    percent: Decimal | None
    grade: str | None
    awarded: Decimal
    applicable: Decimal
    failed_items: tuple[str, ...]
    already_submitted: bool = False


def _subject_name(insp: Inspection) -> str:
    return insp.staff.name if insp.staff is not None else insp.site.name


def header(insp: Inspection) -> InspectionHeader:
    cv = insp.checklist_version
    return InspectionHeader(
        id=insp.id, checklist_id=cv.checklist_id, checklist_title=cv.title, checklist_version=cv.version,
        kind=insp.kind, status=insp.status, site_id=insp.site_id, site_name=insp.site.name,
        subject_type=insp.subject_type, staff_id=insp.staff_id, subject_name=_subject_name(insp),
        shift_date=insp.shift.date, shift_name=insp.shift.name, inspector=insp.inspector.display_name,
        inspector_id=insp.inspector_id, updated_at=insp.updated_at, submitted_at=insp.submitted_at,
        percent=insp.percent, grade=insp.grade, amended=insp.amended, site_code=insp.site.code,
        staff_code=insp.staff.code if insp.staff is not None else None,
    )


# ----------------------------------------------------------------------------- permissions
def can_read(actor: Actor, insp: Inspection) -> bool:
    if actor.is_admin or insp.inspector_id == actor.id:
        return True
    if actor.role == "staff":
        return insp.staff_id is not None and insp.staff_id == actor.staff_id
    return insp.site_id in actor.site_ids


def _locking(session: Session) -> bool:
    """Row locks are taken on PostgreSQL; on SQLite a write transaction already holds the write lock."""
    return session.get_bind().dialect.name == "postgresql"


def _get(session: Session, inspection_id: int, *, for_update: bool = False) -> Inspection:
    q = select(Inspection).where(Inspection.id == inspection_id)
    if for_update and _locking(session):
        q = q.with_for_update(of=Inspection).execution_options(populate_existing=True)
    insp = session.scalar(q)
    if insp is None:
        raise NotFound("inspection.unknown", inspection_id=inspection_id)
    return insp


def _assigned_clause(actor: Actor) -> Any:
    """SQL truth of "the actor is assigned to the inspection's site" read from the database now.

    The actor object is cached in the browser session; an admin may have removed the site since.
    """
    if actor.is_admin:
        return literal(True)
    if actor.role == "staff":
        return exists().where(Staff.id == actor.staff_id, Staff.site_id == Inspection.site_id)
    return exists().where(UserSite.user_id == actor.id, UserSite.site_id == Inspection.site_id)


def _unassigned(session: Session, site_id: int) -> PermissionDenied:
    site = session.get(Site, site_id)
    name = site.name if site is not None else str(site_id)
    return PermissionDenied("inspection.site_unassigned", site=name)


def _require_assigned(session: Session, actor: Actor, insp: Inspection) -> None:
    if not session.scalar(select(_assigned_clause(actor)).where(Inspection.id == insp.id)):
        raise _unassigned(session, insp.site_id)


def _readable(session: Session, actor: Actor, inspection_id: int) -> Inspection:
    insp = _get(session, inspection_id)
    if not can_read(actor, insp):
        raise PermissionDenied("inspection.not_visible")
    if insp.status == "draft":
        _require_assigned(session, actor, insp)
    return insp


# ----------------------------------------------------------------------------- starting
def available_checklists(session: Session, *, actor: Actor, subject_type: str, kind: str = "supervisor",
                         site_kind: str | None = None) -> list[catalog.CatalogEntry]:
    """The checklists in force (for that kind of site; for any kind when None) for this subject. A staff
    member's self-check uses the kind of their own site."""
    if kind == "self_check" and site_kind is None and actor.staff_id is not None:
        site_kind = session.scalar(select(Site.kind).join(Staff, Staff.site_id == Site.id)
                                   .where(Staff.id == actor.staff_id))
    entries = catalog.list_entries(session, only_in_force=True, site_kind=site_kind)
    out = [e for e in entries if e.checklist.subject == subject_type]
    if kind == "self_check":
        out = [e for e in out if e.checklist.self_check]
    return out


# the standard a new inspection of a subject defaults to (the Jindi standard of the site's kind; appearance)
DEFAULT_CHECKLISTS = {("site", "residential"): "jindi-community-cs", ("site", "sales_office"): "jindi-salesoffice-cs",
                      ("staff", "residential"): "appearance-etiquette", ("staff", "sales_office"): "appearance-etiquette"}


def default_checklist(entries: list[catalog.CatalogEntry], *, subject_type: str, site_kind: str) -> str | None:
    """The id among ``entries`` a new inspection of this subject starts with (the first entry otherwise)."""
    ids = [e.checklist.id for e in entries]
    wanted = DEFAULT_CHECKLISTS.get((subject_type, site_kind))
    if wanted in ids:
        return wanted
    return ids[0] if ids else None


def find_draft(session: Session, *, actor: Actor, site_id: int, shift_date: date, shift_name: str,
               subject_type: str, checklist_id: str, staff_id: int | None = None,
               kind: str = "supervisor") -> InspectionHeader | None:
    """The actor's newest draft for the same shift, subject and checklist (any version), if there is one."""
    q = (select(Inspection).join(Shift, Shift.id == Inspection.shift_id)
         .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
         .where(Inspection.inspector_id == actor.id, Inspection.status == "draft", Inspection.site_id == site_id,
                Shift.date == shift_date, Shift.name == shift_name, Inspection.subject_type == subject_type,
                Inspection.kind == kind, ChecklistVersion.checklist_id == checklist_id,
                Inspection.staff_id.is_(None) if subject_type != "staff" or staff_id is None
                else Inspection.staff_id == staff_id)
         .order_by(Inspection.updated_at.desc()).limit(1))
    insp = session.scalar(q)
    return None if insp is None else header(insp)


def start_inspection(*, session: Session, actor: Actor, site_id: int, shift_date: date, shift_name: str,
                     subject_type: str, checklist_id: str, staff_id: int | None = None,
                     kind: str = "supervisor", new: bool = False) -> int:
    """Open a draft. Without ``new``, the actor's existing draft for the same shift, subject and checklist
    is returned instead (the screen asks first through :func:`find_draft`); with ``new``, another draft
    is opened beside it. A month that is signed off for the site is refused."""
    if kind not in ("supervisor", "self_check"):
        raise Invalid("inspection.kind_unknown")
    if kind == "supervisor":
        actor.require(*INSPECTOR_ROLES)
    else:
        actor.require("staff")
        if subject_type != "staff" or staff_id is None or staff_id != actor.staff_id:
            raise PermissionDenied("inspection.self_check_own")
    actor.require_site(site_id)
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("org.site_missing")
    if subject_type == "staff":
        staff = session.get(Staff, staff_id) if staff_id is not None else None
        if staff is None or staff.site_id != site_id:
            raise Invalid("inspection.staff_of_site")
    elif subject_type == "site":
        staff_id = None
    else:
        raise Invalid("inspection.subject_unknown")
    entry = catalog.entry_for(session, checklist_id, site_kind=site.kind)  # the version in force there
    c = entry.checklist
    if not entry.in_force:
        raise Invalid("inspections.checklist_not_force_kind", title=c.title)
    if c.subject != subject_type:
        raise Invalid("inspection.checklist_subject_mismatch", title=c.title,
                      subject=msg("subject_staff" if c.subject == "staff" else "subject_site"))
    if kind == "self_check" and not c.self_check:
        raise Invalid("inspection.checklist_no_self_check", title=c.title)
    signoff.ensure_open(session, site_id=site_id, month=shift_date.strftime("%Y-%m"))
    version = catalog.freeze_version(session, entry)
    shift = org.get_or_create_shift(session, site_id=site_id, day=shift_date, name=shift_name)
    if _locking(session):  # concurrent starts on one shift: one draft, found by the others
        session.execute(select(Shift.id).where(Shift.id == shift.id).with_for_update())
    existing = session.scalar(
        select(Inspection.id).where(
            Inspection.inspector_id == actor.id, Inspection.status == "draft", Inspection.shift_id == shift.id,
            Inspection.subject_type == subject_type, Inspection.kind == kind,
            Inspection.checklist_version_id == version.id,
            Inspection.staff_id.is_(None) if staff_id is None else Inspection.staff_id == staff_id,
        )
    )
    if existing is not None and not new:
        return int(existing)
    now = _now()
    insp = Inspection(
        checklist_version_id=version.id, site_id=site_id, subject_type=subject_type, staff_id=staff_id,
        shift_id=shift.id, month=shift_date.strftime("%Y-%m"), inspector_id=actor.id, kind=kind,
        status="draft", created_at=now, updated_at=now,
    )
    session.add(insp)
    session.flush()
    audit.record(session, actor=actor, action="inspection.start", entity="inspection", entity_id=insp.id,
                 detail={"checklist": c.id, "version": c.version, "kind": kind, "subject_type": subject_type,
                         "staff_id": staff_id, "site_id": site_id, "shift": [shift_date.isoformat(), shift_name]})
    return insp.id


def discard_draft(*, session: Session, actor: Actor, inspection_id: int) -> None:
    """Throw a draft away: its answers, notes and photo links go (the photos stay stored for other links);
    the audit log keeps everything it held."""
    insp = _get(session, inspection_id, for_update=True)
    if insp.inspector_id != actor.id:
        raise PermissionDenied("inspection.discard_own")
    if insp.status != "draft":
        raise Conflict("inspection.discard_submitted")
    answers, notes, reasons = _answers_of(session, inspection_id)
    links = session.execute(select(InspectionPhoto.item_id, InspectionPhoto.photo_id, InspectionPhoto.caption)
                            .where(InspectionPhoto.inspection_id == inspection_id)
                            .order_by(InspectionPhoto.id)).all()
    h = header(insp)
    audit.record(session, actor=actor, action="inspection.discard", entity="inspection", entity_id=inspection_id,
                 detail={"checklist": h.checklist_id, "version": h.checklist_version, "site_id": h.site_id,
                         "subject_type": h.subject_type, "staff_id": h.staff_id,
                         "shift": [h.shift_date.isoformat(), h.shift_name], "answers": answers, "notes": notes,
                         "no_photo_reasons": reasons,
                         "photos": [{"item": r.item_id, "photo_id": r.photo_id, "caption": r.caption} for r in links]})
    session.execute(delete(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection_id))
    session.execute(delete(InspectionSignature).where(InspectionSignature.inspection_id == inspection_id))
    session.execute(delete(Answer).where(Answer.inspection_id == inspection_id))
    session.execute(delete(InspectionSection).where(InspectionSection.inspection_id == inspection_id))
    session.execute(delete(Inspection).where(Inspection.id == inspection_id))
    session.expunge(insp)


def my_drafts(session: Session, *, actor: Actor) -> list[InspectionHeader]:
    q = (select(Inspection).where(Inspection.inspector_id == actor.id, Inspection.status == "draft")
         .order_by(Inspection.updated_at.desc()))
    return [header(i) for i in session.scalars(q)]


def _answers_of(session: Session, inspection_id: int
                ) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, str]]:
    """An inspection's answers, notes and no-photo reasons, by item id."""
    answers: dict[str, dict[str, Any]] = {}
    notes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for row in session.execute(
        select(Answer.item_id, Answer.value, Answer.note, Answer.no_photo_reason)
        .where(Answer.inspection_id == inspection_id)
    ):
        if row.value:
            answers[row.item_id] = dict(row.value)
        if row.note:
            notes[row.item_id] = row.note
        if row.no_photo_reason:
            reasons[row.item_id] = row.no_photo_reason
    return answers, notes, reasons


def photos_of(session: Session, inspection_id: int) -> dict[str, list[PhotoRef]]:
    out: dict[str, list[PhotoRef]] = {}
    q = (select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection_id)
         .order_by(InspectionPhoto.id))
    for link in session.scalars(q):
        p = link.photo
        out.setdefault(link.item_id, []).append(
            PhotoRef(link.id, p.id, link.item_id, link.caption, p.display_path, p.thumb_path, p.width, p.height,
                     link.captured_at)
        )
    return out


def load_header(session: Session, *, actor: Actor, inspection_id: int) -> InspectionHeader:
    """The header of an inspection the actor may see (the same permission as :func:`load_inspection`)."""
    return header(_readable(session, actor, inspection_id))


def load_inspection(session: Session, *, actor: Actor, inspection_id: int) -> DraftView:
    """Everything the screen needs to show (or resume) an inspection."""
    insp = _readable(session, actor, inspection_id)
    answers, notes, reasons = _answers_of(session, inspection_id)
    return DraftView(header(insp), catalog.stored_checklist(insp.checklist_version), answers, notes,
                     photos_of(session, inspection_id), reasons)


# ----------------------------------------------------------------------------- answering
def _upsert(session: Session, values: dict[str, Any], update_cols: list[str], where: Any = None) -> bool:
    """Insert or update one answer row; with ``where``, an existing row is updated only if it holds.

    Returns whether a row was written.
    """
    dialect = session.get_bind().dialect.name
    ins = pg_insert(Answer) if dialect == "postgresql" else sqlite_insert(Answer)
    stmt = ins.values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Answer.inspection_id, Answer.item_id],
        set_={c: getattr(stmt.excluded, c) for c in update_cols}, where=where,
    )
    if where is None:
        session.execute(stmt)
        return True
    return session.execute(stmt.returning(Answer.id)).first() is not None


ALREADY_SUBMITTED = "inspection.already_submitted"


def _draft_row(session: Session, actor: Actor, inspection_id: int) -> Any:
    """The few columns a tap needs, with the inspection row locked until the transaction ends.

    Every write that depends on the draft status goes through here (or :func:`_get` ``for_update``),
    so it serialises with submit: a write that loses the race sees ``submitted`` and is refused,
    never reported as saved while missing from the stored score. One query: the hot path of answering.
    """
    q = (select(Inspection.inspector_id, Inspection.status, Inspection.site_id, Inspection.checklist_version_id,
                ChecklistVersion.content_hash, _assigned_clause(actor).label("assigned"))
         .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
         .where(Inspection.id == inspection_id))
    if _locking(session):
        q = q.with_for_update(of=Inspection)
    row = session.execute(q).one_or_none()
    if row is None:
        raise NotFound("inspection.unknown", inspection_id=inspection_id)
    if row.inspector_id != actor.id:
        raise PermissionDenied("inspection.answer_own")
    if row.status != "draft":
        raise Conflict(ALREADY_SUBMITTED)
    if not row.assigned:
        raise _unassigned(session, row.site_id)
    return row


lock_draft = _draft_row  # for the photo service: the same lock and checks as answering


def _touch(session: Session, inspection_id: int, now: datetime) -> None:
    session.execute(update(Inspection).where(Inspection.id == inspection_id).values(updated_at=now)
                    .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class StoredAnswer:
    """An item's answer as stored after a save (``applied`` is False when the save changed nothing)."""

    item_id: str
    value: dict[str, Any] | None
    tapped_at: datetime | None
    op_id: str | None
    applied: bool


def save_answer(*, session: Session, actor: Actor, inspection_id: int, item_id: str,
                value: dict[str, Any] | None, op_id: str | None = None,
                answered_at: datetime | None = None) -> StoredAnswer:
    """Store one answer the moment it is given (``None`` clears it).

    ``answered_at`` (when the tap happened on the device, never later than now) and ``op_id`` (the
    client's id of this operation) make the save idempotent and ordered: a replayed ``op_id``, or a tap
    not newer than the stored one, changes nothing. Either way the stored state is returned.
    """
    row = _draft_row(session, actor, inspection_id)
    checklist = catalog.checklist_for_version(session, row.checklist_version_id, row.content_hash)
    if not checklist.has_item(item_id):
        raise Invalid("inspection.item_not_in_checklist", item_id=item_id)
    now = _now()
    tapped = now if answered_at is None else min(answered_at.astimezone(UTC), now)
    # an ordered save only replaces an older tap from another operation (checked in the same statement)
    newer = (None if op_id is None and answered_at is None else
             (Answer.tapped_at.is_(None) | (Answer.tapped_at < tapped)) & Answer.op_id.is_distinct_from(op_id))
    cols = {"answered_by": actor.id, "answered_at": now, "tapped_at": tapped, "op_id": op_id}
    if value is None:
        clean: dict[str, Any] = {}
        stmt = (update(Answer).where(Answer.inspection_id == inspection_id, Answer.item_id == item_id)
                .values(value=clean, **cols).returning(Answer.id))
        applied = session.execute(stmt if newer is None else stmt.where(newer)).first() is not None
    else:
        clean = {k: v for k, v in value.items() if k != "note"}
        try:
            score_item(checklist.item(item_id), clean)
        except ScoringError as exc:
            raise Invalid("inspection.answer_invalid", detail=scoring_reason(exc)) from exc
        applied = _upsert(session, {"inspection_id": inspection_id, "item_id": item_id, "value": clean,
                                    "note": None, **cols}, ["value", *cols], where=newer)
    if applied:
        _touch(session, inspection_id, now)
        return StoredAnswer(item_id, clean or None, tapped, op_id, True)
    stored = session.execute(select(Answer.value, Answer.tapped_at, Answer.op_id).where(
        Answer.inspection_id == inspection_id, Answer.item_id == item_id)).one_or_none()
    if stored is None:
        return StoredAnswer(item_id, None, None, None, False)
    return StoredAnswer(item_id, dict(stored.value) or None, stored.tapped_at, stored.op_id, False)


NOTE_MAX = 2000


def save_note(*, session: Session, actor: Actor, inspection_id: int, item_id: str, note: str) -> datetime:
    row = _draft_row(session, actor, inspection_id)
    if not catalog.checklist_for_version(session, row.checklist_version_id, row.content_hash).has_item(item_id):
        raise Invalid("inspection.item_not_in_checklist", item_id=item_id)
    note = clean_note(note, field=msg("field.item_note", item_id=item_id), max_len=NOTE_MAX) or ""
    now = _now()
    _upsert(session, {"inspection_id": inspection_id, "item_id": item_id, "value": {}, "note": note or None,
                      "answered_by": actor.id, "answered_at": now}, ["note", "answered_by", "answered_at"])
    _touch(session, inspection_id, now)
    return now


MAX_NO_PHOTO_REASON = 500


def record_no_photo_reason(*, session: Session, actor: Actor, inspection_id: int, item_id: str,
                           reason: str) -> str | None:
    """Record why a failed item whose evidence rule is ``on_fail`` has no photo ("" clears it).

    The reason excuses the missing photo at submit; an item with ``evidence: required`` always needs a
    photo. Stored with the inspection's answer row and audit-logged. Returns the stored reason.
    """
    row = _draft_row(session, actor, inspection_id)
    checklist = catalog.checklist_for_version(session, row.checklist_version_id, row.content_hash)
    if not checklist.has_item(item_id):
        raise Invalid("inspection.item_not_in_checklist", item_id=item_id)
    it = checklist.item(item_id)
    if it.evidence == "required":
        raise Invalid("inspection.photo_required_no_excuse", item_id=item_id)
    if it.evidence != "on_fail":
        raise Invalid("inspection.photo_not_required", item_id=item_id)
    text = clean_note(reason, field=msg("field.no_photo_reason", item_id=item_id), max_len=MAX_NO_PHOTO_REASON) or ""
    now = _now()
    _upsert(session, {"inspection_id": inspection_id, "item_id": item_id, "value": {}, "note": None,
                      "no_photo_reason": text or None, "answered_by": actor.id, "answered_at": now},
            ["no_photo_reason", "answered_by", "answered_at"])
    _touch(session, inspection_id, now)
    audit.record(session, actor=actor, action="evidence.no_photo_reason", entity="inspection",
                 entity_id=inspection_id, detail={"item": item_id, "reason": text or None})
    return text or None


# ----------------------------------------------------------------------------- review and submit
def _evidence_gaps(checklist: Checklist, result: ScoreResult, answers: dict[str, Any],
                   photos: dict[str, list[PhotoRef]], reasons: dict[str, str]
                   ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Items missing a photo their rule asks for; of those, the blocking ones and the excused ones."""
    failed = set(result.failed_items)
    missing: list[str] = []
    blocking: list[str] = []
    excused: list[str] = []
    for it in checklist.items:
        if photos.get(it.id):
            continue
        if it.evidence == "required" and answers.get(it.id, {}).get("result") != "na":
            missing.append(it.id)
            blocking.append(it.id)
        elif it.evidence == "on_fail" and it.id in failed:
            missing.append(it.id)
            (excused if reasons.get(it.id) else blocking).append(it.id)
    return tuple(missing), tuple(blocking), tuple(excused)


def review(session: Session, *, actor: Actor, inspection_id: int) -> Review:
    """The running score and exactly what blocks submit (``blockers``), each with its item id."""
    insp = _readable(session, actor, inspection_id)
    checklist = catalog.stored_checklist(insp.checklist_version)
    answers, _, reasons = _answers_of(session, inspection_id)
    return _review(checklist, answers, photos_of(session, inspection_id), reasons)


def _review(checklist: Checklist, answers: dict[str, Any], photos: dict[str, list[PhotoRef]],
            reasons: dict[str, str]) -> Review:
    result = partial_score(checklist, answers)
    unanswered = tuple(i.id for i in checklist.items if i.id not in answers)
    missing, blocking, excused = _evidence_gaps(checklist, result, answers, photos, reasons)
    number = {it.id: n for n, it in enumerate(checklist.items, start=1)}
    blockers = [Blocker(i, number[i], UNANSWERED) for i in unanswered]
    blockers += [Blocker(i, number[i], PHOTO_REQUIRED if checklist.item(i).evidence == "required"
                         else PHOTO_OR_REASON) for i in blocking]
    return Review(result, len(checklist.items) - len(unanswered), len(checklist.items), unanswered,
                  result.failed_items, missing, blocking, excused, tuple(blockers))


def _named(checklist: Checklist, blockers: list[Blocker], limit: int = 10) -> Joined:
    """「第 3 项 desk.clean 台面整洁…」, … for an error message (the first ``limit``, then how many more)."""
    def one(b: Blocker) -> Msg:
        text = checklist.item(b.item_id).text
        return msg("inspection.blocked_item", number=b.number, item_id=b.item_id,
                   text=f"{text[:24]}{'…' if len(text) > 24 else ''}")

    parts: list[Msg] = [one(b) for b in blockers[:limit]]
    if len(blockers) > limit:
        parts.append(msg("inspection.blocked_more", n=len(blockers)))
    return Joined(tuple(parts), {"zh": text("rep.sep", "zh"), "en": text("rep.sep", "en")})


def blocked_message(checklist: Checklist, rv: Review) -> Joined:
    """Why the inspection cannot be submitted, naming every blocking item (first ten of each kind)."""
    parts = []
    groups = ((UNANSWERED, "inspection.blocked_unanswered"), (PHOTO_REQUIRED, "inspection.blocked_photo_required"),
              (PHOTO_OR_REASON, "inspection.blocked_photo_or_reason"))
    for kind, head in groups:
        bs = [b for b in rv.blockers if b.kind == kind]
        if bs:
            parts.append(msg(head, n=len(bs), items=_named(checklist, bs)))
    return Joined(tuple(parts), {"zh": text("sep.sentence", "zh"), "en": text("sep.sentence", "en")})


def _store_score(session: Session, insp: Inspection, result: ScoreResult) -> None:
    insp.awarded, insp.applicable, insp.possible = result.awarded, result.applicable, result.possible
    insp.percent = None if result.percent_exact is None else result.percent_exact.quantize(Decimal("0.000001"))
    insp.grade, insp.critical_failed = result.grade, result.critical_failed
    snap = result.to_dict()
    snap["percent_exact"] = None if result.percent_exact is None else str(result.percent_exact)
    snap["items"] = {i.id: {"awarded": str(i.awarded), "applicable": str(i.applicable), "na": i.na}
                     for i in result.items}
    insp.snapshot = snap
    session.execute(delete(InspectionSection).where(InspectionSection.inspection_id == insp.id))
    session.execute(
        insert(InspectionSection),
        [{"inspection_id": insp.id, "section_id": s.id, "awarded": s.awarded, "applicable": s.applicable,
          "possible": s.possible} for s in result.sections],
    )


def submit_inspection(*, session: Session, actor: Actor, inspection_id: int,
                      evidence_waiver: str | None = None, signature_waiver: str | None = None) -> SubmitResult:
    """Score through ``scoring.score``, store the snapshot, make the inspection immutable.

    Refused (naming the items) while anything blocks it: unanswered items, missing evidence.
    ``evidence_waiver`` is only for records made without the app (an import of paper records, the demo):
    it is stored as the no-photo reason of every item whose evidence is missing, and audit-logged.
    A supervisor inspection also needs its close-out signatures (:mod:`app.services.signatures`: the
    inspector's, and the subject's or a refusal with its reason) unless ``PINZHI_SIGNATURES=optional``;
    ``signature_waiver`` (paper records, the demo) is audit-logged instead.
    Idempotent: a double tap or a second tab gets the first submission's result back.
    """
    insp = _get(session, inspection_id, for_update=True)
    if insp.inspector_id != actor.id:
        raise PermissionDenied("inspection.submit_own")
    if insp.status == "submitted":
        return _submitted_result(insp, already=True)
    _require_assigned(session, actor, insp)
    signoff.ensure_open(session, site_id=insp.site_id, month=insp.month)
    checklist = catalog.stored_checklist(insp.checklist_version)
    answers, _, reasons = _answers_of(session, inspection_id)
    rv = _review(checklist, answers, photos_of(session, inspection_id), reasons)
    waived = [b.item_id for b in rv.blockers if b.kind != UNANSWERED] if evidence_waiver else []
    if rv.blockers and len(waived) < len(rv.blockers):
        raise Invalid("inspection.submit_blocked", detail=blocked_message(checklist, rv))
    from app.config import signatures_required
    from app.services import signatures

    unsigned = signatures.missing(session, insp) if signatures_required() else []
    if unsigned and signature_waiver:
        audit.record(session, actor=actor, action="signature.waived", entity="inspection", entity_id=inspection_id,
                     detail={"roles": unsigned, "reason": signature_waiver})
    elif unsigned:
        raise Invalid("signatures.missing", roles=signatures.missing_message(unsigned))
    if waived:
        assert evidence_waiver is not None
        at = _now()
        for item_id in waived:
            _upsert(session, {"inspection_id": inspection_id, "item_id": item_id, "value": {}, "note": None,
                              "no_photo_reason": evidence_waiver, "answered_by": actor.id, "answered_at": at},
                    ["no_photo_reason"])
        audit.record(session, actor=actor, action="evidence.waived", entity="inspection", entity_id=inspection_id,
                     detail={"items": waived, "reason": evidence_waiver})
    try:
        result = score(checklist, answers)
    except ScoringError as exc:  # pragma: no cover - answers were validated when saved
        raise Invalid("inspection.answer_invalid", detail=scoring_reason(exc)) from exc
    now = _now()
    # The status guard makes the transition happen once even if two transactions race here.
    claimed_result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Inspection).where(Inspection.id == inspection_id, Inspection.status == "draft")
        .values(status="submitted", submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed_result.rowcount != 1:
        session.rollback()
        return _submitted_result(_get(session, inspection_id), already=True)
    session.refresh(insp)
    _store_score(session, insp, result)
    audit.record(session, actor=actor, action="inspection.submit", entity="inspection", entity_id=insp.id,
                 detail={"percent": result.to_dict()["percent"], "grade": result.grade,
                         "failed_items": list(result.failed_items)})
    # in the same transaction: the monthly roll-up and the corrective actions of failed items
    rollup.on_submit(session, insp)
    if insp.kind == "supervisor":
        actions.open_for(session, insp, checklist, result)
    return SubmitResult(insp.id, insp.percent, result.grade, result.awarded, result.applicable,
                        result.failed_items)


def _submitted_result(insp: Inspection, *, already: bool) -> SubmitResult:
    snap = insp.snapshot or {}
    return SubmitResult(insp.id, insp.percent, insp.grade, insp.awarded or Decimal(0),
                        insp.applicable or Decimal(0), tuple(snap.get("failed_items", [])), already)


# ----------------------------------------------------------------------------- amendments
def amend_inspection(*, session: Session, actor: Actor, inspection_id: int,
                     changes: dict[str, dict[str, Any]], reason: str) -> SubmitResult:
    """A manager corrects a submitted inspection. The original answers and score stay in the audit log."""
    actor.require("manager", "admin")
    insp = _get(session, inspection_id, for_update=True)
    actor.require_site(insp.site_id)
    _require_assigned(session, actor, insp)
    if insp.status != "submitted":
        raise Conflict("inspection.amend_submitted_only")
    reason = clean_note(reason, field=msg("amend_reason"), max_len=NOTE_MAX) or ""
    if not reason:
        raise Invalid("inspection.amend_needs_reason")
    if not changes:
        raise Invalid("inspection.amend_nothing")
    signoff.ensure_open(session, site_id=insp.site_id, month=insp.month)
    checklist = catalog.stored_checklist(insp.checklist_version)
    answers, _, _ = _answers_of(session, inspection_id)
    before = {k: answers.get(k) for k in changes}
    new_answers = {**answers, **changes}
    try:
        result = score(checklist, new_answers)
    except ScoringError as exc:
        raise Invalid("inspection.answer_invalid", detail=scoring_reason(exc)) from exc
    original_snapshot = insp.snapshot
    old_percent = insp.percent
    now = _now()
    for item_id, value in changes.items():
        _upsert(session, {"inspection_id": inspection_id, "item_id": item_id, "value": value, "note": None,
                          "answered_by": actor.id, "answered_at": now}, ["value", "answered_by", "answered_at"])
    _store_score(session, insp, result)
    insp.amended, insp.updated_at = True, now
    audit.record(session, actor=actor, action="inspection.amend", entity="inspection", entity_id=insp.id,
                 detail={"reason": reason.strip(), "before": before, "after": changes,
                         "original_snapshot": original_snapshot, "new_snapshot": insp.snapshot})
    rollup.on_amend(session, insp, old_percent)
    if insp.kind == "supervisor":
        actions.open_for(session, insp, checklist, result)
    return SubmitResult(insp.id, insp.percent, result.grade, result.awarded, result.applicable, result.failed_items)


# ----------------------------------------------------------------------------- listing
def _listing(actor: Actor, *, month: str | None, site_id: int | None, staff_id: int | None, status: str | None,
             kind: str | None, subject_type: str | None = None, checklist_id: str | None = None,
             date_from: date | None = None, date_to: date | None = None) -> Any:
    """The inspections matching the filters that the actor may see (a select without order or limit)."""
    q = select(Inspection)
    if status:
        q = q.where(Inspection.status == status)
    if month:
        q = q.where(Inspection.month == month)
    if site_id is not None:
        q = q.where(Inspection.site_id == site_id)
    if staff_id is not None:
        q = q.where(Inspection.staff_id == staff_id)
    if kind:
        q = q.where(Inspection.kind == kind)
    if subject_type:
        q = q.where(Inspection.subject_type == subject_type)
    if checklist_id:
        q = q.where(Inspection.checklist_version_id.in_(
            select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == checklist_id)))
    if date_from is not None or date_to is not None:
        shifts = select(Shift.id)
        if date_from is not None:
            shifts = shifts.where(Shift.date >= date_from)
        if date_to is not None:
            shifts = shifts.where(Shift.date <= date_to)
        q = q.where(Inspection.shift_id.in_(shifts))
    if actor.role == "staff":
        q = q.where(Inspection.staff_id == actor.staff_id)
    elif not actor.is_admin:
        q = q.where(Inspection.site_id.in_(actor.site_ids or {-1}))
    return q


_NEWEST_FIRST = (Inspection.submitted_at.desc().nulls_last(), Inspection.id.desc())


def list_inspections(session: Session, *, actor: Actor, month: str | None = None, site_id: int | None = None,
                     staff_id: int | None = None, status: str | None = "submitted", kind: str | None = None,
                     limit: int = 200) -> list[InspectionHeader]:
    q = _listing(actor, month=month, site_id=site_id, staff_id=staff_id, status=status, kind=kind)
    return [header(i) for i in session.scalars(q.order_by(*_NEWEST_FIRST).limit(limit))]


def search_inspections(session: Session, *, actor: Actor, month: str | None = None, site_id: int | None = None,
                       staff_id: int | None = None, status: str | None = None, kind: str | None = None,
                       subject_type: str | None = None, checklist_id: str | None = None,
                       date_from: date | None = None, date_to: date | None = None, limit: int = 50,
                       offset: int = 0) -> tuple[list[InspectionHeader], int]:
    """One page of the inspections the actor may see, newest first, and how many match in all."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise Invalid("inspection.date_range")
    q = _listing(actor, month=month, site_id=site_id, staff_id=staff_id, status=status, kind=kind,
                 subject_type=subject_type, checklist_id=checklist_id, date_from=date_from, date_to=date_to)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(q.order_by(*_NEWEST_FIRST).limit(limit).offset(offset))
    return [header(i) for i in rows], total


def count_inspections(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Inspection)) or 0)
