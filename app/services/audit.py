"""The append-only audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import AuditLog
from app.services.actor import Actor


def now() -> datetime:
    return datetime.now(UTC)


def record(session: Session, *, actor: Actor | None, action: str, entity: str, entity_id: object = None,
           detail: dict[str, Any] | None = None) -> None:
    session.add(
        AuditLog(
            at=now(), actor_id=actor.id if actor and actor.id else None, action=action, entity=entity,
            entity_id=None if entity_id is None else str(entity_id), detail=detail,
        )
    )
