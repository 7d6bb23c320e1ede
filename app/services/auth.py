"""Accounts, passwords (argon2id) and device sessions."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.models import ROLES, AuthSession, Site, Staff, User, UserSite
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound, PermissionDenied

_hasher = PasswordHasher()
SESSION_DAYS = 14
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"密码至少 {MIN_PASSWORD} 位")


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
        raise Invalid("用户名只能包含字母、数字、. _ -（2–64 位）")
    if role not in ROLES:
        raise Invalid(f"角色必须是 {', '.join(ROLES)} 之一")
    check_password_rules(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在")
    staff_id = None
    if staff_code:
        staff = session.scalar(select(Staff).where(Staff.code == staff_code))
        if staff is None:
            raise NotFound(f"员工编号 {staff_code} 不存在")
        staff_id = staff.id
    if role == "staff" and staff_id is None:
        raise Invalid("员工账号必须关联员工编号")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=hash_password(password), staff_id=staff_id, active=True,
                created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    for code in site_codes:
        site = session.scalar(select(Site).where(Site.code == code))
        if site is None:
            raise NotFound(f"管理处编号 {code} 不存在")
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
        raise PermissionDenied("已有管理员账号")
    user = _create_user(session, username=username, password=password, role="admin",
                        display_name=display_name or "系统管理员", site_codes=[], staff_code=None)
    audit.record(session, actor=None, action="user.first_admin", entity="user", entity_id=user.id,
                 detail={"username": username})
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok or user is None:
        raise PermissionDenied("用户名或密码错误")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


SESSION_COOKIE = "pinzhi_session"


def csrf_token(token: str) -> str:
    """The CSRF value that goes with a session token (sent back in ``X-CSRF-Token`` on API writes).

    Derived one-way from the token, so knowing it reveals nothing about the session itself.
    """
    return hmac.new(token.encode(), b"pinzhi-csrf-v1", hashlib.sha256).hexdigest()


def sign_in(session: Session, *, username: str, password: str) -> tuple[str, Actor]:
    """Check the password and open a device session; returns (token, actor)."""
    user = authenticate(session, username=username, password=password)
    token = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    session.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(days=SESSION_DAYS)))
    audit.record(session, actor=None, action="user.sign_in", entity="user", entity_id=user.id)
    return token, actor_for(session, user)


def actor_from_token(session: Session, token: str | None) -> Actor | None:
    if not token:
        return None
    row = session.get(AuthSession, _token_hash(token))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
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
        raise NotFound(f"用户 {username} 不存在")
    if actor.id != user.id:
        actor.require("admin")
    check_password_rules(password)
    user.password_hash = hash_password(password)
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    audit.record(session, actor=actor, action="user.password", entity="user", entity_id=user.id)
