"""Per-user API tokens (``Authorization: Bearer <token>``), created by an admin.

A token is shown once, when it is created; only its SHA-256 is stored. A token acts as its user with the
user's current role and sites, and stops working the moment it is revoked or the user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import ApiToken, User
from app.services import audit
from app.services.actor import Actor
from app.services.auth import actor_for
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied

PREFIX = "pzt_"
LAST_USED_EVERY = timedelta(minutes=1)  # last-used time is written at most this often (reads stay reads)


@dataclass(frozen=True)
class TokenView:
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class TokenUse:
    """A valid token: who it acts as, and whether its last-used time is due to be written."""

    actor: Actor
    token_id: int
    touch_due: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(dt: datetime | None) -> datetime | None:
    return None if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)


def _view(row: ApiToken, username: str) -> TokenView:
    return TokenView(row.id, username, row.name, row.prefix, _aware(row.created_at) or row.created_at,
                     _aware(row.last_used_at), _aware(row.revoked_at))


def create_token(session: Session, *, actor: Actor, username: str, name: str = "") -> tuple[str, TokenView]:
    """Admin only. Returns ``(token, view)``: the token itself is never shown again."""
    actor.require("admin")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("auth.user_unknown", username=username)
    if not user.active:
        raise Conflict("tokens.user_disabled", username=username)
    name = name.strip()
    if len(name) > 80:
        raise Invalid("tokens.name_too_long", n=80)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name or "api", token_hash=_hash(token), prefix=token[:12],
                   created_at=datetime.now(UTC), created_by=actor.id or None)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="api_token.create", entity="api_token", entity_id=row.id,
                 detail={"user": username, "name": row.name, "prefix": row.prefix})
    return token, _view(row, username)


def list_tokens(session: Session, *, actor: Actor, username: str | None = None) -> list[TokenView]:
    """An admin sees every token (or one user's); anyone else sees their own."""
    q = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if not actor.is_admin:
        if username is not None and username != actor.username:
            raise PermissionDenied("tokens.own_only")
        q = q.where(ApiToken.user_id == actor.id)
    elif username is not None:
        q = q.where(User.username == username)
    return [_view(row, name) for row, name in session.execute(q)]


def revoke_token(session: Session, *, actor: Actor, token_id: int) -> TokenView:
    """An admin, or the token's own user. Revoking a revoked token changes nothing."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("tokens.unknown", token_id=token_id)
    if row.user_id != actor.id:
        actor.require("admin")
    user = session.get(User, row.user_id)
    assert user is not None
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit.record(session, actor=actor, action="api_token.revoke", entity="api_token", entity_id=row.id,
                     detail={"user": user.username, "prefix": row.prefix})
    return _view(row, user.username)


def authenticate(session: Session, token: str | None) -> TokenUse | None:
    """The user a bearer token acts as, or ``None`` (unknown, revoked, or the user is disabled)."""
    if not token or not token.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    last = _aware(row.last_used_at)
    due = last is None or datetime.now(UTC) - last >= LAST_USED_EVERY
    return TokenUse(actor_for(session, user), row.id, due)


def mark_used(session: Session, *, token_id: int) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=datetime.now(UTC))
                    .execution_options(synchronize_session=False))
