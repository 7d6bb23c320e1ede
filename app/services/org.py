"""Sites, staff and shifts: what an actor may see, and the admin's management of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.dml import insert_if_absent
from app.db.models import POSTS, ROLES, SHIFT_NAMES, SITE_KINDS, Shift, Site, Staff, User, UserSite
from app.messages import Joined, msg
from app.services import audit, auth
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound
from app.services.text import clean_name

__all__ = ["POSTS", "ROLES", "SHIFT_NAMES", "SITE_KINDS"]

# column widths of the tables (PostgreSQL refuses longer values; SQLite would silently keep them)
CODE_MAX, SITE_NAME_MAX, STAFF_NAME_MAX, POST_MAX = 32, 120, 80, 32


@dataclass(frozen=True)
class SiteView:
    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class StaffView:
    id: int
    code: str
    name: str
    post: str
    site_id: int
    site_name: str


def _site_view(s: Site) -> SiteView:
    return SiteView(s.id, s.code, s.name, s.kind)


def _staff_view(s: Staff) -> StaffView:
    return StaffView(s.id, s.code, s.name, s.post, s.site_id, s.site.name)


def visible_sites(session: Session, *, actor: Actor) -> list[SiteView]:
    q = select(Site).where(Site.active).order_by(Site.code)
    if not actor.is_admin:
        q = q.where(Site.id.in_(actor.site_ids or {-1}))
    return [_site_view(s) for s in session.scalars(q)]


def site_staff(session: Session, *, actor: Actor, site_id: int) -> list[StaffView]:
    actor.require_site(site_id)
    q = select(Staff).where(Staff.site_id == site_id, Staff.active).order_by(Staff.code)
    if actor.role == "staff":
        q = q.where(Staff.id == actor.staff_id)
    return [_staff_view(s) for s in session.scalars(q)]


def staff_view(session: Session, *, actor: Actor, staff_id: int) -> StaffView:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("org.staff_missing")
    if actor.role == "staff" and actor.staff_id != staff_id:
        raise Invalid("org.staff_own_only")
    actor.require_site(staff.site_id)
    return _staff_view(staff)


def get_or_create_shift(session: Session, *, site_id: int, day: date, name: str) -> Shift:
    if name not in SHIFT_NAMES:
        raise Invalid("org.shift_unknown",
                      shifts=Joined(tuple(msg(f"shift.{n}") for n in SHIFT_NAMES), {"zh": " / ", "en": " / "}))
    where = (Shift.site_id == site_id, Shift.date == day, Shift.name == name)
    shift = session.scalar(select(Shift).where(*where))
    if shift is None:  # concurrent starts on the same shift: insert-on-conflict, never an IntegrityError
        insert_if_absent(session, Shift, {"site_id": site_id, "date": day, "name": name},
                         ["site_id", "date", "name"])
        shift = session.scalar(select(Shift).where(*where))
        assert shift is not None
    return shift


# ----------------------------------------------------------------------------- admin
def add_site(session: Session, *, actor: Actor, code: str, name: str, kind: str = "residential") -> Site:
    actor.require("admin")
    if kind not in SITE_KINDS:
        raise Invalid("org.site_kind_unknown", kinds=" / ".join(SITE_KINDS))
    code = clean_name(code, field=msg("site_code"), max_len=CODE_MAX)
    name = clean_name(name, field=msg("site_name"), max_len=SITE_NAME_MAX)
    if session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise Conflict("org.site_code_taken", code=code)
    site = Site(code=code, name=name, kind=kind, active=True)
    session.add(site)
    session.flush()
    audit.record(session, actor=actor, action="site.create", entity="site", entity_id=site.id,
                 detail={"code": code, "name": name, "kind": kind})
    return site


def add_staff(session: Session, *, actor: Actor, code: str, name: str, post: str, site_code: str,
              responsible: bool = False) -> Staff:
    actor.require("admin")
    site_code = clean_name(site_code, field=msg("site_code"), max_len=CODE_MAX)
    site = session.scalar(select(Site).where(Site.code == site_code))
    if site is None:
        raise NotFound("org.site_code_unknown", code=site_code)
    code = clean_name(code, field=msg("staff_code"), max_len=CODE_MAX)
    name = clean_name(name, field=msg("field.staff_name"), max_len=STAFF_NAME_MAX)
    post = clean_name(post, field=msg("post"), max_len=POST_MAX)
    if session.scalar(select(Staff.id).where(Staff.code == code)) is not None:
        raise Conflict("org.staff_code_taken", code=code)
    staff = Staff(code=code, name=name, post=post, site_id=site.id,
                  responsible=responsible, active=True)
    session.add(staff)
    session.flush()
    audit.record(session, actor=actor, action="staff.create", entity="staff", entity_id=staff.id,
                 detail={"code": code, "name": name, "post": post, "site": site_code})
    return staff


def list_users(session: Session, *, actor: Actor) -> list[dict[str, object]]:
    actor.require("admin")
    rows = []
    for u in session.scalars(select(User).order_by(User.username)):
        sites = session.scalars(select(Site.code).join(UserSite, UserSite.site_id == Site.id)
                                .where(UserSite.user_id == u.id)).all()
        rows.append({"username": u.username, "name": u.display_name, "role": u.role, "active": u.active,
                     "sites": ", ".join(sites)})
    return rows


def set_user_active(session: Session, *, actor: Actor, username: str, active: bool) -> None:
    actor.require("admin")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("auth.user_unknown", username=username)
    if user.id == actor.id and not active:
        raise Invalid("org.disable_self")
    user.active = active
    if not active:  # a disabled account's open tabs stop at their next action; re-enabling revives none
        auth.end_sessions(session, user_id=user.id)
    audit.record(session, actor=actor, action="user.active", entity="user", entity_id=user.id,
                 detail={"active": active})


def set_user_sites(session: Session, *, actor: Actor, username: str, site_codes: list[str]) -> None:
    """Admin: the sites a manager or supervisor is assigned to. Removing a site blocks their drafts there."""
    actor.require("admin")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("auth.user_unknown", username=username)
    ids = []
    for code in dict.fromkeys(site_codes):
        site_id = session.scalar(select(Site.id).where(Site.code == code))
        if site_id is None:
            raise NotFound("org.site_code_unknown", code=code)
        ids.append(site_id)
    before = sorted(session.scalars(select(Site.code).join(UserSite, UserSite.site_id == Site.id)
                                    .where(UserSite.user_id == user.id)))
    session.execute(delete(UserSite).where(UserSite.user_id == user.id))
    for site_id in ids:
        session.add(UserSite(user_id=user.id, site_id=site_id))
    session.flush()
    audit.record(session, actor=actor, action="user.sites", entity="user", entity_id=user.id,
                 detail={"before": before, "after": sorted(dict.fromkeys(site_codes))})


def all_sites(session: Session, *, actor: Actor) -> list[SiteView]:
    actor.require("admin")
    return [_site_view(s) for s in session.scalars(select(Site).order_by(Site.code))]


def all_staff(session: Session, *, actor: Actor) -> list[StaffView]:
    actor.require("admin", "manager")
    q = select(Staff).order_by(Staff.code)
    if not actor.is_admin:
        q = q.where(Staff.site_id.in_(actor.site_ids or {-1}))
    return [_staff_view(s) for s in session.scalars(q)]


def site_id_by_code(session: Session, *, code: str) -> int:
    """The id of the site with this code (whether the actor may use it is checked by the use case)."""
    site_id = session.scalar(select(Site.id).where(Site.code == code))
    if site_id is None:
        raise NotFound("org.site_code_unknown", code=code)
    return int(site_id)


def staff_id_by_code(session: Session, *, code: str) -> int:
    staff_id = session.scalar(select(Staff.id).where(Staff.code == code))
    if staff_id is None:
        raise NotFound("org.staff_code_unknown", code=code)
    return int(staff_id)
