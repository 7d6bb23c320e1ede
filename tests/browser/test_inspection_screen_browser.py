"""The client-side inspection screen (app/ui/inspection_screen, the default item screen) in Chromium, on SQLite and
PostgreSQL, each scenario checked in the DATABASE: the loss paths of issue 11 (next/prev, review/back,
jump, re-tap), 20 answers given offline for 60 s, a reload while offline, a server killed with answers
queued, two devices and two tabs on the same draft (the tap made last wins), and the no-photo reason on a
failed card.

Inspections are opened through the API (each test on its own shift date) and driven through the screen.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from .conftest import LONG_CHECKLIST_ID, SITE_CHECKLIST_ID, LiveServer, Ui

pytestmark = pytest.mark.browser


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request) -> LiveServer:
    return request.getfixturevalue("live_server" if request.param == "sqlite" else "pg_live_server")


@pytest.fixture
def pg_url_factory():
    """Fresh PostgreSQL schemas as database URLs (for servers a test starts itself); dropped afterwards."""
    import sqlalchemy as sa

    pg = os.environ.get("DATABASE_URL_PG")
    if not pg:
        pytest.skip("DATABASE_URL_PG not set")
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        schema = f"b_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return f"{pg}{'&' if '?' in pg else '?'}options={quote(f'-csearch_path={schema}')}"

    yield make
    with admin.connect() as conn:
        for schema in made:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


_DAYS = iter(range(1, 400))


def go_offline(page: Any) -> None:
    """Cut the browser context's network and wait until the page knows it (the switch is asynchronous).

    Two signals: ``navigator.onLine`` is false (from then on the screen sends nothing until its ``online``
    event), and a request from the page really fails. The second is polled from here: ``wait_for_function``
    does not await a predicate's promise (a promise is truthy), so an async predicate would pass at once.
    """
    page.context.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")
    probe = ("async () => { try { await fetch('/api/v1/healthz', {cache: 'no-store'}); return false; }"
             " catch (e) { return true; } }")
    deadline = time.monotonic() + 10
    while not page.evaluate(probe):
        assert time.monotonic() < deadline, "requests still go through 10 s after going offline"
        time.sleep(0.05)


class Screen:
    """The inspection screen of one page, with the gestures the tests need."""

    def __init__(self, ui: Ui, iid: int):
        self.ui = ui
        self.page = ui.page
        self.iid = iid

    @classmethod
    def start(cls, ui: Ui, checklist: str) -> Screen:
        """Sign in as the V-site supervisor, open a draft through the API (own shift date), show the screen."""
        ui.sign_in(ui.server.org.sup_v2)
        day = (date.today() - timedelta(days=next(_DAYS))).isoformat()
        iid = cls.api_start(ui, checklist, day)
        screen = cls(ui, iid)
        screen.open()
        return screen

    @staticmethod
    def api_start(ui: Ui, checklist: str, day: str) -> int:
        req = ui.page.request
        csrf = req.get(f"{ui.server.url}/api/v1/me").json()["csrf"]
        r = req.post(f"{ui.server.url}/api/v1/inspections", headers={"X-CSRF-Token": csrf},
                     data={"site": "V", "shift_date": day, "shift": "早班", "subject": "site", "checklist": checklist})
        assert r.status == 201, r.text()
        return int(r.json()["id"])

    @property
    def url(self) -> str:
        return f"{self.ui.server.url}/?insp={self.iid}&step=items"

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.locator("[data-item-id]").first.wait_for()

    def card(self, item_id: str) -> Any:
        return self.page.locator(f"[data-item-id='{item_id}']")

    def state(self, item_id: str) -> str | None:
        return self.card(item_id).get_attribute("data-state")

    def tap(self, item_id: str, label: str, *, wait: bool = True) -> None:
        self.card(item_id).get_by_role("radio", name=label, exact=True).click()
        if wait:
            self.page.wait_for_function(
                "([id]) => { const c = document.querySelector(`[data-item-id='${id}']`);"
                " return c && (c.dataset.state === 'saved' || c.dataset.state === 'error'); }", arg=[item_id])
            assert self.state(item_id) == "saved", self.card(item_id).locator("[data-role=status]").inner_text()

    def selected(self, item_id: str) -> list[str]:
        return [t.strip() for t in self.card(item_id).locator("button[role=radio][aria-checked=true]").all_inner_texts()]

    def action(self, name: str) -> None:
        self.page.locator(f"[data-action={name}]:visible").first.click()

    def section_shown(self) -> int:
        return int(self.page.locator(".pzi").get_attribute("data-section") or "-1")

    def queued(self) -> int:
        return int(self.page.locator(".pzi").get_attribute("data-queued") or "0")

    def wait_synced(self, timeout_ms: int = 30_000) -> None:
        self.page.wait_for_function("() => { const w = document.querySelector('.pzi');"
                                    " return w && w.dataset.queued === '0'; }", timeout=timeout_ms)

    def in_viewport(self, item_id: str) -> bool:
        return bool(self.page.evaluate(
            "([id]) => { const r = document.querySelector(`[data-item-id='${id}']`).getBoundingClientRect();"
            " return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }", [item_id]))


def stored(server: LiveServer, iid: int) -> dict[str, tuple[dict[str, Any], Any, str | None]]:
    """item id -> (answer, tap time, op id), straight from the database; cleared answers left out."""
    from app.db.models import Answer

    db = server.database()
    try:
        with db.read() as s:
            rows = s.execute(select(Answer.item_id, Answer.value, Answer.tapped_at, Answer.op_id)
                             .where(Answer.inspection_id == iid)).all()
    finally:
        db.engine.dispose()
    return {r.item_id: (norm(dict(r.value)), r.tapped_at, r.op_id) for r in rows if r.value}


def norm(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(str(v)) if k in ("count", "points") else v for k, v in answer.items()}


def values(server: LiveServer, iid: int) -> dict[str, dict[str, Any]]:
    return {k: v[0] for k, v in stored(server, iid).items()}


# ----------------------------------------------------------------------------- the loss paths and re-tap
def test_no_answer_lost_by_sections_review_jump_or_retap(server: LiveServer, open_ui) -> None:
    ui: Ui = open_ui(server)
    sc = Screen.start(ui, SITE_CHECKLIST_ID)
    page = sc.page
    first = {"env.desk": ("合格", {"result": "pass"}), "env.signage": ("不适用", {"result": "na"}),
             "env.floor": ("1处 −1", {"count": Decimal(1)})}
    for item_id, (label, _) in first.items():
        sc.tap(item_id, label)
    assert values(server, sc.iid) == {k: v for k, (_, v) in first.items()}
    assert page.locator("[data-role=progress]").inner_text() == "进度 3/12"

    # next ▶ then ◀ back: the three answers are still shown and still stored
    page.locator(".pzi-bottom [data-action=next-section]").scroll_into_view_if_needed()
    sc.action("next-section")
    assert sc.section_shown() == 1
    top = page.evaluate("() => document.querySelector('[data-section-index=\"1\"]').getBoundingClientRect().top")
    assert top < 400, f"section 2 should open at the top, its title is at {top}px"
    sc.action("prev-section")
    for item_id, (label, _) in first.items():
        assert sc.selected(item_id) == [label]
    sc.tap("env.lights", "合格")  # the next tap used to write {} over the three answers
    expected = {**{k: v for k, (_, v) in first.items()}, "env.lights": {"result": "pass"}}
    assert values(server, sc.iid) == expected

    # ☰ review, then ◀ back to the items
    sc.action("review")
    page.get_by_text("未作答（8）").wait_for()
    page.locator("[data-action=back-to-items]").click()
    sc.card("env.desk").wait_for()
    for item_id, (label, _) in first.items():
        assert sc.selected(item_id) == [label]
    assert values(server, sc.iid) == expected

    # a jump from the review list lands on the exact item (another section), highlighted
    sc.action("review")
    page.get_by_text("未作答（8）").wait_for()
    page.get_by_role("button", name="→").first.click()  # the first unanswered item: svc.greeting
    sc.card("svc.greeting").wait_for()
    page.wait_for_function("() => document.querySelector(\"[data-item-id='svc.greeting']\")"
                           ".classList.contains('pzi-highlight')")
    assert sc.section_shown() == 1 and sc.in_viewport("svc.greeting")
    sc.tap("svc.greeting", "3分")

    # 下一未答 scrolls to the exact next unanswered item
    sc.action("next-unanswered")
    page.wait_for_function("() => document.querySelector(\"[data-item-id='svc.phone']\")"
                           ".classList.contains('pzi-highlight')")
    assert sc.in_viewport("svc.phone")

    # re-tapping the chosen answer keeps it (no deselect); 清除 clears it on purpose
    sc.action("prev-section")
    before = stored(server, sc.iid)["env.desk"]
    sc.card("env.desk").get_by_role("radio", name="合格", exact=True).click()
    page.wait_for_timeout(500)
    assert sc.selected("env.desk") == ["合格"] and sc.state("env.desk") == "saved"
    assert stored(server, sc.iid)["env.desk"] == before
    sc.card("env.desk").locator("[data-action=clear]").click()
    page.wait_for_function("() => document.querySelector(\"[data-item-id='env.desk']\").dataset.state === 'unanswered'"
                           " && document.querySelector('.pzi').dataset.queued === '0'")
    assert "env.desk" not in values(server, sc.iid)
    assert values(server, sc.iid) == {**{k: v for k, v in expected.items() if k != "env.desk"},
                                      "svc.greeting": {"points": Decimal(3)}}


# ----------------------------------------------------------------------------- offline
LONG_ITEMS = [f"s{k}.i{n}" for k in range(1, 4) for n in range(1, 9)]


def _tap_in_order(sc: Screen, items: list[str], labels: dict[str, str]) -> None:
    for item_id in items:
        section = int(item_id[1]) - 1
        while sc.section_shown() < section:
            sc.action("next-section")
        sc.tap(item_id, labels[item_id], wait=False)
        assert sc.state(item_id) == "pending"


def test_twenty_answers_offline_for_60_s_then_online(server: LiveServer, open_ui) -> None:
    ui: Ui = open_ui(server)
    sc = Screen.start(ui, LONG_CHECKLIST_ID)
    items = LONG_ITEMS[:20]
    labels = {i: ("不合格" if n % 4 == 0 else "合格") for n, i in enumerate(items)}
    go_offline(ui.page)
    _tap_in_order(sc, items, labels)
    banner = ui.page.locator("[data-role=offline-banner]")
    banner.wait_for()
    assert sc.queued() == 20
    ui.page.wait_for_function("() => document.querySelector('[data-role=offline-banner]').textContent"
                              " === '网络已断开 · 20 项待同步'")
    assert values(server, sc.iid) == {}
    time.sleep(60)
    assert values(server, sc.iid) == {}
    ui.page.context.set_offline(False)
    sc.wait_synced(60_000)
    rows = stored(server, sc.iid)
    assert {k: v[0] for k, v in rows.items()} == {
        i: {"result": "fail" if labels[i] == "不合格" else "pass"} for i in items}
    taps = [rows[i][1] for i in items]
    assert taps == sorted(taps) and len(set(taps)) == 20, "stored in the order tapped"
    assert all(sc.state(i) == "saved" for i in items[-8:])
    assert banner.is_hidden()


def test_reload_while_offline_then_online_sends_the_queue(server: LiveServer, open_ui) -> None:
    ui: Ui = open_ui(server)
    sc = Screen.start(ui, LONG_CHECKLIST_ID)
    labels = {"s1.i1": "合格", "s1.i2": "不合格", "s1.i3": "不适用"}
    go_offline(ui.page)
    _tap_in_order(sc, list(labels), labels)
    ui.page.wait_for_timeout(500)  # time enough for any request to slip out (none may: the page is offline)
    assert values(server, sc.iid) == {}, "every tap is queued while offline, none sent"
    with pytest.raises(Exception):  # noqa: B017 - no page can load without a network
        ui.page.reload()
    ui.page.wait_for_function("() => location.href.startsWith('chrome-error://')")
    # the queue outlived the reload. Strictly none was sent before it (checked above); around the failed
    # reload itself Chromium lets out at most the first queued answer now and then (about 1 run in 8 under
    # load, on both databases, although the page is DevTools-offline and Playwright reports no request; the
    # screen sends nothing while navigator.onLine is false), so the others are the ones that must survive
    ui.page.goto("about:blank")  # and no automatic reload of the error page once the network is back
    early = values(server, sc.iid)
    assert set(early) <= {"s1.i1"}, early
    ui.page.context.set_offline(False)
    sc.open()
    sc.wait_synced()
    rows = stored(server, sc.iid)
    assert {k: v[0] for k, v in rows.items()} == {"s1.i1": {"result": "pass"}, "s1.i2": {"result": "fail"},
                                                  "s1.i3": {"result": "na"}}
    for item_id, label in labels.items():
        assert sc.selected(item_id) == [label]


# ----------------------------------------------------------------------------- a killed server
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_with_answers_queued_then_restart(backend: str, make_server, open_ui, request) -> None:
    url = request.getfixturevalue("pg_url_factory")() if backend == "postgresql" else None
    srv: LiveServer = make_server(url)
    srv.start()
    ui: Ui = open_ui(srv)
    sc = Screen.start(ui, LONG_CHECKLIST_ID)
    sc.tap("s1.i1", "合格")
    srv.kill9()
    labels = {"s1.i2": "不合格", "s1.i3": "合格", "s1.i4": "合格", "s1.i5": "不合格", "s1.i6": "不适用"}
    _tap_in_order(sc, list(labels), labels)
    ui.page.wait_for_function("() => document.querySelector('[data-role=offline-banner]').textContent"
                              " === '网络已断开 · 5 项待同步'", timeout=30_000)
    srv.start()
    sc.wait_synced(60_000)
    rows = stored(srv, sc.iid)
    want = {"pass": "合格", "fail": "不合格", "na": "不适用"}
    assert {k: want[v[0]["result"]] for k, v in rows.items()} == {"s1.i1": "合格", **labels}
    from app.db.models import Answer

    db = srv.database()
    try:
        with db.read() as s:
            n = len(s.execute(select(Answer.id).where(Answer.inspection_id == sc.iid)).all())
    finally:
        db.engine.dispose()
    assert n == 6 and len({v[2] for v in rows.values()}) == 6, "one row and one op per item: none duplicated"


# ----------------------------------------------------------------------------- two devices, one draft
def test_two_devices_the_last_tap_wins_and_both_converge(server: LiveServer, open_ui) -> None:
    a: Ui = open_ui(server)
    sa = Screen.start(a, LONG_CHECKLIST_ID)
    b: Ui = open_ui(server)
    b.sign_in(server.org.sup_v2)
    sb = Screen(b, sa.iid)
    sb.open()
    # A answers offline first (an older tap), B answers the same items later and online
    go_offline(a.page)
    sa.tap("s1.i1", "合格", wait=False)
    sa.tap("s1.i2", "不合格", wait=False)
    b.page.wait_for_timeout(50)
    sb.tap("s1.i1", "不合格")
    sb.tap("s1.i2", "合格")
    # then A taps s1.i3 last of all, B had tapped it before
    sb.tap("s1.i3", "不适用")
    b.page.wait_for_timeout(50)
    sa.tap("s1.i3", "合格", wait=False)
    a.page.context.set_offline(False)
    sa.wait_synced()
    assert values(server, sa.iid) == {"s1.i1": {"result": "fail"}, "s1.i2": {"result": "pass"},
                                      "s1.i3": {"result": "pass"}}
    # A's screen took the newer stored answers back at once; after a reload both show the same
    assert sa.selected("s1.i1") == ["不合格"] and sa.selected("s1.i2") == ["合格"]
    for s in (sa, sb):
        s.open()
        s.wait_synced()
        assert [s.selected(i) for i in ("s1.i1", "s1.i2", "s1.i3")] == [["不合格"], ["合格"], ["合格"]]


def test_two_tabs_of_one_browser_the_last_tap_wins_and_both_converge(server: LiveServer, open_ui) -> None:
    """Two pages of ONE browser context (two tabs: one cookie jar, one localStorage, so one outbox key per
    user and inspection) on the same draft: the same items tapped alternately in both tabs."""
    a: Ui = open_ui(server)
    sa = Screen.start(a, LONG_CHECKLIST_ID)
    b = Ui(a.page.context.new_page(), server)
    sb = Screen(b, sa.iid)
    sb.open()
    items = ["s1.i1", "s1.i2", "s1.i3", "s1.i4"]
    labels = ["合格", "不合格", "不适用"]  # s1.i3 is the N/A one (every third item has N/A)
    last: dict[str, tuple[str, str]] = {}
    for rnd in range(3):
        for n, item_id in enumerate(items):
            tab, other = (sa, "A"), (sb, "B")
            first, second = (tab, other) if (rnd + n) % 2 == 0 else (other, tab)
            for k, (screen, name) in enumerate((first, second)):
                choice = [x for x in labels if x != "不适用" or item_id == "s1.i3"]
                label = choice[(rnd + n + k) % len(choice)]
                if screen.selected(item_id) == [label]:  # a re-tap changes nothing: take the next choice
                    label = choice[(rnd + n + k + 1) % len(choice)]
                screen.tap(item_id, label)
                last[item_id] = (name, label)
    want = {"合格": {"result": "pass"}, "不合格": {"result": "fail"}, "不适用": {"result": "na"}}
    assert values(server, sa.iid) == {i: want[label] for i, (_, label) in last.items()}, last
    assert {tab for tab, _ in last.values()} == {"A", "B"}, "both tabs made some of the last taps"
    for s in (sa, sb):
        s.open()
        s.wait_synced()
        assert {i: s.selected(i) for i in items} == {i: [label] for i, (_, label) in last.items()}
    assert values(server, sa.iid) == {i: want[label] for i, (_, label) in last.items()}


# ----------------------------------------------------------------------------- photos, notes, refusals
def _jpeg(width: int, height: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (230, 230, 220))
    ImageDraw.Draw(img).rectangle((width // 4, height // 4, width // 2, height // 2), fill=(200, 60, 40))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def test_photo_downscaled_in_the_browser_note_saved_and_refusal_reverts(server: LiveServer, open_ui) -> None:
    from app.db.models import Answer, InspectionPhoto, Photo

    ui: Ui = open_ui(server)
    sc = Screen.start(ui, SITE_CHECKLIST_ID)
    page = sc.page
    sc.tap("env.lights", "不合格")
    page.wait_for_timeout(300)
    card = sc.card("env.lights")
    card.locator("input[data-role=gallery]").set_input_files(
        files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(4000, 3000)}])
    card.locator("img.pzi-thumb[data-photo-id]").wait_for(timeout=30_000)
    note = card.locator("textarea")
    note.fill("灯管闪烁 <b>两处</b>")
    note.blur()
    sc.wait_synced()
    db = server.database()
    try:
        with db.read() as s:
            photo = s.execute(select(Photo.original_width, Photo.original_height).join(
                InspectionPhoto, InspectionPhoto.photo_id == Photo.id).where(
                InspectionPhoto.inspection_id == sc.iid, InspectionPhoto.item_id == "env.lights")).one()
            saved_note = s.scalar(select(Answer.note).where(Answer.inspection_id == sc.iid,
                                                            Answer.item_id == "env.lights"))
    finally:
        db.engine.dispose()
    assert max(photo) == 2048 and photo == (2048, 1536), f"uploaded at {photo}, not downscaled to 2048 px"
    assert saved_note == "灯管闪烁 <b>两处</b>"

    # the draft is submitted elsewhere: the next tap is refused, shows the reason and reverts
    req = page.request
    csrf = req.get(f"{server.url}/api/v1/me").json()["csrf"]
    answers = {"env.desk": {"result": "pass"}, "env.signage": {"result": "na"}, "env.floor": {"count": 0},
               "svc.greeting": {"points": 4}, "svc.phone": {"result": "pass"}, "svc.register": {"count": 0},
               "svc.uniform": {"result": "pass"}, "safe.fire": {"result": "pass"}, "safe.cash": {"result": "pass"},
               "safe.keys": {"points": 3}, "safe.door": {"result": "pass"}}
    for n, (item_id, value) in enumerate(answers.items()):
        r = req.put(f"{server.url}/api/v1/inspections/{sc.iid}/answers/{item_id}", headers={"X-CSRF-Token": csrf},
                    data={"value": value, "op_id": str(uuid.uuid4()), "answered_at": int(time.time() * 1000) - 1000 + n})
        assert r.ok, r.text()
    r = req.post(f"{server.url}/api/v1/inspections/{sc.iid}/submit", headers={"X-CSRF-Token": csrf})
    assert r.ok, r.text()
    sc.card("env.lights").get_by_role("radio", name="合格", exact=True).click()
    page.wait_for_function("() => document.querySelector(\"[data-item-id='env.lights']\").dataset.state === 'error'")
    status = sc.card("env.lights").locator("[data-role=status]").inner_text()
    assert status.startswith("✗ 保存失败: ") and len(status) > len("✗ 保存失败: ")
    assert sc.selected("env.lights") == ["不合格"], "the card shows the stored answer again"
    assert values(server, sc.iid)["env.lights"] == {"result": "fail"}


def test_no_photo_reason_on_the_failed_card(server: LiveServer, open_ui) -> None:
    """A failed ``evidence: on_fail`` item without a photo asks for 无照片原因 on its card; the reason is queued
    like a note, stored literally, excuses the photo at review, and shows again after a reload."""
    from app.db.models import Answer

    ui: Ui = open_ui(server)
    sc = Screen.start(ui, SITE_CHECKLIST_ID)
    page = sc.page
    field = sc.card("env.lights").locator("[data-role=no-photo-reason]")
    assert field.is_hidden() and sc.card("env.desk").locator("[data-role=no-photo-reason]").count() == 0
    sc.tap("env.lights", "不合格")
    field.wait_for()
    assert field.get_attribute("aria-label") == "无照片原因"
    hostile = "灯具断电<img src=x onerror=alert(1)>\n![x](http://127.0.0.1:9/x.png) " + "长" * 400
    field.fill(hostile)
    field.blur()
    sc.wait_synced()

    def reason() -> str | None:
        db = server.database()
        try:
            with db.read() as s:
                return s.scalar(select(Answer.no_photo_reason).where(Answer.inspection_id == sc.iid,
                                                                     Answer.item_id == "env.lights"))
        finally:
            db.engine.dispose()

    expected = hostile.replace("\n", " ")  # a one-line text field: the browser drops the line break
    assert reason() == expected and values(server, sc.iid)["env.lights"] == {"result": "fail"}
    sc.open()
    field = sc.card("env.lights").locator("[data-role=no-photo-reason]")
    field.wait_for()
    assert field.input_value() == expected
    assert page.evaluate("() => document.querySelectorAll('.pzi img:not(.pzi-thumb)').length") == 0
    # the review does not ask for this item's photo any more
    sc.action("review")
    page.get_by_text("未作答（11）").wait_for()
    assert page.get_by_text("不合格须拍照（或填写无照片原因）").count() == 0
    # cleared on the card: asked for again
    page.locator("[data-action=back-to-items]").click()
    field = sc.card("env.lights").locator("[data-role=no-photo-reason]")
    field.fill("")
    field.blur()
    sc.wait_synced()
    assert reason() is None


# ----------------------------------------------------------------------------- look: sticky header, colours, targets
SCROLL_BY = """(dy) => { for (let p = document.querySelector('.pzi').parentElement; p; p = p.parentElement) {
  const s = getComputedStyle(p);
  if (/(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight) { p.scrollTop += dy; return; } }
  window.scrollBy(0, dy); }"""


def test_sticky_header_colours_touch_targets_and_screenshots(live_server: LiveServer, open_ui) -> None:
    from .conftest import SCREENSHOTS, VIEWPORT

    ui: Ui = open_ui(live_server)
    sc = Screen.start(ui, SITE_CHECKLIST_ID)
    page = sc.page
    sc.tap("env.desk", "合格")
    sc.tap("env.signage", "不适用")
    sc.tap("env.floor", "1处 −1")
    colours = {label: sc.card(item).get_by_role("radio", name=label, exact=True).evaluate(
        "b => getComputedStyle(b).backgroundColor") for item, label in
        (("env.desk", "合格"), ("env.signage", "不适用"), ("env.floor", "1处 −1"))}
    assert len(set(colours.values())) == 3, f"pass, N/A and fail must never look the same: {colours}"
    assert colours["合格"] == "rgb(21, 128, 61)" and colours["1处 −1"] == "rgb(220, 38, 38)"  # green-700: 5:1 with white
    small = page.evaluate("() => [...document.querySelectorAll('.pzi button:not([hidden]), .pzi select')]"
                          ".filter(b => b.offsetParent).map(b => b.getBoundingClientRect())"
                          ".filter(r => r.width < 44 || r.height < 44).length")
    assert small == 0, f"{small} touch targets smaller than 44x44 px"
    go_offline(page)
    sc.tap("env.lights", "不合格", wait=False)
    page.wait_for_function("() => document.querySelector('[data-role=offline-banner]').textContent"
                           " === '网络已断开 · 1 项待同步'")
    page.evaluate("() => { for (let p = document.querySelector('.pzi'); p; p = p.parentElement) p.scrollTop = 0; }")
    page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inspection-screen-portrait.png"), full_page=False)
    # scroll down: the header (progress, score, section picker, navigation) stays in view
    page.evaluate(SCROLL_BY, 640)  # down to the queued card (env.lights, failed: its no-photo reason shows)
    page.wait_for_timeout(400)
    head = page.locator("[data-role=header]").bounding_box()
    assert head is not None and 0 <= head["y"] < 120, f"the header scrolled away: {head}"
    title_top = page.evaluate("() => document.querySelector('[data-section-index=\"0\"] h3').getBoundingClientRect().top")
    assert title_top < head["y"] + head["height"], "the page did not scroll under the header"
    page.screenshot(path=str(SCREENSHOTS / "inspection-screen-portrait-scrolled.png"))
    page.set_viewport_size({"width": VIEWPORT["height"], "height": VIEWPORT["width"]})
    page.wait_for_timeout(300)
    page.evaluate("() => { for (let p = document.querySelector('.pzi'); p; p = p.parentElement) p.scrollTop = 0; }")
    page.wait_for_timeout(300)
    page.evaluate(SCROLL_BY, 230)
    page.wait_for_timeout(400)
    head = page.locator("[data-role=header]").bounding_box()
    assert head is not None and 0 <= head["y"] < 120, f"the header scrolled away: {head}"
    page.screenshot(path=str(SCREENSHOTS / "inspection-screen-landscape.png"))
    page.set_viewport_size(VIEWPORT)
    page.context.set_offline(False)
    sc.wait_synced()
    assert values(live_server, sc.iid)["env.lights"] == {"result": "fail"}
