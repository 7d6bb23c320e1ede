"""Version-2 standards in the monthly review and its exports: the Pareto per clause of multi-clause items
(which clause cost the most), each subject's bonus and penalty, and the PDF, Excel and CSV showing groups,
clauses, bonus and penalty. Every figure below is worked out by hand in the comments.

Three submitted supervisor inspections of site A in 2026-11 against the test standard (tests/v2_standard.py):

1. 1.1 A twice (lost 1: A 1); 1.3 B and C once (lost 1.3: B 0.3, C 1); 2.1 10 checked 3 failed;
   bonus once (+0.5), penalty once (−2).
2. 1.1 B twice and C (per: all): nominal B 1, C 3 (the item's points), lost 3 shared 1:3 -> B 0.75, C 2.25;
   1.2.1 once (−0.5, group BI规范); 1.3 C twice (lost 2: C 2); bonus twice (+1, its max).
3. 1.1 no deduction; 1.3 A five times and D (per: all): nominal A 1, D 3, lost 3 -> A 0.75, D 2.25;
   penalty twice (−4).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from factories import use_checklists
from v2_standard import V2_STANDARD_YAML, v2_standard_doc
from world import build_world

from app.reports import v2_answer_words
from app.reports.csvout import scorecard_csv
from app.reports.excel import SHEET_CLAUSES, SHEET_GROUPS, SHEET_INSPECTIONS, SHEET_SITE, scorecard_workbook
from app.reports.pdf import site_month_pdf
from app.services import actions, clause_pareto, inspections, scorecard
from app.services.errors import PermissionDenied
from scoring import parse_checklist_text
from scoring.clauses import clause_losses

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2026-11"
D = Decimal
PASS = {"1.1": {"counts": {}}, "1.2.1": {"count": 0}, "1.2.2": {"result": "pass"}, "1.3": {"counts": {}},
        "2.1": {"checked": 10, "failed": 0}, "2.2": {"checked": 5, "failed": 0}, "3.1": {"count": 0},
        "3.2": {"count": 0}}
GIVEN = [
    {**PASS, "1.1": {"counts": {"a": 2}}, "1.3": {"counts": {"b": 1, "c": 1}}, "2.1": {"checked": 10, "failed": 3},
     "3.1": {"count": 1}, "3.2": {"count": 1}},
    {**PASS, "1.1": {"counts": {"b": 2, "c": 1}}, "1.2.1": {"count": 1}, "1.3": {"counts": {"c": 2}},
     "3.1": {"count": 2}},
    {**PASS, "1.3": {"counts": {"a": 5, "d": 1}}, "3.2": {"count": 2}},
]


def standard() -> Any:
    c, problems = parse_checklist_text(V2_STANDARD_YAML, "v2_standard.yaml")
    assert c is not None, problems
    return c


# ----------------------------------------------------------------------------- the clause shares (pure)
@pytest.mark.parametrize(("item_id", "counts", "shares"), [
    ("1.1", {"a": 2}, {"a": D(1)}),
    ("1.1", {"a": 1, "b": 3}, {"a": D("0.5"), "b": D("1.5")}),
    ("1.1", {"a": 10}, {"a": D(3)}),                                  # 扣完为止: 5 nominal, 3 lost
    ("1.1", {"a": 4, "b": 4}, {"a": D("1.5"), "b": D("1.5")}),        # 2 + 2 nominal, 3 lost
    ("1.1", {"b": 2, "c": 1}, {"b": D("0.75"), "c": D("2.25")}),     # C takes all: 1 + 3 nominal
    ("1.3", {"a": 5, "d": 1}, {"a": D("0.75"), "d": D("2.25")}),
    ("1.3", {"b": 1, "c": 1}, {"b": D("0.3"), "c": D(1)}),
    ("1.3", {"c": 0}, {}),
    ("1.1", {}, {}),
])
def test_clause_shares_by_hand(item_id: str, counts: dict[str, int], shares: dict[str, Decimal]) -> None:
    item = standard().item(item_id)
    got = clause_losses(item, {"counts": counts})
    assert got == shares
    # the shares add up to what the item lost, in any order of the clauses
    reordered = dict(reversed(list(counts.items())))
    assert clause_losses(item, {"counts": reordered}) == got


def test_clause_shares_of_invalid_or_other_answers_are_empty() -> None:
    c = standard()
    assert clause_losses(c.item("1.1"), {"counts": {"zz": 1}}) == {}
    assert clause_losses(c.item("1.1"), {"result": "na"}) == {}
    assert clause_losses(c.item("1.2.1"), {"count": 2}) == {}


def test_answer_words_of_the_reports() -> None:
    c = standard()
    assert v2_answer_words(c.item("1.1"), {"counts": {"b": 2, "c": 1}}) == (
        "B. 现场使用失效版本文件（2处，扣1分）；C. 不适用且无上报修正记录（本项不得分）")
    assert v2_answer_words(c.item("1.1"), {"counts": {}}) == "无扣分"
    assert v2_answer_words(c.item("2.1"), {"checked": 10, "failed": 3}) == "抽查10，不合格3"
    assert v2_answer_words(c.item("3.1"), {"count": 3}) == "3次，加1分"  # at most 1
    assert v2_answer_words(c.item("3.2"), {"count": 2}) == "2次，另扣4分"
    assert v2_answer_words(c.item("1.2.2"), {"result": "fail"}) is None


# ----------------------------------------------------------------------------- the month through the services
@pytest.fixture
def month(db, tmp_path, monkeypatch) -> Any:
    rules = yaml.safe_load((ROOT / "checklists" / "scorecard.yaml").read_text(encoding="utf-8"))
    use_checklists(tmp_path, monkeypatch, v2_standard_doc(), scorecard=rules)
    monkeypatch.setenv("PINZHI_DATA_DIR", str(tmp_path / "data"))
    w = build_world(db)
    ids = []
    for n, answers in enumerate(GIVEN):
        with db.write() as s:
            iid = inspections.start_inspection(
                session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 3 + n), shift_name="早班",
                subject_type="site", checklist_id="v2-standard", staff_id=None, kind="supervisor")
            for item_id, value in answers.items():
                inspections.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=item_id, value=value)
            inspections.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
        ids.append(iid)
    return w, ids


EXPECTED_CLAUSES = [  # (item, clause letter, lost, times, inspections), most lost first
    ("1.3", "C", D(3), 3, 2), ("1.1", "C", D("2.25"), 1, 1), ("1.3", "D", D("2.25"), 1, 1),
    ("1.1", "A", D(1), 2, 1), ("1.3", "A", D("0.75"), 5, 1), ("1.1", "B", D("0.75"), 2, 1),
    ("1.3", "B", D("0.3"), 1, 1),
]


def test_pareto_per_clause_and_bonus_penalty(db, month) -> None:
    w, ids = month
    with db.read() as s:
        rows = clause_pareto.pareto_clauses(s, actor=w.manager, month=MONTH)
        items = actions.pareto(s, actor=w.manager, month=MONTH)
        adjust = clause_pareto.adjustments(s, actor=w.manager, month=MONTH, subject_type="site")
        other = clause_pareto.pareto_clauses(s, actor=w.manager, month=MONTH, site_id=w.site_b)
        staff_view = clause_pareto.pareto_clauses(s, actor=w.staff, month=MONTH)
    assert [(c.item_id, c.letter, c.lost, c.times, c.inspections) for c in rows] == EXPECTED_CLAUSES
    assert rows[0].clause_text == "未登记来访" and rows[0].item_text == "前台接待服务规范"
    assert [c.all_clause for c in rows[:3]] == [False, True, True]
    # the clauses of an item add up to what the item Pareto says it lost: 1.1 1 + 3 = 4, 1.3 1.3 + 2 + 3 = 6.3
    lost = {item_id: p for item_id, _, p, _ in items}
    assert lost["1.1"] == D(4) == sum(c.lost for c in rows if c.item_id == "1.1")
    assert lost["1.3"] == D("6.3") == sum(c.lost for c in rows if c.item_id == "1.3")
    assert lost["3.2"] == D(6)  # the penalties' actions carry what they took: 2 + 4
    assert other == [] and staff_view == []  # another site; a staff member sees only actions assigned to them
    # bonus 0.5 + 1 = 1.5, penalty 2 + 4 = 6, from 3 inspections
    assert adjust == {w.site_a: clause_pareto.Adjustment(D("1.5"), D(6), 3)}
    with db.read() as s, pytest.raises(PermissionDenied):
        clause_pareto.adjustments(s, actor=w.supervisor, month=MONTH, subject_type="site")
    with db.read() as s:
        assert clause_pareto.pareto_clauses(s, actor=w.manager, month=MONTH, top=2) == rows[:2]


def test_group_figures_of_the_month(db, month) -> None:
    w, _ = month
    with db.read() as s:
        groups = clause_pareto.group_figures(s, actor=w.manager, month=MONTH)
        none_for_staff = clause_pareto.group_figures(s, actor=w.manager, month=MONTH, subject_type="staff")
    # group BI规范 (2 points): 2, 1.5 (1.2.1 once, -0.5) and 2 of 2 each time: 5.5 of 6 = 91.67 %
    assert [(g.checklist_title, g.section_title, g.group_title, g.points, g.awarded, g.applicable, g.inspections)
            for g in groups] == [("客服中心品质检查标准（测试）", "内部管理", "BI规范", D(2), D("5.5"), D(6), 3)]
    assert groups[0].percent is not None and round(groups[0].percent, 2) == D("91.67")
    assert none_for_staff == []


def test_scores_of_the_month_by_hand(db, month) -> None:
    w, ids = month
    from app.db.models import Inspection

    with db.read() as s:
        got = [(i.awarded, i.applicable, i.snapshot["bonus"], i.snapshot["penalty"])
               for i in (s.get(Inspection, iid) for iid in ids) if i is not None]
    # 1: 2 + 2 + 1.7 + 2.8 + 2 (sections 8 - 1 - 1.3 = 5.7, 2.8 + 2 = 4.8) + 0.5 - 2 = 9.0 of 14
    # 2: 0 + 1.5 + 1 (section 1: 0 + 0.5 + 1 + 1) = 2.5, section 2: 6, + 1 = 9.5 of 14
    # 3: 3 + 2 + 0 = 5, section 2: 6, - 4 = 7 of 14
    assert got == [(D(9), D(14), 0.5, 2), (D("9.5"), D(14), 1, 0), (D(7), D(14), 0, 4)]


def test_excel_shows_clauses_and_bonus_penalty(db, month) -> None:
    w, ids = month
    with db.read() as s:
        data = scorecard_workbook(s, actor=w.manager, month=MONTH, site_id=w.site_a)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[SHEET_CLAUSES]
    header = [c.value for c in ws[3]]
    assert header == ["序号", "检查项编号", "检查项", "扣分细则", "扣分合计", "次数", "检查次数"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=3 + len(EXPECTED_CLAUSES))]
    assert [(r[1], r[3][0], D(str(r[4])), r[5], r[6]) for r in body] == EXPECTED_CLAUSES
    assert body[1][3] == "C. 不适用且无上报修正记录（本项不得分）"
    groups = wb[SHEET_GROUPS]
    assert [c.value for c in groups[3]] == ["检查表", "部分", "分项", "分值", "检查次数", "得分合计", "适用分合计",
                                            "得分率"]
    row = [c.value for c in groups[4]]
    assert row[:7] == ["客服中心品质检查标准（测试）", "内部管理", "BI规范", 2, 3, 5.5, 6]
    assert round(row[7], 2) == 91.67
    site = wb[SHEET_SITE]
    head = [c.value for c in site[3]]
    row = [c.value for c in site[4]]
    assert (row[head.index("加分")], row[head.index("另扣")]) == (1.5, 6)
    insp = wb[SHEET_INSPECTIONS]
    head = [c.value for c in insp[3]]
    rows = [[c.value for c in r] for r in insp.iter_rows(min_row=4, max_row=6)]
    assert [(r[head.index("加分")], r[head.index("另扣")]) for r in rows] == [(0.5, 2), (1, 0), (0, 4)]


def test_excel_without_version_2_figures_has_no_such_sheet(db, tmp_path, monkeypatch) -> None:
    """A month of version-1 inspections only: no clause sheet, no bonus/penalty columns (as before)."""
    rules = yaml.safe_load((ROOT / "checklists" / "scorecard.yaml").read_text(encoding="utf-8"))
    office = yaml.safe_load((ROOT / "checklists" / "office-safety.yaml").read_text(encoding="utf-8"))
    use_checklists(tmp_path, monkeypatch, office, scorecard=rules)
    w = build_world(db)
    with db.write() as s:
        iid = inspections.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 5),
                                           shift_name="早班", subject_type="site", checklist_id="office-safety",
                                           staff_id=None, kind="supervisor")
        checklist = inspections.load_inspection(s, actor=w.supervisor, inspection_id=iid).checklist
        for it in checklist.items:
            value = {"result": "pass"} if it.scoring == "pass_fail" else (
                {"count": 1} if it.scoring == "deduct" else {"points": float(it.points)})
            inspections.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=it.id, value=value)
        inspections.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid, evidence_waiver="test")
    with db.read() as s:
        data = scorecard_workbook(s, actor=w.manager, month=MONTH, site_id=w.site_a)
        lines = scorecard.scorecard(s, actor=w.manager, month=MONTH, subject_type="site")
        adjust = clause_pareto.adjustments(s, actor=w.manager, month=MONTH, subject_type="site")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert SHEET_CLAUSES not in wb.sheetnames and SHEET_GROUPS not in wb.sheetnames
    assert "加分" not in [c.value for c in wb[SHEET_SITE][3]]
    assert adjust == {}
    assert scorecard_csv(lines, adjust) == scorecard_csv(lines)


def test_csv_carries_bonus_and_penalty(db, month) -> None:
    w, _ = month
    with db.read() as s:
        lines = scorecard.scorecard(s, actor=w.manager, month=MONTH, subject_type="site")
        adjust = clause_pareto.adjustments(s, actor=w.manager, month=MONTH, subject_type="site")
    rows = list(csv.reader(io.StringIO(scorecard_csv(lines, adjust).lstrip("\ufeff"))))
    head = rows[0]
    assert head[-2:] == ["bonus", "penalty"]
    by_subject = {r[1]: r for r in rows[1:]}
    assert by_subject["A"][-2:] == ["1.5", "6.0"]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_shows_clauses_groups_bonus_and_penalty(db, month, tmp_path: Path) -> None:
    w, _ = month
    with db.read() as s:
        data = site_month_pdf(s, actor=w.manager, site_id=w.site_a, month=MONTH)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for needle in ("多条款检查项按扣分细则", "BI规范", "91.67%", "C.未登记来访", "D.与业主发生争执", "加分+1.50，另扣−6.00（3次督导检查）",
                   # the failed items: the group of 1.2.1, the clauses in words, a penalty with what it took
                   "员工仪容仪表符合规定（内部管理·BI规范，扣0.50分）",
                   "B.未使用礼貌用语（1处，扣0.3分）；C.未登记来访（1处，扣1分）",
                   "发生重大有效投诉（加减分，扣4.00分）", "2次，另扣4分", "1次，另扣2分", "抽查10，不合格3"):
        assert needle in flat, needle


def test_command_line_scorecard_carries_bonus_and_penalty(db, month, monkeypatch, tmp_path) -> None:
    """``pinzhi scorecard`` (JSON and CSV) has the month's bonus and penalty, as the review page and its CSV."""
    import json

    from app.cli import main

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the command line opens DATABASE_URL; the PostgreSQL test database is a per-test schema")
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    assert main(["scorecard", "--month", MONTH, "--subject", "site", "--out", str(tmp_path / "s.json")]) == 0
    rows = {next(iter(r["subject"].values())): r for r in json.loads((tmp_path / "s.json").read_text("utf-8"))}
    assert (rows["A"]["bonus"], rows["A"]["penalty"]) == (1.5, 6.0)  # by hand: see test_pareto_per_clause...
    assert main(["scorecard", "--month", MONTH, "--subject", "site", "--format", "csv",
                 "--out", str(tmp_path / "s.csv")]) == 0
    table = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text("utf-8").lstrip("\ufeff"))))
    assert table[0][-2:] == ["bonus", "penalty"] and {r[1]: r for r in table[1:]}["A"][-2:] == ["1.5", "6.0"]
