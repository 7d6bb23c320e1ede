"""The monthly scorecard workbook (月度考核表), in the layout a property management office files.

Sheets: 月度考核 (ranked staff scorecard with one column per checklist section), 管理处考核 (site
scorecard), 检查明细 (the month's submitted inspections), 整改跟踪 (the month's corrective actions).
Each sheet has a title row, a frozen header row, borders and column widths; the scorecard sheets end
with the signature line (and the sign-off, when the month is signed). Figures are numbers with a
``0.00`` format; every text cell goes through :func:`app.reports.safe_text`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import SHIFT_NAMES, Inspection
from app.reports import (
    ACTION_STATUS_LABELS,
    CHECKLIST_KIND_LABELS,
    KIND_LABELS,
    SIGNATURE_LINE,
    check_month,
    local,
    month_label,
    now_local,
    safe_text,
    signoff_lines,
    site_name,
    two,
)
from app.services import actions as actions_svc
from app.services import catalog, clause_pareto, org
from app.services import inspections as insp_svc
from app.services import scorecard as sc
from app.services.actor import Actor
from app.standards.xlsx_export import print_a4_landscape
from scoring.monthly import KINDS

FONT_NAME = "宋体"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
FAIL_FILL = PatternFill("solid", fgColor="F8CBAD")
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")
NUM = "0.00"
SIGNED_NUM = "+0.00;-0.00;0.00"
PCT = '0.00"%"'
INT = "0"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"

STAFF_HEADERS = ("排名", "姓名", "管理处", "岗位", "得分", "等级", "环比", "督导检查次数", "覆盖率", "自查次数",
                 "自查差值", "未关闭整改")
SITE_HEADERS = ("排名", "管理处", "编号", "得分", "等级", "环比", "督导检查次数", "覆盖率", "自查次数", "自查差值",
                "未关闭整改", "培训到位率", "培训合格率")
INSPECTION_HEADERS = ("日期", "班次", "管理处", "检查对象", "检查表", "类型", "检查人", "得分", "等级", "提交时间",
                      "已修订")
ACTION_HEADERS = ("检查项", "管理处", "责任人", "发起时间", "整改期限", "状态", "是否超期", "整改说明", "验证人",
                  "扣分", "检查表", "验证时间")

SHEET_STAFF = "月度考核"
SHEET_SITE = "管理处考核"
SHEET_INSPECTIONS = "检查明细"
SHEET_ACTIONS = "整改跟踪"
SHEET_GROUPS = "分项得分"  # only when a checklist of the month has groups (standards language version 2)
SHEET_CLAUSES = "扣分细则"  # only when multi-clause items lost points this month (standards language version 2)
ADJUST_HEADERS = ("加分", "另扣")  # only when a bonus or penalty row counted this month


@dataclass(frozen=True)
class Col:
    header: str
    width: float
    fmt: str | None = None  # number format; None = text
    align: str = "center"


def _c(header: str, width: float, fmt: str | None = None, align: str = "center") -> Col:
    return Col(header, width, fmt, align)


# ----------------------------------------------------------------------------- generic sheet writer
def _font(**kw: Any) -> Font:
    return Font(name=FONT_NAME, **{"size": 10, **kw})


def _value(v: Any, col: Col) -> Any:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return two(v)
    if isinstance(v, bool):
        return "是" if v else ""
    if isinstance(v, int | float | datetime | date):
        return v
    return safe_text(v)


def _write_sheet(ws: Worksheet, *, title: str, subtitle: str, cols: Sequence[Col], rows: Sequence[Sequence[Any]],
                 footer: Sequence[str] = (), freeze_cols: int = 0,
                 row_style: Callable[[Sequence[Any]], dict[int, PatternFill]] | None = None) -> None:
    n = len(cols)
    last = get_column_letter(n)
    ws.sheet_view.showGridLines = False
    # title and subtitle
    ws.append([safe_text(title)])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = _font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    ws.append([safe_text(subtitle)])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].font = _font(size=9, color="595959")
    ws["A2"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    ws.row_dimensions[2].height = 18
    # header
    ws.append([safe_text(c.header) for c in cols])
    for i, c in enumerate(cols, start=1):
        cell = ws.cell(row=3, column=i)
        cell.font = _font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = c.width
    longest = max((len(c.header) / max(c.width / 2.2, 1) for c in cols), default=1)
    ws.row_dimensions[3].height = max(20, min(90, 15 * (int(longest) + 1)))
    # body
    for r_i, row in enumerate(rows, start=4):
        fills = row_style(row) if row_style else {}
        for c_i, (v, c) in enumerate(zip(row, cols, strict=True), start=1):
            cell = ws.cell(row=r_i, column=c_i, value=_value(v, c))
            cell.border = BORDER
            cell.font = _font()
            if c.fmt and isinstance(cell.value, int | float | datetime | date):
                cell.number_format = c.fmt
            cell.alignment = Alignment(horizontal=c.align, vertical="center", wrap_text=c.align == "left")
            if c_i in fills:
                cell.fill = fills[c_i]
    if not rows:
        ws.append(["（本月无记录）"])
        ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=n)
        ws["A4"].font = _font(color="808080")
        ws["A4"].alignment = Alignment(horizontal="center")
    # footer: signature line and sign-off
    r = ws.max_row + 2
    for text in footer:
        ws.cell(row=r, column=1, value=safe_text(text)).font = _font(size=11)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="left", vertical="center")
        ws.row_dimensions[r].height = 24
        r += 1
    # by position: on an empty sheet that cell lies in a merged range, which openpyxl cannot freeze on
    ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}4"
    ws.print_title_rows = "3:3"
    print_a4_landscape(ws)


# ----------------------------------------------------------------------------- data
def _section_order(session: Session) -> dict[str, int]:
    """Section titles in checklist order (kinds in scoring order, then checklist id), for stable columns."""
    order: dict[str, int] = {}
    checklists = [e.checklist for e in catalog.list_entries(session)]
    for c in sorted(checklists, key=lambda c: (KINDS.index(c.kind) if c.kind in KINDS else 99, c.id)):
        for s in c.sections:
            order.setdefault(s.title, len(order))
    return order


def _section_titles(session: Session, matrix: dict[int, dict[str, Decimal]], ids: Sequence[int]) -> list[str]:
    present = {t for i in ids for t in matrix.get(i, {})}
    order = _section_order(session)
    return sorted(present, key=lambda t: (order.get(t, len(order)), t))


def _grade_fill(grade_col: int, delta_col: int) -> Callable[[Sequence[Any]], dict[int, PatternFill]]:
    def style(row: Sequence[Any]) -> dict[int, PatternFill]:
        out = {}
        if row[grade_col - 1] == "不合格":
            out[grade_col] = FAIL_FILL
        delta = row[delta_col - 1]
        if isinstance(delta, Decimal) and delta <= -5:
            out[delta_col] = WARN_FILL
        return out

    return style


def _rank(r: int | None) -> int | str:
    return "—" if r is None else r


def _staff_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                 title_site: str, footer: list[str], rule_note: str) -> None:
    lines = sc.scorecard(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    matrix = sc.section_matrix(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    titles = _section_titles(session, matrix, [ln.subject_id for ln in lines])
    cols = [_c("排名", 6, INT), _c("姓名", 10), _c("管理处", 22, align="left"), _c("岗位", 10), _c("得分", 9, NUM),
            _c("等级", 8), _c("环比", 9, SIGNED_NUM), _c("督导检查次数", 9, INT), _c("覆盖率", 10, PCT),
            _c("自查次数", 8, INT), _c("自查差值", 9, SIGNED_NUM), _c("未关闭整改", 9, INT)]
    cols += [_c(t, 12, NUM) for t in titles]
    adjust = clause_pareto.adjustments(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    cols += [_c(h, 8, NUM) for h in ADJUST_HEADERS] if adjust else []
    rows = []
    for ln in lines:
        r = ln.row
        secs = matrix.get(ln.subject_id, {})
        rows.append([_rank(r.rank), ln.name, ln.site_name, ln.post, r.score_display, r.grade, r.delta_display,
                     r.inspections, r.coverage_percent_display, r.self_checks, r.self_gap_display, ln.open_actions,
                     *[secs.get(t) for t in titles], *_adjust_cells(adjust, ln.subject_id)])
    _write_sheet(ws, title=f"{title_site} {month_label(month)} 客服人员月度考核表",
                 subtitle=rule_note + "；分项为各检查表分部的得分率（%）", cols=cols, rows=rows, footer=footer,
                 freeze_cols=2, row_style=_grade_fill(6, 7))


def _site_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                title_site: str, footer: list[str], rule_note: str) -> None:
    lines = sc.scorecard(session, actor=actor, month=month, subject_type="site", site_id=site_id)
    matrix = sc.section_matrix(session, actor=actor, month=month, subject_type="site", site_id=site_id)
    titles = _section_titles(session, matrix, [ln.subject_id for ln in lines])
    kinds_present = {k for ln in lines for k in ln.row.kinds}
    kinds = [k for k in KINDS if k in kinds_present]
    cols = [_c("排名", 6, INT), _c("管理处", 22, align="left"), _c("编号", 9), _c("得分", 9, NUM), _c("等级", 8),
            _c("环比", 9, SIGNED_NUM), _c("督导检查次数", 9, INT), _c("覆盖率", 10, PCT), _c("自查次数", 8, INT),
            _c("自查差值", 9, SIGNED_NUM), _c("未关闭整改", 9, INT), _c("培训到位率", 10, PCT),
            _c("培训合格率", 10, PCT)]
    cols += [_c(f"{CHECKLIST_KIND_LABELS.get(k, k)}均分", 10, NUM) for k in kinds]
    cols += [_c(t, 12, NUM) for t in titles]
    adjust = clause_pareto.adjustments(session, actor=actor, month=month, subject_type="site", site_id=site_id)
    cols += [_c(h, 8, NUM) for h in ADJUST_HEADERS] if adjust else []
    rows = []
    for ln in lines:
        r = ln.row
        secs = matrix.get(ln.subject_id, {})
        tr = ln.training
        rows.append([_rank(r.rank), ln.name, ln.code, r.score_display, r.grade, r.delta_display, r.inspections,
                     r.coverage_percent_display, r.self_checks, r.self_gap_display, ln.open_actions,
                     tr.attendance_rate if tr else None, tr.pass_rate if tr else None,
                     *[r.kinds.get(k) for k in kinds], *[secs.get(t) for t in titles],
                     *_adjust_cells(adjust, ln.subject_id)])
    _write_sheet(ws, title=f"{title_site} {month_label(month)} 管理处月度考核表",
                 subtitle=rule_note + "；分项为各检查表分部的得分率（%）", cols=cols, rows=rows, footer=footer,
                 freeze_cols=2, row_style=_grade_fill(5, 6))


def _inspections_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                       title_site: str) -> None:
    heads = insp_svc.list_inspections(session, actor=actor, month=month, site_id=site_id, status="submitted",
                                      limit=1_000_000)
    shift_order = {n: i for i, n in enumerate(SHIFT_NAMES)}
    heads.sort(key=lambda h: (h.shift_date, shift_order.get(h.shift_name, 9), h.submitted_at or datetime.min, h.id))
    cols = [_c("日期", 11, DATE), _c("班次", 6), _c("管理处", 22, align="left"), _c("检查对象", 20, align="left"),
            _c("检查表", 26, align="left"), _c("类型", 9), _c("检查人", 18, align="left"), _c("得分", 8, NUM),
            _c("等级", 7), _c("提交时间", 16, DATETIME), _c("已修订", 7)]
    rows = [[h.shift_date, h.shift_name, h.site_name, h.subject_name, h.checklist_title,
             KIND_LABELS.get(h.kind, h.kind), h.inspector, h.percent, h.grade, local(h.submitted_at), h.amended]
            for h in heads]
    snaps = _bonus_penalty(session, [h.id for h in heads])
    if snaps:  # version-2 standards: each inspection's bonus and penalty
        cols += [_c(h, 8, NUM) for h in ADJUST_HEADERS]
        for row, h in zip(rows, heads, strict=True):
            row += list(snaps.get(h.id, (None, None)))
    _write_sheet(ws, title=f"{title_site} {month_label(month)} 检查明细",
                 subtitle=f"共 {len(rows)} 次已提交的检查（督导检查计入考核，员工自查仅作对照）", cols=cols, rows=rows,
                 freeze_cols=1, row_style=lambda row: {9: FAIL_FILL} if row[8] == "不合格" else {})


def _actions_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                   title_site: str) -> None:
    acts = actions_svc.list_actions(session, actor=actor, month=month, site_id=site_id, limit=1_000_000)
    acts.sort(key=lambda a: (a.opened_at, a.id))
    titles = catalog.titles(session)
    cols = [_c("检查项", 40, align="left"), _c("管理处", 22, align="left"), _c("责任人", 10), _c("发起时间", 16, DATETIME),
            _c("整改期限", 16, DATETIME), _c("状态", 8), _c("是否超期", 8), _c("整改说明", 30, align="left"),
            _c("验证人", 16, align="left"), _c("扣分", 7, NUM), _c("检查表", 20, align="left"),
            _c("验证时间", 16, DATETIME)]
    rows = [[a.item_text, a.site_name, a.staff_name, local(a.opened_at), local(a.due_at),
             ACTION_STATUS_LABELS.get(a.status, a.status), "超期" if a.overdue else "", a.fix_note,
             a.verified_by, a.points_lost, titles.get(a.checklist_id, a.checklist_id), local(a.verified_at)] for a in acts]
    n_open = sum(1 for a in acts if a.status == "open")
    n_over = sum(1 for a in acts if a.overdue)
    _write_sheet(ws, title=f"{title_site} {month_label(month)} 整改跟踪",
                 subtitle=f"共 {len(rows)} 项；待整改 {n_open} 项，其中超期 {n_over} 项", cols=cols, rows=rows,
                 freeze_cols=1, row_style=lambda row: {7: FAIL_FILL} if row[6] == "超期" else {})


# ----------------------------------------------------------------------------- standards language version 2
def _adjust_cells(adjust: dict[int, clause_pareto.Adjustment], subject_id: int) -> list[Decimal | None]:
    if not adjust:
        return []
    a = adjust.get(subject_id)
    return [a.bonus, a.penalty] if a else [None, None]


def _bonus_penalty(session: Session, ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Inspection id -> (bonus, penalty) from its score snapshot, for those with either."""
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for start in range(0, len(ids), 500):
        q = select(Inspection.id, Inspection.snapshot).where(Inspection.id.in_(ids[start:start + 500]))
        for iid, snap in session.execute(q):
            bonus = Decimal(str((snap or {}).get("bonus") or 0))
            penalty = Decimal(str((snap or {}).get("penalty") or 0))
            if bonus or penalty:
                out[iid] = (bonus, penalty)
    return out


def _groups_sheet(ws: Worksheet, groups: list[clause_pareto.GroupFigure], *, month: str, title_site: str) -> None:
    """Groups (分项) of the month's checklists: points awarded of those applicable, over the supervisor inspections."""
    cols = [_c("检查表", 26, align="left"), _c("部分", 16, align="left"), _c("分项", 20, align="left"),
            _c("分值", 7, NUM), _c("检查次数", 8, INT), _c("得分合计", 9, NUM), _c("适用分合计", 9, NUM),
            _c("得分率", 9, PCT)]
    rows = [[g.checklist_title, g.section_title, g.group_title, g.points, g.inspections, g.awarded, g.applicable,
             g.percent] for g in groups]
    _write_sheet(ws, title=f"{title_site} {month_label(month)} 分项得分", subtitle="督导检查中各分项的得分合计与得分率",
                 cols=cols, rows=rows, freeze_cols=1)


def _clauses_sheet(ws: Worksheet, clauses: list[clause_pareto.ClauseLoss], *, month: str, title_site: str) -> None:
    """Multi-clause items: points lost per clause (which clause cost the most), most first."""
    cols = [_c("序号", 6, INT), _c("检查项编号", 10), _c("检查项", 36, align="left"), _c("扣分细则", 36, align="left"),
            _c("扣分合计", 9, NUM), _c("次数", 7, INT), _c("检查次数", 8, INT)]
    rows = [[k, c.item_id, c.item_text, f"{c.letter}. {c.clause_text}" + ("（本项不得分）" if c.all_clause else ""),
             c.lost, c.times, c.inspections] for k, c in enumerate(clauses, start=1)]
    _write_sheet(ws, title=f"{title_site} {month_label(month)} 多条款检查项扣分细则",
                 subtitle="每次检查中该项实际扣分按各细则的扣分额（本项不得分按该项分值）比例分摊", cols=cols, rows=rows,
                 freeze_cols=1)


# ----------------------------------------------------------------------------- the workbook
def scorecard_workbook(session: Session, *, actor: Actor, month: str, site_id: int | None = None) -> bytes:
    """The month's workbook (``.xlsx`` bytes) for one site or, with ``site_id=None``, all sites the actor sees.

    Needs a manager or admin (the scorecard service checks). Raises :class:`app.services.errors.Invalid`
    for a malformed month.
    """
    check_month(month)
    actor.require("manager", "admin")
    if site_id is not None:
        actor.require_site(site_id)
    title_site = site_name(session, site_id)
    visible = [site_id] if site_id is not None else [s.id for s in org.visible_sites(session, actor=actor)]
    rules = sc.rules()
    rule_note = (f"考核月份：{month_label(month)}　考核规则版本：{rules.version}　生成时间："
                 f"{now_local():%Y-%m-%d %H:%M}　排名为表内排名，督导检查不足 {rules.staff.min_inspections} 次者不排名")
    footer = [SIGNATURE_LINE, *signoff_lines(session, month=month, site_ids=visible)]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_STAFF
    _staff_sheet(ws, session, actor=actor, month=month, site_id=site_id, title_site=title_site, footer=footer,
                 rule_note=rule_note)
    site_note = rule_note.replace(f"不足 {rules.staff.min_inspections} 次", f"不足 {rules.site.min_inspections} 次")
    _site_sheet(wb.create_sheet(SHEET_SITE), session, actor=actor, month=month, site_id=site_id,
                title_site=title_site, footer=footer, rule_note=site_note)
    _inspections_sheet(wb.create_sheet(SHEET_INSPECTIONS), session, actor=actor, month=month, site_id=site_id,
                       title_site=title_site)
    _actions_sheet(wb.create_sheet(SHEET_ACTIONS), session, actor=actor, month=month, site_id=site_id,
                   title_site=title_site)
    groups = clause_pareto.group_figures(session, actor=actor, month=month, site_id=site_id)
    if groups:
        _groups_sheet(wb.create_sheet(SHEET_GROUPS), groups, month=month, title_site=title_site)
    clauses = clause_pareto.pareto_clauses(session, actor=actor, month=month, site_id=site_id, top=1_000_000)
    if clauses:
        _clauses_sheet(wb.create_sheet(SHEET_CLAUSES), clauses, month=month, title_site=title_site)
    wb.properties.title = safe_text(f"{title_site} {month_label(month)} 月度考核")
    wb.properties.creator = "Pinzhi 品质巡检"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

