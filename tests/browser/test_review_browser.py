"""The monthly review (月度考核) in a real browser: filter, row selection, drill-down with photo, Excel export.

The test runs its own server (``make_server``): its data directory gets the repository's
scorecard.yaml, a manager account and this month's supervisor inspections of three staff members on
two sites, built through the services before the server starts. One of 张丽's inspections has a
failed item with a photo attached before submit; the manager finds it through the ranked table.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import (
    PASSWORD,
    ROOT,
    SELF_CHECK_CHECKLIST,
    SITE_CHECKLIST,
    SITE_CHECKLIST_ID,
    STAFF_CHECKLIST_ID,
    LiveServer,
    Ui,
)

pytestmark = pytest.mark.browser

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
MONTH = TODAY.strftime("%Y-%m")
DAY1, DAY2 = TODAY.replace(day=1), TODAY.replace(day=2)
MANAGER = "manager_rv"
TITLE = SELF_CHECK_CHECKLIST["title"]  # 上岗前自查（浏览器测试）: look.uniform 2, look.hair 2, look.shoes 1 (deduct 0.5)
ALL_PASS = {"look.uniform": {"result": "pass"}, "look.hair": {"result": "pass"}, "look.shoes": {"count": 0}}
SITE_ALL_PASS = {it["id"]: {"count": 0} if it.get("scoring") == "deduct" else
                 {"points": it["points"]} if it.get("scoring") == "scale" else {"result": "pass"}
                 for sec in SITE_CHECKLIST["sections"] for it in sec["items"]}
# glide-data-grid, as Streamlit draws it: one header row, then rows of this height; the row-marker column first
ROW_HEIGHT = 35
# an expander is open when its last line is drawn inside it (while it animates open, its content is clipped)
EXPANDER_OPEN_JS = """(el) => {
  const box = el.closest('[data-testid=stExpander]');
  const lines = box.querySelectorAll('[data-testid=stMarkdownContainer]');
  if (!lines.length) return false;
  const bottom = lines[lines.length - 1].getBoundingClientRect().bottom;
  return bottom > 0 && bottom <= box.getBoundingClientRect().bottom + 0.5;
}"""


@dataclass(frozen=True)
class Seeded:
    photo_inspection: int
    other_inspection: int


def jpeg() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (235, 235, 225))
    draw = ImageDraw.Draw(img)
    draw.rectangle((120, 90, 520, 390), fill=(30, 60, 140))  # a uniform
    draw.ellipse((280, 140, 360, 220), fill=(240, 200, 40))  # a crooked badge
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed(server: LiveServer) -> Seeded:
    """This month: 王强 95 (ranked 1st), 张丽 80 (2nd; a failed item with a photo) at site M; 李娜 at site P;
    two inspections of site M's front desk."""
    from sqlalchemy import select

    from app.db.models import Staff
    from app.services import auth, org
    from app.services import inspections as svc
    from app.services import photos as photo_svc
    from app.services.actor import SYSTEM

    o = server.org
    db = server.database()
    try:
        with db.write() as s:
            org.add_staff(s, actor=SYSTEM, code="S002", name="王强", post="管家", site_code="M")
            org.add_staff(s, actor=SYSTEM, code="S101", name="李娜", post="前台接待", site_code="P")
            auth.create_user(s, actor=SYSTEM, username=MANAGER, password=PASSWORD, role="manager",
                             display_name="邓经理", site_codes=["M", "P"])
        with db.write() as s:
            _, sup_m = auth.sign_in(s, username=o.sup_main, password=PASSWORD)
            _, sup_p = auth.sign_in(s, username=o.sup_photo, password=PASSWORD)
            staff = {code: (sid, site) for code, sid, site in s.execute(select(Staff.code, Staff.id, Staff.site_id))}

        def inspect(actor: Any, code: str | None, day: Any, changes: dict[str, Any], photo: bool = False) -> int:
            staff_id, site_id = staff[code] if code else (None, next(iter(actor.site_ids)))
            with db.write() as s:
                iid = svc.start_inspection(session=s, actor=actor, site_id=site_id, shift_date=day,
                                           shift_name="早班", subject_type="staff" if code else "site",
                                           staff_id=staff_id, checklist_id=STAFF_CHECKLIST_ID if code else
                                           SITE_CHECKLIST_ID)
                for item_id, value in {**(ALL_PASS if code else SITE_ALL_PASS), **changes}.items():
                    svc.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item_id, value=value)
                if photo:
                    svc.save_note(session=s, actor=actor, inspection_id=iid, item_id="look.uniform",
                                  note="工牌歪斜，衬衫未扎好")
                    photo_svc.attach_photo(session=s, actor=actor, inspection_id=iid, item_id="look.uniform",
                                           data=jpeg(), caption="工装", filename="uniform.jpg")
            with db.write() as s:
                svc.submit_inspection(session=s, actor=actor, inspection_id=iid)
            return iid

        other = inspect(sup_m, "S001", DAY1, {})
        with_photo = inspect(sup_m, "S001", DAY2, {"look.uniform": {"result": "fail"}}, photo=True)  # 60
        inspect(sup_m, "S002", DAY1, {})
        inspect(sup_m, "S002", DAY2, {"look.shoes": {"count": 1}})  # 90
        inspect(sup_p, "S101", DAY1, {"look.hair": {"result": "fail"}})
        inspect(sup_p, "S101", DAY2, {})
        # the front desk of site M, so that no sheet of the workbook is empty (see the xfail in
        # tests/test_apptest_review.py: an empty sheet breaks the Excel export)
        inspect(sup_m, None, DAY1, {})
        inspect(sup_m, None, DAY2, {"env.desk": {"result": "fail"}})
    finally:
        db.engine.dispose()
    return Seeded(with_photo, other)


@pytest.fixture
def review_server(make_server, monkeypatch) -> tuple[LiveServer, Seeded]:
    server: LiveServer = make_server()
    shutil.copy(ROOT / "checklists" / "scorecard.yaml", server.checklists / "scorecard.yaml")
    monkeypatch.setenv("PINZHI_CHECKLISTS", str(server.checklists))  # the services read the catalog and
    monkeypatch.setenv("PINZHI_DATA_DIR", str(server.data_dir))      # store the photo where the server looks
    seeded = seed(server)
    server.start()
    return server, seeded


def select_row(ui: Ui, index: int) -> None:
    """Tick row ``index`` of the first dataframe: click its row-marker cell on the grid's canvas."""
    page = ui.page
    ui.settle()
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.scroll_into_view_if_needed()
    canvas = grid.locator("[data-testid=data-grid-canvas]")
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box is not None
    # the grid's scroller lies over the canvas and takes the pointer events: click where the cell is drawn
    x, y = box["x"] + 14, box["y"] + ROW_HEIGHT + index * ROW_HEIGHT + ROW_HEIGHT / 2
    page.mouse.move(x, y)  # the marker shows its checkbox on hover
    page.mouse.click(x, y)


def test_manager_reviews_month_drills_down_and_exports(review_server, open_ui, tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    server, seeded = review_server
    ui: Ui = open_ui(server)
    page = ui.page
    ui.sign_in(MANAGER)
    assert "月度考核" in ui.nav_labels()
    page.locator("[data-testid=stTopNavLink]", has_text="月度考核").click()
    page.get_by_role("heading", name="月度考核").wait_for()
    assert ui.metric("参评对象") == "3"

    # the site filter: site M has two staff members, both ranked
    ui.choose("管理处", "金地格林小区")
    page.get_by_text("金地格林小区 " + MONTH + " 尚未签字确认").wait_for()
    assert ui.metric("参评对象") == "2"
    assert ui.metric("已排名") == "2"
    assert ui.metric("平均分") == "87.50"  # 王强 95, 张丽 80

    # select 张丽, the second row of the ranked table: her inspections are listed with 详情 buttons
    select_row(ui, 1)
    page.get_by_role("heading", name=f"张丽 · {MONTH}").wait_for()
    details = page.locator("[class*=st-key-rv_d_] button")
    expect(details).to_have_count(2)
    page.locator(f".st-key-rv_d_{seeded.photo_inspection} button").wait_for()
    page.locator(f".st-key-rv_d_{seeded.other_inspection} button").wait_for()
    page.get_by_text(f"{TITLE} · {DAY2} 早班 · 督导检查 · 李督导").wait_for()
    chart = page.locator("[data-testid=stPlotlyChart]").first
    chart.locator(".main-svg").first.wait_for()
    chart.locator(".scatterlayer .trace").first.wait_for()  # the trend lines are drawn
    ui.settle()
    ui.screenshot("10-review.png")

    # the Excel workbook of the site's month
    with page.expect_download() as info:
        page.get_by_role("button", name="Excel 月度考核表").click()
    download = info.value
    assert download.suggested_filename == f"pinzhi-{MONTH}-M.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wb = load_workbook(path)
    assert "月度考核" in wb.sheetnames
    cells = [str(c) for row in wb["月度考核"].iter_rows(values_only=True) for c in row if c is not None]
    assert "张丽" in cells and "王强" in cells and "李娜" not in cells

    # drill down: the inspection with the failed item, its note and its photo
    page.locator(f".st-key-rv_d_{seeded.photo_inspection} button").click()
    page.wait_for_url(re.compile(rf"[?&]view={seeded.photo_inspection}(&|$)"))
    page.get_by_role("heading", name=f"{TITLE} · v1").wait_for()
    assert ui.metric("得分率") == "60.00%"
    # the failed items come first, open, with note and photo (no tap on a collapsed section needed)
    failed = page.locator(".st-key-pz-failed-first")
    failed.get_by_text("不合格项（1）").wait_for()
    failed.get_by_text("工牌歪斜，衬衫未扎好").wait_for()
    img = failed.locator("[data-testid=stImage] img")
    img.wait_for()
    expect(page.locator("[data-testid=stImage] img")).to_have_count(1)
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    failed.get_by_text("工装", exact=True).wait_for()  # the caption
    ui.settle()
    page.wait_for_function(EXPANDER_OPEN_JS, arg=page.get_by_text("仪容仪表 · 5分 · ✗ 1").element_handle())
    ui.screenshot("11-review-detail.png")

    # and back to the review: the site filter, its figures and the chosen person come back from the URL
    page.get_by_role("button", name="◀ 月度考核").click()
    page.wait_for_url(lambda url: "view=" not in url)
    page.get_by_role("heading", name="月度考核").wait_for()
    page.get_by_role("heading", name=f"张丽 · {MONTH}").wait_for()
    assert ui.metric("参评对象") == "2"
    assert page.get_by_role("combobox", name="管理处").input_value().startswith("金地格林小区")
    q = ui.query()
    assert q["m"] == MONTH and q["subj"] == "staff" and "who" in q and "site" in q
