"""The standards workshop page (标准管理) and the admin's in-force switches, driven through AppTest on the
real streamlit_app.py: who sees it, opening a published version, editing its grid, the difference against
the version in force, publishing (hostile label refused, hostile reason kept as text), retiring,
switching a checklist off for one kind of site. Every change is read back from the database."""

from __future__ import annotations

import io
import re
import shutil

import pytest
import sqlalchemy as sa
import yaml
from apptest_support import APP, TIMEOUT, app_as, as_shown, nav_titles, texts
from factories import checklist_dict, item, section
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest
from world import PASSWORD, build_world

from app.db.engine import Database, dispose_process_databases, make_engine
from app.db.models import AuditLog, ChecklistInForce, ChecklistVersion
from app.services import auth, catalog, standards
from app.services.actor import SYSTEM, Actor
from app.ui.state import APPTEST_TOKEN_KEY

SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2, text="前台台面整洁"), item("desk.log", 3, scoring="deduct", per=1,
                                                                 text="交接班记录完整")])],
    id="site-check", version="2026.1", title="前台安全检查", subject="site", kind="safety",
)
HOSTILE = ('<img src=x onerror=alert(1)> <iframe srcdoc="<script>alert(2)</script>"></iframe> '
           '![x](http://evil.example/a.png) **粗体** :red[红]')


@pytest.fixture
def app_db(sqlite_template, tmp_path, monkeypatch):
    path = tmp_path / "pinzhi.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    cl = tmp_path / "checklists"
    cl.mkdir()
    (cl / "site-check.yaml").write_text(yaml.safe_dump(SITE_CL, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(cl))
    dispose_process_databases()
    db = Database(make_engine(url))
    w = build_world(db)
    tokens = {}
    with db.write() as s:
        auth.create_user(s, actor=SYSTEM, username="qa1", password=PASSWORD, role="qa", display_name="品质部小周")
    with db.write() as s:
        for name in ("qa1", "admin", "sup", "manager"):
            tokens[name], _ = auth.sign_in(s, username=name, password=PASSWORD)
    yield db, w, tokens
    db.engine.dispose()
    dispose_process_databases()


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at, column):
    """The (read-only) table that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def versions(db):
    with db.read() as s:
        return list(s.scalars(sa.select(ChecklistVersion).order_by(ChecklistVersion.id)))


def test_who_sees_the_workshop(app_db):
    db, w, tokens = app_db
    assert nav_titles(ok(app_as(tokens["qa1"]))) == {"标准管理", "检查标准"}
    assert "标准管理" in nav_titles(ok(app_as(tokens["admin"])))
    for name in ("sup", "manager"):
        assert "标准管理" not in nav_titles(ok(app_as(tokens[name])))


def test_open_a_version_edit_the_grid_see_the_difference_publish_and_retire(app_db):
    db, w, tokens = app_db
    at = ok(app_as(tokens["qa1"], page="standards.py"))
    assert at.title[0].value == "标准管理"
    shipped = versions(db)
    assert [(v.label, v.status, v.reason) for v in shipped] == [("2026.1", "in_force", catalog.SHIPPED)]
    # the versions tab: open the version in force in the workshop
    assert at.selectbox(key="std_pick").value == "site-check"
    at.button(key="std_open").click().run()
    ok(at)
    grid_key = next(e.key for e in at.data_editor if e.key and e.key.startswith("std_grid_"))
    grid = at.data_editor(key=grid_key).value
    assert list(grid["number"]) == ["desk.clean", "desk.log"] and list(grid["points"]) == ["2", "3"]
    assert list(grid["rule"]) == ["不符合要求本项不得分", "每处扣1分，扣完为止"]
    # edit: reword desk.clean (hostile text), re-point desk.log (section total follows), validate
    at.session_state[grid_key] = {"edited_rows": {0: {"text": HOSTILE, "section": "section desk（6分）"},
                                                  1: {"points": "4", "section": "section desk（6分）"}},
                                  "added_rows": [], "deleted_rows": []}
    at.button(key="std_validate").click().run()
    ok(at)
    shown = texts(at)
    assert "校验通过" in shown, shown
    assert "与现行版本 2026.1 比较" in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["现行总分"] == "5" and metrics["新版总分"] == "6" and metrics["改写"] == "1"
    assert metrics["改分值"] == "1" and metrics["新增"] == "0" and metrics["删除"] == "0"
    changes = table_with(at, "变化")
    assert set(zip(changes["变化"], changes["编号"], strict=True)) == {("改写", "desk.clean"), ("改分值", "desk.log")}
    assert "desk.clean（qa1）" in shown and "desk.log（qa1）" in shown
    # a label with a line break is refused; nothing is published
    form = at.form(key="std_publish")
    at.text_input(key="std_label").input("A\n2")
    at.text_area(key="std_reason").input(HOSTILE)
    form.button[0].click().run()
    ok(at)
    assert at.error and len(versions(db)) == 1
    at.text_input(key="std_label").input("A/2")
    at.form(key="std_publish").button[0].click().run()
    ok(at)
    assert any("已发布 site-check 版本 A/2" in as_shown(s.value) for s in at.success), texts(at)
    rows = versions(db)
    assert [(v.label, v.status) for v in rows] == [("2026.1", "published"), ("A/2", "in_force")]
    new = rows[1]
    with db.read() as s:
        qa_id = s.scalar(sa.text("SELECT id FROM users WHERE username = 'qa1'"))
    assert new.reason == HOSTILE and new.published_by == qa_id
    c = catalog.stored_checklist(new)
    assert c.item("desk.clean").text == HOSTILE and c.item("desk.clean").source == "test · edited by qa1"
    assert c.item("desk.log").points == 4 and c.sections[0].id == "desk"
    with db.read() as s:
        audit = s.scalars(sa.select(AuditLog).where(AuditLog.action == "checklist.publish",
                                                    AuditLog.actor_id == new.published_by)).one()
    assert audit.detail["label"] == "A/2" and audit.detail["reason"] == HOSTILE

    # the hostile reason is shown as text in the versions table
    at = ok(app_as(tokens["qa1"], page="standards.py"))
    table = table_with(at, "版本号")
    assert list(table["版本号"]) == ["A/2", "2026.1"] and table["发布原因"][0] == HOSTILE
    assert list(table["状态"]) == ["现行", "已发布（未启用）"]
    assert not [m for m in at.markdown if "<img" in m.value and "\\<img" not in m.value]
    # retire A/2: unticked is refused, ticked retires it and 2026.1 is in force again
    at.form(key="std_retire").button[0].click().run()
    assert any("请先勾选确认" in e.value for e in at.error)
    at.checkbox(key="std_retire_sure").check()
    at.text_input(key="std_retire_reason").input("发布有误")
    at.form(key="std_retire").button[0].click().run()
    ok(at)
    assert [(v.label, v.status) for v in versions(db)] == [("2026.1", "in_force"), ("A/2", "retired")]


def test_downloads_of_a_version(app_db):
    db, w, tokens = app_db
    at = ok(app_as(tokens["qa1"], page="standards.py"))
    names = {b.key: b for b in at.get("download_button")}
    assert {"std_dl_yaml", "std_dl_xlsx"} <= set(names)


def test_admin_switches_a_checklist_off_for_one_kind_of_site(app_db):
    db, w, tokens = app_db
    at = ok(app_as(tokens["admin"], page="admin.py"))
    toggle = at.toggle(key="force_site-check_sales_office")
    assert toggle.value is True and at.toggle(key="force_site-check_residential").value is True
    toggle.set_value(False).run()
    ok(at)
    with db.read() as s:
        pointers = {(p.site_kind, p.version_id is not None) for p in s.scalars(sa.select(ChecklistInForce))}
    assert pointers == {("residential", True), ("sales_office", False)}
    with db.read() as s:
        assert not catalog.entry_for(s, "site-check", site_kind="sales_office").in_force
        assert catalog.entry_for(s, "site-check", site_kind="residential").in_force


def broken_sheet() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "考核标准"
    ws.append(["示范考核标准"])
    ws.append(["考核项目", "序号", "考核内容", "标准分", "扣分标准"])
    ws.append(["服务形象（3分）", "1.1", "员工按规定着装", 1, "每处扣0.5分"])
    ws.append([None, "1.2", "前台整洁", "两分", "每处扣0.5分"])  # points not a number
    ws.append([None, "1.3", "接待礼貌", 1, "看心情扣分"])  # a clause nobody can score
    ws.merge_cells("A3:A5")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff60]")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workshop_shows_a_broken_sheets_problems_in_the_language(app_db, lang):
    """The problems of an uploaded sheet (the list and the table's problems column) in the chosen language; in
    English the only Chinese left is the sheet's own content quoted."""
    db, w, tokens = app_db
    qa = Actor(id=0, username="qa1", display_name="qa1", role="qa")  # the workshop as the upload form keeps it
    workshop = standards.read_upload(actor=qa, data=broken_sheet(), file_name="标准.xlsx", checklist_id="demo-std")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[APPTEST_TOKEN_KEY] = tokens["qa1"]
    at.session_state["lang"] = lang
    at.session_state["std_ws"] = workshop
    at.switch_page("app/pages/standards.py")
    at.run()
    ok(at)
    listed = [c.value for c in at.code]
    table = table_with(at, "Problems" if lang == "en" else "问题")
    problems_column = list(table["Problems" if lang == "en" else "问题"])
    if lang == "zh":
        assert listed == ["第2行 分值：分值不是数字（两分）\n第3行 评分标准：无法识别的评分条款：“看心情扣分”"]
        assert problems_column == ["", "分值不是数字（两分）", "无法识别的评分条款：“看心情扣分”"]
    else:
        assert listed == ["row 2 · Points: The points are not a number (两分)\n"
                          "row 3 · Scoring rule: Unrecognised scoring clause: “看心情扣分”"]
        assert problems_column == ["", "The points are not a number (两分)", "Unrecognised scoring clause: “看心情扣分”"]
        quoted = ("两分", "看心情扣分")
        for shown in listed + problems_column:
            for q in quoted:
                shown = shown.replace(q, "")
            assert not CJK.search(shown), shown
