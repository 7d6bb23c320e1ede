"""The standards workshop (标准管理) in Chromium, issue 13's "Done when": a QA user uploads an Excel standard
with two broken cells, sees both marked, fixes them in the grid, sees the difference, publishes; a supervisor
then inspects against it on the tablet and submits; the monthly review shows it. Every step is read back
from the database.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from .conftest import PASSWORD, ROOT, SCREENSHOTS, LiveServer, Ui

pytestmark = pytest.mark.browser

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
MONTH = TODAY.strftime("%Y-%m")
CID = "demo-frontdesk"
TITLE = "示范物业前台服务考核标准（小区）"
ROW_HEIGHT = 35


def broken_sheet(path: Path) -> Path:
    """A standard as a QA department keeps it, with two broken cells: D4 (points "两分") and E5 (a rule
    phrase no reader knows)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "考核标准"
    ws.append([TITLE])
    ws.append(["考核项目", "编号", "考核内容", "分值", "扣分标准", "检查方法"])
    ws.append(["前台服务（6分）", "1.1", "前台台面整洁，物品摆放有序", 2, "不符合要求本项不得分", "现场查看"])
    ws.append([None, "1.2", "来访登记完整，字迹清楚", "两分", "每处扣0.5分，扣完为止", "查阅记录"])
    ws.append([None, "1.3", "电话铃响三声内接听，使用标准用语", 2, "看心情扣分", "暗访"])
    ws.merge_cells("A3:A5")
    ws.append(["评定等级：优秀≥90分；良好≥80分；合格≥60分；不合格<60分"])
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture
def pg_url(request):
    """A fresh PostgreSQL schema as a database URL (dropped afterwards)."""
    import os
    import uuid
    from urllib.parse import quote

    pg = os.environ.get("DATABASE_URL_PG")
    if not pg:
        pytest.skip("DATABASE_URL_PG not set")
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    schema = f"b_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{pg}{'&' if '?' in pg else '?'}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def servers(request, make_server, monkeypatch, tmp_path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two app servers on one database: the first with the test checklists, the second with no checklist
    file at all (it can only know a standard from the catalogue in the database)."""
    from app.services import auth
    from app.services.actor import SYSTEM

    from .conftest import free_port

    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    first: LiveServer = make_server(url)
    shutil.copy(ROOT / "checklists" / "scorecard.yaml", first.checklists / "scorecard.yaml")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(first.checklists))
    db = first.database()
    try:
        with db.write() as s:
            auth.create_user(s, actor=SYSTEM, username="qa_zhou", password=PASSWORD, role="qa",
                             display_name="品质部周工")
            auth.create_user(s, actor=SYSTEM, username="mgr_v", password=PASSWORD, role="manager",
                             display_name="风华经理", site_codes=["V"])
    finally:
        db.engine.dispose()
    root = tmp_path / "second"
    (root / "checklists").mkdir(parents=True)
    shutil.copy(ROOT / "checklists" / "scorecard.yaml", root / "checklists" / "scorecard.yaml")
    second = LiveServer(data_dir=first.data_dir, checklists=root / "checklists", port=free_port(),
                        log=root / "streamlit.log", org=first.org, database_url=url or first.db_url)
    first.start()
    second.start()
    yield first, second
    second.stop()


def standards_columns() -> tuple[str, ...]:
    from app.services.standards import COLUMNS

    return COLUMNS


def edit_cell(ui: Ui, grid: Any, row: int, column: int, value: str) -> None:
    """Put ``value`` into the grid's cell (``row``, ``column``; 0-based, no index column): open the first
    cell's editor with a double click and close it (the grid now has the keyboard), walk to the first cell
    and from there to the cell with the arrow keys, open its editor with Enter, fill it, Enter."""
    page = ui.page
    ui.settle()
    grid.scroll_into_view_if_needed()
    canvas = grid.locator("[data-testid=data-grid-canvas]")
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.dblclick(box["x"] + 60, box["y"] + ROW_HEIGHT + ROW_HEIGHT / 2)  # row 0, the first column
    overlay = page.locator("#portal .gdg-clip-region")
    overlay.wait_for()
    page.keyboard.press("Escape")
    overlay.wait_for(state="detached")
    for key in ("ArrowUp", "ArrowLeft"):  # to the first cell whatever the grid's horizontal scroll hit
        for _ in range(len(standards_columns())):
            page.keyboard.press(key)
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    field = overlay.locator(".gdg-input")
    field.wait_for()
    field.fill(value)
    field.press("Enter")
    overlay.wait_for(state="detached")
    page.wait_for_timeout(800)  # the edit's rerun starts
    ui.settle()


def test_qa_publishes_an_excel_standard_a_supervisor_inspects_against_it(servers, open_ui, tmp_path):
    """The QA department works on one server; the supervisor and the manager on another one that has no
    checklist file at all."""
    from app.db.models import AuditLog, ChecklistInForce, ChecklistVersion, Inspection

    server, other = servers
    shot = "" if server.database_url is None else "pg-"

    sheet = broken_sheet(tmp_path / "示范前台标准.xlsx")
    ui: Ui = open_ui(server)
    page = ui.page
    ui.sign_in("qa_zhou")
    labels = ui.nav_labels()
    assert "标准管理" in labels and "现场巡检" not in labels and "月度考核" not in labels
    page.locator("[data-testid=stTopNavLink]", has_text="标准管理").click()
    page.get_by_role("heading", name="标准管理").wait_for()

    # upload: both broken cells are reported on their row and column
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(sheet))
    page.get_by_text("示范前台标准.xlsx").first.wait_for()
    page.get_by_role("textbox", name="检查表编号").fill(CID)
    page.get_by_role("button", name="读取").click()
    page.get_by_text("发现 2 个问题").wait_for()
    problems = page.locator("[data-testid=stCode]").first.inner_text()
    assert "第2行 分值：分值不是数字（两分）" in problems, problems
    assert "第3行 评分标准：无法识别的评分条款：“看心情扣分”" in problems, problems
    ui.settle()
    ui.screenshot(f"{shot}standards-1-problems.png")

    # fix both cells in the grid (columns: 部分 分项 编号 检查内容 分值 评分标准 检查方式 否决), validate
    editor = page.locator("[class*=st-key-std_grid_] [data-testid=stDataFrame]").first
    edit_cell(ui, editor, 1, 4, "2")
    edit_cell(ui, editor, 2, 5, "每处扣1分")
    ui.screenshot(f"{shot}standards-1b-edited.png")
    page.get_by_role("button", name="校验").click()
    page.get_by_text("校验通过").wait_for()
    page.get_by_text("新检查表：尚无现行版本").wait_for()
    assert ui.metric("新版总分") == "6"
    assert ui.metric("新增") == "3"
    page.get_by_text(re.compile(r"在表格中修改过的检查项.*1\.2（qa_zhou）、1\.3（qa_zhou）")).wait_for()
    ui.screenshot(f"{shot}standards-2-valid-diff.png")

    # publish with a label and a reason
    page.get_by_role("textbox", name="版本号").fill("A/1")
    page.get_by_role("textbox", name="发布原因").fill("品质部2026年度标准首次发布")
    page.get_by_role("button", name="发布", exact=True).click()
    page.get_by_text("已发布 demo-frontdesk 版本 A/1").wait_for()
    ui.screenshot(f"{shot}standards-3-published.png")

    db = server.database()
    try:
        with db.read() as s:
            row = s.scalars(sa.select(ChecklistVersion).where(ChecklistVersion.checklist_id == CID)).one()
            qa_id = s.scalar(sa.text("SELECT id FROM users WHERE username = 'qa_zhou'"))
            assert (row.label, row.version, row.status, row.published_by, row.source_file, row.reason) == (
                "A/1", "A/1", "in_force", qa_id, "示范前台标准.xlsx", "品质部2026年度标准首次发布")
            kinds = set(s.scalars(sa.select(ChecklistInForce.site_kind).where(
                ChecklistInForce.checklist_id == CID, ChecklistInForce.version_id == row.id)))
            assert kinds == {"residential", "sales_office"}
            assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
                AuditLog.action == "checklist.publish", AuditLog.actor_id == qa_id)) == 1
        from app.services import catalog

        c = catalog.stored_checklist(row)
        assert c.title == TITLE and c.possible == 6
        assert [(i.id, str(i.points), i.scoring, i.per and str(i.per), i.method) for i in c.items] == [
            ("1.1", "2", "pass_fail", None, "onsite"), ("1.2", "2", "deduct", "0.5", "records"),
            ("1.3", "2", "deduct", "1", "mystery")]
        assert c.item("1.1").source == "import: 示范前台标准.xlsx 考核标准!3"
        assert c.item("1.2").source == "import: 示范前台标准.xlsx 考核标准!4 · edited by qa_zhou"

        # the versions tab lists it, with its downloads
        page.get_by_role("tab", name="版本").click()
        ui.choose("检查表", TITLE)
        page.get_by_role("button", name="下载 Excel").wait_for()
        with page.expect_download() as info:
            page.get_by_role("button", name="下载 YAML").click()
        assert info.value.suggested_filename == f"{CID}-A_1.yaml"
        ui.screenshot(f"{shot}standards-4-versions.png")

        # a supervisor inspects the front desk of site V against it on the tablet, and submits
        sup = open_ui(other)
        sup.sign_in(server.org.sup_v2)
        req = sup.page.request
        csrf = req.get(f"{other.url}/api/v1/me").json()["csrf"]
        r = req.post(f"{other.url}/api/v1/inspections", headers={"X-CSRF-Token": csrf},
                     data={"site": "V", "shift_date": TODAY.isoformat(), "shift": "早班", "subject": "site",
                           "checklist": CID})
        assert r.status == 201, r.text()
        iid = int(r.json()["id"])
        sp = sup.page
        sp.goto(f"{other.url}/?insp={iid}&step=items")
        card = sp.locator("[data-item-id='1.1']")
        card.wait_for()
        for item_id, label in (("1.1", "合格"), ("1.2", "1处 −0.5"), ("1.3", "0处")):
            sp.locator(f"[data-item-id='{item_id}']").get_by_role("radio", name=label, exact=True).click()
            sp.wait_for_function("([id]) => document.querySelector(`[data-item-id='${id}']`).dataset.state"
                                 " === 'saved'", arg=[item_id])
        sp.screenshot(path=str(SCREENSHOTS / f"{shot}standards-5-inspection.png"))
        sp.locator("[data-action=review]:visible").first.click()
        submit = sp.locator(f".st-key-submit_{iid} button")
        submit.wait_for()
        sup.settle()
        submit.click()
        sp.wait_for_url(re.compile(r"[?&]step=done"))
        with db.read() as s:
            insp = s.get(Inspection, iid)
            assert insp.status == "submitted" and insp.checklist_version_id == row.id
            assert str(insp.awarded) == "5.50" and str(insp.applicable) == "6.00"

        # the monthly review shows it
        mgr = open_ui(other)
        mgr.sign_in("mgr_v")
        with db.read() as s:
            site_id = s.scalar(sa.text("SELECT id FROM sites WHERE code = 'V'"))
        mgr.goto(f"review?m={MONTH}&subj=site&site={site_id}&who={site_id}")
        mgr.page.get_by_text(f"{TITLE} · {TODAY.isoformat()} 早班").wait_for()
        mgr.page.get_by_text("91.67%").first.wait_for()
        mgr.settle()
        mgr.screenshot(f"{shot}standards-6-review.png")
    finally:
        db.engine.dispose()
