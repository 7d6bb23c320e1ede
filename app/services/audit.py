"""The append-only audit log, hash-chained.

Every row carries its position in the chain (``seq``, 1, 2, 3 …), the hash of the previous row
(``prev_hash``) and its own hash (``row_hash`` = SHA-256 of ``prev_hash`` and the row's canonical
content). Appends are serialised: on SQLite the write transaction already holds the database write
lock; on PostgreSQL :func:`record` takes a transaction-scoped advisory lock, held until commit.

The database refuses UPDATE, DELETE and REPLACE on ``audit_log`` (triggers; on PostgreSQL the app
also runs as a role with only INSERT and SELECT on it, see :mod:`app.db.roles`). What the database
cannot stop (an owner dropping the triggers, someone editing the SQLite file) :func:`verify` detects:
an edited row, a deleted or inserted row, a gap or a fork in the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app.db.models import AuditLog
from app.messages import Msg, msg
from app.services.actor import Actor

GENESIS = "0" * 64


def now() -> datetime:
    return datetime.now(UTC)


def _utc_text(at: datetime) -> str:
    """The stored time as text, the same whichever database returned it (naive SQLite values are UTC)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical_detail(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """The detail exactly as it reads back from a JSON column (string keys, str() of odd values)."""
    return None if detail is None else json.loads(json.dumps(detail, default=str, ensure_ascii=False))


def row_digest(prev_hash: str, seq: int, at: datetime, actor_id: int | None, action: str, entity: str,
               entity_id: str | None, detail: dict[str, Any] | None) -> str:
    """SHA-256 over the previous row's hash and this row's content (never changes: stored rows use it)."""
    payload = json.dumps([seq, _utc_text(at), actor_id, action, entity, entity_id, detail],
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # per schema (tests run one schema each), released at commit or rollback
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_log'))"))


def record(session: Session, *, actor: Actor | None, action: str, entity: str, entity_id: object = None,
           detail: dict[str, Any] | None = None) -> None:
    """Append one event in the caller's transaction (it is rolled back with it)."""
    _lock_chain(session)
    last = session.execute(select(AuditLog.seq, AuditLog.row_hash).order_by(AuditLog.seq.desc()).limit(1)).first()
    seq = 1 if last is None or last.seq is None else last.seq + 1
    prev = GENESIS if last is None or last.row_hash is None else last.row_hash
    at = now()
    actor_id = actor.id if actor and actor.id else None
    eid = None if entity_id is None else str(entity_id)
    detail = canonical_detail(detail)
    session.execute(insert(AuditLog).values(
        at=at, actor_id=actor_id, action=action, entity=entity, entity_id=eid, detail=detail, seq=seq,
        prev_hash=prev, row_hash=row_digest(prev, seq, at, actor_id, action, entity, eid, detail),
    ))


# ----------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class Verification:
    rows: int
    head_seq: int
    head_hash: str
    problem: Msg | None = None  # the first bad row and what is wrong with it (a catalogue message)
    bad_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(session: Session) -> Iterator[Any]:
    cols = (AuditLog.id, AuditLog.seq, AuditLog.at, AuditLog.actor_id, AuditLog.action, AuditLog.entity,
            AuditLog.entity_id, AuditLog.detail, AuditLog.prev_hash, AuditLog.row_hash)
    yield from session.execute(select(*cols).order_by(AuditLog.seq.is_(None), AuditLog.seq, AuditLog.id)
                               .execution_options(yield_per=2000))


def verify(session: Session, *, expect_head: tuple[int, str] | None = None) -> Verification:
    """Walk the chain from the first row; report the first row that is edited, missing or out of place.

    ``expect_head`` (a ``(seq, hash)`` noted from an earlier run) also detects deleted newest rows,
    which a chain alone cannot tell from a shorter log.
    """
    n, prev_seq, prev_hash, last_id = 0, 0, GENESIS, None
    for r in _rows(session):
        n += 1
        where = f"audit_log id={r.id} (seq {r.seq})"
        if r.seq is None or r.row_hash is None or r.prev_hash is None:
            return Verification(n - 1, prev_seq, prev_hash, msg("cli.audit_not_chained", where=where), r.id)
        if r.seq != prev_seq + 1:
            gap = (msg("cli.audit_rows_missing", where=where, first=prev_seq + 1, last=r.seq - 1)
                   if r.seq > prev_seq + 1 else msg("cli.audit_seq_twice", where=where, seq=r.seq))
            return Verification(n - 1, prev_seq, prev_hash, gap, r.id)
        if r.prev_hash != prev_hash:
            return Verification(n - 1, prev_seq, prev_hash, msg("cli.audit_not_following", where=where, seq=prev_seq),
                                r.id)
        if last_id is not None and r.id < last_id:
            return Verification(n - 1, prev_seq, prev_hash, msg("cli.audit_out_of_order", where=where), r.id)
        digest = row_digest(r.prev_hash, r.seq, r.at, r.actor_id, r.action, r.entity, r.entity_id, r.detail)
        if digest != r.row_hash:
            return Verification(n - 1, prev_seq, prev_hash, msg("cli.audit_changed", where=where), r.id)
        prev_seq, prev_hash, last_id = r.seq, r.row_hash, r.id
    if expect_head is not None:
        seq, digest = expect_head
        found = session.scalar(select(AuditLog.row_hash).where(AuditLog.seq == seq))
        if found is None:
            return Verification(n, prev_seq, prev_hash, msg("cli.audit_head_missing", seq=seq, last=prev_seq))
        if not found.startswith(digest.lower()):
            return Verification(n, prev_seq, prev_hash, msg("cli.audit_head_differs", seq=seq))
    return Verification(n, prev_seq, prev_hash)
