"""Exports of the monthly review: Excel workbook, CSV, PDF site report and ``pinzhi scorecard``.

One small demo company (two months, two inspections per subject and month) is built once for the
module, from the same migrated SQLite template as the ``sqlite_db`` fixture, plus:

* a staff member whose name is a spreadsheet formula, with two appearance inspections (formula
  neutralisation in the workbook and the CSV);
* a site inspection at 金地格林小城管理处 with failed items carrying photos (the PDF embeds them);
* the site's month signed off by the manager (the sign-off line).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from app.db.engine import Database, make_engine
from app.db.models import Site, User
from app.reports import SIGNATURE_LINE, safe_text
from app.reports.charts import bar_chart, cjk_font, line_chart
from app.reports.csvout import JSON_KEYS, scorecard_csv
from app.reports.excel import (
    SHEET_ACTIONS,
    SHEET_INSPECTIONS,
    SHEET_SITE,
    SHEET_STAFF,
    STAFF_HEADERS,
    scorecard_workbook,
)
from app.reports.pdf import site_month_pdf
from app.services import auth, demo, inspections, org, photos, scorecard, signoff
from app.services.actor import SYSTEM, Actor
from app.services.errors import Invalid, PermissionDenied
from scoring.model import Item

REPO = Path(__file__).resolve().parents[1]
MONTH = "2026-11"
SITE = "JD-GL"
SITE_NAME = "金地格林小城管理处"
FORMULA_NAME = '=HYPERLINK("http://x","点我")'
PASSWORD = "reports-test-pw-2026"
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


# ----------------------------------------------------------------------------- building the data
def _value(item: Item, fail: bool) -> dict[str, Any]:
    if item.scoring == "pass_fail":
        return {"result": "fail" if fail else "pass"}
    if item.scoring == "deduct":
        return {"count": 1 if fail else 0}
    points = item.points
    if fail:
        points = max(points - item.step, 0)
    return {"points": int(points) if points == int(points) else float(points)}


def photo_jpeg(n: int, size: tuple[int, int] = (800, 600)) -> bytes:
    """A recognisable picture (sky, floor, a red extinguisher, a caption), made in code."""
    im = Image.new("RGB", size, (200, 220, 240))
    d = ImageDraw.Draw(im)
    w, h = size
    d.rectangle([0, int(h * 0.62), w, h], fill=(150, 130, 110))
    d.rectangle([int(w * 0.1), int(h * 0.2), int(w * 0.45), int(h * 0.62)], fill=(235, 235, 225),
                outline=(90, 90, 90), width=4)
    x = int(w * 0.62) + 30 * (n % 3)
    d.rounded_rectangle([x, int(h * 0.3), x + 70, int(h * 0.75)], radius=18, fill=(200, 30, 30))
    d.rectangle([x + 25, int(h * 0.24), x + 45, int(h * 0.3)], fill=(40, 40, 40))
    from app.reports.charts import _pil_font

    d.text((30, 24), f"现场照片 {n}", font=_pil_font(44), fill=(20, 20, 20))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def inspect(db: Database, actor: Actor, *, site_id: int, day: date, shift: str, checklist_id: str,
            staff_id: int | None = None, fail: int = 0, photos_per_fail: int = 0) -> tuple[int, list[str]]:
    """One submitted supervisor inspection: the first ``fail`` scorable items fail, with notes and photos."""
    with db.write() as s:
        iid = inspections.start_inspection(session=s, actor=actor, site_id=site_id, shift_date=day,
                                           shift_name=shift, subject_type="staff" if staff_id else "site",
                                           checklist_id=checklist_id, staff_id=staff_id)
        checklist = inspections.load_inspection(s, actor=actor, inspection_id=iid).checklist
        failing = [i.id for i in checklist.items if i.critical == "none"][:fail]
        for item in checklist.items:
            failed = item.id in failing
            inspections.save_answer(session=s, actor=actor, inspection_id=iid, item_id=item.id,
                                    value=_value(item, failed))
            if failed:
                inspections.save_note(session=s, actor=actor, inspection_id=iid, item_id=item.id,
                                      note="现场发现问题，已当场提醒")
                for k in range(photos_per_fail):
                    photos.attach_photo(session=s, actor=actor, inspection_id=iid, item_id=item.id,
                                        data=photo_jpeg(len(failing) * 10 + k + failing.index(item.id) * 3),
                                        filename=f"p{k}.jpg")
        inspections.submit_inspection(session=s, actor=actor, inspection_id=iid, evidence_waiver="测试数据")
    return iid, failing


@dataclass
class World:
    db: Database
    data_dir: Path
    site_id: int
    formula_staff_id: int
    photo_items: list[str]
    manager: Actor


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINZHI_DATA_DIR", str(base))  # photos are stored (and read back) under it
        path = base / "pinzhi.db"
        shutil.copy(sqlite_template, path)
        db = Database(make_engine(f"sqlite:///{path}"))
        demo.seed_demo(db, today=date(2026, 11, 20), months=2, per_month=2, password=PASSWORD)
        with db.write() as s:
            site_id = s.scalar(select(Site.id).where(Site.code == SITE))
            staff = org.add_staff(s, actor=SYSTEM, code="S099", name=FORMULA_NAME, post="前台接待", site_code=SITE)
            staff_id = staff.id
            sup = auth.actor_for(s, s.scalar(select(User).where(User.username == "sup1")))
            manager = auth.actor_for(s, s.scalar(select(User).where(User.username == "manager")))
        for day in (date(2026, 11, 5), date(2026, 11, 12)):
            inspect(db, sup, site_id=site_id, day=day, shift="早班", checklist_id="appearance-etiquette",
                    staff_id=staff_id, fail=1)
        _, photo_items = inspect(db, sup, site_id=site_id, day=date(2026, 11, 19), shift="中班",
                                 checklist_id="office-safety", fail=2, photos_per_fail=2)
        with db.write() as s:
            signoff.sign_off(session=s, actor=manager, site_id=site_id, month=MONTH)
        yield World(db, base, site_id, staff_id, photo_items, manager)
        db.engine.dispose()


# ----------------------------------------------------------------------------- safe_text
@pytest.mark.parametrize("raw", ["=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "＝1+1",
                                 '=HYPERLINK("http://x")'])
def test_safe_text_neutralises_formula_starts(raw: str) -> None:
    assert safe_text(raw) == "'" + raw


@pytest.mark.parametrize("raw", ["陈静", "金地格林小城管理处", "3.5", "a=b", "", "S001"])
def test_safe_text_leaves_ordinary_text(raw: str) -> None:
    assert safe_text(raw) == raw


def test_safe_text_drops_characters_xlsx_cannot_hold() -> None:
    assert safe_text("a\x00b\x1fc") == "abc"
    assert safe_text(None) == ""


# ----------------------------------------------------------------------------- workbook
def _find_row(ws: Any, column: int, value: object) -> int:
    for r in range(4, ws.max_row + 1):
        if ws.cell(row=r, column=column).value == value:
            return r
    raise AssertionError(f"{value!r} not in column {column} of {ws.title}")


def test_workbook_layout_figures_and_signature(world: World, tmp_path: Path) -> None:
    with world.db.read() as s:
        data = scorecard_workbook(s, actor=world.manager, month=MONTH, site_id=world.site_id)
        lines = scorecard.scorecard(s, actor=world.manager, month=MONTH, subject_type="staff",
                                    site_id=world.site_id)
        site_lines = scorecard.scorecard(s, actor=world.manager, month=MONTH, subject_type="site",
                                         site_id=world.site_id)
        matrix = scorecard.section_matrix(s, actor=world.manager, month=MONTH, subject_type="staff",
                                          site_id=world.site_id)
    out = tmp_path / "scorecard.xlsx"
    out.write_bytes(data)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SHEET_STAFF, SHEET_SITE, SHEET_INSPECTIONS, SHEET_ACTIONS]

    ws = wb[SHEET_STAFF]
    assert ws["A1"].value == f"{SITE_NAME} 2026年11月 客服人员月度考核表"
    header = [c.value for c in ws[3]]
    assert tuple(header[: len(STAFF_HEADERS)]) == STAFF_HEADERS
    sections = set(header[len(STAFF_HEADERS):])
    assert sections and sections <= {t for secs in matrix.values() for t in secs}
    assert ws.freeze_panes == "C4"
    assert ws.column_dimensions["C"].width >= 20

    # a known subject: the figures are the scorecard's display values, as numbers with a 0.00 format
    known = next(ln for ln in lines if ln.row.score is not None and ln.row.rank is not None and ln.name != FORMULA_NAME)
    r = _find_row(ws, 2, known.name)
    score_cell = ws.cell(row=r, column=5)
    assert isinstance(score_cell.value, float)
    assert Decimal(str(score_cell.value)) == known.row.score_display
    assert score_cell.number_format == "0.00"
    assert ws.cell(row=r, column=1).value == known.row.rank
    assert ws.cell(row=r, column=6).value == known.row.grade
    assert ws.cell(row=r, column=8).value == known.row.inspections
    assert ws.cell(row=r, column=12).value == known.open_actions
    assert ws.cell(row=r, column=5).border.left.style == "thin"
    # ranked rows in order
    ranks = [ws.cell(row=i, column=1).value for i in range(4, 4 + len(lines))]
    numeric = [x for x in ranks if isinstance(x, int)]
    assert numeric == sorted(numeric)

    # the formula-named staff member: text, with a leading apostrophe, never a formula
    r = _find_row(ws, 2, "'" + FORMULA_NAME)
    cell = ws.cell(row=r, column=2)
    assert cell.data_type == "s" and str(cell.value).startswith("'")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)

    # signature line and sign-off at the bottom
    texts = [str(c.value) for row in ws.iter_rows(min_row=ws.max_row - 3) for c in row if c.value]
    assert SIGNATURE_LINE in texts
    assert any(t.startswith("已签字确认：邓建国") for t in texts)

    site_ws = wb[SHEET_SITE]
    r = _find_row(site_ws, 2, SITE_NAME)
    assert Decimal(str(site_ws.cell(row=r, column=4).value)) == site_lines[0].row.score_display
    assert SIGNATURE_LINE in [str(c.value) for row in site_ws.iter_rows() for c in row if c.value]


def test_workbook_detail_sheets(world: World) -> None:
    with world.db.read() as s:
        data = scorecard_workbook(s, actor=SYSTEM, month=MONTH, site_id=world.site_id)
        heads = inspections.list_inspections(s, actor=SYSTEM, month=MONTH, site_id=world.site_id, limit=10_000)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[SHEET_INSPECTIONS]
    assert [c.value for c in ws[3]] == ["日期", "班次", "管理处", "检查对象", "检查表", "类型", "检查人", "得分",
                                        "等级", "提交时间", "已修订"]
    body = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(body) == len(heads)
    assert {row[5] for row in body} <= {"督导检查", "员工自查"}
    assert all(row[2] == SITE_NAME for row in body)
    assert ws.cell(row=4, column=1).number_format == "yyyy-mm-dd"

    ws = wb[SHEET_ACTIONS]
    assert [c.value for c in ws[3]][:9] == ["检查项", "管理处", "责任人", "发起时间", "整改期限", "状态", "是否超期",
                                            "整改说明", "验证人"]
    statuses = {row[5] for row in ws.iter_rows(min_row=4, values_only=True)}
    assert statuses and statuses <= {"待整改", "已整改", "已验证"}


def test_workbook_of_all_sites_and_permissions(world: World) -> None:
    with world.db.read() as s:
        data = scorecard_workbook(s, actor=SYSTEM, month=MONTH)
        n_staff = len(scorecard.scorecard(s, actor=SYSTEM, month=MONTH, subject_type="staff"))
        sup = auth.actor_for(s, s.scalar(select(User).where(User.username == "sup1")))
        with pytest.raises(PermissionDenied):
            scorecard_workbook(s, actor=sup, month=MONTH)
        with pytest.raises(Invalid):
            scorecard_workbook(s, actor=SYSTEM, month="2026-13")
    ws = openpyxl.load_workbook(io.BytesIO(data))[SHEET_STAFF]
    assert ws["A1"].value == "全部管理处 2026年11月 客服人员月度考核表"
    names = [ws.cell(row=r, column=2).value for r in range(4, 4 + n_staff)]
    assert all(names) and len(names) == n_staff


# ----------------------------------------------------------------------------- CSV
def test_csv_has_bom_json_columns_and_neutralised_cells(world: World) -> None:
    with world.db.read() as s:
        lines = scorecard.scorecard(s, actor=SYSTEM, month=MONTH, subject_type="staff", site_id=world.site_id)
    text = scorecard_csv(lines)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == len(lines)
    for key in JSON_KEYS:
        if key == "kinds":
            assert "kinds.appearance" in rows[0]
        elif key != "subject":
            assert key in rows[0]
    assert rows[0]["subject_type"] == "staff"
    by_code = {r["subject"]: r for r in rows}
    assert by_code["S099"]["name"] == "'" + FORMULA_NAME
    first = lines[0]
    assert Decimal(by_code[first.code]["score"]) == first.row.score_display
    # the raw bytes as Excel sees them: UTF-8 with BOM
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


# ----------------------------------------------------------------------------- charts and PDF
def test_charts_are_png() -> None:
    png = line_chart([("2026-10", 88.5), ("2026-11", None), ("2026-12", 91.0)], title="趋势",
                     bands=[("优秀", 90), ("合格", 60)])
    assert png.startswith(b"\x89PNG")
    png = bar_chart([("陈静", 95.0, "优秀"), ("张伟", None, None)], title="员工得分")
    with Image.open(io.BytesIO(png)) as im:
        assert im.width > 1000 and im.height > 100
    assert cjk_font().regular.path


@needs_poppler
def test_site_pdf_text_pages_and_photos(world: World, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PINZHI_DATA_DIR", str(world.data_dir))
        with world.db.read() as s:
            data = site_month_pdf(s, actor=world.manager, site_id=world.site_id, month=MONTH)
    assert data.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for needle in (SITE_NAME, "月度考核", "员工月度考核排名", "扣分最多的检查项", "本月不合格项及照片",
                   "考核人：", "审核人（经理）：", "已签字确认：邓建国", "现场发现问题"):
        assert needle in text, needle
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    with Image.open(pages[0]) as im:
        assert im.width > 400
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    # two charts and the photos of the failed items (2 items x 2 photos)
    assert len(listing) >= 2 + 2 * len(world.photo_items)
    assert sum(1 for line in listing if " jpeg " in line) >= 2 * len(world.photo_items)


def test_site_pdf_needs_a_manager_of_the_site(world: World) -> None:
    with world.db.read() as s:
        staff_user = auth.actor_for(s, s.scalar(select(User).where(User.username == "staff01")))
        with pytest.raises(PermissionDenied):
            site_month_pdf(s, actor=staff_user, site_id=world.site_id, month=MONTH)


# ----------------------------------------------------------------------------- CLI
def _pinzhi() -> list[str]:
    exe = Path(sys.executable).with_name("pinzhi")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli-data")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PINZHI_DATA_DIR"] = str(data)
    for cmd in (["db", "upgrade"], ["demo"]):
        subprocess.run(_pinzhi() + cmd, env=env, cwd=REPO, check=True, capture_output=True, timeout=600)
    return env


def _run(env: dict[str, str], *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """``lang``: PINZHI_LANG ("" for the default, Chinese)."""
    return subprocess.run(_pinzhi() + ["scorecard", *args], env={**env, "PINZHI_LANG": lang}, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def _latest_month(env: dict[str, str]) -> str:
    with sqlite3.connect(Path(env["PINZHI_DATA_DIR"]) / "pinzhi.db") as conn:
        (month,) = conn.execute("SELECT max(month) FROM inspections WHERE status = 'submitted'").fetchone()
    return str(month)


def test_cli_scorecard_json_csv_xlsx(cli_env: dict[str, str], tmp_path: Path) -> None:
    month = _latest_month(cli_env)
    out = _run(cli_env, "--month", month, "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and all(list(r) == list(JSON_KEYS) for r in rows)
    assert all(set(r["subject"]) == {"staff"} for r in rows)

    out = _run(cli_env, "--month", month, "--site", "JD-GL", "--subject", "site", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["subject"] for r in rows] == [{"site": "JD-GL"}] and rows[0]["site"] == SITE_NAME

    out = _run(cli_env, "--month", month, "--format", "csv")
    assert out.returncode == 0 and out.stdout.startswith("\ufeffsubject_type,subject,name")

    target = tmp_path / "f.xlsx"
    out = _run(cli_env, "--month", month, "--format", "xlsx", "--out", str(target), lang="")
    assert (out.returncode, out.stdout.strip()) == (0, f"已写入 {target}"), out.stderr
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[0] == SHEET_STAFF
    assert wb[SHEET_STAFF]["A1"].value.startswith("全部管理处")


@pytest.mark.parametrize("args, message", [
    (["--site", "NOPE"], "unknown site code"),
    (["--format", "xlsx"], "--out"),
])
def test_cli_scorecard_refuses(cli_env: dict[str, str], args: list[str], message: str) -> None:
    out = _run(cli_env, "--month", _latest_month(cli_env), *args)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert out.stdout == ""


def test_cli_scorecard_bad_month(cli_env: dict[str, str]) -> None:
    out = _run(cli_env, "--month", "2026-13")
    assert out.returncode == 2 and out.stderr.strip() == "pinzhi: --month must be YYYY-MM (got '2026-13')"
    out = _run(cli_env, "--month", "2026-13", lang="")
    assert out.returncode == 2 and out.stderr.strip() == "pinzhi: --month 的格式须为 YYYY-MM（收到 '2026-13'）"



def test_site_pdf_keeps_the_signature_with_the_last_block(world: World, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Extra space after the photo rows moves where the report ends; whatever the layout, the page with the
    signature line also holds report content (never the signature alone), and some layouts needed the
    second pass that moves the last block over (so the check is not vacuous)."""
    from app.reports import pdf as pdf_mod

    monkeypatch.setenv("PINZHI_DATA_DIR", str(world.data_dir))
    passes: list[int] = []
    real_init, real_rows = pdf_mod._Doc.__init__, pdf_mod._photo_row
    extra = [0.0]

    def counting_init(self: Any, running_title: str, *args: Any) -> None:
        passes[-1] += 1
        real_init(self, running_title, *args)

    def spaced_rows(pdf: Any, photos: Any) -> None:
        real_rows(pdf, photos)
        pdf.ln(extra[0])

    monkeypatch.setattr(pdf_mod._Doc, "__init__", counting_init)
    monkeypatch.setattr(pdf_mod, "_photo_row", spaced_rows)
    for space in range(0, 121, 12):  # the last block has two photo rows: 0 to 240 mm of extra height
        extra[0] = float(space)
        passes.append(0)
        with world.db.read() as s:
            data = site_month_pdf(s, actor=world.manager, site_id=world.site_id, month=MONTH)
        path = tmp_path / f"r{space}.pdf"
        path.write_bytes(data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        pages = [p for p in text.split("\f") if p.strip()]
        assert "考核人：" in pages[-1], space
        content = [ln for ln in pages[-1].splitlines() if ln.strip() and "考核人：" not in ln
                   and "签字确认" not in ln and "第 " not in ln]
        assert content, f"extra space {space}: the signature is alone on page {len(pages)}"
    assert max(passes) == 2 and min(passes) == 1, passes
