"""The Streamlit pages driven headless through ``streamlit.testing.v1.AppTest``.

Each test gets its own SQLite database (``DATABASE_URL``) and, except the checklists page, a small
checklist directory (``PINZHI_CHECKLISTS``). The app keeps one database per URL in the process,
so those are disposed around every test.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from api_support import Api
from apptest_support import app_as, as_shown, nav_titles, texts
from factories import checklist_dict, item, section
from streamlit.testing.v1 import AppTest
from world import PASSWORD, build_world

from app.db.engine import Database, dispose_process_databases, make_engine
from app.db.models import AuditLog
from app.services import auth, catalog, org
from app.services import inspections as svc

ROOT = Path(__file__).resolve().parents[1]

SITE_CL = checklist_dict(
    [section("desk", [item("desk.clean", 2), item("desk.log", 3, scoring="deduct", per=1)]),
     section("safe", [item("safe.exit", 4, scoring="scale", step=1)])],
    id="site-check", version="2026.1", title="前台安全检查", subject="site", kind="safety",
)
STAFF_SELF_CL = checklist_dict(
    [section("look", [item("look.badge", 1), item("look.hair", 1)])],
    id="staff-look", version="1", title="仪容仪表自查", subject="staff", kind="appearance", self_check=True,
)
STAFF_SUP_CL = checklist_dict(
    [section("svc", [item("svc.greet", 2)])],
    id="staff-service", version="1", title="服务督导检查", subject="staff", kind="standard",
)
SITE_ALL = {"desk.clean": {"result": "pass"}, "desk.log": {"count": 1}, "safe.exit": {"points": 4}}


# ----------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="session")
def world_template(sqlite_template, tmp_path_factory):
    """One database with the world and a sign-in token per user, built once (password hashing is slow)."""
    path = tmp_path_factory.mktemp("apptest") / "world.db"
    shutil.copy(sqlite_template, path)
    database = Database(make_engine(f"sqlite:///{path}"))
    w = build_world(database)
    tokens = {}
    with database.write() as s:
        for username in ("admin", "manager", "sup", "sup_b", "zhangli"):
            tokens[username], _ = auth.sign_in(s, username=username, password=PASSWORD)
    database.engine.dispose()  # checkpoints the WAL into the file
    return path, w, tokens


def _app_database(source: Path, tmp_path: Path, monkeypatch) -> Database:
    """A copy of ``source`` that the app under test opens through DATABASE_URL, with the test checklists."""
    path = tmp_path / "pinzhi.db"
    shutil.copy(source, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    cl = tmp_path / "checklists"
    cl.mkdir()
    for doc in (SITE_CL, STAFF_SELF_CL, STAFF_SUP_CL):
        (cl / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(cl))
    dispose_process_databases()  # the app's cached Database belongs to the previous test
    return Database(make_engine(url))


@pytest.fixture
def empty_db(sqlite_template, tmp_path, monkeypatch):
    """A migrated database without any user (first start)."""
    database = _app_database(sqlite_template, tmp_path, monkeypatch)
    yield database
    database.engine.dispose()
    dispose_process_databases()


@pytest.fixture
def db(world_template, tmp_path, monkeypatch):
    """A fresh copy of the world database (two sites, staff, a user per role)."""
    database = _app_database(world_template[0], tmp_path, monkeypatch)
    yield database
    database.engine.dispose()
    dispose_process_databases()


@pytest.fixture
def world(world_template, db):
    return world_template[1]


@pytest.fixture
def tokens(world_template):
    return world_template[2]


def by_label(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, [w.label for w in widgets]
    return found[0]


def start_site(db: Database, w, actor=None) -> int:
    with db.write() as s:
        return svc.start_inspection(session=s, actor=actor or w.supervisor, site_id=w.site_a, shift_date=w.day,
                                    shift_name="早班", subject_type="site", checklist_id="site-check")


def submitted_site(db: Database, w) -> int:
    iid = start_site(db, w)
    for item_id, value in SITE_ALL.items():
        with db.write() as s:
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=item_id, value=value)
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    return iid


def answers(db: Database, actor, iid: int) -> dict:
    with db.read() as s:
        return svc.load_inspection(s, actor=actor, inspection_id=iid).answers


# ----------------------------------------------------------------------------- sign-in state
# (signing in itself is HTTP: POST /auth/login sets the cookie; see tests/test_web_auth.py)
def test_without_a_session_only_the_sign_in_form_is_offered(world, db):
    at = app_as(None)
    assert nav_titles(at) == {"登录"}
    assert "登录已失效" in texts(at)
    assert not at.query_params


def test_a_forged_or_revoked_token_is_not_a_session(world, db, tokens):
    assert nav_titles(app_as("forged-token-not-in-the-database")) == {"登录"}
    with db.write() as s:
        auth.sign_out(s, token=tokens["sup"])
    assert nav_titles(app_as(tokens["sup"])) == {"登录"}


@pytest.mark.parametrize(("username", "present", "absent"), [
    ("sup", {"现场巡检", "检查记录", "检查标准"}, {"系统管理", "员工自查", "月度考核", "登录"}),
    ("admin", {"现场巡检", "检查记录", "检查标准", "系统管理"}, {"员工自查", "登录"}),
    ("zhangli", {"员工自查", "检查记录", "检查标准", "培训记录"}, {"现场巡检", "系统管理", "月度考核", "登录"}),
])
def test_a_session_shows_the_roles_pages(world, db, tokens, username, present, absent):
    at = app_as(tokens[username])
    assert not at.exception and not at.error
    titles = nav_titles(at)
    assert present <= titles and not (absent & titles), titles
    assert not at.query_params  # nothing about the session in the URL
    # the landing page is the role's first page
    assert at.title[0].value == ("员工自查" if username == "zhangli" else "现场巡检")


def test_disabling_a_user_stops_their_open_page_at_the_next_run(world, db, tokens):
    at = app_as(tokens["sup"])
    assert "现场巡检" in nav_titles(at)
    with db.write() as s:
        org.set_user_active(s, actor=world.admin, username="sup", active=False)
    at.run()
    assert nav_titles(at) == {"登录"}
    with db.write() as s:  # re-enabling revives no old session
        org.set_user_active(s, actor=world.admin, username="sup", active=True)
    at.run()
    assert nav_titles(at) == {"登录"}


# ----------------------------------------------------------------------------- inspect (supervisor)
def test_new_inspection_form_lists_only_the_supervisors_sites(world, db, tokens):
    at = app_as(tokens["sup"])
    assert at.title[0].value == "现场巡检"
    assert at.selectbox(key="new_site").options == ["金地格林小区（住宅小区）"]
    staff = at.selectbox(key=f"new_staff_{world.site_a}").options
    assert staff == ["张丽 · 前台接待 · S001", "王强 · 管家 · S002"]
    # staff checklists for a staff subject (self-check ones included: they are staff checklists too)
    assert set(at.selectbox(key="new_cl_staff_residential").options) == {"仪容仪表自查 · 2项", "服务督导检查 · 1项"}
    at.segmented_control(key="new_subject").set_value("site").run()
    assert at.selectbox(key="new_cl_site_residential").options == ["前台安全检查 · 3项"]

    other = app_as(tokens["sup_b"])
    assert other.selectbox(key="new_site").options == ["金地名峰案场（销售案场）"]
    manager = app_as(tokens["manager"])
    assert len(manager.selectbox(key="new_site").options) == 2


def screen_data(at: AppTest) -> dict:
    """The data the inspection screen component was mounted with (its contract: app/ui/inspection_screen)."""
    mounts = [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.json]
    screens = [d for d in mounts if d.get("mode") == "items"]
    assert len(screens) == 1, mounts
    return screens[0]


def api_client(db: Database) -> Api:
    """The JSON API the screen talks to, on the test's database (the screen's taps arrive there)."""
    from api_support import mounted
    from starlette.testclient import TestClient

    return Api(db, None, TestClient(mounted(lambda: db), raise_server_exceptions=False))  # type: ignore[arg-type]


def put_answer(api: Api, user: str, iid: int, item_id: str, value: dict | None, at_ms: int) -> None:
    r = api.call(user, "PUT", f"/inspections/{iid}/answers/{item_id}",
                 json={"value": value, "op_id": str(uuid.uuid4()), "answered_at": at_ms})
    assert r.status_code == 200 and r.json()["applied"], r.text


def test_start_inspection_opens_the_item_screen(world, db, tokens):
    at = app_as(tokens["sup"])
    at.segmented_control(key="new_subject").set_value("site").run()
    by_label(at.button, "开始检查").click().run()
    assert not at.exception
    with db.read() as s:
        drafts = svc.my_drafts(s, actor=world.supervisor)
    assert [(d.checklist_id, d.site_id, d.subject_type, d.status) for d in drafts] == [
        ("site-check", world.site_a, "site", "draft")]
    iid = drafts[0].id
    assert at.query_params["insp"] == str(iid) and at.query_params["step"] == "items"
    assert at.subheader[0].value == "前台安全检查"
    data = screen_data(at)
    assert (data["inspection_id"], data["user_id"], data["api"]) == (iid, world.supervisor.id, "/api/v1")
    assert [[i["id"] for i in sec["items"]] for sec in data["checklist"]["sections"]] == [
        ["desk.clean", "desk.log"], ["safe.exit"]]
    assert data["checklist"]["sections"][0]["items"][0]["text"] == "text of desk.clean"
    assert data["answers"] == {} and data["notes"] == {} and data["photos"] == {}
    assert data["labels"]["pass"] == "合格" and data["labels"]["fail"] == "不合格"


def test_answers_through_the_api_are_stored_and_the_screen_reopens_with_them(world, db, tokens):
    iid = start_site(db, world)
    api = api_client(db)
    api.sessions["sup"] = tokens["sup"]
    t0 = 1_700_000_000_000
    put_answer(api, "sup", iid, "desk.clean", {"result": "fail"}, t0)
    assert answers(db, world.supervisor, iid) == {"desk.clean": {"result": "fail"}}
    r = api.call("sup", "PUT", f"/inspections/{iid}/notes/desk.clean", json={"note": "台面有杂物"})
    assert r.status_code == 200, r.text
    with db.read() as s:
        assert svc.load_inspection(s, actor=world.supervisor, inspection_id=iid).notes == {"desk.clean": "台面有杂物"}
    put_answer(api, "sup", iid, "desk.log", {"count": 2}, t0 + 1)
    put_answer(api, "sup", iid, "safe.exit", {"points": 3}, t0 + 2)
    assert answers(db, world.supervisor, iid) == {"desk.clean": {"result": "fail"}, "desk.log": {"count": 2},
                                                  "safe.exit": {"points": 3}}
    # a reload (fresh session, same URL) mounts the screen with the stored answers and notes
    again = app_as(tokens["sup"], insp=str(iid), step="items")
    data = screen_data(again)
    assert data["answers"] == {"desk.clean": {"result": "fail"}, "desk.log": {"count": 2}, "safe.exit": {"points": 3}}
    assert data["notes"] == {"desk.clean": "台面有杂物"}
    assert "进度" not in texts(again)  # progress and score are the screen's own (no stale Streamlit header)


def test_review_shows_unanswered_and_blocks_submit(world, db, tokens):
    iid = start_site(db, world)
    with db.write() as s:
        svc.save_answer(session=s, actor=world.supervisor, inspection_id=iid, item_id="desk.clean",
                        value={"result": "pass"})
    at = app_as(tokens["sup"], insp=str(iid), step="review")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["已答"] == "1/3"
    assert "**未作答（2）**" in texts(at)
    assert "- text of desk.log" in texts(at) and "- text of safe.exit" in texts(at)
    assert [as_shown(w.value) for w in at.warning] == ["还不能提交：2 项需要处理（见上方列表，点 → 跳到该项）"]
    assert at.button(key=f"submit_{iid}").disabled
    # the jump button opens the item screen on the unanswered item (the screen scrolls to and highlights it)
    at.button(key="jump_u_1").click().run()
    assert at.query_params["step"] == "items" and at.query_params["item"] == "safe.exit"
    assert screen_data(at)["focus_item"] == "safe.exit"


def test_submit_when_all_answered(world, db, tokens):
    iid = start_site(db, world)
    api = api_client(db)
    api.sessions["sup"] = tokens["sup"]
    for n, (item_id, value) in enumerate(SITE_ALL.items()):
        put_answer(api, "sup", iid, item_id, value, 1_700_000_000_000 + n)
    at = app_as(tokens["sup"], insp=str(iid), step="review")
    assert {m.label: m.value for m in at.metric}["已答"] == "3/3"
    assert "未作答" not in texts(at) and not at.warning
    submit = at.button(key=f"submit_{iid}")
    assert not submit.disabled
    submit.click().run()
    assert not at.exception and not at.error
    with db.read() as s:
        view = svc.load_inspection(s, actor=world.supervisor, inspection_id=iid)
    assert view.header.status == "submitted" and view.header.percent == (Decimal(800) / 9).quantize(Decimal("0.000001"))  # 8 of 9 points
    assert at.query_params["step"] == "done"
    assert "已提交 · 前台安全检查" in [x.value for x in at.success]
    assert {m.label: m.value for m in at.metric}["得分率"] == "88.89%"
    # the API refuses further answers on the submitted inspection
    r = api.call("sup", "PUT", f"/inspections/{iid}/answers/desk.log",
                 json={"value": {"count": 0}, "op_id": str(uuid.uuid4()), "answered_at": 1_800_000_000_000})
    assert r.status_code == 409, r.text


def test_training_items_carry_the_months_training_figures_as_a_hint(world, db, tokens):
    import os

    doc = checklist_dict([section("training", [item("training.attendance", 2), item("training.pass_rate", 2),
                                               item("training.other", 1)])],
                         id="site-training", version="1", title="培训检查", subject="site", kind="safety")
    (Path(os.environ["PINZHI_CHECKLISTS"]) / "site-training.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=world.supervisor, site_id=world.site_a, shift_date=world.day,
                                   shift_name="早班", subject_type="site", checklist_id="site-training")
    at = app_as(tokens["sup"], insp=str(iid), step="items")
    none = "培训记录：本月暂无记录"
    assert screen_data(at)["hints"] == {"training.attendance": none, "training.pass_rate": none}


# ----------------------------------------------------------------------------- self-check (staff)
def test_self_check_offers_only_self_check_checklists_and_saves(world, db, tokens):
    at = app_as(tokens["zhangli"])
    assert at.title[0].value == "员工自查"
    assert "**张丽** · 前台接待 · 金地格林小区" in texts(at)
    assert at.selectbox(key="sc_cl").options == ["仪容仪表自查"]
    by_label(at.button, "开始检查").click().run()
    assert not at.exception and not at.error
    with db.read() as s:
        drafts = svc.my_drafts(s, actor=world.staff)
    assert [(d.checklist_id, d.kind, d.staff_id) for d in drafts] == [("staff-look", "self_check", world.staff_a1)]
    iid = drafts[0].id
    assert at.query_params["insp"] == str(iid)
    assert "员工自查" in at.caption[0].value  # kind shown in the header
    assert screen_data(at)["user_id"] == world.staff.id
    api = api_client(db)
    api.sessions["zhangli"] = tokens["zhangli"]
    put_answer(api, "zhangli", iid, "look.badge", {"result": "pass"}, 1_700_000_000_000)
    put_answer(api, "zhangli", iid, "look.hair", {"result": "fail"}, 1_700_000_000_001)
    assert answers(db, world.staff, iid) == {"look.badge": {"result": "pass"}, "look.hair": {"result": "fail"}}
    # back on the page, the draft is offered for resuming
    home = app_as(tokens["zhangli"])
    assert any(b.label.startswith("继续：仪容仪表自查") for b in home.button)


# ----------------------------------------------------------------------------- history
def submitted_staff(db: Database, w, staff_id: int) -> int:
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=w.day,
                                   shift_name="早班", subject_type="staff", staff_id=staff_id,
                                   checklist_id="staff-service")
        svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id="svc.greet",
                        value={"result": "pass"})
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    return iid


def detail_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("d_")]


def test_history_lists_visible_inspections(world, db, tokens):
    site_iid = submitted_site(db, world)
    mine = submitted_staff(db, world, world.staff_a1)  # 张丽, the staff user
    theirs = submitted_staff(db, world, world.staff_a2)  # 王强
    with db.write() as s:  # a draft is not listed
        svc.start_inspection(session=s, actor=world.supervisor, site_id=world.site_a, shift_date=world.day,
                             shift_name="夜班", subject_type="site", checklist_id="site-check")
    sup = app_as(tokens["sup"], page="history.py")
    assert sup.title[0].value == "检查记录"
    assert sorted(detail_keys(sup)) == sorted(f"d_{i}" for i in (site_iid, mine, theirs))
    shown = texts(sup)
    assert "**前台安全检查** · 金地格林小区 · 金地格林小区" in shown
    assert "**服务督导检查** · 张丽 · 金地格林小区" in shown and "**服务督导检查** · 王强 · 金地格林小区" in shown
    # the supervisor of the other site sees nothing
    other = app_as(tokens["sup_b"], page="history.py")
    assert [i.value for i in other.info] == ["暂无记录"]
    assert not detail_keys(other)
    # the staff member sees only the inspections of themself
    staff = app_as(tokens["zhangli"], page="history.py")
    assert detail_keys(staff) == [f"d_{mine}"]
    assert "王强" not in texts(staff)
    # the detail button opens ?view=
    sup.button(key=f"d_{site_iid}").click().run()
    assert sup.query_params["view"] == str(site_iid)
    assert as_shown(sup.subheader[0].value) == "前台安全检查 · v2026.1"


def test_history_detail_shows_items_and_no_amend_for_supervisor(world, db, tokens):
    iid = submitted_site(db, world)
    at = app_as(tokens["sup"], page="history.py", view=str(iid))
    shown = texts(at)
    assert "✓ 合格 · text of desk.clean" in shown
    assert "1处 · text of desk.log" in shown
    assert "4/4分 · text of safe.exit" in shown
    # the failed item first, in a list of its own; its section is marked (and opened) too
    assert [e.label for e in at.expander] == ["section desk · 5分 · ✗ 1", "section safe · 4分"]
    lines = [as_shown(m.value) for m in at.markdown]
    first = lines.index("**不合格项（1）**")
    assert lines[first + 1] == "1处 · text of desk.log" and "text of desk.clean" not in lines[first + 1]
    assert {m.label: m.value for m in at.metric} == {"得分率": "88.89%", "等级": "良好"}  # 8 of 9 points
    assert not [t for t in at.text_input if t.label == "修订原因"]
    assert not [b for b in at.button if b.key and b.key.startswith("am_go_")]


def test_history_manager_amends_with_reason(world, db, tokens):
    iid = submitted_site(db, world)
    at = app_as(tokens["manager"], page="history.py", view=str(iid))
    at.selectbox(key=f"am_item_{iid}").select_index(0).run()  # desk.clean
    at.selectbox(key=f"am_val_{iid}_desk.clean").set_value("fail").run()
    # no reason: refused
    at.button(key=f"am_go_{iid}").click().run()
    assert [e.value for e in at.error] == ["修订必须填写原因"]
    assert answers(db, world.manager, iid)["desk.clean"] == {"result": "pass"}
    at.text_input(key=f"am_reason_{iid}").input("复核照片发现台面有杂物")
    at.button(key=f"am_go_{iid}").click().run()
    assert not at.exception and not at.error
    with db.read() as s:
        view = svc.load_inspection(s, actor=world.manager, inspection_id=iid)
        reasons = [a.detail["reason"] for a in s.scalars(sa.select(AuditLog).where(AuditLog.action == "inspection.amend"))]
    assert view.answers["desk.clean"] == {"result": "fail"} and view.header.amended
    assert reasons == ["复核照片发现台面有杂物"]
    assert "✗ 不合格 · text of desk.clean" in texts(at)
    assert "**已修订**" in at.caption[0].value


# ----------------------------------------------------------------------------- checklists
def test_checklists_page_shows_sections_and_item_origins(world, db, tokens, monkeypatch):
    monkeypatch.delenv("PINZHI_CHECKLISTS")  # the real checklists/ directory
    real = catalog.load_catalog(ROOT / "checklists").checklists["jindi-community-cs"]
    origins = Counter(it.origin for it in real.items)
    assert origins["reconstructed"] > 0 and origins["original"] > 0
    at = app_as(tokens["sup"], page="checklists.py")
    assert at.title[0].value == "检查标准"
    pick = at.selectbox(key="cl_pick")
    pick.select_index(pick.options.index(f"{real.title} · v{real.version}"))
    at.run()
    assert {m.label: m.value for m in at.metric} == {
        "满分": "100", "部分": str(len(real.sections)), "项": str(len(real.items)), "启用": "✓"}
    assert "编号 jindi-community-cs · " in as_shown(at.caption[0].value)
    assert [as_shown(e.label) for e in at.expander] == [
        f"{sec.title} · {sec.points}分 · {len(sec.items)}项" for sec in real.sections]
    assert as_shown(at.expander[0].label).startswith("服务形象及环境 · ")
    page_text = texts(at)
    for it in real.items[:5]:
        assert f"**{it.text}**" in page_text
    # every item carries its origin badge: 重构 for reconstructed items, 原文 for the original ones
    assert page_text.count(":orange-badge[重构]") == origins["reconstructed"]
    assert page_text.count(":green-badge[原文]") == origins["original"]


# ----------------------------------------------------------------------------- admin
def test_admin_adds_a_site(world, db, tokens):
    at = app_as(tokens["admin"], page="admin.py")
    assert at.title[0].value == "系统管理"
    assert [t.label for t in at.tabs] == ["账号", "管理处", "员工", "检查标准"]
    form = at.form(key="add_site")
    form.text_input[0].input("C")
    form.text_input[1].input("金地天悦小区")
    form.selectbox[0].set_value("sales_office")
    form.button[0].click().run()
    assert not at.exception and not at.error
    assert "✓" in [s.value for s in at.success]
    with db.read() as s:
        sites = {x.code: (x.name, x.kind) for x in org.all_sites(s, actor=world.admin)}
    assert sites == {"A": ("金地格林小区", "residential"), "B": ("金地名峰案场", "sales_office"),
                     "C": ("金地天悦小区", "sales_office")}
    # the new site is listed in the tab's table after the rerun
    at.run()
    assert "金地天悦小区" in list(at.dataframe[1].value["管理处名称"])


@pytest.mark.parametrize("username", ["sup", "manager", "zhangli"])
def test_admin_page_is_not_in_navigation_for_non_admins(db, tokens, username):
    at = app_as(tokens[username])
    assert "系统管理" not in nav_titles(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/admin.py")
