"""Issue 12 point 5: a staff member on a 390×844 phone (Chromium with its desktop user agent, the case where
Streamlit itself leaves the sidebar open), checked in the database: the menu closes after a page is chosen; an
action card shows the inspector's note and before photo; a fix with hostile text is confirmed, stored as typed
and shown as text; a self-check with failures lists the failed items on its result."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from .conftest import PASSWORD, SCREENSHOTS, SELF_CHECK_CHECKLIST, Ui
from .test_review_browser import jpeg, review_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# hostile text in the fix note: markup, a markdown image, a newline; 500 characters in all
HOSTILE = ('<img src=x onerror="window.__pwned=1"> <iframe srcdoc="<b>x</b>"></iframe> ![p](http://127.0.0.1:9/x.png)'
           '\n已更换工牌 **粗体** :red[红]')
HOSTILE = HOSTILE + "整" * (500 - len(HOSTILE))
SIDEBAR_RIGHT_JS = ("() => { const s = document.querySelector('[data-testid=stSidebar]');"
                    " return s ? s.getBoundingClientRect().right : -1; }")


def phone_sign_in(ui: Ui, username: str) -> None:
    """Sign in at phone size: below 768 px the page list is in the (closed) sidebar, not the top bar."""
    page = ui.page
    page.set_viewport_size(PHONE)
    ui.goto()
    page.wait_for_url(re.compile(r"/auth/login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("stExpandSidebarButton").wait_for()
    assert ui.session_cookie() is not None
    # the menu closer (app/ui/nav_closer) is loaded: a person does not choose a page within its first second
    page.wait_for_function("() => window.__pzNavCloser === true")


def shot(ui: Ui, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ui.settle()
    ui.page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def choose_page(ui: Ui, title: str, *, screenshot: str | None = None) -> None:
    """Open the menu (the ☰/» button), choose ``title``; the menu must be closed once the page is shown."""
    page = ui.page
    assert page.evaluate(SIDEBAR_RIGHT_JS) <= 0, "the menu should start closed"
    page.get_by_test_id("stExpandSidebarButton").click()
    link = page.locator("[data-testid=stSidebarNavLink]", has_text=title)
    link.wait_for()
    page.wait_for_function(f"() => ({SIDEBAR_RIGHT_JS})() >= 250")  # open: the sidebar lies over the page
    if screenshot:
        shot(ui, screenshot)
    link.click()
    page.get_by_role("heading", name=title).first.wait_for()
    page.wait_for_function(f"() => ({SIDEBAR_RIGHT_JS})() <= 0")
    # and the page's title is not covered: the element at its centre is the title itself
    covered = page.evaluate("""(title) => { const h = [...document.querySelectorAll('h1')].find(e => e.innerText.includes(title));
      const r = h.getBoundingClientRect(); const hit = document.elementFromPoint(r.left + 20, r.top + r.height / 2);
      return !h.contains(hit); }""", title)
    assert not covered, f"{title}: the page title is covered after choosing it"


def test_staff_on_a_phone(review_server, open_ui) -> None:  # noqa: F811 (fixture)
    from playwright.sync_api import expect

    from app.db.models import CorrectiveAction, Inspection

    server, seeded = review_server
    db = server.database()
    ui: Ui = open_ui(server)
    page = ui.page
    try:
        with db.read() as s:
            [action_id] = s.scalars(select(CorrectiveAction.id).where(
                CorrectiveAction.inspection_id == seeded.photo_inspection))
        phone_sign_in(ui, server.org.staff)
        page.get_by_role("heading", name="员工自查").wait_for()

        # the menu closes after a choice
        choose_page(ui, "整改跟踪", screenshot="phone-menu-open.png")

        # the card: the inspector's note on the failed item and the before photo (with its caption)
        card = page.locator(f".st-key-action_{action_id}")
        finding = card.locator(f".st-key-finding_{action_id}")
        finding.get_by_text("工牌歪斜，衬衫未扎好").wait_for()
        img = finding.locator("[data-testid=stImage] img")
        expect(img).to_have_count(1)
        page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
        finding.get_by_text("工装", exact=True).wait_for()
        card.get_by_text("待整改", exact=True).wait_for()
        shot(ui, "phone-action-card.png")

        # the fix, with hostile text: a confirmation, the card now 已整改待验证, the row updated as typed
        card.get_by_label("整改说明（做了什么）").fill(HOSTILE)
        card.locator("input[type=file]").set_input_files(
            files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        card.get_by_text("after.jpg").wait_for()
        ui.settle()
        card.get_by_role("button", name="提交整改").click()
        page.get_by_text(re.compile(r"^整改已提交：工装整洁、工牌端正。")).wait_for()
        with db.read() as s:
            row = s.get(CorrectiveAction, action_id)
            assert row is not None
            assert (row.status, row.fix_note) == ("fixed", HOSTILE) and row.fix_photo_id is not None
        card = page.locator(f".st-key-action_{action_id}")
        card.get_by_text("已整改待验证", exact=True).wait_for()
        expect(card.get_by_role("button", name="提交整改")).to_have_count(0)
        shown = card.get_by_text(re.compile("已更换工牌")).inner_text().replace("\u2060", "")  # md()'s joiners
        assert '<img src=x onerror="window.__pwned=1">' in shown and "![p](http://127.0.0.1:9/x.png)" in shown
        assert "**粗体** :red[红]" in shown
        assert page.evaluate("() => window.__pwned") is None
        expect(page.locator("iframe[srcdoc], img[src='x'], img[src*='127.0.0.1:9']")).to_have_count(0)
        expect(card.locator("[data-testid=stImage] img")).to_have_count(2)  # before and after
        page.get_by_text(re.compile(r"^整改已提交")).scroll_into_view_if_needed()
        shot(ui, "phone-fix-confirmed.png")

        # a self-check with two failures: the result lists them
        choose_page(ui, "员工自查")
        page.get_by_role("button", name="开始检查").click()
        page.wait_for_url(re.compile(r"[?&]insp=\d+"))
        iid = int(ui.query()["insp"])
        answers = {"look.uniform": "不合格", "look.hair": "不合格", "look.shoes": "1处 −0.5"}
        for item_id, label in answers.items():
            tap(page, item_id, label)
        shot(ui, "phone-self-check-items.png")
        page.locator("[data-action=review]:visible").first.click()
        submit = page.locator(f".st-key-submit_{iid} button")
        expect(submit).to_be_enabled()
        ui.settle()
        submit.click()
        failed = page.locator(".st-key-pz-result-failed")  # the close-out result screen's failed items
        failed.get_by_text("不合格项（3）").wait_for()
        texts = [item["text"] for item in SELF_CHECK_CHECKLIST["sections"][0]["items"]]
        for n, (text, lost) in enumerate(zip(texts, ("2.00", "2.00", "0.50"), strict=True), start=1):
            failed.get_by_text(f"{n}. {text} · −{lost}分").wait_for()
        with db.read() as s:
            insp = s.get(Inspection, iid)
            assert insp is not None and insp.status == "submitted" and insp.kind == "self_check"
        page.get_by_text(re.compile(r"^不合格项（3）")).scroll_into_view_if_needed()
        shot(ui, "phone-self-check-result.png")
    finally:
        db.engine.dispose()


def tap(page: Any, item_id: str, label: str) -> None:
    """Tap an answer on the inspection screen and wait until the server has it."""
    card = page.locator(f"[data-item-id='{item_id}']")
    card.get_by_role("radio", name=label, exact=True).click()
    page.wait_for_function(
        "([id]) => { const c = document.querySelector(`[data-item-id='${id}']`);"
        " return c && (c.dataset.state === 'saved' || c.dataset.state === 'error'); }", arg=[item_id])
    assert card.get_attribute("data-state") == "saved", card.locator("[data-role=status]").inner_text()


ANDROID_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Mobile Safari/537.36")


def test_menu_closes_once_with_a_phone_user_agent(live_server, browser) -> None:
    """With a phone's user agent Streamlit closes the sidebar itself: the app's closer must not press the
    button a second time (which would open it again)."""
    from .conftest import TIMEOUT_MS

    ctx = browser.new_context(viewport=PHONE, user_agent=ANDROID_UA, is_mobile=True, has_touch=True,
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        ui = Ui(ctx.new_page(), live_server)
        phone_sign_in(ui, live_server.org.staff)
        ui.page.get_by_role("heading", name="员工自查").wait_for()
        for title in ("检查记录", "整改跟踪"):
            choose_page(ui, title)
            ui.page.wait_for_timeout(800)  # past any transition: still closed
            assert ui.page.evaluate(SIDEBAR_RIGHT_JS) <= 0, f"{title}: the menu opened again"
    finally:
        ctx.close()
