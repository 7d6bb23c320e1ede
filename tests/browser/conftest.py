"""Real-browser fixtures: live Streamlit servers on loopback and headless Debian Chromium at tablet size.

A session-scoped server runs the app on a fresh data directory with a small checklists directory
(see :data:`SITE_CHECKLIST`, :data:`SELF_CHECK_CHECKLIST`, plus the repository's office-safety.yaml).
Every test signs in as its own user (or starts its own inspection) so tests stay independent.
The crash-recovery test starts its own server through the ``make_server`` fixture and SIGKILLs it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 820, "height": 1180}  # a 10-inch tablet, portrait
# Screenshots go to a temp dir, so a test run never changes the work tree; set PINZHI_SCREENSHOTS=docs/screenshots
# to refresh the committed ones.
SCREENSHOTS = Path(os.environ.get("PINZHI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "pinzhi-screenshots")
PASSWORD = "browser-pass-1"
IN_CI = bool(os.environ.get("CI"))
TIMEOUT_MS = 20_000  # longest wait for any one element (a cold first run of a page included)

# ----------------------------------------------------------------------------- checklists
SITE_CHECKLIST_ID = "browser-site"
STAFF_CHECKLIST_ID = "browser-self"


def _item(id: str, text: str, points: float, **kw: Any) -> dict[str, Any]:
    return {"id": id, "text": text, "points": points, "source": "addition: browser test", **kw}


SITE_CHECKLIST: dict[str, Any] = {
    "id": SITE_CHECKLIST_ID, "version": "1", "title": "前台现场检查（浏览器测试）", "kind": "workflow",
    "subject": "site", "self_check": False,
    "sections": [
        {"id": "env", "title": "前台环境", "points": 10, "items": [
            _item("env.desk", "前台台面整洁，物品摆放整齐", 3),
            _item("env.signage", "服务指引牌齐全、清晰", 2, na=True),
            _item("env.floor", "地面无杂物、无污渍（每处扣 1 分）", 3, scoring="deduct", per=1),
            _item("env.lights", "照明设备完好，无损坏灯具", 2, evidence="on_fail"),
        ]},
        {"id": "svc", "title": "服务规范", "points": 11, "items": [
            _item("svc.greeting", "主动问候来访业户，使用标准用语", 4, scoring="scale", step=1),
            _item("svc.phone", "电话铃响三声内接听", 3),
            _item("svc.register", "来访登记完整（每处扣 0.5 分）", 2, scoring="deduct", per=0.5),
            _item("svc.uniform", "着装整洁，佩戴工牌", 2),
        ]},
        {"id": "safe", "title": "安全管理", "points": 11, "items": [
            _item("safe.fire", "消防器材在有效期内，通道畅通", 3, evidence="on_fail"),
            _item("safe.cash", "现金及票据按规定存放", 2),
            _item("safe.keys", "钥匙借用登记规范", 3, scoring="scale", step=0.5),
            _item("safe.door", "下班后门窗关闭、电器断电", 3, na=True),
        ]},
    ],
}

LONG_CHECKLIST_ID = "browser-long"
# 24 pass/fail items in 3 sections (the client-side screen's offline and two-tab scenarios)
LONG_CHECKLIST: dict[str, Any] = {
    "id": LONG_CHECKLIST_ID, "version": "1", "title": "长检查表（浏览器测试）", "kind": "workflow",
    "subject": "site", "self_check": False,
    "sections": [{"id": f"s{k}", "title": f"第{k}部分", "points": 16, "items": [
        _item(f"s{k}.i{n}", f"第{k}部分第{n}项", 2, **({"na": True} if n % 3 == 0 else {}))
        for n in range(1, 9)]} for k in range(1, 4)],
}

SELF_CHECK_CHECKLIST: dict[str, Any] = {
    "id": STAFF_CHECKLIST_ID, "version": "1", "title": "上岗前自查（浏览器测试）", "kind": "appearance",
    "subject": "staff", "self_check": True,
    "sections": [
        {"id": "look", "title": "仪容仪表", "points": 5, "items": [
            _item("look.uniform", "工装整洁、工牌端正", 2),
            _item("look.hair", "发型整齐，不染夸张颜色", 2),
            _item("look.shoes", "鞋袜干净（每处扣 0.5 分）", 1, scoring="deduct", per=0.5),
        ]},
    ],
}


def write_checklists(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    from v2_standard import v2_standard_doc  # a version-2 standard (tests/v2_standard.py)

    for doc in (SITE_CHECKLIST, SELF_CHECK_CHECKLIST, LONG_CHECKLIST, v2_standard_doc(hostile=True)):
        (directory / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                                     encoding="utf-8")
    shutil.copy(ROOT / "checklists" / "office-safety.yaml", directory / "office-safety.yaml")
    return directory


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Org:
    """Usernames of the accounts a test may sign in with (all with :data:`PASSWORD`)."""

    admin: str = "admin"
    sup_main: str = "sup_main"    # site M: the main inspection test
    sup_photo: str = "sup_photo"  # site P: the photo test
    sup_nav: str = "sup_nav"      # site N: the navigation test
    sup_extra: str = "sup_extra"  # site X: the result-panel rounding test; the crash test on its own server
    sup_sel: str = "sup_sel"      # site Y: the section-selectbox test
    sup_v2: str = "sup_v2"        # site V: the client-side inspection screen's tests (one shift date each)
    staff: str = "zhangli"        # staff S001 on site M


def db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'pinzhi.db'}"


def setup_data(data_dir: Path, url: str | None = None) -> Org:
    """Migrate the database (``url``, else a SQLite file in ``data_dir``) and create the sites, staff and
    accounts of :class:`Org`."""
    from app.db.engine import Database, make_engine
    from app.db.migrate import upgrade
    from app.services import auth, org
    from app.services.actor import SYSTEM

    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url or db_url(data_dir))
    upgrade(engine)
    db = Database(engine)
    o = Org()
    with db.write() as s:
        auth.create_first_admin(s, username=o.admin, password=PASSWORD, display_name="系统管理员")
        for code, name in [("M", "金地格林小区"), ("P", "金地名峰小区"), ("N", "金地天悦小区"), ("X", "金地华府小区"),
                           ("Y", "金地湖城小区"), ("V", "金地风华小区")]:
            org.add_site(s, actor=SYSTEM, code=code, name=name, kind="residential")
        org.add_staff(s, actor=SYSTEM, code="S001", name="张丽", post="前台接待", site_code="M")
        for username, code, display in [(o.sup_main, "M", "李督导"), (o.sup_photo, "P", "王督导"),
                                        (o.sup_nav, "N", "赵督导"), (o.sup_extra, "X", "钱督导"),
                                        (o.sup_sel, "Y", "孙督导"), (o.sup_v2, "V", "周督导")]:
            auth.create_user(s, actor=SYSTEM, username=username, password=PASSWORD, role="supervisor",
                             display_name=display, site_codes=[code])
        auth.create_user(s, actor=SYSTEM, username=o.staff, password=PASSWORD, role="staff", display_name="张丽",
                         staff_code="S001")
    engine.dispose()
    return o


# ----------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """One ``streamlit run app/server.py`` process (the ASGI app: pages, /auth, /api/v1) on loopback, in its
    own process group."""

    data_dir: Path
    checklists: Path
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    org: Org = field(default_factory=Org)
    database_url: str | None = None  # PostgreSQL (a schema of its own); None: SQLite in data_dir

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return self.database_url or db_url(self.data_dir)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "PINZHI_APPTEST") and not k.startswith("STREAMLIT_")}
        env.update(PINZHI_DATA_DIR=str(self.data_dir), PINZHI_CHECKLISTS=str(self.checklists),
                   STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", PYTHONUNBUFFERED="1")
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def start(self, timeout: float = 60.0) -> LiveServer:
        cmd = [sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.port", str(self.port),
               "--server.headless", "true", "--server.address", "127.0.0.1",
               # others edit the repository while tests run: never rerun the app on a file change
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in {timeout}s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def kill9(self) -> None:
        """SIGKILL the server's process group: no shutdown code runs (a power cut, an OOM kill)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            pass

    def database(self):
        from app.db.engine import Database, make_engine

        return Database(make_engine(self.db_url))


def new_server(root: Path, database_url: str | None = None) -> LiveServer:
    """A server on a fresh data directory (migrated, with :class:`Org`) and the test checklists; with
    ``database_url`` on that database instead of a SQLite file."""
    data = root / "data"
    checklists = write_checklists(root / "checklists")
    org = setup_data(data, database_url)
    return LiveServer(data_dir=data, checklists=checklists, port=free_port(), log=root / "streamlit.log", org=org,
                      database_url=database_url)


@pytest.fixture(scope="session")
def pg_live_server(tmp_path_factory, chromium_path) -> Iterator[LiveServer]:
    """A live server on PostgreSQL (``DATABASE_URL_PG``), in a fresh schema of its own (dropped afterwards)."""
    import uuid
    from urllib.parse import quote

    import sqlalchemy as sa

    pg = os.environ.get("DATABASE_URL_PG")
    if not pg:
        if IN_CI:
            pytest.fail("DATABASE_URL_PG is not set in CI: PostgreSQL tests must run")
        pytest.skip("DATABASE_URL_PG not set")
    schema = f"b_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg}{'&' if '?' in pg else '?'}options={quote(f'-csearch_path={schema}')}"
    server = new_server(tmp_path_factory.mktemp("live-pg"), url)
    server.start()
    yield server
    server.stop()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, chromium_path) -> Iterator[LiveServer]:
    server = new_server(tmp_path_factory.mktemp("live"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_server(tmp_path, chromium_path) -> Iterator:
    """Start servers of one test's own (function-scoped) data directory; all are stopped at teardown."""
    started: list[LiveServer] = []

    def make(database_url: str | None = None) -> LiveServer:
        server = new_server(tmp_path / f"srv{len(started)}", database_url)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


# ----------------------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def chromium_path() -> Path:
    why = None
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} is missing (apt-get install chromium; scripts/test.sh installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "the playwright Python package is missing (pip install -e .[dev])"
    if why:
        if IN_CI:
            pytest.fail(f"browser tests must run in CI: {why}")
        pytest.skip(why)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser, request, tmp_path) -> Iterator:
    """Factory: a fresh browser context (own cookies, own Streamlit session) at tablet size.

    When the test fails, every page is saved as a screenshot in the test's tmp_path (named in the report).
    """
    contexts = []

    def make():
        ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    rep = getattr(request.node, "rep_call", None)
    for n, ctx in enumerate(contexts):
        if rep is not None and rep.failed:
            for k, page in enumerate(ctx.pages):
                path = tmp_path / f"failure-{n}-{k}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    rep.sections.append(("browser", f"screenshot {path} of {page.url}"))
                except Exception as exc:  # the page may be gone
                    rep.sections.append(("browser", f"no screenshot of {page.url}: {exc}"))
        ctx.close()


# ----------------------------------------------------------------------------- driving the app
# the inspection screen (app/ui/inspection_screen): a card per item, [data-item-id][data-state]
# (a tap turns the card "pending" at once; "saved" follows the server's acknowledgement)
WAIT_SETTLED_JS = """
([id]) => { const c = document.querySelector(`.pzi [data-item-id='${id}']`);
  if (!c) return false;
  if (c.dataset.state === 'error') return 'error: ' + c.querySelector('[data-role=status]').innerText;
  return c.dataset.state === 'saved'; }
"""


class Ui:
    """A page of the app in one browser context, with the few gestures the tests need."""

    def __init__(self, page: Any, server: LiveServer):
        self.page = page
        self.server = server

    # -- navigation
    def goto(self, path: str = "") -> None:
        self.page.goto(f"{self.server.url}/{path.lstrip('/')}")

    def sign_in(self, username: str, password: str = PASSWORD, *, screenshot: str | None = None) -> None:
        """Sign in through the sign-in page the app redirects to (labels 用户名 / 密码, button 登录)."""
        self.goto()
        page = self.page
        page.wait_for_url(re.compile(r"/auth/login"))
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / screenshot))
        page.get_by_role("button", name="登录").click()
        page.locator("[data-testid=stTopNavLink]").first.wait_for()
        assert self.session_cookie() is not None
        assert "sid=" not in page.url and "pinzhi_session" not in page.url

    def session_cookie(self) -> dict[str, Any] | None:
        found = [c for c in self.page.context.cookies() if c["name"] == "pinzhi_session"]
        if found:
            assert found[0]["httpOnly"] and found[0]["sameSite"] == "Lax"
        return found[0] if found else None

    def use_session(self, token: str) -> None:
        """Hand this browser a session opened through the service (as a sign-in would set it)."""
        self.page.context.add_cookies([{"name": "pinzhi_session", "value": token, "url": self.server.url,
                                        "httpOnly": True, "sameSite": "Lax"}])

    def nav_labels(self) -> list[str]:
        links = self.page.locator("[data-testid=stTopNavLink]")
        links.first.wait_for()
        # a link's text is its material icon's name, then its title
        return [t.strip().splitlines()[-1].strip() for t in links.all_inner_texts()]

    def query(self) -> dict[str, str]:
        from urllib.parse import parse_qsl, urlsplit

        return dict(parse_qsl(urlsplit(self.page.url).query))

    def screenshot(self, name: str) -> Path:
        """The whole page at tablet width (Streamlit scrolls inside its own container, so the viewport
        is stretched to the content's height for the shot and put back afterwards)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        height = self.page.evaluate(
            "() => { const b = document.querySelector('[data-testid=stMainBlockContainer]');"
            " return b ? Math.ceil(b.getBoundingClientRect().top + b.scrollHeight) : 0; }")
        tall = max(VIEWPORT["height"], min(int(height), 6000))
        if tall > VIEWPORT["height"]:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": tall})
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        try:
            self.page.screenshot(path=str(path))
        finally:
            if tall > VIEWPORT["height"]:
                self.page.set_viewport_size(VIEWPORT)
        return path

    # -- widgets
    def choose(self, label: str, option_prefix: str) -> None:
        """Pick the option starting with ``option_prefix`` in the selectbox labelled ``label``."""
        self.settle()
        box = self.page.get_by_role("combobox", name=label)
        box.click()
        self.page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(option_prefix))).first.click()
        self.page.wait_for_function(
            "([label, p]) => [...document.querySelectorAll('input[role=combobox]')]"
            ".some(i => i.getAttribute('aria-label') === label && i.value.startsWith(p))", arg=[label, option_prefix])

    def start_inspection(self, checklist_title: str, *, subject: str = "前台/管理处") -> int:
        """On 现场巡检: pick the subject and checklist, press 开始检查; returns the inspection id."""
        page = self.page
        page.get_by_text("新建检查").wait_for()
        page.get_by_role("radio", name=subject, exact=True).click()
        page.wait_for_selector(f"button[role=radio][aria-checked=true]:has-text('{subject}')")
        if subject == "前台/管理处":  # the run for the new subject drops the staff picker
            page.get_by_role("combobox", name="员工").wait_for(state="detached")
        self.choose("检查表", checklist_title)
        page.get_by_role("button", name="开始检查").click()
        page.wait_for_url(re.compile(r"[?&]insp=\d+"))
        page.locator("[data-item-id]").first.wait_for()
        return int(self.query()["insp"])

    # -- the inspection screen (one client-side component; see app/ui/inspection_screen)
    def item(self, item_id: str) -> Any:
        """The item's card."""
        return self.page.locator(f".pzi [data-item-id='{item_id}']")

    def answer_control(self, item_id: str) -> Any:
        """The item's answer buttons (role radio, named by their labels)."""
        return self.item(item_id).get_by_role("radiogroup", name="检查结果")

    def tap(self, item_id: str, label: str) -> None:
        """Tap an answer and wait until the card shows 已保存 (the server acknowledged it: it is in the database)."""
        box = self.item(item_id)
        box.wait_for()
        button = self.answer_control(item_id).get_by_role("radio", name=label, exact=True)
        assert button.get_attribute("aria-checked") == "false", f"{item_id}: {label} already chosen"
        button.click()
        outcome = self.page.wait_for_function(WAIT_SETTLED_JS, arg=[item_id]).json_value()
        assert outcome is True, f"{item_id}: {outcome}"
        marker = box.locator("[data-role=status]").inner_text()
        assert re.fullmatch(r"✓ 已保存 \d{2}:\d{2}:\d{2}", marker.strip()), marker

    def wait_synced(self, timeout_ms: int = 30_000) -> None:
        """Until the screen's outbox is empty (everything tapped is in the database)."""
        self.page.wait_for_function("() => { const w = document.querySelector('.pzi');"
                                    " return w && w.dataset.queued === '0'; }", timeout=timeout_ms)

    def selected(self, item_id: str) -> list[str]:
        """Labels of the item's chosen answer buttons (aria-checked=true)."""
        control = self.answer_control(item_id)
        control.locator("button[role=radio]").first.wait_for(state="attached")
        return [t.strip() for t in control.locator("button[role=radio][aria-checked=true]").all_text_contents()]

    def wait_items(self, item_ids: list[str]) -> None:
        """Until the items' cards are shown (their section is the one on screen)."""
        for item_id in item_ids:
            self.answer_control(item_id).locator("button[role=radio]").first.wait_for()

    def section_shown(self) -> int:
        """The index of the section on screen."""
        return int(self.page.locator(".pzi").get_attribute("data-section") or "-1")

    def choose_section(self, title_prefix: str) -> None:
        """Pick a section in the screen's section picker (option text "N. title (answered/total)")."""
        picker = self.page.locator("[data-role=section-picker]")
        texts = picker.locator("option").all_text_contents()
        index = next(i for i, t in enumerate(texts) if t.startswith(title_prefix))
        picker.select_option(str(index))
        self.page.wait_for_function("(i) => document.querySelector('.pzi').dataset.section === String(i)", arg=index)

    def action(self, name: str) -> None:
        """Press the visible screen control with ``data-action=name`` (next-section, review, …)."""
        self.page.locator(f"[data-action={name}]:visible").first.click()

    def next_section(self, first_item: str) -> None:
        self.action("next-section")
        self.answer_control(first_item).locator("button[role=radio]").first.wait_for()

    def to_review(self) -> None:
        """☰ 检查汇总 (sent once the outbox is empty) and wait for the review step."""
        self.action("review")
        self.page.wait_for_url(lambda url: "step=review" in url)

    def progress(self) -> str:
        """The screen header's "进度 answered/total"."""
        text = self.page.locator(".pzi [data-role=progress]")
        text.wait_for()
        return text.inner_text().strip()

    def settle(self) -> None:
        """Wait until the page holds no element of an earlier script run (Streamlit marks those stale
        while a run is going on and removes them when it ends)."""
        self.page.wait_for_function("() => !document.querySelector('[data-stale=true]')")

    def metric(self, label: str) -> str:
        m = self.page.locator("[data-testid=stMetric]").filter(
            has=self.page.locator("[data-testid=stMetricLabel]", has_text=re.compile("^" + re.escape(label) + "$")))
        m.first.wait_for()
        self.settle()
        return m.first.locator("[data-testid=stMetricValue]").inner_text().strip()


@pytest.fixture
def open_ui(new_page) -> Any:
    """Factory: ``open_ui(server)`` -> a :class:`Ui` in a fresh browser context."""

    def make(server: LiveServer) -> Ui:
        return Ui(new_page(), server)

    return make
