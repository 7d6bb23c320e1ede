"""Accounts, passwords (argon2id) and device sessions."""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.models import ROLES, AuthSession, LoginThrottle, Site, Staff, User, UserSite
from app.messages import msg, text
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied, ServiceError
from app.services.text import clean_name

_hasher = PasswordHasher()
SESSION_DAYS = 14
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256

# Sign-in throttling, per account and per client address (see :func:`sign_in`).
THROTTLE_FREE = 5          # failures of one account name allowed before any delay
THROTTLE_MAX_DELAY = 60    # seconds: the delay doubles from 1 s after each further failure, up to this
LOCK_AFTER = 20            # failures that lock the account name ...
LOCK_MINUTES = 15          # ... for this long (an admin can unlock it earlier)
# One address is often a whole site office behind one router (every tablet and PC of the front desk):
# it gets four times the account's allowance before it is slowed down or locked.
ADDRESS_FACTOR = 4
FORGET_AFTER = timedelta(hours=1)  # a key with no failure for this long starts again from zero


def _limits(key: str) -> tuple[int, int]:
    """(failures before a delay, failures that lock) for a throttle key."""
    factor = ADDRESS_FACTOR if key.startswith("addr:") else 1
    return THROTTLE_FREE * factor, LOCK_AFTER * factor


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, shipped as data (app/data/common_passwords.txt)."""
    text = resources.files("app.data").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# A hash of a random password: verified for unknown or disabled users so that every sign-in costs the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> None:
    """The password policy: at least 10 characters, not only digits, not one of the most common passwords."""
    if len(password) < MIN_PASSWORD:
        raise Invalid("auth.password_too_short", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise Invalid("auth.password_too_long", n=MAX_PASSWORD)
    if password.isdigit():
        raise Invalid("auth.password_digits")
    if password.strip().lower() in common_passwords():
        raise Invalid("auth.password_common")


def actor_for(session: Session, user: User) -> Actor:
    site_ids = frozenset(session.scalars(select(UserSite.site_id).where(UserSite.user_id == user.id)))
    if user.role == "staff" and user.staff_id is not None:
        staff = session.get(Staff, user.staff_id)
        if staff is not None:
            site_ids = frozenset({staff.site_id})
    return Actor(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                 site_ids=site_ids, staff_id=user.staff_id)


def needs_first_admin(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active))


def _create_user(session: Session, *, username: str, password: str, role: str, display_name: str | None,
                 site_codes: list[str], staff_code: str | None) -> User:
    if not USERNAME.match(username):
        raise Invalid("auth.username_format")
    if role not in ROLES:
        raise Invalid("auth.role_unknown", roles=", ".join(ROLES))
    if display_name is not None:
        display_name = clean_name(display_name, field=msg("field.display_name"), max_len=80)
    check_password_rules(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("auth.username_taken", username=username)
    staff_id = None
    if staff_code:
        staff = session.scalar(select(Staff).where(Staff.code == staff_code))
        if staff is None:
            raise NotFound("org.staff_code_unknown", code=staff_code)
        staff_id = staff.id
    if role == "staff" and staff_id is None:
        raise Invalid("auth.staff_needs_code")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=hash_password(password), staff_id=staff_id, active=True,
                created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    for code in site_codes:
        site = session.scalar(select(Site).where(Site.code == code))
        if site is None:
            raise NotFound("org.site_code_unknown", code=code)
        session.add(UserSite(user_id=user.id, site_id=site.id))
    session.flush()
    return user


def create_user(session: Session, *, actor: Actor, username: str, password: str, role: str,
                display_name: str | None = None, site_codes: list[str] | None = None,
                staff_code: str | None = None) -> User:
    """Admin only (the CLI acts as the system administrator)."""
    actor.require("admin")
    user = _create_user(session, username=username, password=password, role=role, display_name=display_name,
                        site_codes=site_codes or [], staff_code=staff_code)
    audit.record(session, actor=actor, action="user.create", entity="user", entity_id=user.id,
                 detail={"username": username, "role": role, "sites": site_codes or [], "staff": staff_code})
    return user


def create_first_admin(session: Session, *, username: str, password: str, display_name: str | None = None) -> User:
    """First start: the one path that creates an admin without an existing admin."""
    if not needs_first_admin(session):
        raise PermissionDenied("auth.admin_exists")
    user = _create_user(session, username=username, password=password, role="admin",
                        display_name=display_name or text("auth.default_admin_name"), site_codes=[], staff_code=None)
    audit.record(session, actor=None, action="user.first_admin", entity="user", entity_id=user.id,
                 detail={"username": username})
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


SESSION_COOKIE = "pinzhi_session"


def csrf_token(token: str) -> str:
    """The CSRF value that goes with a session token (sent back in ``X-CSRF-Token`` on API writes).

    Derived one-way from the token, so knowing it reveals nothing about the session itself.
    """
    return hmac.new(token.encode(), b"pinzhi-csrf-v1", hashlib.sha256).hexdigest()


class Throttled(ServiceError):
    """Too many failed sign-ins: wait ``retry_after`` seconds (or ask an admin to unlock a locked account)."""

    def __init__(self, key: str, *, retry_after: int, **params: Any):
        super().__init__(key, **params)
        self.retry_after = retry_after


BAD_LOGIN = "bad_login"


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _throttle_keys(username: str, address: str | None) -> list[str]:
    keys = ["user:" + username.strip().lower()[:64]]
    if address:
        keys.append("addr:" + address[:64])
    return keys


def _wait_seconds(row: LoginThrottle, now: datetime) -> int:
    """Seconds this key must still wait before the next attempt (0: may try now)."""
    if row.locked_until is not None and _aware(row.locked_until) > now:
        return math.ceil((_aware(row.locked_until) - now).total_seconds())
    free, _ = _limits(row.key)
    if row.failures < free:
        return 0
    delay = min(THROTTLE_MAX_DELAY, 2 ** (row.failures - free))
    ready = _aware(row.last_failure_at) + timedelta(seconds=delay)
    return max(0, math.ceil((ready - now).total_seconds()))


def _throttle_rows(session: Session, keys: list[str], now: datetime) -> dict[str, LoginThrottle]:
    """The existing throttle rows of ``keys``, with a run-out lock or a forgotten count reset to zero."""
    rows = {}
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is None:
            continue
        if row.locked_until is not None and _aware(row.locked_until) <= now:
            row.failures, row.locked_until = 0, None  # a lock that has run out starts the count again
        elif row.locked_until is None and _aware(row.last_failure_at) + FORGET_AFTER < now:
            row.failures = 0
        rows[key] = row
    return rows


class SignIn(NamedTuple):
    token: str
    actor: Actor


def sign_in(session: Session, *, username: str, password: str, address: str | None = None) -> SignIn:
    """:func:`attempt_sign_in` that raises the refusal (which rolls back the caller's transaction, and with
    it the failure's count and audit row: the HTTP door uses :func:`attempt_sign_in` and commits both)."""
    outcome = attempt_sign_in(session, username=username, password=password, address=address)
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


def attempt_sign_in(session: Session, *, username: str, password: str,
                    address: str | None = None) -> SignIn | ServiceError:
    """Check the password and open a device session; a refusal is returned, not raised, so that the caller
    commits its failure count and audit row.

    Every attempt costs one argon2 verification (a dummy hash for unknown or disabled users, so their
    answer takes as long as a known user's). Failures are counted per account name and per client address:
    after 5 (an address: 20), each further attempt must wait 1, 2, 4 … (at most 60) seconds; 20 (an
    address: 80) lock the key for 15 minutes (:func:`unlock` ends an account's lock early). Both outcomes are written to the audit log.
    Refusals: :class:`Throttled` (nothing verified) or :class:`PermissionDenied` (wrong name or password).
    """
    now = datetime.now(UTC)
    name = username.strip()
    keys = _throttle_keys(name, address)
    rows = _throttle_rows(session, keys, now)
    wait = max((_wait_seconds(r, now) for r in rows.values()), default=0)
    if wait:
        locked = any(r.locked_until is not None and _aware(r.locked_until) > now for r in rows.values())
        audit.record(session, actor=None, action="user.sign_in_refused", entity="user", entity_id=None,
                     detail={"username": name[:64], "address": address, "wait_s": wait, "locked": locked})
        if locked:
            return Throttled("auth.locked", retry_after=wait, minutes=math.ceil(wait / 60))
        return Throttled("auth.throttled", retry_after=wait, seconds=wait)

    user = session.scalar(select(User).where(User.username == name)) if USERNAME.match(name) else None
    usable = user is not None and user.active
    ok: bool
    try:
        ok = _hasher.verify(user.password_hash if usable and user is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or not usable or user is None:
        for key in keys:
            row = rows.get(key)
            if row is None:
                row = LoginThrottle(key=key, failures=0, last_failure_at=now)
                session.add(row)
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= _limits(key)[1]:
                row.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        audit.record(session, actor=None, action="user.sign_in_failed", entity="user",
                     entity_id=user.id if user is not None else None,
                     detail={"username": name[:64], "address": address,
                             "reason": "unknown_user" if user is None else
                             ("disabled" if not user.active else "wrong_password")})
        return PermissionDenied(BAD_LOGIN)

    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
    purge_expired_sessions(session)
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(days=SESSION_DAYS)))
    audit.record(session, actor=None, action="user.sign_in", entity="user", entity_id=user.id,
                 detail={"address": address})
    return SignIn(token=token, actor=actor_for(session, user))


def unlock(session: Session, *, actor: Actor, username: str) -> None:
    """Admin: clear an account's failed sign-ins and lock."""
    actor.require("admin")
    n = session.execute(delete(LoginThrottle).where(LoginThrottle.key == "user:" + username.strip().lower()))
    audit.record(session, actor=actor, action="user.unlock", entity="user", entity_id=None,
                 detail={"username": username, "cleared": bool(getattr(n, "rowcount", 0))})


def purge_expired_sessions(session: Session) -> int:
    result = session.execute(delete(AuthSession).where(AuthSession.expires_at < datetime.now(UTC)))
    return int(getattr(result, "rowcount", 0) or 0)


def end_sessions(session: Session, *, user_id: int) -> None:
    """End every session of a user (disabling an account, resetting a password)."""
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


def actor_from_token(session: Session, token: str | None) -> Actor | None:
    """The actor of a live session, read afresh from the database (role, sites and state as they are now);
    None when the token is unknown, revoked or expired or its user is disabled."""
    if not token or len(token) > 128:
        return None
    row = session.get(AuthSession, _token_hash(token))
    if row is None or _aware(row.expires_at) < datetime.now(UTC):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return actor_for(session, user)


def sign_out(session: Session, *, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == _token_hash(token)))


def set_password(session: Session, *, actor: Actor, username: str, password: str) -> None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("auth.user_unknown", username=username)
    if actor.id != user.id:
        actor.require("admin")
    check_password_rules(password)
    user.password_hash = hash_password(password)
    end_sessions(session, user_id=user.id)
    audit.record(session, actor=actor, action="user.password", entity="user", entity_id=user.id)
