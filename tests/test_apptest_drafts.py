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


# ----------------------------------------------------------------------------- administration (issue 12, point 6)
def test_admin_user_form_has_no_default_role_and_keeps_input_on_error(world, db, tokens):  # noqa: F811
    from app.db.models import User

    at = app_as(tokens["admin"], page="admin.py")
    form = at.form(key="add_user")
    role = at.selectbox(key="au_role")
    assert role.value is None and role.placeholder == "请选择角色"
    at.text_input(key="au_username").input("newsup")
    at.text_input(key="au_name").input("新督导")
    at.text_input(key="au_password").input("tablet-check-77")
    form.button[0].click().run()
    assert [as_shown(e.value) for e in at.error] == ["请先选择角色（没有默认角色）"]
    with db.read() as s:
        assert s.scalar(sa.select(User).where(User.username == "newsup")) is None
    # what was typed is still there; a too-short password is refused by the service, input kept again
    assert at.text_input(key="au_username").value == "newsup" and at.text_input(key="au_name").value == "新督导"
    at.selectbox(key="au_role").set_value("supervisor")
    at.text_input(key="au_password").input("short")
    at.form(key="add_user").button[0].click().run()
    assert any("密码至少" in as_shown(e.value) for e in at.error)
    assert at.text_input(key="au_username").value == "newsup" and at.selectbox(key="au_role").value == "supervisor"
    at.text_input(key="au_password").input("tablet-check-77")
    at.form(key="add_user").button[0].click().run()
    assert not at.error and "✓" in [x.value for x in at.success]
    with db.read() as s:
        user = s.scalar(sa.select(User).where(User.username == "newsup"))
        assert user is not None and user.role == "supervisor" and user.display_name == "新督导"
    assert at.text_input(key="au_username").value == "" and at.selectbox(key="au_role").value is None  # cleared


def test_admin_site_form_labels_and_length_limit(world, db, tokens):  # noqa: F811
    from app.db.models import Site

    at = app_as(tokens["admin"], page="admin.py")
    form = at.form(key="add_site")
    assert [w.label for w in form.text_input] == ["管理处编号", "管理处名称"]
    assert at.text_input(key="as_name").max_chars == 120
    at.text_input(key="as_code").input("C")
    at.text_input(key="as_name").input("坏\x00名")
    at.form(key="add_site").button[0].click().run()
    assert any("管理处名称含有不允许的控制字符" in as_shown(e.value) for e in at.error)
    assert at.text_input(key="as_code").value == "C" and at.text_input(key="as_name").value == "坏\x00名"
    with db.read() as s:
        assert s.scalar(sa.select(Site).where(Site.code == "C")) is None
