"""Monthly sign-off of a site by its manager; a signed month is closed to amendments until reopened."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db.models import MonthSignoff
from app.messages import msg
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid
from app.services.text import clean_note

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _check_month(month: str) -> None:
    if not MONTH.match(month):
        raise Invalid("month.format", month=repr(month))


def status(session: Session, *, site_id: int, month: str) -> MonthSignoff | None:
    return session.get(MonthSignoff, (site_id, month))


def is_signed(session: Session, *, site_id: int, month: str) -> bool:
    row = status(session, site_id=site_id, month=month)
    return row is not None and row.status == "signed"


def _lock_month(session: Session, site_id: int, month: str, *, shared: bool) -> None:
    """PostgreSQL: submits and amends (shared) serialise with sign-off and reopen (exclusive) of the same
    site and month, so none lands in a month signed meanwhile. SQLite: the write lock already does."""
    if session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {fn}(hashtext(current_schema() || ':month:' || :site || ':' || :month))"),
                        {"site": str(site_id), "month": month})


def ensure_open(session: Session, *, site_id: int, month: str) -> None:
    _lock_month(session, site_id, month, shared=True)
    if is_signed(session, site_id=site_id, month=month):
        raise Conflict("month.signed_closed", month=month)


def sign_off(*, session: Session, actor: Actor, site_id: int, month: str) -> None:
    actor.require("manager", "admin")
    actor.require_site(site_id)
    _check_month(month)
    _lock_month(session, site_id, month, shared=False)
    row = status(session, site_id=site_id, month=month)
    now = datetime.now(UTC)
    if row is not None and row.status == "signed":
        raise Conflict("month.already_signed", month=month)
    if row is None:
        session.add(MonthSignoff(site_id=site_id, month=month, status="signed", signed_by=actor.id, signed_at=now))
    else:
        row.status, row.signed_by, row.signed_at = "signed", actor.id, now
    audit.record(session, actor=actor, action="month.sign_off", entity="site_month", entity_id=f"{site_id}:{month}")


def reopen(*, session: Session, actor: Actor, site_id: int, month: str, reason: str) -> None:
    actor.require("manager", "admin")
    actor.require_site(site_id)
    reason = clean_note(reason, field=msg("field.reopen_reason"), max_len=2000) or ""
    if not reason:
        raise Invalid("month.reopen_reason")
    _lock_month(session, site_id, month, shared=False)
    row = status(session, site_id=site_id, month=month)
    if row is None or row.status != "signed":
        raise Conflict("month.not_signed", month=month)
    row.status, row.reopened_by, row.reopened_at, row.reopen_reason = "reopened", actor.id, datetime.now(UTC), reason
    audit.record(session, actor=actor, action="month.reopen", entity="site_month", entity_id=f"{site_id}:{month}",
                 detail={"reason": reason.strip()})
