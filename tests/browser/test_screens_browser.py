"""Issue 12 in a real browser (Debian Chromium, 820×1180; the manager also at 1366×900), checked in the database:
evidence blocks submit until a photo or a written reason; a duplicate start asks; a draft is discarded after a
confirmation; a signed-off month is announced on the start screen; the monthly review keeps its filters in
the URL, has no Plotly toolbar, fits its table in its card, drills down by tapping a name and asks before
signing off; the admin user form has no default role."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from .conftest import PASSWORD, SCREENSHOTS, SITE_CHECKLIST, SITE_CHECKLIST_ID, LiveServer, Ui
from .test_review_browser import MANAGER, MONTH, SITE_ALL_PASS, review_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
SITE_TITLE = SITE_CHECKLIST["title"]


@pytest.fixture
def served(live_server, monkeypatch) -> LiveServer:
    """The shared server, with this process's services reading its checklists and data directory."""
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(live_server.checklists))
    monkeypatch.setenv("PINZHI_DATA_DIR", str(live_server.data_dir))
    return live_server


def supervisor_on_new_site(server: LiveServer, username: str, code: str, name: str) -> tuple[Any, Any, int]:
    from app.services import auth, org
    from app.services.actor import SYSTEM

    db = server.database()
    with db.write() as s:
        site = org.add_site(s, actor=SYSTEM, code=code, name=name, kind="residential")
        site_id = site.id
        auth.create_user(s, actor=SYSTEM, username=username, password=PASSWORD, role="supervisor",
                         display_name="测试督导", site_codes=[code])
    with db.write() as s:
        _, actor = auth.sign_in(s, username=username, password=PASSWORD)
    return db, actor, site_id


def wait_db(check: Any, timeout: float = 15.0) -> Any:
    """Poll the database until ``check()`` is truthy (a widget's callback writes it on the server)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_evidence_blocks_submit_until_a_photo_or_a_reason(served, open_ui) -> None:
    live_server = served
    from playwright.sync_api import expect

    from app.db.models import Answer, Inspection
    from app.services import inspections as svc

    db, sup, site_id = supervisor_on_new_site(live_server, "sup_evid", "EV", "金地证据小区")
    try:
        with db.write() as s:
            iid = svc.start_inspection(session=s, actor=sup, site_id=site_id, shift_date=TODAY, shift_name="早班",
                                       subject_type="site", checklist_id=SITE_CHECKLIST_ID)
            answers = {**SITE_ALL_PASS, "env.lights": {"result": "fail"}, "safe.fire": {"result": "fail"}}
            for item_id, value in answers.items():
                svc.save_answer(session=s, actor=sup, inspection_id=iid, item_id=item_id, value=value)
        ui: Ui = open_ui(live_server)
        page = ui.page
        ui.sign_in("sup_evid")
        ui.goto(f"?insp={iid}&step=review")
        page.get_by_text("还不能提交：2 项需要处理").wait_for()
        page.get_by_text("不合格须拍照（或填写无照片原因）（2）").wait_for()
        submit = page.locator(f".st-key-submit_{iid} button")
        expect(submit).to_be_disabled()
        ui.settle()
        ui.screenshot("20-evidence-blockers.png")

        def reasons() -> dict[str, str]:
            with db.read() as s:
                return dict(s.execute(sa.select(Answer.item_id, Answer.no_photo_reason).where(
                    Answer.inspection_id == iid, Answer.no_photo_reason.is_not(None))).all())

        box = page.get_by_label("无照片原因 · 照明设备完好，无损坏灯具")
        box.fill("灯具已报修，现场断电无法拍照")
        box.press("Enter")
        assert wait_db(lambda: reasons() == {"env.lights": "灯具已报修，现场断电无法拍照"}), reasons()
        page.get_by_text("还不能提交：1 项需要处理").wait_for()
        expect(submit).to_be_disabled()
        box = page.get_by_label("无照片原因 · 消防器材在有效期内，通道畅通")
        box.fill("消防柜上锁，钥匙不在现场")
        box.press("Enter")
        assert wait_db(lambda: len(reasons()) == 2), reasons()
        expect(submit).to_be_enabled()
        ui.settle()
        submit.click()
        page.wait_for_url(re.compile(r"[?&]step=done"))
        with db.read() as s:
            assert s.get(Inspection, iid).status == "submitted"
        assert reasons() == {"env.lights": "灯具已报修，现场断电无法拍照", "safe.fire": "消防柜上锁，钥匙不在现场"}
    finally:
        db.engine.dispose()


def test_duplicate_start_asks_discard_confirms_and_a_signed_month_is_announced(served, open_ui) -> None:
    live_server = served
    from playwright.sync_api import expect

    from app.db.models import AuditLog, Inspection
    from app.services import auth, signoff
    from app.services import inspections as svc
    from app.services.actor import SYSTEM

    db, sup, site_id = supervisor_on_new_site(live_server, "sup_drafts", "DR", "金地草稿小区")
    try:
        with db.write() as s:
            first = svc.start_inspection(session=s, actor=sup, site_id=site_id, shift_date=TODAY, shift_name="早班",
                                         subject_type="site", checklist_id=SITE_CHECKLIST_ID)

        def drafts() -> list[int]:
            with db.read() as s:
                return list(s.scalars(sa.select(Inspection.id).where(
                    Inspection.inspector_id == sup.id, Inspection.status == "draft").order_by(Inspection.id)))

        ui: Ui = open_ui(live_server)
        page = ui.page
        ui.sign_in("sup_drafts")
        ui.goto("")
        page.get_by_text("新建检查").wait_for()
        page.get_by_role("radio", name="前台/管理处", exact=True).click()
        page.get_by_role("combobox", name="员工").wait_for(state="detached")
        ui.choose("检查表", SITE_TITLE)
        page.get_by_role("button", name="开始检查").click()
        page.get_by_text("同一班次、对象和检查表已有一份草稿").wait_for()
        ui.settle()
        ui.screenshot("21-duplicate-draft.png")
        assert drafts() == [first] and "insp" not in ui.query()
        page.get_by_role("button", name="新建", exact=True).click()
        page.wait_for_url(re.compile(r"[?&]insp=\d+"))
        second = int(ui.query()["insp"])
        assert second != first and drafts() == [first, second]

        # discard the new one: nothing happens before the confirmation
        ui.goto("")
        page.locator(f".st-key-discard_{second} button").click()
        page.get_by_text("已填写的答案、备注和照片关联将被删除").wait_for()
        ui.settle()
        ui.screenshot("22-discard-confirm.png")
        assert drafts() == [first, second]
        page.locator(f".st-key-discard_yes_{second} button").click()
        page.get_by_text(f"草稿「{SITE_TITLE}」已放弃。").wait_for()
        assert drafts() == [first]
        with db.read() as s:
            assert s.scalar(sa.select(AuditLog.entity_id).where(AuditLog.action == "inspection.discard",
                                                                AuditLog.entity_id == str(second))) == str(second)

        # a signed-off month: announced on the start screen, and no start there
        with db.write() as s:
            auth.create_user(s, actor=SYSTEM, username="mgr_drafts", password=PASSWORD, role="manager",
                             site_codes=["DR"])
        with db.write() as s:
            _, mgr = auth.sign_in(s, username="mgr_drafts", password=PASSWORD)
            signoff.sign_off(session=s, actor=mgr, site_id=site_id, month=TODAY.strftime("%Y-%m"))
        ui.goto("")
        page.get_by_text(f"金地草稿小区 {TODAY:%Y-%m} 月度考核已签字确认").wait_for()
        expect(page.get_by_role("button", name="开始检查")).to_be_disabled()
        ui.settle()
        ui.screenshot("23-signed-month-start.png")
    finally:
        db.engine.dispose()


def shot(ui: Ui, name: str, size: tuple[int, int]) -> None:
    """The tablet size through the whole-page helper; the desktop size as the window shows it."""
    if size[0] == 820:
        ui.screenshot(name)
    else:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        ui.page.screenshot(path=str(SCREENSHOTS / name))


@pytest.mark.parametrize("size", [(820, 1180), (1366, 900)])
def test_review_on_tablet_and_desktop(review_server, new_page, size) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from app.db.models import Site, Staff
    from app.services import signoff

    server, _ = review_server
    db = server.database()
    try:
        with db.read() as s:
            site_m = s.scalar(sa.select(Site.id).where(Site.code == "M"))
            zhang = s.scalar(sa.select(Staff.id).where(Staff.code == "S001"))
        page = new_page()
        page.set_viewport_size({"width": size[0], "height": size[1]})
        ui = Ui(page, server)
        ui.sign_in(MANAGER)
        ui.goto(f"review?m={MONTH}&site={site_m}&subj=staff")  # a link with the filters shows that selection
        page.get_by_role("heading", name="月度考核").wait_for()
        page.get_by_text("金地格林小区 " + MONTH + " 尚未签字确认").wait_for()
        assert ui.metric("参评对象") == "2"
        page.locator("[data-testid=stPlotlyChart] .main-svg").first.wait_for()
        ui.settle()
        expect(page.locator(".modebar-container .modebar")).to_have_count(0)  # no Plotly toolbar

        # the ranked table sits inside its card
        card = page.locator(".st-key-pz-rank-card").bounding_box()
        grid = page.locator(".st-key-pz-rank-card [data-testid=stDataFrame]").bounding_box()
        assert card and grid and grid["x"] >= card["x"] and grid["x"] + grid["width"] <= card["x"] + card["width"] + 1

        # tap 张丽's name (second row; the name column follows the row marker and the rank)
        canvas = page.locator(".st-key-pz-rank-card [data-testid=data-grid-canvas]")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 150, box["y"] + 35 + 35 + 17)
        page.get_by_role("heading", name=f"张丽 · {MONTH}").wait_for()
        assert ui.query()["who"] == str(zhang)
        ui.settle()
        shot(ui, f"24-review-{size[0]}.png", size)

        # the Pareto chart: its legend above the plot area
        page.get_by_role("tab", name="扣分排行").click()
        chart = page.locator("[data-testid=stPlotlyChart]:visible").filter(has=page.locator(".legend")).first
        chart.locator(".legend").wait_for()
        legend = chart.locator(".legend").bounding_box()
        plot = chart.locator(".nsewdrag").first.bounding_box()
        assert legend and plot and legend["y"] + legend["height"] <= plot["y"] + 1
        ui.settle()
        shot(ui, f"25-review-pareto-{size[0]}.png", size)

        if size[0] == 1366:  # sign-off asks first and lists open actions
            page.get_by_role("button", name="签字确认本月考核").click()
            page.get_by_text("未关闭整改").first.wait_for()
            ui.settle()
            shot(ui, "26-review-signoff-confirm.png", size)
            with db.read() as s:
                assert not signoff.is_signed(s, site_id=site_m, month=MONTH)
            page.get_by_role("button", name="确认签字", exact=True).click()
            page.get_by_text(f"金地格林小区 {MONTH} 已签字确认").wait_for()
            with db.read() as s:
                assert signoff.is_signed(s, site_id=site_m, month=MONTH)
            assert ui.query()["site"] == str(site_m)
    finally:
        db.engine.dispose()


def test_admin_user_form_has_no_default_role(live_server, open_ui) -> None:
    from app.db.models import User

    ui: Ui = open_ui(live_server)
    page = ui.page
    ui.sign_in(live_server.org.admin)
    ui.goto("admin")
    page.get_by_role("heading", name="系统管理").wait_for()
    form = page.locator("[data-testid=stForm]").first
    form.get_by_label("用户名").fill("nobody_role")
    form.get_by_label("姓名（显示名）").fill("无角色")
    form.get_by_label("密码").fill("tablet-check-77")
    form.get_by_role("button", name="添加").click()
    page.get_by_text("请先选择角色（没有默认角色）").wait_for()
    assert form.get_by_label("用户名").input_value() == "nobody_role"  # kept
    ui.settle()
    ui.screenshot("27-admin-no-default-role.png")
    db = live_server.database()
    try:
        with db.read() as s:
            assert s.scalar(sa.select(User).where(User.username == "nobody_role")) is None
    finally:
        db.engine.dispose()
