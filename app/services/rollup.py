"""The monthly roll-up, maintained inside the submit and amend transactions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db.models import Inspection, MonthlyRollup


def _subject_id(insp: Inspection) -> int:
    return insp.staff_id if insp.subject_type == "staff" and insp.staff_id is not None else insp.site_id


def add(session: Session, insp: Inspection, *, kind: str, checklist_id: str, count: int,
        percent: Decimal | None, sign: int = 1) -> None:
    """Add (sign=1) or take back (sign=-1) one inspection's figures."""
    has = percent is not None
    values = {
        "subject_type": insp.subject_type, "subject_id": _subject_id(insp), "month": insp.month,
        "checklist_id": checklist_id, "inspection_kind": insp.kind, "kind": kind, "site_id": insp.site_id,
        "count": sign * count, "percent_sum": sign * (percent or Decimal(0)), "percent_count": sign * int(has),
    }
    dialect = session.get_bind().dialect.name
    ins = pg_insert(MonthlyRollup) if dialect == "postgresql" else sqlite_insert(MonthlyRollup)
    stmt = ins.values(**values)
    t = MonthlyRollup.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.subject_type, t.subject_id, t.month, t.checklist_id, t.inspection_kind],
        set_={"count": t.count + stmt.excluded.count, "percent_sum": t.percent_sum + stmt.excluded.percent_sum,
              "percent_count": t.percent_count + stmt.excluded.percent_count},
    )
    session.execute(stmt)


def on_submit(session: Session, insp: Inspection) -> None:
    cv = insp.checklist_version
    add(session, insp, kind=cv.kind, checklist_id=cv.checklist_id, count=1, percent=insp.percent)


def on_amend(session: Session, insp: Inspection, old_percent: Decimal | None) -> None:
    cv = insp.checklist_version
    add(session, insp, kind=cv.kind, checklist_id=cv.checklist_id, count=0, percent=old_percent, sign=-1)
    add(session, insp, kind=cv.kind, checklist_id=cv.checklist_id, count=0, percent=insp.percent)
