"""Hostile text in every user-entered field, rendered on every page in Chromium: nothing runs, nothing is
fetched, nothing breaks the Content-Security-Policy, and the text is shown literally. Also: the session
lives only in an HttpOnly cookie, and an account disabled by an admin stops its open tab at its next tap.

A listener on a local port stands for an attacker's server: the payloads point images and markdown images
at it, and the test fails if it receives any request.
"""

from __future__ import annotations

import http.server
import io
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import PASSWORD, ROOT, LiveServer, Ui, free_port, new_server

pytestmark = pytest.mark.browser

HOSTILE_CL = "hostile-standard"


class Listener:
    """A local HTTP server that records every request (an exfiltration endpoint)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def payloads(port: int) -> dict[str, str]:
    return {
        "script": "<script>window.__pzxss='script'</script>",
        "img": "<img src=x onerror=\"window.__pzxss='img'\">",
        "iframe": "<iframe srcdoc=\"<script>parent.__pzxss='iframe'</script>\"></iframe>",
        "svg": "<svg onload=\"window.__pzxss='svg'\"></svg>",
        "jslink": "[点我](javascript:window.__pzxss='link')",
        "mdimg": f"![x](http://127.0.0.1:{port}/md-image.png)",
        "htmlimg": f"<img src=\"http://127.0.0.1:{port}/html-image.png\">",
    }


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buf, "JPEG")
    return buf.getvalue()


def hostile_checklist(p: dict[str, str]) -> dict[str, Any]:
    return {
        "id": HOSTILE_CL, "version": "1", "title": "恶意标准" + p["script"], "kind": "appearance",
        "subject": "staff", "self_check": True,
        "sections": [{"id": "s1", "title": "部分" + p["jslink"], "points": 5, "items": [
            {"id": "s1.a", "text": "检查项" + p["mdimg"] + p["img"], "points": 3,
             "source": "reconstructed: " + p["htmlimg"]},
            {"id": "s1.b", "text": "第二项" + p["svg"], "points": 2, "source": "addition: test"},
        ]}],
    }


@pytest.fixture
def listener() -> Iterator[Listener]:
    ls = Listener()
    yield ls
    ls.close()


def seed(server: LiveServer, p: dict[str, str]) -> dict[str, Any]:
    """Hostile text in every field a user can fill in, written through the services."""
    from app.services import actions, auth, org, signoff, training
    from app.services import inspections as svc
    from app.services import photos as photo_svc
    from app.services.actor import SYSTEM

    note = "\n".join(p.values()) + "\n" + "长" * 300  # notes allow newlines; a long one too
    db = server.database()
    out: dict[str, Any] = {}
    try:
        with db.write() as s:
            site = org.add_site(s, actor=SYSTEM, code="H", name="金地" + p["img"], kind="residential")
            org.add_staff(s, actor=SYSTEM, code="H01", name=p["iframe"], post="前台接待", site_code="H",
                          responsible=True)
            auth.create_user(s, actor=SYSTEM, username="sup_h", password=PASSWORD, role="supervisor",
                             display_name=p["svg"], site_codes=["H"])
            auth.create_user(s, actor=SYSTEM, username="staff_h", password=PASSWORD, role="staff",
                             display_name=p["iframe"], staff_code="H01")
            out["site_id"] = site.id
        with db.write() as s:
            sup = auth.sign_in(s, username="sup_h", password=PASSWORD).actor
            staff = auth.sign_in(s, username="staff_h", password=PASSWORD).actor
            admin = auth.sign_in(s, username=server.org.admin, password=PASSWORD).actor
        with db.write() as s:
            staff_id = staff.staff_id
            iid = svc.start_inspection(session=s, actor=sup, site_id=site.id, shift_date=date.today(),
                                       shift_name="早班", subject_type="staff", staff_id=staff_id,
                                       checklist_id=HOSTILE_CL)
            svc.save_answer(session=s, actor=sup, inspection_id=iid, item_id="s1.a", value={"result": "fail"})
            svc.save_answer(session=s, actor=sup, inspection_id=iid, item_id="s1.b", value={"result": "pass"})
            svc.save_note(session=s, actor=sup, inspection_id=iid, item_id="s1.a", note=note)
            photo_svc.attach_photo(session=s, actor=sup, inspection_id=iid, item_id="s1.a", data=jpeg(),
                                   caption=p["mdimg"] + p["htmlimg"], filename="x.jpg")
        with db.write() as s:
            svc.submit_inspection(session=s, actor=sup, inspection_id=iid)
        with db.write() as s:
            [action] = actions.list_actions(s, actor=admin, site_id=site.id)
            actions.mark_fixed(session=s, actor=staff, action_id=action.id, note=p["iframe"] + p["mdimg"],
                               photo_data=jpeg(), filename="fix.jpg")
        with db.write() as s:
            actions.reopen(session=s, actor=sup, action_id=action.id, note=p["svg"] + p["htmlimg"])
        with db.write() as s:  # a draft of the admin's own, with the hostile note, for 我的草稿 and the item screen
            draft = svc.start_inspection(session=s, actor=admin, site_id=site.id, shift_date=date.today(),
                                         shift_name="中班", subject_type="staff", staff_id=staff_id,
                                         checklist_id=HOSTILE_CL)
            svc.save_answer(session=s, actor=admin, inspection_id=draft, item_id="s1.a", value={"result": "fail"})
            svc.save_note(session=s, actor=admin, inspection_id=draft, item_id="s1.a", note=note)
            training.add_session(session=s, actor=admin, site_id=site.id,
                                 planned_month=date.today().strftime("%Y-%m"), topic=p["script"],
                                 trainer=p["img"], material=p["mdimg"], material_section=p["jslink"],
                                 staff_ids=[staff_id])
        month = date.today().strftime("%Y-%m")
        with db.write() as s:
            signoff.sign_off(session=s, actor=admin, site_id=site.id, month=month)
        with db.write() as s:
            signoff.reopen(session=s, actor=admin, site_id=site.id, month=month, reason=p["iframe"])
        out.update(iid=iid, draft=draft, note=note)
    finally:
        db.engine.dispose()
    return out


INSTRUMENT = """
window.__pzcsp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__pzcsp.push(e.violatedDirective + ' ' + e.blockedURI));
"""

PROBE = """() => ({
  xss: window.__pzxss || null,
  csp: window.__pzcsp || [],
  iframes: document.querySelectorAll('iframe').length,
  svgHandlers: [...document.querySelectorAll('[onload],[onerror]')].length,
  jsLinks: [...document.querySelectorAll('a[href^="javascript:" i]')].length,
  text: document.body.innerText.replaceAll('\\u2060', ''),
})"""


def visit(ui: Ui, path: str, *, expect: list[str], before: Any = None) -> dict[str, Any]:
    ui.goto(path)
    ui.page.locator("[data-testid=stMain]").wait_for()
    if before is not None:
        before()
    ui.settle()
    missing = []
    for text in expect:  # the hostile text, literally (the word joiners md() adds removed)
        try:
            ui.page.wait_for_function("t => document.body.innerText.replaceAll('\\u2060', '').includes(t)",
                                      arg=text, timeout=10_000)
        except PlaywrightTimeout:
            missing.append(text)
    ui.page.wait_for_timeout(700)  # let any late image or frame try its luck
    found: dict[str, Any] = ui.page.evaluate(PROBE)
    found.update(path=path, missing=missing)
    return found


def test_hostile_text_in_every_field_runs_nothing_fetches_nothing_and_shows_literally(
        tmp_path: Path, chromium_path, new_page, listener: Listener, monkeypatch) -> None:
    p = payloads(listener.port)
    server = new_server(tmp_path / "srv")
    shutil.copy(ROOT / "checklists" / "scorecard.yaml", server.checklists / "scorecard.yaml")
    (server.checklists / f"{HOSTILE_CL}.yaml").write_text(
        yaml.safe_dump(hostile_checklist(p), allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(server.checklists))  # the services read the catalog and
    monkeypatch.setenv("PINZHI_DATA_DIR", str(server.data_dir))      # store photos where the server looks
    seeded = seed(server, p)
    server.start()
    try:
        page = new_page()
        page.add_init_script(INSTRUMENT)
        ui = Ui(page, server)
        ui.sign_in(server.org.admin)
        results = []
        site_name = "金地" + p["img"]
        results.append(visit(ui, "", expect=[site_name, p["iframe"]]))  # 我的草稿: site and staff names
        results.append(visit(ui, f"?insp={seeded['draft']}&step=items&sec=0",
                             expect=["检查项" + p["mdimg"] + p["img"], "恶意标准" + p["script"]]))
        results.append(visit(ui, f"?insp={seeded['draft']}&step=review&sec=0", expect=["检查项" + p["mdimg"]]))
        results.append(visit(ui, f"?insp={seeded['iid']}&step=done", expect=["恶意标准" + p["script"], p["svg"]]))
        results.append(visit(ui, "history", expect=["恶意标准" + p["script"], site_name]))
        results.append(visit(ui, f"history?view={seeded['iid']}",
                             expect=[p["svg"], "部分" + p["jslink"]],
                             before=lambda: ui.page.get_by_text("部分[点我]").first.click()))
        detail = ui.page.evaluate("() => document.body.innerText.replaceAll('\\u2060', '')")
        assert p["htmlimg"] in detail and p["mdimg"] in detail  # the note's lines and the photo's caption
        results.append(visit(ui, "actions", expect=["检查项" + p["mdimg"], p["iframe"] + p["mdimg"],
                                                    p["svg"] + p["htmlimg"]]))
        ui.screenshot("07-hostile-text-actions.png")
        results.append(visit(ui, "training", expect=[p["script"], p["img"]],
                             before=lambda: ui.choose("管理处", "金地<img")))
        results.append(visit(ui, "review", expect=[p["iframe"]],
                             before=lambda: ui.choose("管理处", "金地<img")))
        results.append(visit(ui, "checklists", expect=["检查项" + p["mdimg"], p["htmlimg"]],
                             before=lambda: (ui.choose("检查表", "恶意标准"),
                                             ui.page.get_by_text("部分[点我]").first.click())))
        results.append(visit(ui, "admin", expect=[]))
        # the staff member whose name is hostile, on their own pages
        staff_page = new_page()
        staff_page.add_init_script(INSTRUMENT)
        staff = Ui(staff_page, server)
        staff.sign_in("staff_h")
        results.append(visit(staff, "", expect=[p["iframe"]]))
        results.append(visit(staff, "actions", expect=[p["iframe"] + p["mdimg"]]))
        assert listener.hits == [], listener.hits
        for r in results:
            assert r["xss"] is None, r["path"]
            assert r["iframes"] == 0 and r["svgHandlers"] == 0 and r["jsLinks"] == 0, r["path"]
            assert r["csp"] == [], (r["path"], r["csp"])
            assert r["missing"] == [], (r["path"], "not shown literally", r["missing"])
        ui.screenshot("08-hostile-text-admin.png")
    finally:
        server.stop()

    # the database holds the text exactly as typed
    db = server.database()
    try:
        from sqlalchemy import select

        from app.db.models import Answer, Site

        with db.read() as s:
            assert s.scalar(select(Site.name).where(Site.code == "H")) == site_name
            notes = set(s.scalars(select(Answer.note).where(Answer.item_id == "s1.a")))
        assert notes == {seeded["note"]}
    finally:
        db.engine.dispose()


def test_sign_in_page_escapes_and_the_session_is_only_an_httponly_cookie(live_server: LiveServer, open_ui,
                                                                         listener: Listener) -> None:
    p = payloads(listener.port)
    ui: Ui = open_ui(live_server)
    ui.page.add_init_script(INSTRUMENT)
    ui.goto()
    ui.page.wait_for_url(re.compile(r"/auth/login"))
    ui.page.get_by_label("用户名").fill(p["img"] + p["script"])
    ui.page.get_by_label("密码").fill("wrong-password-1")
    ui.page.get_by_role("button", name="登录").click()
    ui.page.get_by_text("用户名或密码错误").wait_for()
    probe = ui.page.evaluate(PROBE)
    assert probe["xss"] is None and probe["csp"] == [] and listener.hits == []

    ui.sign_in(live_server.org.sup_main)
    cookie = ui.session_cookie()
    assert cookie is not None and cookie["httpOnly"]
    # page script cannot read it, and no URL or history entry carries it
    assert "pinzhi_session" not in ui.page.evaluate("() => document.cookie")
    history = ui.page.evaluate("() => [location.href, document.referrer]")
    assert all(cookie["value"] not in h for h in history)
    log = live_server.log_text()
    assert cookie["value"] not in log
    # signing out in the sidebar ends the session in the database
    ui.page.get_by_test_id("stExpandSidebarButton").click()
    ui.page.get_by_role("button", name="退出登录").click()
    ui.page.wait_for_url(re.compile(r"/auth/login\?out=1"))
    from app.services import auth

    db = live_server.database()
    try:
        with db.read() as s:
            assert auth.actor_from_token(s, cookie["value"]) is None
    finally:
        db.engine.dispose()


def test_a_disabled_user_is_stopped_at_the_next_tap(make_server, open_ui) -> None:
    import re

    from sqlalchemy import select

    from app.db.models import Answer
    from app.services import org
    from app.services.actor import SYSTEM

    live_server: LiveServer = make_server().start()
    ui: Ui = open_ui(live_server)
    ui.sign_in(live_server.org.sup_sel)
    iid = ui.start_inspection("前台现场检查")
    ui.tap("env.desk", "合格")
    db = live_server.database()
    try:
        with db.write() as s:
            org.set_user_active(s, actor=SYSTEM, username=live_server.org.sup_sel, active=False)
        # the screen's next request is refused (401): the tap stays queued on the tablet, the banner says why
        ui.answer_control("env.lights").get_by_role("radio", name="合格", exact=True).click()
        ui.page.get_by_text("登录已失效 · 1 项待同步（请重新登录）").wait_for()
        assert ui.item("env.lights").get_attribute("data-state") == "pending"
        with db.read() as s:
            stored = {r.item_id for r in s.execute(select(Answer.item_id, Answer.value)
                                                   .where(Answer.inspection_id == iid)) if r.value}
        assert stored == {"env.desk"}  # the tap after disabling wrote nothing
        ui.page.reload()  # and the page itself goes back to the sign-in form
        ui.page.wait_for_url(re.compile(r"/auth/login"))
        assert ui.page.get_by_label("用户名").count() == 1
        with db.read() as s:
            stored = {r.item_id for r in s.execute(select(Answer.item_id, Answer.value)
                                                   .where(Answer.inspection_id == iid)) if r.value}
        assert stored == {"env.desk"}
    finally:
        db.engine.dispose()
