"""The monthly review pages driven headless through ``streamlit.testing.v1.AppTest``.

月度考核 (review.py), 整改跟踪 (actions.py) and 培训记录 (training.py). The data are built through the
services once per session (a small world: two sites, four staff members, supervisor inspections of
this month and the previous one, a photo, corrective actions, a training session) and every test
works on its own copy of that database and of its photo directory.
"""

from __future__ import annotations

import io
import math
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from apptest_support import app_as, as_shown, nav_titles, texts
from factories import checklist_dict, item, section
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest
from world import World, build_world

from app.db.engine import Database, dispose_process_databases, make_engine
from app.services import actions, auth, org, scorecard, signoff, training
from app.services import inspections as svc
from app.services import photos as photo_svc
from app.services.actor import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-1"  # tests/world.py

# The data live in the current month (the page opens on it) and the one before (for 环比Δ).
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
MONTH = TODAY.strftime("%Y-%m")
PREV = scorecard.previous_month(MONTH)
DAY1, DAY2 = TODAY.replace(day=1), TODAY.replace(day=2)
PREV_DAY = date(int(PREV[:4]), int(PREV[5:]), 15)

LOOK = checklist_dict(
    [section("look", [item("look.badge", 2), item("look.hair", 2), item("look.shoes", 1), item("look.smile", 1)])],
    id="staff-look", version="1", title="仪容仪表检查", subject="staff", kind="appearance",
)
DESK = checklist_dict(
    [section("desk", [item("desk.clean", 3), item("desk.log", 2), item("desk.phone", 1)])],
    id="desk", version="1", title="前台流程检查", subject="site", kind="workflow",
)
RULES = {
    "version": "t",
    "staff": {"weights": {"appearance": 1}, "min_inspections": 2,
              "grades": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 80}, {"grade": "合格", "min": 60},
                         {"grade": "不合格", "min": 0}]},
    "site": {"weights": {"workflow": 1}, "min_inspections": 2,
             "grades": [{"grade": "优秀", "min": 90}, {"grade": "良好", "min": 80}, {"grade": "合格", "min": 60},
                        {"grade": "不合格", "min": 0}]},
}
P, F = {"result": "pass"}, {"result": "fail"}
LOOK_OK = {"look.badge": P, "look.hair": P, "look.shoes": P, "look.smile": P}
DESK_OK = {"desk.clean": P, "desk.log": P, "desk.phone": P}


def jpeg(color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    img = Image.new("RGB", (320, 240), (235, 235, 225))
    ImageDraw.Draw(img).rectangle((80, 60, 240, 180), fill=color)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


# ----------------------------------------------------------------------------- the world, built once
@dataclass(frozen=True)
class Review:
    db_path: Path
    checklists: Path
    data: Path
    w: World
    tokens: dict[str, str]
    staff_a3: int  # 赵敏, site A: one inspection only (unranked)
    photo_inspection: int  # 张丽's inspection with a failed item and a photo
    training_session: int


def inspect(db: Database, actor, *, site: int, day: date, answers: dict, staff: int | None = None,
            photo_item: str | None = None, notes: dict[str, str] | None = None) -> int:
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=actor, site_id=site, shift_date=day, shift_name="早班",
                                   subject_type="staff" if staff else "site", staff_id=staff,
                                   checklist_id="staff-look" if staff else "desk")
        for k, v in answers.items():
            svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=k, value=v)
        for k, v in (notes or {}).items():
            svc.save_note(session=s, actor=actor, inspection_id=iid, item_id=k, note=v)
        if photo_item:
            photo_svc.attach_photo(session=s, actor=actor, inspection_id=iid, item_id=photo_item, data=jpeg(),
                                   caption="头发", filename="hair.jpg")
    with db.write() as s:
        svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
    return iid


@pytest.fixture(scope="session")
def review_template(sqlite_template, tmp_path_factory) -> Review:
    root = tmp_path_factory.mktemp("review")
    checklists = root / "checklists"
    checklists.mkdir()
    for doc in (LOOK, DESK):
        (checklists / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    (checklists / "scorecard.yaml").write_text(yaml.safe_dump(RULES, allow_unicode=True), encoding="utf-8")
    data = root / "data"
    path = root / "world.db"
    shutil.copy(sqlite_template, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINZHI_CHECKLISTS", str(checklists))
        mp.setenv("PINZHI_DATA_DIR", str(data))
        db = Database(make_engine(f"sqlite:///{path}"))
        w = build_world(db)
        with db.write() as s:
            a3 = org.add_staff(s, actor=SYSTEM, code="S003", name="赵敏", post="客服助理", site_code="A").id
        sup, sup_b = w.supervisor, w.other_supervisor
        # 张丽: 100 and 66.67 this month (a photo on the failed item), 100 twice last month
        inspect(db, sup, site=w.site_a, staff=w.staff_a1, day=DAY1, answers=LOOK_OK)
        photo_iid = inspect(db, sup, site=w.site_a, staff=w.staff_a1, day=DAY2,
                            answers={**LOOK_OK, "look.hair": F}, photo_item="look.hair",
                            notes={"look.hair": "长发未盘起"})
        for _ in range(2):
            inspect(db, sup, site=w.site_a, staff=w.staff_a1, day=PREV_DAY, answers=LOOK_OK)
        # 王强: 100 and 83.33; 李娜 (site B): 66.67 twice; 赵敏: one inspection (unranked)
        inspect(db, sup, site=w.site_a, staff=w.staff_a2, day=DAY1, answers=LOOK_OK)
        inspect(db, sup, site=w.site_a, staff=w.staff_a2, day=DAY2, answers={**LOOK_OK, "look.shoes": F})
        for day in (DAY1, DAY2):
            inspect(db, sup_b, site=w.site_b, staff=w.staff_b1, day=day, answers={**LOOK_OK, "look.badge": F})
        inspect(db, sup, site=w.site_a, staff=a3, day=DAY1, answers=LOOK_OK)
        # the sites: A twice (100 and 50), B once (unranked)
        inspect(db, sup, site=w.site_a, day=DAY1, answers=DESK_OK)
        inspect(db, sup, site=w.site_a, day=DAY2, answers={**DESK_OK, "desk.clean": F})
        inspect(db, sup_b, site=w.site_b, day=DAY1, answers=DESK_OK)
        # training at site A: both signed in, 85 and 50 against a pass mark of 60
        with db.write() as s:
            ts = training.add_session(session=s, actor=w.manager, site_id=w.site_a, planned_month=MONTH,
                                      topic="消防安全培训", trainer="周老师", held_on=DAY1, material="消防手册",
                                      staff_ids=[w.staff_a1, w.staff_a2])
            for staff, score in ((w.staff_a1, 85), (w.staff_a2, 50)):
                training.record_attendance(session=s, actor=w.manager, session_id=ts, staff_id=staff,
                                           signed_in=True, exam_score=Decimal(score))
        tokens = {}
        with db.write() as s:
            for username in ("manager", "sup", "zhangli"):
                tokens[username], _ = auth.sign_in(s, username=username, password=PASSWORD)
        db.engine.dispose()  # checkpoints the WAL into the file
    return Review(path, checklists, data, w, tokens, a3, photo_iid, ts)


@pytest.fixture
def rv(review_template: Review, tmp_path, monkeypatch) -> Review:
    """The app opens a fresh copy of the template database and photo directory."""
    path = tmp_path / "pinzhi.db"
    shutil.copy(review_template.db_path, path)
    shutil.copytree(review_template.data, tmp_path / "data")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(review_template.checklists))
    dispose_process_databases()  # the app's cached Database belongs to the previous test
    yield review_template
    dispose_process_databases()


@pytest.fixture
def db(rv: Review, tmp_path):
    database = Database(make_engine(f"sqlite:///{tmp_path / 'pinzhi.db'}"))
    yield database
    database.engine.dispose()


# ----------------------------------------------------------------------------- helpers
def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def ranked_table(at: AppTest):
    frames = [d for d in at.dataframe if d.key and d.key.startswith("rv_table_")]
    assert len(frames) == 1, [d.key for d in at.dataframe]
    return frames[0]


def rows_of(frame) -> list[dict]:
    """The dataframe's rows with NaN turned back into None."""
    out = []
    for rec in frame.value.to_dict("records"):
        out.append({k: None if isinstance(v, float) and math.isnan(v) else v for k, v in rec.items()})
    return out


def expected_lines(db: Database, actor, subject_type: str = "staff", site_id: int | None = None):
    with db.read() as s:
        return scorecard.scorecard(s, actor=actor, month=MONTH, subject_type=subject_type, site_id=site_id)


def choose_site(at: AppTest, name: str) -> AppTest:
    box = at.selectbox(key="rv_site")
    box.select_index([n for n, o in enumerate(box.options) if o.startswith(name)][0]).run()
    return ok(at)


def as_float(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


# ----------------------------------------------------------------------------- 月度考核
def test_review_ranked_table_matches_the_scorecard(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    assert at.title[0].value == "月度考核"
    assert at.selectbox(key="rv_month").value == MONTH
    frame = ranked_table(at)
    assert frame.key == f"rv_table_{MONTH}_None_staff"
    rows = rows_of(frame)
    lines = expected_lines(db, rv.w.manager)
    assert [r["姓名"] for r in rows] == [ln.name for ln in lines] == ["王强", "张丽", "李娜", "赵敏"]
    assert [r["排名"] for r in rows] == [ln.row.rank for ln in lines] == [1, 2, 3, None]
    assert [r["得分"] for r in rows] == [as_float(ln.row.score_display) for ln in lines]
    assert [r["得分"] for r in rows] == [91.67, 83.33, 66.67, 100.0]  # 赵敏: one inspection, unranked
    assert [r["等级"] for r in rows] == [ln.row.grade or "" for ln in lines]
    assert [r["管理处"] for r in rows] == ["金地格林小区", "金地格林小区", "金地名峰案场", "金地格林小区"]
    assert [r["督导检查"] for r in rows] == [2, 2, 2, 1]
    assert [r["环比Δ"] for r in rows] == [as_float(ln.row.delta_display) for ln in lines]
    assert rows[1]["环比Δ"] == -16.67  # 张丽: 100 last month
    assert [r["未关闭整改"] for r in rows] == [ln.open_actions for ln in lines] == [1, 1, 2, 0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["参评对象"] == "4" and metrics["已排名"] == "3"
    assert metrics["平均分"] == "80.56"  # (91.67 + 83.33 + 66.67) / 3 of the exact scores
    # the charts are drawn in their tabs
    assert [t.label for t in at.tabs] == ["趋势", "分项热力图", "扣分排行", "自查 vs 督导", "管理处对比"]
    assert at.multiselect(key=f"rv_trend_{MONTH}_None_staff").value == [rv.w.staff_a2, rv.w.staff_a1, rv.w.staff_b1]


def test_review_site_filter_narrows_the_rows(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    choose_site(at, "金地格林小区")
    frame = ranked_table(at)
    assert frame.key == f"rv_table_{MONTH}_{rv.w.site_a}_staff"
    rows = rows_of(frame)
    lines = expected_lines(db, rv.w.manager, site_id=rv.w.site_a)
    assert [r["姓名"] for r in rows] == [ln.name for ln in lines] == ["王强", "张丽", "赵敏"]
    assert {r["管理处"] for r in rows} == {"金地格林小区"}
    assert [r["排名"] for r in rows] == [1, 2, None]  # ranks among the site's staff
    assert [r["得分"] for r in rows] == [as_float(ln.row.score_display) for ln in lines]

    choose_site(at, "金地名峰案场")
    assert [(r["姓名"], r["排名"], r["得分"]) for r in rows_of(ranked_table(at))] == [("李娜", 1, 66.67)]


def site_rows(at: AppTest):
    at.segmented_control(key="rv_subject").set_value("site").run()
    ok(at)
    frame = ranked_table(at)
    assert frame.key == f"rv_table_{MONTH}_None_site"
    return frame, rows_of(frame)


def test_review_site_subject_shows_training_rates(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    frame, rows = site_rows(at)
    cols = list(frame.value.columns)
    assert "到位率%" in cols and "合格率%" in cols
    assert "岗位" not in cols and "姓名" not in cols
    lines = expected_lines(db, rv.w.manager, "site")
    assert [ln.name for ln in lines] == ["金地格林小区", "金地名峰案场"]
    assert [r["排名"] for r in rows] == [ln.row.rank for ln in lines] == [1, None]
    assert [r["得分"] for r in rows] == [as_float(ln.row.score_display) for ln in lines] == [75.0, 100.0]
    # site A's training: both signed in (100 %), one of two passed (50 %); site B has no training
    assert [(r["到位率%"], r["合格率%"]) for r in rows] == [(100.0, 50.0), (None, None)]
    assert [r["未关闭整改"] for r in rows] == [1, 0]  # desk.clean failed at site A
    # the sites tab's bar chart and the subjects of the trend chart name the sites
    assert at.multiselect(key=f"rv_trend_{MONTH}_None_site").value == [rv.w.site_a]


def test_review_site_subject_rows_are_named(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    frame, rows = site_rows(at)
    assert "管理处" in frame.value.columns
    assert [r["管理处"] for r in rows] == ["金地格林小区", "金地名峰案场"]


def test_review_sign_off_and_reopen(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    assert not [b for b in at.button if b.key in ("rv_sign", "rv_reopen")]  # no site chosen: no sign-off
    choose_site(at, "金地格林小区")
    assert f"📝 金地格林小区 {MONTH} 尚未签字确认" in texts(at)
    at.button(key="rv_sign").click().run()
    ok(at)
    with db.read() as s:  # nothing signed before the confirmation, which lists the open actions first
        assert not signoff.is_signed(s, site_id=rv.w.site_a, month=MONTH)
        pending = [a for a in actions.list_actions(s, actor=rv.w.manager, site_id=rv.w.site_a)
                   if a.status != "verified"]
    assert pending, "the world has open corrective actions at site A"
    assert any(f"确认签字 金地格林小区 {MONTH} 月度考核？" in as_shown(w.value)
               and f"未关闭整改 {len(pending)} 项" in as_shown(w.value) for w in at.warning)
    at.button(key="rv_sign_no").click().run()
    with db.read() as s:
        assert not signoff.is_signed(s, site_id=rv.w.site_a, month=MONTH)
    at.button(key="rv_sign").click().run()
    at.button(key="rv_sign_yes").click().run()
    ok(at)
    with db.read() as s:
        assert signoff.is_signed(s, site_id=rv.w.site_a, month=MONTH)
        assert not signoff.is_signed(s, site_id=rv.w.site_b, month=MONTH)
    assert f"✅ **金地格林小区 {MONTH} 已签字确认**" in texts(at)
    assert not [b for b in at.button if b.key == "rv_sign"]

    # reopening needs a reason
    at.button(key="rv_reopen").click().run()
    assert [e.value for e in at.error] == ["重新开启必须填写原因"]
    with db.read() as s:
        assert signoff.is_signed(s, site_id=rv.w.site_a, month=MONTH)
    at.text_input(key="rv_reopen_reason").input("补录一次检查")
    at.button(key="rv_reopen").click().run()
    ok(at)
    with db.read() as s:
        row = signoff.status(s, site_id=rv.w.site_a, month=MONTH)
        assert row is not None and row.status == "reopened" and row.reopen_reason == "补录一次检查"
        assert not signoff.is_signed(s, site_id=rv.w.site_a, month=MONTH)
    assert "尚未签字确认（曾重新开启：补录一次检查）" in texts(at)
    assert at.button(key="rv_sign")  # can be signed again


def test_review_export_buttons(rv):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    assert {b.key: b.label for b in at.download_button} == {"rv_xlsx": "Excel 月度考核表", "rv_csv": "CSV"}
    assert "选择一个管理处可生成 PDF 月报" in texts(at)
    choose_site(at, "金地格林小区")
    assert {b.key: b.label for b in at.download_button} == {
        "rv_xlsx": "Excel 月度考核表", "rv_csv": "CSV", "rv_pdf": "PDF 月报"}


def test_review_row_selection_drills_down_to_the_detail_with_photo(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="review.py"))
    choose_site(at, "金地格林小区")
    key = f"rv_table_{MONTH}_{rv.w.site_a}_staff"
    # AppTest cannot click a dataframe row: the selection state is written as the frontend would send it
    at.session_state[key] = {"selection": {"rows": [1], "columns": [], "cells": []}}  # 张丽
    at.run()
    ok(at)
    assert f"## 张丽 · {MONTH}" in texts(at)
    with db.read() as s:
        mine = svc.list_inspections(s, actor=rv.w.manager, month=MONTH, staff_id=rv.w.staff_a1)
    assert len(mine) == 2
    assert sorted(b.key for b in at.button if b.key and b.key.startswith("rv_d_")) == sorted(
        f"rv_d_{h.id}" for h in mine)
    at.button(key=f"rv_d_{rv.photo_inspection}").click().run()
    ok(at)
    assert at.query_params["view"] == str(rv.photo_inspection)
    assert at.subheader[0].value == "仪容仪表检查 · v1"
    shown = texts(at)
    assert "✗ 不合格 · text of look.hair" in shown and "备注: 长发未盘起" in shown
    assert len(at.image) == 1 and at.image[0].captions == ["头发"]
    assert at.image[0].value[0].endswith(".jpg")  # the stored thumbnail, served as a media file
    assert {m.label: m.value for m in at.metric} == {"得分率": "66.67%", "等级": "合格"}
    assert at.query_params["site"] == str(rv.w.site_a) and at.query_params["who"] == str(rv.w.staff_a1)
    # back to the table: the filters, the table and the chosen subject come back from the URL
    at.button[0].click().run()
    ok(at)
    assert "view" not in at.query_params
    assert at.title[0].value == "月度考核"
    assert at.selectbox(key="rv_site").value == rv.w.site_a and at.selectbox(key="rv_month").value == MONTH
    assert ranked_table(at).key == key
    assert f"## 张丽 · {MONTH}" in texts(at)
    assert {r["姓名"] for r in rows_of(ranked_table(at))} == {
        ln.name for ln in expected_lines(db, rv.w.manager, site_id=rv.w.site_a)}


def test_review_filters_live_in_the_url(rv, db):
    """A link with the filters (as the browser's back button restores it) shows exactly that selection."""
    at = ok(app_as(rv.tokens["manager"], page="review.py", m=MONTH, site=str(rv.w.site_b), subj="site"))
    assert at.selectbox(key="rv_site").value == rv.w.site_b
    assert at.segmented_control(key="rv_subject").value == "site"
    frame = ranked_table(at)
    assert frame.key == f"rv_table_{MONTH}_{rv.w.site_b}_site"
    assert [r["管理处"] for r in rows_of(frame)] == ["金地名峰案场"]
    at.segmented_control(key="rv_subject").set_value("staff").run()
    ok(at)
    assert at.query_params["subj"] == "staff" and at.query_params["site"] == str(rv.w.site_b)
    assert {r["姓名"] for r in rows_of(ranked_table(at))} == {
        ln.name for ln in expected_lines(db, rv.w.manager, site_id=rv.w.site_b)}
    bad = ok(app_as(rv.tokens["manager"], page="review.py", m="1999-01", site="99999", subj="x"))
    assert bad.selectbox(key="rv_site").value is None and bad.segmented_control(key="rv_subject").value == "staff"


@pytest.mark.parametrize("username", ["sup", "zhangli"])
def test_review_page_is_not_in_navigation_below_manager(rv, username):
    at = app_as(rv.tokens[username])
    assert "月度考核" not in nav_titles(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/review.py")


# ----------------------------------------------------------------------------- 整改跟踪
def db_actions(db: Database, actor, **kw) -> list[actions.ActionView]:
    with db.read() as s:
        return actions.list_actions(s, actor=actor, **kw)


def test_actions_staff_sees_only_their_own_open_actions(rv, db):
    at = ok(app_as(rv.tokens["zhangli"], page="actions.py"))
    assert at.title[0].value == "整改跟踪"
    assert at.selectbox(key="ca_status").value == "open"
    mine = db_actions(db, rv.w.manager, status="open")
    own = [a for a in mine if a.staff_id == rv.w.staff_a1]
    assert [a.item_text for a in own] == ["text of look.hair"]
    assert len(mine) > len(own)  # there are other people's open actions
    assert [int(b.key.removeprefix("ca_fix_")) for b in at.button if b.key and b.key.startswith("ca_fix_")] == [
        own[0].id]
    shown = texts(at)
    assert "**text of look.hair**" in shown and "责任人 张丽" in shown
    assert "王强" not in shown and "李娜" not in shown and "text of look.badge" not in shown


def test_actions_manager_sees_the_sites_actions(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="actions.py"))
    assert at.selectbox(key="ca_status").value is None  # all statuses for a manager
    everything = db_actions(db, rv.w.manager)
    assert {a.site_id for a in everything} == {rv.w.site_a, rv.w.site_b}
    fix_keys = sorted(int(b.key.removeprefix("ca_fix_")) for b in at.button if b.key and b.key.startswith("ca_fix_"))
    assert fix_keys == sorted(a.id for a in everything)  # all open: one 提交 button each
    shown = texts(at)
    for name in ("责任人 张丽", "责任人 王强", "责任人 李娜", "责任人 —"):  # the site action has no one responsible
        assert name in shown
    box = at.selectbox(key="ca_site")
    box.select_index(box.options.index("金地名峰案场")).run()
    ok(at)
    fix_keys = sorted(int(b.key.removeprefix("ca_fix_")) for b in at.button if b.key and b.key.startswith("ca_fix_"))
    assert fix_keys == sorted(a.id for a in everything if a.site_id == rv.w.site_b)
    assert "金地格林小区" not in "\n".join(m.value for m in at.markdown if "责任人" in m.value)


def test_actions_manager_verifies_a_fixed_action(rv, db):
    with db.read() as s:
        action = next(a for a in actions.list_actions(s, actor=rv.w.staff, status="open"))
    with db.write() as s:
        actions.mark_fixed(session=s, actor=rv.w.staff, action_id=action.id, note="已盘发并拍照",
                           photo_data=jpeg((40, 120, 200)), filename="after.jpg")
    at = ok(app_as(rv.tokens["manager"], page="actions.py"))
    assert "**整改说明**：已盘发并拍照" in "\n".join(m.value for m in at.markdown)
    with db.read() as s:
        before = actions.findings(s, actor=rv.w.manager, action_ids=[action.id])[action.id].photos
    assert before  # the inspector's photo of the failed item
    assert len(at.image) == 2  # the before photo(s) in one element, and the after photo
    assert at.button(key=f"ca_ok_{action.id}").label == "验证通过"
    at.text_input(key=f"ca_vnote_{action.id}").input("回访确认")
    at.button(key=f"ca_ok_{action.id}").click().run()
    ok(at)
    with db.read() as s:
        after = next(a for a in actions.list_actions(s, actor=rv.w.manager) if a.id == action.id)
    assert after.status == "verified" and after.verify_note == "回访确认"
    assert after.verified_by == rv.w.manager.display_name
    assert not [b for b in at.button if b.key == f"ca_ok_{action.id}"]
    assert "验证/退回意见：回访确认" in "\n".join(c.value for c in at.caption)


# ----------------------------------------------------------------------------- 培训记录
def test_training_shows_sessions_and_rates(rv):
    at = ok(app_as(rv.tokens["manager"], page="training.py"))
    assert at.title[0].value == "培训记录"
    assert at.selectbox(key="tr_site").value.id == rv.w.site_a
    assert at.text_input(key="tr_month").value == MONTH
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"培训场次": "1", "到位率（目标100%）": "100.0%",
                       "合格率（目标90%）": "50.0%"}
    labels = [as_shown(e.label) for e in at.expander]
    assert f"{MONTH} · 消防安全培训 · 周老师 · 签到 2/2 · 合格 1/2" in labels
    rows = at.data_editor(key=f"tr_edit_{rv.training_session}").value
    assert list(rows["姓名"]) == ["张丽", "王强"] and list(rows["成绩"]) == [85.0, 50.0]

    # another month: no session, no rates to speak of
    at.text_input(key="tr_month").input(PREV).run()
    ok(at)
    assert {m.label: m.value for m in at.metric}["培训场次"] == "0"
    assert not [e for e in at.expander if "消防安全培训" in e.label]


def test_training_add_session_through_the_form(rv, db):
    at = ok(app_as(rv.tokens["manager"], page="training.py"))
    form = at.form(key="tr_new")
    by = {t.label: t for t in form.text_input}
    by["培训主题"].input("投诉处理流程")
    by["讲师"].input("李经理")
    by["教材"].input("客服手册")
    assert by["计划月份"].value == MONTH
    assert len(form.multiselect[0].value) == 3  # every active staff member of site A is invited
    form.button[0].click().run()
    ok(at)
    with db.read() as s:
        sessions = training.list_sessions(s, actor=rv.w.manager, site_id=rv.w.site_a, month=MONTH)
    new = [x for x in sessions if x.topic == "投诉处理流程"]
    assert len(new) == 1 and new[0].trainer == "李经理" and new[0].material == "客服手册"
    assert new[0].invited == 3 and new[0].attended == 0 and new[0].pass_mark == 60
    assert any(as_shown(e.label).startswith(f"{MONTH} · 投诉处理流程 · 李经理 · 签到 0/3") for e in at.expander)
    assert {m.label: m.value for m in at.metric}["培训场次"] == "2"



# ----------------------------------------------------------------------------- what the export buttons produce
# AppTest cannot run a download button's callable; these call what the page's make_xlsx / make_pdf call.
def test_excel_export_of_a_month_with_an_empty_sheet(rv, db):
    from openpyxl import load_workbook

    from app.reports.excel import scorecard_workbook

    # last month at site A: 张丽 has two inspections, but no site inspection was made (empty 管理处考核 sheet)
    with db.read() as s:
        data = scorecard_workbook(s, actor=rv.w.manager, month=PREV, site_id=rv.w.site_a)
    wb = load_workbook(io.BytesIO(data))
    assert "（本月无记录）" in [c for row in wb["管理处考核"].iter_rows(values_only=True) for c in row]


def test_excel_and_pdf_exports_of_the_current_month(rv, db):
    from openpyxl import load_workbook

    from app.reports.excel import scorecard_workbook
    from app.reports.pdf import site_month_pdf

    with db.read() as s:
        data = scorecard_workbook(s, actor=rv.w.manager, month=MONTH, site_id=rv.w.site_a)
        pdf = site_month_pdf(s, actor=rv.w.manager, site_id=rv.w.site_a, month=MONTH)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "月度考核"
    names = [row[1] for row in wb["月度考核"].iter_rows(min_row=4, values_only=True)]
    assert names[:3] == ["王强", "张丽", "赵敏"]
    assert pdf.startswith(b"%PDF")
