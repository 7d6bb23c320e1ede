"""Issue 12 point 8: axe-core (from npm, tests/browser/axe, installed by scripts/bootstrap.sh) on every page of
the app for each role, at 820×1180 (tablet) and 390×844 (phone): no serious or critical violation; and the
contrast of the inspection screen's answer states computed from the browser's colours: >= 4.5:1.

axe is loaded with ``page.evaluate`` (a DevTools evaluation, outside the page's strict CSP, which would refuse an
injected inline <script>); the CSP itself stays on, so the pages are checked as they are served.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import (
    PASSWORD,
    ROOT,
    SCREENSHOTS,
    SITE_CHECKLIST_ID,
    STAFF_CHECKLIST_ID,
    TIMEOUT_MS,
    LiveServer,
    new_server,
)
from .test_review_browser import MANAGER, SITE_ALL_PASS, seed

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"tablet": {"width": 820, "height": 1180}, "phone": {"width": 390, "height": 844}}
ROLES = ("admin", "manager", "supervisor", "staff")
BLOCKING = ("serious", "critical")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


@dataclass(frozen=True)
class A11yWorld:
    server: LiveServer
    users: dict[str, str]     # role -> username
    drafts: dict[str, int]    # role -> a draft of theirs (item screen, review step)
    results: dict[str, int]   # role -> a submitted inspection they may open (result screen)
    detail: int               # a submitted inspection with a failed item, a note and a photo


@pytest.fixture(scope="module")
def a11y_world(tmp_path_factory, chromium_path) -> Iterator[A11yWorld]:
    """One server for the module: the monthly-review data of test_review_browser (staff, sites, a manager,
    inspections with a failed item and a photo) plus a draft per role and a staff self-check with failures."""
    from app.services import auth
    from app.services import inspections as svc

    server = new_server(tmp_path_factory.mktemp("a11y"))
    shutil.copy(ROOT / "checklists" / "scorecard.yaml", server.checklists / "scorecard.yaml")
    saved = {k: os.environ.get(k) for k in ("PINZHI_CHECKLISTS", "PINZHI_DATA_DIR")}
    os.environ.update(PINZHI_CHECKLISTS=str(server.checklists), PINZHI_DATA_DIR=str(server.data_dir))
    try:
        seeded = seed(server)
        o = server.org
        users = {"admin": o.admin, "manager": MANAGER, "supervisor": o.sup_main, "staff": o.staff}
        db = server.database()
        drafts: dict[str, int] = {}
        results: dict[str, int] = {}
        with db.write() as s:
            actors = {role: auth.sign_in(s, username=u, password=PASSWORD)[1] for role, u in users.items()}
        site_m = next(iter(actors["supervisor"].site_ids))
        for role in ("admin", "manager", "supervisor"):
            with db.write() as s:
                iid = svc.start_inspection(session=s, actor=actors[role], site_id=site_m, shift_date=TODAY,
                                           shift_name="夜班", subject_type="site", checklist_id=SITE_CHECKLIST_ID)
                # some answers, one failed item with evidence on fail and no photo: the review lists blockers
                for item_id in ("env.desk", "env.signage", "env.floor"):
                    svc.save_answer(session=s, actor=actors[role], inspection_id=iid, item_id=item_id,
                                    value=SITE_ALL_PASS[item_id])
                svc.save_answer(session=s, actor=actors[role], inspection_id=iid, item_id="env.lights",
                                value={"result": "fail"})
            drafts[role] = iid
            results[role] = seeded.photo_inspection
        staff = actors["staff"]
        assert staff.staff_id is not None
        with db.write() as s:
            done = svc.start_inspection(session=s, actor=staff, site_id=site_m, shift_date=TODAY, shift_name="早班",
                                        subject_type="staff", staff_id=staff.staff_id, checklist_id=STAFF_CHECKLIST_ID,
                                        kind="self_check")
            for item_id, value in {"look.uniform": {"result": "fail"}, "look.hair": {"result": "pass"},
                                   "look.shoes": {"count": 1}}.items():
                svc.save_answer(session=s, actor=staff, inspection_id=done, item_id=item_id, value=value)
        with db.write() as s:
            svc.submit_inspection(session=s, actor=staff, inspection_id=done)
        with db.write() as s:
            draft = svc.start_inspection(session=s, actor=staff, site_id=site_m, shift_date=TODAY, shift_name="中班",
                                         subject_type="staff", staff_id=staff.staff_id,
                                         checklist_id=STAFF_CHECKLIST_ID, kind="self_check")
            svc.save_answer(session=s, actor=staff, inspection_id=draft, item_id="look.uniform",
                            value={"result": "pass"})
        drafts["staff"], results["staff"] = draft, done
        db.engine.dispose()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    server.start()
    yield A11yWorld(server, users, drafts, results, seeded.photo_inspection)
    server.stop()


def pages_for(role: str, w: A11yWorld) -> list[tuple[str, str, str]]:
    """(name, path, a selector that is there once the page is drawn) of every page the role has."""
    start = ""  # the role's first page (现场巡检, or 员工自查 for staff) is the default page, served at / only
    out = [
        ("start", start, "h1"),
        ("item screen", f"{start}?insp={w.drafts[role]}&step=items", "[data-item-id]"),
        ("review step", f"{start}?insp={w.drafts[role]}&step=review", f".st-key-submit_{w.drafts[role]}"),
        ("result", f"{start}?insp={w.results[role]}", "[data-testid=stMetric]"),
        ("history", "history", "h1"),
        ("history detail", f"history?view={w.results[role]}", ".st-key-pz-failed-first"),
        ("actions", "actions", "h1"),
        ("training", "training", "h1"),
        ("checklists", "checklists", "h1"),
    ]
    if role in ("manager", "admin"):
        out += [("monthly review", "review", "[data-testid=stMetric]"),
                ("monthly review detail", f"review?view={w.detail}", ".st-key-pz-failed-first")]
    if role == "admin":
        out.append(("admin", "admin", "h1"))
    return out


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/bootstrap.sh (npm ci in tests/browser/axe)")
    return AXE.read_text(encoding="utf-8")


AXE_RUN_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.replace(/\\s+/g, ' '),
      summary: (n.failureSummary || '').replace(/^Fix (any|all) of the following:\\s*/, '').replace(/\\s+/g, ' ')}))}));
}"""


def wait_drawn(page: Any, selector: str) -> None:
    """The page's own element is there and Streamlit's run has finished (no stale element, no running widget)."""
    page.locator(selector).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('[data-stale=true]')"
                           " && !document.querySelector('[data-testid=stStatusWidget] [data-testid=stSpinner]')")
    page.wait_for_timeout(300)  # transitions (expanders, alerts) end


def run_axe(page: Any, source: str) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(source)
    return page.evaluate(AXE_RUN_JS)


def report(found: dict[str, list[dict[str, Any]]], impacts: tuple[str, ...]) -> str:
    """One block per page: each rule with its impact, count, help, and up to 4 elements with axe's summary."""
    lines: list[str] = []
    for where, violations in found.items():
        bad = [v for v in violations if v["impact"] in impacts]
        if not bad:
            continue
        lines.append(f"== {where}")
        for v in bad:
            lines.append(f"  {v['id']} ({v['impact']}) ×{len(v['nodes'])}: {v['help']}")
            for n in v["nodes"][:4]:
                # the selector's last two steps and the element's HTML say which element it is
                target = " > ".join(n["target"].split(" > ")[-2:])
                lines.append(f"    - {target} {n['html'][:140]}\n      {n['summary'][:260]}")
    return "\n".join(lines)


def sign_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("[data-testid=stMain] h1, [data-item-id]").first.wait_for()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", ROLES)
def test_axe_every_page(a11y_world: A11yWorld, browser, role: str, size: str) -> None:
    source = axe_source()
    w = a11y_world
    ctx = browser.new_context(viewport=SIZES[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    cut_off: dict[str, list[str]] = {}
    try:
        if role == "admin":  # the sign-in page once per size
            page.goto(f"{w.server.url}/auth/login")
            wait_drawn(page, "form")
            found[f"signed out · sign-in page · {size}"] = run_axe(page, source)
        sign_in(page, w.server, w.users[role])
        for name, path, selector in pages_for(role, w):
            page.goto(f"{w.server.url}/{path}")
            wait_drawn(page, selector)
            assert not page.get_by_text("Page not found").count(), f"/{path}: not a page"
            found[f"{role} · {name} · {size} · /{path}"] = run_axe(page, source)
            if cut := page.evaluate(CUT_OFF_JS):
                cut_off[f"{role} · {name} · {size} · /{path}"] = cut
            if SCREENSHOTS_ON:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"a11y-{role}-{size}-{name.replace(' ', '-')}.png"))
        # the sidebar open (the page list on a phone; name, sign-out and language everywhere)
        page.goto(f"{w.server.url}/")
        wait_drawn(page, "h1")
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().left >= 0")
        page.wait_for_timeout(400)  # the slide-in transition
        found[f"{role} · menu open · {size}"] = run_axe(page, source)
    finally:
        ctx.close()
    print(report(found, ("minor", "moderate", "serious", "critical")) or f"{role} {size}: no violation")
    blocking = report(found, BLOCKING)
    assert not blocking, f"axe-core: serious/critical violations\n{blocking}"
    assert not cut_off, f"controls cut off at the window's right edge: {cut_off}"
    # heading-order is "moderate" for axe; issue 12 named it, so it is held at zero too
    order = report({k: [v for v in vs if v["id"] == "heading-order"] for k, vs in found.items()},
                   ("minor", "moderate", "serious", "critical"))
    assert not order, f"axe-core: heading order\n{order}"


# every page's screenshot (about 100) into SCREENSHOTS: PINZHI_A11Y_SCREENSHOTS=1
SCREENSHOTS_ON = bool(os.environ.get("PINZHI_A11Y_SCREENSHOTS"))


# the contrast of an element's text: its computed colour over the first opaque background behind it (alpha blended)
CONTRAST_JS = """(el) => {
  const rgba = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  let bg = [255, 255, 255, 1];
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  for (const c of layers.reverse()) bg = over(c, bg);
  let opacity = 1;
  for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
  const fg = over([...rgba(getComputedStyle(el).color).slice(0, 3), rgba(getComputedStyle(el).color)[3] * opacity], bg);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
  return {ratio: (a + 0.05) / (b + 0.05), fg: hex(fg), bg: hex(bg), text: el.innerText.trim().slice(0, 40)};
}"""


def test_inspection_screen_states_contrast(a11y_world: A11yWorld, browser, monkeypatch) -> None:
    """合格 / 不合格 / 不适用 selected, and the saved / pending (offline) / error (refused) labels: >= 4.5:1 each,
    from the colours the browser computes."""
    from app.services import auth
    from app.services import inspections as svc

    w = a11y_world
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(w.server.checklists))  # this process's services read the
    monkeypatch.setenv("PINZHI_DATA_DIR", str(w.server.data_dir))      # server's checklists
    db = w.server.database()
    with db.write() as s:
        sup = auth.sign_in(s, username=w.users["supervisor"], password=PASSWORD)[1]
        iid = svc.start_inspection(session=s, actor=sup, site_id=next(iter(sup.site_ids)), shift_date=TODAY,
                                   shift_name="中班", subject_type="site", checklist_id=SITE_CHECKLIST_ID)
    ctx = browser.new_context(viewport=SIZES["tablet"], locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    measured: dict[str, dict[str, Any]] = {}
    try:
        sign_in(page, w.server, w.users["supervisor"])
        page.goto(f"{w.server.url}/?insp={iid}&step=items")

        def card(item_id: str) -> Any:
            return page.locator(f"[data-item-id='{item_id}']")

        def tap(item_id: str, label: str, state: str) -> None:
            card(item_id).get_by_role("radio", name=label, exact=True).click()
            page.wait_for_function("([id, st]) => document.querySelector(`[data-item-id='${id}']`).dataset.state === st",
                                   arg=[item_id, state])

        def measure(name: str, locator: Any) -> None:
            measured[name] = locator.evaluate(CONTRAST_JS)

        tap("env.desk", "合格", "saved")
        tap("env.signage", "不适用", "saved")
        tap("env.lights", "不合格", "saved")
        for name, item_id in (("合格 selected", "env.desk"), ("不适用 selected", "env.signage"),
                              ("不合格 selected", "env.lights")):
            measure(name, card(item_id).locator("button[role=radio][aria-checked=true]"))
        measure("unselected choice", card("env.desk").get_by_role("radio", name="不合格", exact=True))
        measure("saved label", card("env.desk").locator("[data-role=status]"))
        page.context.set_offline(True)
        page.wait_for_function("() => navigator.onLine === false")
        tap("env.floor", "0处", "pending")
        measure("pending label", card("env.floor").locator("[data-role=status]"))
        banner = page.locator("[data-role=offline-banner]")
        if banner.is_visible():
            measure("offline banner", banner)
        page.context.set_offline(False)
        page.wait_for_function("() => document.querySelector(\"[data-item-id='env.floor']\").dataset.state === 'saved'")
        with db.write() as s:  # the draft is thrown away on another device: the next tap is refused
            svc.discard_draft(session=s, actor=sup, inspection_id=iid)
        tap("env.desk", "不合格", "error")
        measure("error label", card("env.desk").locator("[data-role=status]"))
        if SCREENSHOTS_ON:
            page.screenshot(path=str(SCREENSHOTS / "a11y-states.png"))
    finally:
        ctx.close()
        db.engine.dispose()
    text = "\n".join(f"  {k}: {v['ratio']:.2f}:1 ({v['fg']} on {v['bg']}, {v['text']!r})" for k, v in measured.items())
    print("inspection screen contrast:\n" + text)
    low = {k: v for k, v in measured.items() if v["ratio"] < 4.5}
    assert not low, f"contrast below 4.5:1:\n{text}"
    assert {"合格 selected", "不合格 selected", "不适用 selected", "saved label", "pending label",
            "error label"} <= measured.keys()


# ----------------------------------------------------------------------------- English in the browser
CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff60]+")
# every text the page shows: the rendered text, plus SVG text (chart axes, legends) and control values
PAGE_TEXT_JS = """() => [document.body.innerText,
  ...Array.from(document.querySelectorAll('svg text')).map(t => t.textContent),
  ...Array.from(document.querySelectorAll('input, textarea')).map(i => i.placeholder || ''),
  ...Array.from(document.querySelectorAll('[aria-label], [title]')).map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || ''))]"""


# controls whose right edge lies past the window (the longer English words pushed them out)
CUT_OFF_JS = """() => Array.from(document.querySelectorAll('[data-testid=stMain] button, [data-testid=stMain] label'))
  .filter(e => e.offsetParent !== null && !e.closest('[data-testid=stTabs] [role=tablist]'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.innerText.trim().slice(0, 40))"""


def data_texts(w: A11yWorld) -> str:
    """What people typed or imported and the checklists' own texts (they stay as written in English mode)."""
    import dataclasses

    from sqlalchemy import select

    from app.db.models import Answer, CorrectiveAction, InspectionPhoto, Site, Staff, User
    from app.services import catalog

    out: list[str] = ["中文", "语言"]  # the language switch names Chinese in Chinese ("Language / 语言")

    def walk(obj: Any) -> None:
        if isinstance(obj, str):
            out.append(obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                if f.name != "grades":
                    walk(getattr(obj, f.name))
        elif isinstance(obj, list | tuple):
            for x in obj:
                walk(x)

    db = w.server.database()
    try:
        with db.read() as s:
            for col in (Site.name, Staff.name, User.display_name, Answer.note, Answer.no_photo_reason,
                        CorrectiveAction.item_text, CorrectiveAction.fix_note, InspectionPhoto.caption):
                out += [v for v in s.scalars(select(col)) if v]
            for entry in catalog.list_entries(s, w.server.checklists):
                walk(entry.checklist)
    finally:
        db.engine.dispose()
    return "\x00".join(out)


def open_sidebar(page: Any) -> None:
    """Open the sidebar unless it is open (Streamlit remembers an opened sidebar across page loads)."""
    page.locator("[data-testid=stSidebar]").first.wait_for(state="attached")
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.count() and expand.is_visible():
        expand.click()
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().left >= 0")


def chinese_left(texts: list[str], allowed: str) -> list[str]:
    return sorted({f"{run!r} in {t[max(0, t.find(run) - 40):t.find(run) + 40]!r}" for t in texts
                   for run in CJK_RUN.findall(t) if run not in allowed})


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", ROLES)
def test_english_every_page(a11y_world: A11yWorld, browser, role: str, size: str, monkeypatch) -> None:
    """Issue 12 point 7 in a real browser: the user switches to English in the sidebar; every page then shows
    no Chinese outside user data and checklist texts (rendered text, chart text, placeholders, labels), says
    ``<html lang="en">``, and axe finds no serious or critical violation in English either."""
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(a11y_world.server.checklists))
    source = axe_source()
    w = a11y_world
    allowed = data_texts(w)
    ctx = browser.new_context(viewport=SIZES[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    left: dict[str, list[str]] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        sign_in(page, w.server, w.users[role])
        open_sidebar(page)
        page.get_by_text("English", exact=True).click()  # the switch in the sidebar, as a user does it
        page.locator("[data-testid=stMain] h1, [data-item-id]").first.wait_for()
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        page.locator("[data-testid=stSidebarCollapseButton] button").click()  # closed again, as a user leaves it
        for name, path, selector in pages_for(role, w):
            page.goto(f"{w.server.url}/{path}")  # a new page load: the choice is kept (the pz_lang cookie)
            wait_drawn(page, selector)
            page.wait_for_function("() => document.documentElement.lang === 'en'")
            cut = page.evaluate(CUT_OFF_JS)
            if cut:
                left[f"{role} · {name} · {size} · /{path} (cut off at the right edge)"] = cut
            texts = page.evaluate(PAGE_TEXT_JS)
            assert "Sign out" in texts[0], f"/{path} is not in English"
            bad = chinese_left(texts, allowed)
            if bad:
                left[f"{role} · {name} · {size} · /{path}"] = bad
            found[f"{role} · {name} · English · {size} · /{path}"] = run_axe(page, source)
            if SCREENSHOTS_ON:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"en-{role}-{size}-{name.replace(' ', '-')}.png"))
    finally:
        ctx.close()
    assert not left, "Chinese in English mode:\n" + "\n".join(f"== {k}\n  " + "\n  ".join(v[:12])
                                                               for k, v in left.items())
    blocking = report(found, BLOCKING)
    assert not blocking, f"axe-core (English): serious/critical violations\n{blocking}"


def test_the_language_choice_is_kept(a11y_world: A11yWorld, browser) -> None:
    """English chosen once stays: a reload, another page, a second tab, signing out (the sign-in page) and in
    again; choosing 中文 brings Chinese back the same way. ``<html lang>`` follows."""
    from app.messages import text

    w = a11y_world
    ctx = browser.new_context(viewport=SIZES["tablet"], locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()

    def heading() -> str:
        page.locator("[data-testid=stMain] h1").first.wait_for()
        return page.locator("[data-testid=stMain] h1").first.inner_text()

    try:
        sign_in(page, w.server, w.users["manager"])
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")  # Streamlit's page says "en"
        open_sidebar(page)
        page.get_by_text("English", exact=True).click()
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        page.reload()
        assert heading() == text("inspect", "en")
        page.goto(f"{w.server.url}/review")
        wait_drawn(page, "[data-testid=stMetric]")
        assert heading() == text("review", "en")
        second = ctx.new_page()
        second.goto(f"{w.server.url}/history")
        second.locator("[data-testid=stMain] h1").first.wait_for()
        assert second.locator("[data-testid=stMain] h1").first.inner_text() == text("history", "en")
        assert second.evaluate("document.documentElement.lang") == "en"
        second.close()
        cookies = {c["name"]: c for c in ctx.cookies()}
        assert cookies["pz_lang"]["value"] == "en" and not cookies["pz_lang"]["httpOnly"]
        # signing out: the sign-in page in English, then in again: English
        open_sidebar(page)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.evaluate("document.documentElement.lang") == "en"
        page.get_by_label("Username").fill(w.users["manager"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        assert heading() == text("inspect", "en")
        # back to Chinese, kept the same way
        open_sidebar(page)
        page.get_by_text("中文", exact=True).click()
        page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
        page.reload()
        assert heading() == text("inspect", "zh")
    finally:
        ctx.close()
