"""The tablet inspection screen in a real browser (headless Debian Chromium, 820×1180).

Each test signs in through the login form as its own user on the session's live server, so the tests
do not depend on each other. The item screen is the client-side component (app/ui/inspection_screen):
every tap waits for the card's ``已保存`` state (the server acknowledged the answer) before the next one.
"""

from __future__ import annotations

import io
import os
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from .conftest import (
    PASSWORD,
    SELF_CHECK_CHECKLIST,
    SITE_CHECKLIST,
    SITE_CHECKLIST_ID,
    STAFF_CHECKLIST_ID,
    LiveServer,
    Ui,
)

pytestmark = pytest.mark.browser

SITE_TITLE = SITE_CHECKLIST["title"]          # 前台现场检查（浏览器测试）: 12 items in 3 sections
STAFF_TITLE = SELF_CHECK_CHECKLIST["title"]   # 上岗前自查（浏览器测试）: 3 items, self_check: true

# What the supervisor taps, section by section: (item id, button label, the answer it stands for)
SECTIONS: list[list[tuple[str, str, dict[str, Any]]]] = [
    [("env.desk", "合格", {"result": "pass"}),
     ("env.signage", "不适用", {"result": "na"}),
     ("env.floor", "1处 −1", {"count": 1}),
     ("env.lights", "合格", {"result": "pass"})],
    [("svc.greeting", "3分", {"points": "3"}),
     ("svc.phone", "合格", {"result": "pass"}),
     ("svc.register", "1处 −0.5", {"count": 1}),
     ("svc.uniform", "不合格", {"result": "fail"})],
    [("safe.fire", "合格", {"result": "pass"}),
     ("safe.cash", "合格", {"result": "pass"}),
     ("safe.keys", "2.5分", {"points": "2.5"}),
     ("safe.door", "合格", {"result": "pass"})],
]
SECTION_TITLES = ["1. 前台环境", "2. 服务规范", "3. 安全管理"]


def checklist(server: LiveServer, checklist_id: str):
    from scoring import load_checklist_file

    return load_checklist_file(server.checklists / f"{checklist_id}.yaml")


def normalised(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(str(v)) if k in ("count", "points") else v for k, v in answer.items()}


def inspection_row(server: LiveServer, iid: int) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """(Inspection row, answers, notes) straight from the database file."""
    from sqlalchemy import select

    from app.db.models import Answer, Inspection

    db = server.database()
    try:
        with db.read() as s:
            insp = s.get(Inspection, iid)
            assert insp is not None
            s.expunge(insp)
            rows = s.execute(select(Answer.item_id, Answer.value, Answer.note).where(Answer.inspection_id == iid)).all()
    finally:
        db.engine.dispose()
    return insp, {r.item_id: dict(r.value) for r in rows if r.value}, {r.item_id: r.note for r in rows if r.note}


def assert_selected(ui: Ui, answered: list[tuple[str, str, dict[str, Any]]], unanswered: list[str] | None = None
                    ) -> None:
    for item_id, label, _ in answered:
        assert ui.selected(item_id) == [label], f"{item_id} should show {label} as chosen"
    for item_id in unanswered or []:
        assert ui.selected(item_id) == [], f"{item_id} should have no answer"


def jpeg(color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (235, 235, 225))
    ImageDraw.Draw(img).rectangle((180, 120, 460, 360), fill=color)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


# ----------------------------------------------------------------------------- 1. the whole inspection
def test_supervisor_inspects_with_reload_and_submits(live_server: LiveServer, open_ui) -> None:
    from scoring import score

    ui: Ui = open_ui(live_server)
    page = ui.page
    ui.sign_in(live_server.org.sup_main, screenshot="01-sign-in.png")
    assert "现场巡检" in ui.nav_labels()
    iid = ui.start_inspection(SITE_TITLE)
    assert ui.query()["step"] == "items"
    assert ui.progress() == "进度 0/12"

    # section 1, all four items: the header follows every tap
    for item_id, label, _ in SECTIONS[0]:
        ui.tap(item_id, label)
    assert ui.progress() == "进度 4/12"
    ui.next_section(SECTIONS[1][0][0])
    assert ui.section_shown() == 1

    # section 2: two items, then a reload in the middle of the section (the tab reopens that section)
    for item_id, label, _ in SECTIONS[1][:2]:
        ui.tap(item_id, label)
    page.reload()
    ui.wait_items([i for i, _, _ in SECTIONS[1]])
    assert ui.query()["insp"] == str(iid) and ui.section_shown() == 1
    assert ui.progress() == "进度 6/12"
    assert_selected(ui, SECTIONS[1][:2], [i for i, _, _ in SECTIONS[1][2:]])

    for item_id, label, _ in SECTIONS[1][2:]:
        ui.tap(item_id, label)
    # a note on the failed item is saved when the field is left
    note = ui.item("svc.uniform").locator("textarea")
    note.fill("工牌未佩戴")
    note.blur()
    ui.wait_synced()
    ui.screenshot("02-section.png")

    # the section picker: back to section 1 (every answer still there), then on to section 3
    ui.choose_section(SECTION_TITLES[0])
    ui.wait_items([i for i, _, _ in SECTIONS[0]])
    assert ui.progress() == "进度 8/12"
    assert_selected(ui, SECTIONS[0])
    ui.choose_section(SECTION_TITLES[2])
    ui.wait_items([i for i, _, _ in SECTIONS[2]])
    assert_selected(ui, [], [i for i, _, _ in SECTIONS[2]])
    for item_id, label, _ in SECTIONS[2]:
        ui.tap(item_id, label)
    assert_selected(ui, SECTIONS[2])
    assert ui.progress() == "进度 12/12"

    # review: the percent and grade are what the scoring core computes for these answers
    answers = {item_id: answer for sec in SECTIONS for item_id, _, answer in sec}
    expected = score(checklist(live_server, SITE_CHECKLIST_ID), answers)
    assert expected.percent is not None and expected.grade
    assert page.locator(".pzi [data-role=score]").inner_text() == f"{expected.percent}%"
    ui.to_review()
    assert ui.metric("得分率") == f"{expected.percent}%"
    assert ui.metric("等级") == expected.grade
    assert ui.metric("已答") == "12/12"
    page.get_by_text(f"不合格项（{len(expected.failed_items)}）").wait_for()
    ui.screenshot("03-review.png")

    page.get_by_role("button", name="✓ 提交检查").click()
    page.get_by_text(f"已提交 · {SITE_TITLE}").wait_for()
    assert ui.metric("得分率") == f"{expected.percent}%"
    assert ui.metric("等级") == expected.grade
    ui.screenshot("04-result.png")

    insp, stored, notes = inspection_row(live_server, iid)
    assert insp.status == "submitted" and insp.kind == "supervisor" and insp.subject_type == "site"
    assert expected.percent_exact is not None
    assert insp.percent == expected.percent_exact.quantize(Decimal("0.000001"))
    assert insp.grade == expected.grade
    assert {k: normalised(v) for k, v in stored.items()} == {k: normalised(v) for k, v in answers.items()}
    assert notes == {"svc.uniform": "工牌未佩戴"}


# ----------------------------------------------------------------------------- 2. photo evidence
def photo_links(server: LiveServer, iid: int, item_id: str) -> list[tuple[int, Any]]:
    """(link id, capture time) of the item's photos, from the database."""
    from sqlalchemy import select

    from app.db.models import InspectionPhoto

    db = server.database()
    try:
        with db.read() as s:
            return [(r.id, r.captured_at) for r in s.execute(
                select(InspectionPhoto.id, InspectionPhoto.captured_at).where(
                    InspectionPhoto.inspection_id == iid, InspectionPhoto.item_id == item_id)
                .order_by(InspectionPhoto.id))]
    finally:
        db.engine.dispose()


def test_photo_on_failed_item_survives_reload_and_is_removed(live_server: LiveServer, open_ui) -> None:
    from datetime import UTC, datetime

    from playwright.sync_api import expect

    from app.photos import PhotoRejected, ingest_photo

    ui: Ui = open_ui(live_server)
    page = ui.page
    ui.sign_in(live_server.org.sup_photo)
    iid = ui.start_inspection(SITE_TITLE)
    box = ui.item("env.lights")
    reason = box.locator("[data-role=no-photo-reason]")
    expect(reason).to_be_hidden()  # no reason is asked for before the item fails

    ui.tap("env.lights", "不合格")
    expect(reason).to_be_visible()  # failed, no photo: a photo or a reason for none
    box.locator("input[data-role=gallery]").set_input_files(
        files=[{"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    thumb = box.locator("img.pzi-thumb[data-photo-id]")
    thumb.wait_for(timeout=30_000)
    ui.wait_synced()
    expect(reason).to_be_hidden()
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=thumb.element_handle())
    links = photo_links(live_server, iid, "env.lights")
    assert len(links) == 1 and links[0][1] is not None
    # the capture time travels as its own field (the file's time: Playwright hands over a file made now)
    captured = links[0][1] if links[0][1].tzinfo else links[0][1].replace(tzinfo=UTC)
    assert abs((captured - datetime.now(UTC)).total_seconds()) < 600, captured
    ui.screenshot("05-photo.png")

    page.reload()
    box = ui.item("env.lights")
    box.locator("img.pzi-thumb[data-photo-id]").wait_for()
    expect(box.locator("img.pzi-thumb")).to_have_count(1)
    assert ui.selected("env.lights") == ["不合格"]

    # a file that is no image at all, named like one: the browser cannot decode it, nothing is sent; the
    # server's pipeline refuses the same bytes with its reason in Chinese (a client that skips the check)
    evil = b"MZ" + os.urandom(4000)
    with pytest.raises(PhotoRejected) as refused:
        ingest_photo(evil, root=live_server.data_dir / "never", filename="evil.jpg")
    message = str(refused.value)
    assert "文件不是图片" in message and "可执行程序" in message
    box.locator("input[data-role=gallery]").set_input_files(
        files=[{"name": "evil.jpg", "mimeType": "image/jpeg", "buffer": evil}])
    page.wait_for_function("() => document.querySelector(\"[data-item-id='env.lights']\").dataset.state === 'error'")
    assert "无法读取该图片" in box.locator("[data-role=status]").inner_text()
    expect(box.locator("img.pzi-thumb")).to_have_count(1)
    ui.screenshot("06-photo-rejected.png")
    csrf = page.request.get(f"{live_server.url}/api/v1/me").json()["csrf"]
    r = page.request.post(f"{live_server.url}/api/v1/inspections/{iid}/photos", headers={"X-CSRF-Token": csrf},
                          multipart={"item_id": "env.lights",
                                     "file": {"name": "evil.jpg", "mimeType": "image/jpeg", "buffer": evil}})
    assert r.status == 422 and message in r.json()["message"], r.text()
    assert len(photo_links(live_server, iid, "env.lights")) == 1

    # remove it: the first tap only arms the button, the second removes (queued like any other change)
    remove = box.locator("[data-action=remove-photo]")
    assert remove.bounding_box()["height"] >= 44 and remove.bounding_box()["width"] >= 44
    remove.click()
    expect(remove).to_have_text("再点一次删除")
    assert len(photo_links(live_server, iid, "env.lights")) == 1
    remove.click()
    expect(box.locator("img.pzi-thumb")).to_have_count(0)
    ui.wait_synced()
    assert photo_links(live_server, iid, "env.lights") == []
    expect(reason).to_be_visible()  # failed and no photo again: the reason field is back
    page.reload()
    ui.item("env.lights").locator("[data-role=no-photo-reason]").wait_for()
    expect(ui.item("env.lights").locator("img.pzi-thumb")).to_have_count(0)


# ----------------------------------------------------------------------------- 4. staff self-check
def test_self_check_by_staff(live_server: LiveServer, open_ui) -> None:
    ui: Ui = open_ui(live_server)
    page = ui.page
    ui.sign_in(live_server.org.staff)
    nav = ui.nav_labels()
    assert nav[0] == "员工自查" and {"员工自查", "检查记录", "检查标准"} <= set(nav)
    # nothing else but corrective actions (their own) and training records (their own scores)
    assert set(nav) - {"员工自查", "检查记录", "检查标准"} <= {"整改跟踪", "培训记录"}, nav
    page.get_by_role("heading", name="员工自查").wait_for()
    page.get_by_text("张丽 · 前台接待").wait_for()
    assert page.get_by_role("combobox", name="检查表").input_value() == STAFF_TITLE

    page.get_by_role("button", name="开始检查").click()
    page.wait_for_url(lambda url: "insp=" in url)
    page.locator("[data-item-id]").first.wait_for()
    iid = int(ui.query()["insp"])
    taps = [("look.uniform", "合格"), ("look.hair", "合格"), ("look.shoes", "1处 −0.5")]
    for item_id, label in taps:
        ui.tap(item_id, label)
    assert ui.progress() == "进度 3/3"
    ui.to_review()
    assert ui.metric("得分率") == "90.00%"  # 4.5 of 5
    assert ui.metric("已答") == "3/3"
    page.get_by_role("button", name="✓ 提交检查").click()
    page.get_by_text(f"已提交 · {STAFF_TITLE}").wait_for()

    from sqlalchemy import select

    from app.db.models import Staff

    insp, answers, _ = inspection_row(live_server, iid)
    db = live_server.database()
    try:
        with db.read() as s:
            staff_id = s.scalar(select(Staff.id).where(Staff.code == "S001"))
    finally:
        db.engine.dispose()
    assert insp.kind == "self_check" and insp.status == "submitted"
    assert insp.checklist_version.checklist_id == STAFF_CHECKLIST_ID
    assert insp.subject_type == "staff" and insp.staff_id == staff_id
    assert insp.percent == Decimal("90")
    assert answers == {"look.uniform": {"result": "pass"}, "look.hair": {"result": "pass"}, "look.shoes": {"count": 1}}


# ----------------------------------------------------------------------------- 5. navigation by role
def test_role_navigation(live_server: LiveServer, open_ui) -> None:
    admin = open_ui(live_server)
    # the administrator works at a desk: at 1366 px all eight pages fit in the top bar (at 820 px Streamlit
    # folds the last ones into "2 more")
    admin.page.set_viewport_size({"width": 1366, "height": 900})
    admin.sign_in(live_server.org.admin)
    nav = admin.nav_labels()
    assert "系统管理" in nav and "现场巡检" in nav and "员工自查" not in nav
    admin.page.locator("[data-testid=stTopNavLink]", has_text="系统管理").click()
    admin.page.get_by_role("tab", name="账号").wait_for()

    sup = open_ui(live_server)
    sup.sign_in(live_server.org.sup_nav)
    nav = sup.nav_labels()
    assert "现场巡检" in nav and "检查记录" in nav
    assert "系统管理" not in nav and "员工自查" not in nav


# ----------------------------------------------------------------------------- regressions (section navigation)
def test_section_picker_then_previous_button(live_server: LiveServer, open_ui) -> None:
    """Section 1 → (picker) section 2 → ◀ 上一部分 must show section 1 again, its answer still chosen."""
    ui: Ui = open_ui(live_server)
    ui.sign_in(live_server.org.sup_sel)
    iid = ui.start_inspection(SITE_TITLE)
    ui.tap("env.desk", "合格")
    ui.choose_section(SECTION_TITLES[1])
    ui.wait_items([i for i, _, _ in SECTIONS[1]])
    ui.action("prev-section")
    ui.wait_items(["env.desk"])
    assert ui.section_shown() == 0 and ui.selected("env.desk") == ["合格"]
    _, stored, _ = inspection_row(live_server, iid)
    assert stored == {"env.desk": {"result": "pass"}}


# ----------------------------------------------------------------------------- display rounding
def test_result_percent_is_rounded_half_up(live_server: LiveServer, open_ui, monkeypatch) -> None:
    """29 of 32 points is exactly 90.625 %: the review says 90.63 %, so must the result and the records."""
    from app.services import auth
    from app.services import inspections as svc
    from scoring import score

    monkeypatch.setenv("PINZHI_CHECKLISTS", str(live_server.checklists))  # the services read the catalog

    cl = checklist(live_server, SITE_CHECKLIST_ID)
    full: dict[str, Any] = {"pass_fail": lambda it: {"result": "pass"}, "deduct": lambda it: {"count": 0},
            "scale": lambda it: {"points": str(it.points)}}
    answers = {it.id: full[it.scoring](it) for it in cl.items} | {"env.floor": {"count": 3}}  # 29 of 32 points
    expected = score(cl, answers)
    assert expected.percent_exact == Decimal("90.625") and str(expected.percent) == "90.63"
    db = live_server.database()
    try:
        with db.write() as s:
            token, actor = auth.sign_in(s, username=live_server.org.sup_extra, password=PASSWORD)
            site_id = next(iter(actor.site_ids))
            iid = svc.start_inspection(session=s, actor=actor, site_id=site_id, shift_date=date(2026, 1, 5),
                                       shift_name="夜班", subject_type="site", checklist_id=SITE_CHECKLIST_ID)
            for item_id, value in answers.items():
                svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item_id, value=value)
        with db.write() as s:
            svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
    finally:
        db.engine.dispose()

    ui: Ui = open_ui(live_server)
    ui.use_session(token)
    ui.goto(f"?insp={iid}&step=done")
    ui.page.get_by_text(f"已提交 · {SITE_TITLE}").wait_for()
    shown = {"result": ui.metric("得分率")}
    ui.goto("history")
    ui.page.get_by_text(SITE_TITLE).first.wait_for()
    shown["records"] = ui.page.locator(".pz-score").first.inner_text().strip()
    assert shown == {"result": "90.63%", "records": "90.63%"}
