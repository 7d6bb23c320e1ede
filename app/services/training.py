"""Training records (培训记录): sessions, sign-in and exam scores; attendance and pass rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Staff, TrainingAttendance, TrainingSession
from app.messages import msg
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Invalid, NotFound, PermissionDenied
from app.services.signoff import _check_month
from app.services.text import clean_name

HUNDRED = Decimal(100)
ATTENDANCE_TARGET = Decimal(100)  # Jindi 7.3) 受训人员到位率100%
PASS_TARGET = Decimal(90)  # Jindi 7.4) 培训合格率90%


@dataclass(frozen=True)
class SessionView:
    id: int
    site_id: int
    planned_month: str
    held_on: date | None
    topic: str
    trainer: str
    material: str | None
    material_section: str | None
    pass_mark: Decimal
    invited: int
    attended: int
    examined: int
    passed: int


@dataclass(frozen=True)
class TrainingRates:
    sessions: int
    invited: int
    attended: int
    examined: int
    passed: int

    @property
    def attendance_rate(self) -> Decimal | None:
        return None if not self.invited else Decimal(self.attended) / self.invited * HUNDRED

    @property
    def pass_rate(self) -> Decimal | None:
        return None if not self.examined else Decimal(self.passed) / self.examined * HUNDRED

    def suggestion(self, item: str) -> str | None:
        """Suggested answer for the Jindi training items: ``attendance`` (7.3) or ``pass_rate`` (7.4)."""
        rate, target = ((self.attendance_rate, ATTENDANCE_TARGET) if item == "attendance"
                        else (self.pass_rate, PASS_TARGET))
        if rate is None:
            return None
        return "pass" if rate >= target else "fail"


SCORE_ROLES = ("manager", "admin")  # exam scores: seen and entered by these, and seen by the attendee


def _manage(actor: Actor, site_id: int) -> None:
    actor.require("supervisor", "manager", "admin")
    actor.require_site(site_id)


def can_see_scores(actor: Actor) -> bool:
    return actor.role in SCORE_ROLES


def add_session(*, session: Session, actor: Actor, site_id: int, planned_month: str, topic: str, trainer: str,
                held_on: date | None = None, material: str | None = None, material_section: str | None = None,
                pass_mark: Decimal = Decimal(60), staff_ids: list[int] | None = None) -> int:
    _manage(actor, site_id)
    _check_month(planned_month)
    topic = clean_name(topic, field=msg("field.topic"), max_len=200)
    trainer = clean_name(trainer, field=msg("field.trainer"), max_len=80)
    material = clean_name(material or "", field=msg("field.material"), max_len=300, required=False)
    material_section = clean_name(material_section or "", field=msg("field.material_section"), max_len=120,
                                  required=False)
    if not Decimal(0) <= pass_mark <= HUNDRED:
        raise Invalid("training.pass_mark_range")
    ts = TrainingSession(site_id=site_id, planned_month=planned_month, held_on=held_on, topic=topic.strip(),
                         trainer=trainer.strip(), material=(material or "").strip() or None,
                         material_section=(material_section or "").strip() or None, pass_mark=pass_mark,
                         created_by=actor.id, created_at=datetime.now(UTC))
    session.add(ts)
    session.flush()
    for sid in staff_ids or []:
        staff = session.get(Staff, sid)
        if staff is None or staff.site_id != site_id:
            raise Invalid("training.attendee_of_site")
        session.add(TrainingAttendance(session_id=ts.id, staff_id=sid, signed_in=False))
    audit.record(session, actor=actor, action="training.create", entity="training", entity_id=ts.id,
                 detail={"topic": topic, "month": planned_month, "invited": len(staff_ids or [])})
    return ts.id


def record_attendance(*, session: Session, actor: Actor, session_id: int, staff_id: int, signed_in: bool,
                      exam_score: Decimal | None = None) -> None:
    ts = session.get(TrainingSession, session_id)
    if ts is None:
        raise NotFound("training.unknown")
    _manage(actor, ts.site_id)
    if exam_score is not None and not can_see_scores(actor):
        raise PermissionDenied("training.scores_managers_only")
    if exam_score is not None and not Decimal(0) <= exam_score <= HUNDRED:
        raise Invalid("training.score_range")
    if exam_score is not None and not signed_in:
        raise Invalid("training.score_needs_sign_in")
    row = session.get(TrainingAttendance, (session_id, staff_id))
    if row is not None and not can_see_scores(actor):  # a supervisor records sign-in only; the score stays
        if row.exam_score is not None and not signed_in:
            raise Invalid("training.score_keeps_sign_in")
        exam_score = row.exam_score
    if row is None:
        staff = session.get(Staff, staff_id)
        if staff is None or staff.site_id != ts.site_id:
            raise PermissionDenied("training.attendee_of_site")
        row = TrainingAttendance(session_id=session_id, staff_id=staff_id)
        session.add(row)
    row.signed_in, row.exam_score = signed_in, exam_score
    audit.record(session, actor=actor, action="training.attendance", entity="training", entity_id=session_id,
                 detail={"staff_id": staff_id, "signed_in": signed_in,
                         "exam_score": None if exam_score is None else str(exam_score)})


def list_sessions(session: Session, *, actor: Actor, site_id: int, month: str | None = None) -> list[SessionView]:
    if not actor.can_see_site(site_id):
        raise PermissionDenied("auth.site_not_assigned")
    q = select(TrainingSession).where(TrainingSession.site_id == site_id).order_by(TrainingSession.planned_month,
                                                                                   TrainingSession.id)
    if month:
        q = q.where(TrainingSession.planned_month == month)
    out = []
    for ts in session.scalars(q):
        rows = list(session.scalars(select(TrainingAttendance).where(TrainingAttendance.session_id == ts.id)))
        examined = [r for r in rows if r.signed_in and r.exam_score is not None]
        out.append(SessionView(ts.id, ts.site_id, ts.planned_month, ts.held_on, ts.topic, ts.trainer, ts.material,
                               ts.material_section, ts.pass_mark, len(rows), sum(1 for r in rows if r.signed_in),
                               len(examined),
                               sum(1 for r in examined if r.exam_score is not None and r.exam_score >= ts.pass_mark)))
    return out


def attendees(session: Session, *, actor: Actor, session_id: int) -> list[tuple[int, str, bool, Decimal | None]]:
    """(staff id, name, signed in, exam score) per attendee. Scores are private: only managers and admins
    see everyone's; a staff member sees only their own row; a supervisor sees sign-in without scores."""
    ts = session.get(TrainingSession, session_id)
    if ts is None:
        raise NotFound("training.unknown")
    if not actor.can_see_site(ts.site_id):
        raise PermissionDenied("auth.not_allowed")
    q = (select(Staff.id, Staff.name, TrainingAttendance.signed_in, TrainingAttendance.exam_score)
         .join(TrainingAttendance, TrainingAttendance.staff_id == Staff.id)
         .where(TrainingAttendance.session_id == session_id).order_by(Staff.code))
    if actor.role == "staff":
        q = q.where(Staff.id == (actor.staff_id if actor.staff_id is not None else -1))
    see = can_see_scores(actor) or actor.role == "staff"
    return [(i, n, bool(s), e if see else None) for i, n, s, e in session.execute(q)]


@dataclass(frozen=True)
class MyTraining:
    session_id: int
    planned_month: str
    held_on: date | None
    topic: str
    trainer: str
    signed_in: bool
    exam_score: Decimal | None
    pass_mark: Decimal


def my_training(session: Session, *, actor: Actor) -> list[MyTraining]:
    """A staff member's own training records with their own scores."""
    if actor.staff_id is None:
        return []
    q = (select(TrainingSession, TrainingAttendance)
         .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
         .where(TrainingAttendance.staff_id == actor.staff_id)
         .order_by(TrainingSession.planned_month.desc(), TrainingSession.id.desc()))
    return [MyTraining(ts.id, ts.planned_month, ts.held_on, ts.topic, ts.trainer, bool(a.signed_in), a.exam_score,
                       ts.pass_mark) for ts, a in session.execute(q)]


def rates(session: Session, *, site_id: int, month: str) -> TrainingRates:
    """到位率 and 合格率 of the sessions held (planned) in ``month`` at the site."""
    q = (select(TrainingAttendance.signed_in, TrainingAttendance.exam_score, TrainingSession.pass_mark)
         .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
         .where(TrainingSession.site_id == site_id, TrainingSession.planned_month == month))
    rows = session.execute(q).all()
    n_sessions = len(session.scalars(select(TrainingSession.id).where(
        TrainingSession.site_id == site_id, TrainingSession.planned_month == month)).all())
    examined = [(s, e, m) for s, e, m in rows if s and e is not None]
    return TrainingRates(n_sessions, len(rows), sum(1 for s, _, _ in rows if s), len(examined),
                         sum(1 for _, e, m in examined if e >= m))
