"""A small organisation for service tests: two sites, staff, one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.services import auth, org
from app.services.actor import SYSTEM, Actor

PASSWORD = "correct-horse-1"


@dataclass
class World:
    admin: Actor
    manager: Actor
    supervisor: Actor
    other_supervisor: Actor
    staff: Actor
    site_a: int
    site_b: int
    staff_a1: int
    staff_a2: int
    staff_b1: int
    day: date = date(2026, 11, 20)


def build_world(db) -> World:
    with db.write() as s:
        auth.create_first_admin(s, username="admin", password=PASSWORD)
        a = org.add_site(s, actor=SYSTEM, code="A", name="金地格林小区", kind="residential")
        b = org.add_site(s, actor=SYSTEM, code="B", name="金地名峰案场", kind="sales_office")
        a1 = org.add_staff(s, actor=SYSTEM, code="S001", name="张丽", post="前台接待", site_code="A")
        a2 = org.add_staff(s, actor=SYSTEM, code="S002", name="王强", post="管家", site_code="A")
        b1 = org.add_staff(s, actor=SYSTEM, code="S101", name="李娜", post="前台接待", site_code="B")
        for username, role, sites, staff in [
            ("manager", "manager", ["A", "B"], None), ("sup", "supervisor", ["A"], None),
            ("sup_b", "supervisor", ["B"], None), ("zhangli", "staff", [], "S001"),
        ]:
            auth.create_user(s, actor=SYSTEM, username=username, password=PASSWORD, role=role,
                             site_codes=sites, staff_code=staff)
        ids = (a.id, b.id, a1.id, a2.id, b1.id)
    actors = {}
    with db.write() as s:
        for name in ("admin", "manager", "sup", "sup_b", "zhangli"):
            _, actors[name] = auth.sign_in(s, username=name, password=PASSWORD)
    return World(actors["admin"], actors["manager"], actors["sup"], actors["sup_b"], actors["zhangli"], *ids)
