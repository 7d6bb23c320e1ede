"""The demo company: a believable, complete, submitted data set written through the services."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.models import (
    POSTS,
    SHIFT_NAMES,
    Answer,
    Inspection,
    InspectionSection,
    Site,
    Staff,
    User,
    UserSite,
)
from app.services import auth, catalog, demo
from app.services.errors import Conflict

RESIDENTIAL = {"jindi-community-cs", "frontdesk-workflow", "office-safety", "training-records"}
SALES_OFFICE = {"jindi-salesoffice-cs", "office-safety", "training-records"}


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def check_company(s) -> None:
    sites = s.scalars(select(Site).order_by(Site.code)).all()
    assert len(sites) == 3
    assert sorted(x.kind for x in sites) == ["residential", "residential", "sales_office"]
    staff = s.scalars(select(Staff)).all()
    assert len(staff) == 20
    assert len({x.name for x in staff}) == 20
    assert {x.post for x in staff} <= set(POSTS)
    assert {x.post for x in staff} >= {"前台接待", "客服助理", "管家", "客服主管"}
    for site in sites:
        mine = [x for x in staff if x.site_id == site.id]
        assert len(mine) >= 4
        assert [x.post for x in mine if x.responsible] == ["客服主管"]
    users = {u.username: u for u in s.scalars(select(User))}
    assert {u: users[u].role for u in users} == {
        "admin": "admin", "manager": "manager", "sup1": "supervisor", "sup2": "supervisor",
        "staff01": "staff", "staff02": "staff", "staff03": "staff",
    }
    kind_of = {x.id: x.kind for x in sites}

    def site_kinds(username: str) -> list[str]:
        ids = s.scalars(select(UserSite.site_id).where(UserSite.user_id == users[username].id))
        return sorted(kind_of[i] for i in ids)

    assert site_kinds("manager") == ["residential", "residential", "sales_office"]
    assert site_kinds("sup1") == ["residential", "residential"]
    assert site_kinds("sup2") == ["residential", "sales_office"]
    assert all(users[f"staff0{i}"].staff_id is not None for i in (1, 2, 3))


def check_inspections(s, summary: demo.DemoSummary, today: date) -> list[Inspection]:
    """Everything submitted, complete, in the demo months, no shift in the future; returns the inspections."""
    rows = s.scalars(select(Inspection)).unique().all()
    assert len(rows) == summary.inspections > 0
    assert all(i.status == "submitted" and i.submitted_at is not None for i in rows)
    assert all(i.percent is not None and i.grade is not None and i.snapshot for i in rows)
    now = datetime.now(UTC)
    for i in rows:
        assert i.shift.date <= today and i.shift.name in SHIFT_NAMES
        assert i.month == i.shift.date.strftime("%Y-%m") and i.month in summary.months
        assert _aware(i.submitted_at) <= now and _aware(i.created_at) <= _aware(i.submitted_at)
        assert i.shift.site_id == i.site_id
    # one answer per item of the stored checklist, each with a value
    answers: dict[int, dict[str, dict]] = defaultdict(dict)
    for a in s.scalars(select(Answer)):
        answers[a.inspection_id][a.item_id] = a.value
    assert sum(len(v) for v in answers.values()) == summary.answers
    for i in rows:
        items = {it.id for it in catalog.stored_checklist(i.checklist_version).items}
        assert set(answers[i.id]) == items, i.id
        assert all(answers[i.id].values()), i.id
    sections = s.scalar(select(func.count()).select_from(InspectionSection))
    assert sections >= len(rows)
    # the right checklists for the right subjects and inspectors
    for i in rows:
        cid = i.checklist_version.checklist_id
        if i.subject_type == "site":
            assert i.kind == "supervisor" and i.staff_id is None
            assert cid in (RESIDENTIAL if i.site.kind == "residential" else SALES_OFFICE)
        else:
            assert cid == "appearance-etiquette" and i.staff.site_id == i.site_id
        if i.kind == "supervisor":
            assert i.inspector.role == "supervisor"
            assert i.site_id in set(s.scalars(select(UserSite.site_id).where(UserSite.user_id == i.inspector_id)))
        else:
            assert i.kind == "self_check" and i.inspector.role == "staff"
            assert i.inspector.staff_id == i.staff_id
    return rows


def test_full_demo_sqlite(sqlite_db):
    """The default demo, as the CLI creates it."""
    summary = demo.seed_demo(sqlite_db)
    today = demo.today_shanghai()
    assert summary.sites == 3 and summary.staff == 20 and summary.users == 7
    assert dict(summary.accounts) == {"admin": "admin", "manager": "manager", "sup1": "supervisor",
                                      "sup2": "supervisor", "staff01": "staff", "staff02": "staff",
                                      "staff03": "staff"}
    assert summary.password.startswith("pz-") and len(summary.password) >= 10
    assert summary.password not in Path(demo.__file__).read_text(encoding="utf-8")  # random, not in the code
    assert len(summary.months) == 3 and summary.months[-1] == today.strftime("%Y-%m")
    with sqlite_db.read() as s:
        assert not demo.database_is_empty(s)
        check_company(s)
        rows = check_inspections(s, summary, today)
        sup = [i for i in rows if i.kind == "supervisor"]
        own = [i for i in rows if i.kind == "self_check"]
        assert len(sup) == summary.supervisor_inspections and len(own) == summary.self_checks > 0
        # supervisor inspections of every site and every staff member, at least twice, in each of the 3 months
        per_site: dict[tuple, int] = defaultdict(int)
        per_staff: dict[tuple, int] = defaultdict(int)
        for i in sup:
            if i.subject_type == "site":
                per_site[(i.site_id, i.checklist_version.checklist_id, i.month)] += 1
            else:
                per_staff[(i.staff_id, i.month)] += 1
        assert {m for _, _, m in per_site} == set(summary.months) == {m for _, m in per_staff}
        assert len(per_staff) == 20 * 3 and min(per_staff.values()) >= 2
        assert len(per_site) == (4 + 4 + 3) * 3 and min(per_site.values()) >= 2
        # self-checks only by the three staff members with accounts, every month
        assert {(i.staff.code, i.month) for i in own} == {(c, m) for c in ("S001", "S009", "S016")
                                                          for m in summary.months}
        # believable, varied scores; self-checks rosier than what the supervisor sees
        assert len({i.percent for i in rows}) >= 20
        assert len({i.grade for i in sup}) >= 3
        critical = sum(i.critical_failed for i in rows)
        assert critical == summary.critical_failures and critical < 0.02 * len(rows)
        own_staff = {i.staff_id for i in own}
        own_sup = [i for i in sup if i.staff_id in own_staff]
        assert sum(i.percent for i in own) / len(own) > sum(i.percent for i in own_sup) / len(own_sup)
        notes = s.scalars(select(Answer.note).where(Answer.note.isnot(None))).all()
        assert len(notes) > 20 and len(set(notes)) > 10
    with sqlite_db.write() as s:
        _, actor = auth.sign_in(s, username="admin", password=summary.password)
        assert actor.role == "admin"


def test_small_demo(db):
    """A small demo on SQLite and PostgreSQL: same rules; over a year end; a second seed is refused."""
    today = date(2026, 1, 10)
    summary = demo.seed_demo(db, today=today, months=2, per_month=1, seed=7)
    assert summary.months == ("2025-12", "2026-01")
    assert summary.password.startswith("pz-")
    with db.read() as s:
        check_company(s)
        rows = check_inspections(s, summary, today)
        assert {i.month for i in rows if i.kind == "supervisor"} == {"2025-12", "2026-01"}
        assert any(i.kind == "self_check" for i in rows)
        assert len({i.percent for i in rows}) >= 5
    with db.write() as s:
        _, actor = auth.sign_in(s, username="admin", password=summary.password)
        assert actor.role == "admin"
        _, staff = auth.sign_in(s, username="staff02", password=summary.password)
        assert staff.role == "staff" and staff.staff_id is not None
    with pytest.raises(Conflict):
        demo.seed_demo(db, today=today, months=1, per_month=1)
    with db.read() as s:  # the refused second seed added nothing
        assert s.scalar(select(func.count()).select_from(Inspection)) == summary.inspections


def test_given_password_and_empty_check(sqlite_db):
    with sqlite_db.read() as s:
        assert demo.database_is_empty(s)
    summary = demo.seed_demo(sqlite_db, today=date(2026, 3, 2), months=1, per_month=1, password="demo-pass-123")
    assert summary.password == "demo-pass-123"
    with sqlite_db.write() as s:
        _, actor = auth.sign_in(s, username="sup2", password="demo-pass-123")
        assert actor.role == "supervisor" and len(actor.site_ids) == 2


def test_month_starts_cross_the_year():
    assert demo._month_starts(date(2026, 2, 28), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert demo._month_end(date(2024, 2, 1)) == date(2024, 2, 29)
