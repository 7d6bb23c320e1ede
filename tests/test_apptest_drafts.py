"""AppTests of the start screen (现场巡检): discard a draft with confirmation, a duplicate start asks
"继续已有草稿 / 新建", a signed-off month is announced and cannot be started. Checked in the database."""

from __future__ import annotations

import sqlalchemy as sa
from apptest_support import app_as, as_shown, texts
from test_apptest import by_label, db, start_site, tokens, world, world_template  # noqa: F401 (fixtures)

from app.db.models import AuditLog, Inspection
from app.services import inspections as svc
from app.services import signoff


def drafts(db, w):  # noqa: F811
    with db.read() as s:
        return [d.id for d in svc.my_drafts(s, actor=w.supervisor)]


def test_discard_asks_first_then_deletes_and_logs(world, db, tokens):  # noqa: F811
    iid = start_site(db, world)
    at = app_as(tokens["sup"])
    at.button(key=f"discard_{iid}").click().run()
    assert drafts(db, world) == [iid]  # nothing happens before the confirmation
    assert any("放弃草稿「前台安全检查 · 金地格林小区」？" in as_shown(w.value) for w in at.warning)
    at.button(key=f"discard_no_{iid}").click().run()
    assert not at.warning and drafts(db, world) == [iid]
    at.button(key=f"discard_{iid}").click().run()
    at.button(key=f"discard_yes_{iid}").click().run()
    assert not at.exception
    assert drafts(db, world) == []
    assert [as_shown(s.value) for s in at.success] == ["草稿「前台安全检查」已放弃。"]
    with db.read() as s:
        assert s.get(Inspection, iid) is None
        assert s.scalar(sa.select(AuditLog.entity_id).where(AuditLog.action == "inspection.discard")) == str(iid)


def test_duplicate_start_asks_resume_or_new(world, db, tokens):  # noqa: F811
    first = start_site(db, world)
    at = app_as(tokens["sup"])
    at.date_input(key="new_day").set_value(world.day).run()
    at.segmented_control(key="new_subject").set_value("site").run()
    by_label(at.button, "开始检查").click().run()
    assert "同一班次、对象和检查表已有一份草稿" in texts(at)
    assert drafts(db, world) == [first] and "insp" not in at.query_params
    assert by_label(at.button, "开始检查").disabled
    at.button(key="dup_resume").click().run()
    assert at.query_params["insp"] == str(first)
    at2 = app_as(tokens["sup"])
    at2.date_input(key="new_day").set_value(world.day).run()
    at2.segmented_control(key="new_subject").set_value("site").run()
    by_label(at2.button, "开始检查").click().run()
    at2.button(key="dup_new").click().run()
    new = int(at2.query_params["insp"])
    assert new != first and sorted(drafts(db, world)) == [first, new]


def test_signed_off_month_is_announced_and_start_disabled(world, db, tokens):  # noqa: F811
    with db.write() as s:
        signoff.sign_off(session=s, actor=world.manager, site_id=world.site_a, month=world.day.strftime("%Y-%m"))
    at = app_as(tokens["sup"])
    at.date_input(key="new_day").set_value(world.day).run()
    month = world.day.strftime("%Y-%m")
    assert any(f"金地格林小区 {month} 月度考核已签字确认" in as_shown(w.value) for w in at.warning)
    assert by_label(at.button, "开始检查").disabled
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
