"""The monthly scorecard workbook (月度考核表), in the layout a property management office files, in Chinese
or English (``lang``; names, titles and notes as stored).

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
from app.messages import text, value
from app.reports import (
    action_status_label,
    check_month,
    checklist_kind_label,
    kind_label,
    local,
    month_label,
    now_local,
    safe_text,
    signature_line,
    signoff_lines,
    site_name,
    two,
    tx,
)
from app.services import actions as actions_svc
from app.services import catalog, clause_pareto, org
from app.services import inspections as insp_svc
from app.services import scorecard as sc
from app.services.actor import Actor
from app.standards.xlsx_export import print_a4_landscape
from scoring.monthly import KINDS

FONT_NAME = "宋体"  # SimSun, the font name Excel knows
FAIL_GRADE = "不合格"  # the stored grade that gets a red cell
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

# message ids (app/locale) of the column heads; the Chinese heads and sheet names below are for the tests
STAFF_HEADER_KEYS = ("rank", "name", "site", "post", "score", "grade", "delta", "inspections", "coverage",
                     "self_checks", "self_gap", "open_actions")
SITE_HEADER_KEYS = ("rank", "site", "code", "score", "grade", "delta", "inspections", "coverage", "self_checks",
                    "self_gap", "open_actions", "attendance", "pass_rate")
INSPECTION_HEADER_KEYS = ("date", "shift", "site", "subject", "checklist", "kind", "inspector", "score", "grade",
                          "submitted_at", "amended")
ACTION_HEADER_KEYS = ("item", "site", "responsible", "opened_at", "due_at", "status", "overdue", "fix_note",
                      "verified_by", "points_lost", "checklist", "verified_at")


def _heads(keys: Sequence[str], lang: str = "zh") -> tuple[str, ...]:
    return tuple(text(f"rep.col.{k}", lang) for k in keys)


STAFF_HEADERS = _heads(STAFF_HEADER_KEYS)
SITE_HEADERS = _heads(SITE_HEADER_KEYS)
INSPECTION_HEADERS = _heads(INSPECTION_HEADER_KEYS)
ACTION_HEADERS = _heads(ACTION_HEADER_KEYS)

SHEET_STAFF = text("rep.sheet_staff")
SHEET_SITE = text("rep.sheet_site")
SHEET_INSPECTIONS = text("rep.sheet_inspections")
SHEET_ACTIONS = text("rep.sheet_actions")
SHEET_GROUPS = text("rep.sheet_groups")  # only when a checklist of the month has groups (standards version 2)
SHEET_CLAUSES = text("rep.sheet_clauses")  # only when multi-clause items lost points this month (version 2)
ADJUST_HEADER_KEYS = ("bonus", "penalty")  # only when a bonus or penalty row counted this month
ADJUST_HEADERS = _heads(ADJUST_HEADER_KEYS)


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


def _value(v: Any, col: Col, lang: str) -> Any:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return two(v)
    if isinstance(v, bool):
        return text("yes", lang) if v else ""
    if isinstance(v, int | float | datetime | date):
        return v
    return safe_text(v)


def _write_sheet(ws: Worksheet, *, lang: str, title: str, subtitle: str, cols: Sequence[Col],
                 rows: Sequence[Sequence[Any]], footer: Sequence[str] = (), freeze_cols: int = 0,
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
            cell = ws.cell(row=r_i, column=c_i, value=_value(v, c, lang))
            cell.border = BORDER
            cell.font = _font()
            if c.fmt and isinstance(cell.value, int | float | datetime | date):
                cell.number_format = c.fmt
            cell.alignment = Alignment(horizontal=c.align, vertical="center", wrap_text=c.align == "left")
            if c_i in fills:
                cell.fill = fills[c_i]
    if not rows:
        ws.append([text("rep.no_rows", lang)])
        ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=n)
        ws["A4"].font = _font(color="808080")
        ws["A4"].alignment = Alignment(horizontal="center")
    # footer: signature line and sign-off
    r = ws.max_row + 2
    for line in footer:
        ws.cell(row=r, column=1, value=safe_text(line)).font = _font(size=11)
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


def _grade_fill(grade_col: int, delta_col: int, lang: str) -> Callable[[Sequence[Any]], dict[int, PatternFill]]:
    fail = value("grade", FAIL_GRADE, lang)

    def style(row: Sequence[Any]) -> dict[int, PatternFill]:
        out = {}
        if row[grade_col - 1] == fail:
            out[grade_col] = FAIL_FILL
        delta = row[delta_col - 1]
        if isinstance(delta, Decimal) and delta <= -5:
            out[delta_col] = WARN_FILL
        return out

    return style


def _rank(r: int | None) -> int | str:
    return "—" if r is None else r


def _staff_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                 title_site: str, footer: list[str], rule_note: str, lang: str) -> None:
    _ = tx(lang)
    lines = sc.scorecard(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    matrix = sc.section_matrix(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    titles = _section_titles(session, matrix, [ln.subject_id for ln in lines])
    h = dict(zip(STAFF_HEADER_KEYS, _heads(STAFF_HEADER_KEYS, lang), strict=True))
    cols = [_c(h["rank"], 6, INT), _c(h["name"], 10), _c(h["site"], 22, align="left"), _c(h["post"], 10),
            _c(h["score"], 9, NUM), _c(h["grade"], 8), _c(h["delta"], 9, SIGNED_NUM), _c(h["inspections"], 9, INT),
            _c(h["coverage"], 10, PCT), _c(h["self_checks"], 8, INT), _c(h["self_gap"], 9, SIGNED_NUM),
            _c(h["open_actions"], 9, INT)]
    cols += [_c(t, 12, NUM) for t in titles]
    adjust = clause_pareto.adjustments(session, actor=actor, month=month, subject_type="staff", site_id=site_id)
    cols += [_c(h, 8, NUM) for h in _heads(ADJUST_HEADER_KEYS, lang)] if adjust else []
    rows = []
    for ln in lines:
        r = ln.row
        secs = matrix.get(ln.subject_id, {})
        rows.append([_rank(r.rank), ln.name, ln.site_name, value("post", ln.post, lang), r.score_display,
                     value("grade", r.grade, lang) or None, r.delta_display,
                     r.inspections, r.coverage_percent_display, r.self_checks, r.self_gap_display, ln.open_actions,
                     *[secs.get(t) for t in titles], *_adjust_cells(adjust, ln.subject_id)])
    _write_sheet(ws, lang=lang, title=_("rep.title_staff", site=title_site, month=month_label(month, lang)),
                 subtitle=rule_note + _("rep.sections_note"), cols=cols, rows=rows, footer=footer,
                 freeze_cols=2, row_style=_grade_fill(6, 7, lang))


def _site_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                title_site: str, footer: list[str], rule_note: str, lang: str) -> None:
    _ = tx(lang)
    lines = sc.scorecard(session, actor=actor, month=month, subject_type="site", site_id=site_id)
    matrix = sc.section_matrix(session, actor=actor, month=month, subject_type="site", site_id=site_id)
    titles = _section_titles(session, matrix, [ln.subject_id for ln in lines])
    kinds_present = {k for ln in lines for k in ln.row.kinds}
    kinds = [k for k in KINDS if k in kinds_present]
    h = dict(zip(SITE_HEADER_KEYS, _heads(SITE_HEADER_KEYS, lang), strict=True))
    cols = [_c(h["rank"], 6, INT), _c(h["site"], 22, align="left"), _c(h["code"], 9), _c(h["score"], 9, NUM),
            _c(h["grade"], 8), _c(h["delta"], 9, SIGNED_NUM), _c(h["inspections"], 9, INT),
            _c(h["coverage"], 10, PCT), _c(h["self_checks"], 8, INT), _c(h["self_gap"], 9, SIGNED_NUM),
            _c(h["open_actions"], 9, INT), _c(h["attendance"], 10, PCT), _c(h["pass_rate"], 10, PCT)]
    cols += [_c(_("rep.kind_mean", kind=checklist_kind_label(k, lang)), 10, NUM) for k in kinds]
    cols += [_c(t, 12, NUM) for t in titles]
    adjust = clause_pareto.adjustments(session, actor=actor, month=month, subject_type="site", site_id=site_id)
    cols += [_c(h, 8, NUM) for h in _heads(ADJUST_HEADER_KEYS, lang)] if adjust else []
    rows = []
    for ln in lines:
        r = ln.row
        secs = matrix.get(ln.subject_id, {})
        tr = ln.training
        rows.append([_rank(r.rank), ln.name, ln.code, r.score_display, value("grade", r.grade, lang) or None,
                     r.delta_display, r.inspections,
                     r.coverage_percent_display, r.self_checks, r.self_gap_display, ln.open_actions,
                     tr.attendance_rate if tr else None, tr.pass_rate if tr else None,
                     *[r.kinds.get(k) for k in kinds], *[secs.get(t) for t in titles],
                     *_adjust_cells(adjust, ln.subject_id)])
    _write_sheet(ws, lang=lang, title=_("rep.title_site", site=title_site, month=month_label(month, lang)),
                 subtitle=rule_note + _("rep.sections_note"), cols=cols, rows=rows, footer=footer,
                 freeze_cols=2, row_style=_grade_fill(5, 6, lang))


def _inspections_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                       title_site: str, lang: str) -> None:
    _ = tx(lang)
    heads = insp_svc.list_inspections(session, actor=actor, month=month, site_id=site_id, status="submitted",
                                      limit=1_000_000)
    shift_order = {n: i for i, n in enumerate(SHIFT_NAMES)}
    heads.sort(key=lambda h: (h.shift_date, shift_order.get(h.shift_name, 9), h.submitted_at or datetime.min, h.id))
    c = dict(zip(INSPECTION_HEADER_KEYS, _heads(INSPECTION_HEADER_KEYS, lang), strict=True))
    cols = [_c(c["date"], 11, DATE), _c(c["shift"], 6), _c(c["site"], 22, align="left"),
            _c(c["subject"], 20, align="left"), _c(c["checklist"], 26, align="left"), _c(c["kind"], 9),
            _c(c["inspector"], 18, align="left"), _c(c["score"], 8, NUM), _c(c["grade"], 7),
            _c(c["submitted_at"], 16, DATETIME), _c(c["amended"], 7)]
    rows = [[h.shift_date, value("shift", h.shift_name, lang), h.site_name, h.subject_name, h.checklist_title,
             kind_label(h.kind, lang), h.inspector, h.percent, value("grade", h.grade, lang) or None,
             local(h.submitted_at), h.amended]
            for h in heads]
    snaps = _bonus_penalty(session, [h.id for h in heads])
    if snaps:  # version-2 standards: each inspection's bonus and penalty
        cols += [_c(h, 8, NUM) for h in _heads(ADJUST_HEADER_KEYS, lang)]
        for row, h in zip(rows, heads, strict=True):
            row += list(snaps.get(h.id, (None, None)))
    fail = value("grade", FAIL_GRADE, lang)
    _write_sheet(ws, lang=lang, title=_("rep.title_inspections", site=title_site, month=month_label(month, lang)),
                 subtitle=_("rep.inspections_note", n=len(rows)), cols=cols, rows=rows,
                 freeze_cols=1, row_style=lambda row: {9: FAIL_FILL} if row[8] == fail else {})


def _actions_sheet(ws: Worksheet, session: Session, *, actor: Actor, month: str, site_id: int | None,
                   title_site: str, lang: str) -> None:
    _ = tx(lang)
    acts = actions_svc.list_actions(session, actor=actor, month=month, site_id=site_id, limit=1_000_000)
    acts.sort(key=lambda a: (a.opened_at, a.id))
    titles = catalog.titles(session)
    h = dict(zip(ACTION_HEADER_KEYS, _heads(ACTION_HEADER_KEYS, lang), strict=True))
    cols = [_c(h["item"], 40, align="left"), _c(h["site"], 22, align="left"), _c(h["responsible"], 10),
            _c(h["opened_at"], 16, DATETIME), _c(h["due_at"], 16, DATETIME), _c(h["status"], 8), _c(h["overdue"], 8),
            _c(h["fix_note"], 30, align="left"), _c(h["verified_by"], 16, align="left"), _c(h["points_lost"], 7, NUM),
            _c(h["checklist"], 20, align="left"), _c(h["verified_at"], 16, DATETIME)]
    late = _("rep.overdue")
    rows = [[a.item_text, a.site_name, a.staff_name, local(a.opened_at), local(a.due_at),
             action_status_label(a.status, lang), late if a.overdue else "", a.fix_note,
             a.verified_by, a.points_lost, titles.get(a.checklist_id, a.checklist_id), local(a.verified_at)] for a in acts]
    n_open = sum(1 for a in acts if a.status == "open")
    n_over = sum(1 for a in acts if a.overdue)
    _write_sheet(ws, lang=lang, title=_("rep.title_actions", site=title_site, month=month_label(month, lang)),
                 subtitle=_("rep.actions_note", n=len(rows), open=n_open, overdue=n_over), cols=cols, rows=rows,
                 freeze_cols=1, row_style=lambda row: {7: FAIL_FILL} if row[6] == late else {})


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


def _groups_sheet(ws: Worksheet, groups: list[clause_pareto.GroupFigure], *, month: str, title_site: str,
                  lang: str = "zh") -> None:
    """Groups (分项) of the month's checklists: points awarded of those applicable, over the supervisor inspections."""
    _ = tx(lang)
    cols = [_c(_("rep.col.checklist"), 26, align="left"), _c(_("rep.col.section"), 16, align="left"),
            _c(_("rep.col.group"), 20, align="left"), _c(_("rep.col.points"), 7, NUM), _c(_("rep.col.n_inspections"), 8, INT),
            _c(_("rep.col.awarded_total"), 9, NUM), _c(_("rep.col.applicable_total"), 9, NUM),
            _c(_("rep.col.percent"), 9, PCT)]
    rows = [[g.checklist_title, g.section_title, g.group_title, g.points, g.inspections, g.awarded, g.applicable,
             g.percent] for g in groups]
    _write_sheet(ws, lang=lang, title=_("rep.title_groups", site=title_site, month=month_label(month, lang)),
                 subtitle=_("rep.groups_note"), cols=cols, rows=rows, freeze_cols=1)


def _clauses_sheet(ws: Worksheet, clauses: list[clause_pareto.ClauseLoss], *, month: str, title_site: str,
                   lang: str = "zh") -> None:
    """Multi-clause items: points lost per clause (which clause cost the most), most first."""
    _ = tx(lang)
    cols = [_c(_("rep.col.no"), 6, INT), _c(_("rep.col.item_id"), 10), _c(_("rep.col.item"), 36, align="left"),
            _c(_("rep.col.clause"), 36, align="left"), _c(_("rep.col.lost_total"), 9, NUM), _c(_("rep.col.times"), 7, INT),
            _c(_("rep.col.n_inspections"), 8, INT)]
    rows = [[k, c.item_id, c.item_text, f"{c.letter}. {c.clause_text}" + (_("rep.all_clause") if c.all_clause else ""),
             c.lost, c.times, c.inspections] for k, c in enumerate(clauses, start=1)]
    _write_sheet(ws, lang=lang, title=_("rep.title_clauses", site=title_site, month=month_label(month, lang)),
                 subtitle=_("rep.clauses_note"), cols=cols, rows=rows, freeze_cols=1)


# ----------------------------------------------------------------------------- the workbook
def scorecard_workbook(session: Session, *, actor: Actor, month: str, site_id: int | None = None,
                       lang: str = "zh") -> bytes:
    """The month's workbook (``.xlsx`` bytes) for one site or, with ``site_id=None``, all sites the actor sees;
    headings and labels in ``lang`` (names, titles and notes as stored).

    Needs a manager or admin (the scorecard service checks). Raises :class:`app.services.errors.Invalid`
    for a malformed month.
    """
    check_month(month)
    actor.require("manager", "admin")
    if site_id is not None:
        actor.require_site(site_id)
    _ = tx(lang)
    title_site = site_name(session, site_id, lang)
    visible = [site_id] if site_id is not None else [s.id for s in org.visible_sites(session, actor=actor)]
    rules = sc.rules()
    def rule_note(min_inspections: int) -> str:
        return _("rep.rule_note", month=month_label(month, lang), version=rules.version,
                 at=f"{now_local():%Y-%m-%d %H:%M}", n=min_inspections)

    footer = [signature_line(lang), *signoff_lines(session, month=month, site_ids=visible, lang=lang)]
    wb = Workbook()
    ws = wb.active
    ws.title = _("rep.sheet_staff")
    _staff_sheet(ws, session, actor=actor, month=month, site_id=site_id, title_site=title_site, footer=footer,
                 rule_note=rule_note(rules.staff.min_inspections), lang=lang)
    _site_sheet(wb.create_sheet(_("rep.sheet_site")), session, actor=actor, month=month, site_id=site_id,
                title_site=title_site, footer=footer, rule_note=rule_note(rules.site.min_inspections), lang=lang)
    _inspections_sheet(wb.create_sheet(_("rep.sheet_inspections")), session, actor=actor, month=month,
                       site_id=site_id, title_site=title_site, lang=lang)
    _actions_sheet(wb.create_sheet(_("rep.sheet_actions")), session, actor=actor, month=month, site_id=site_id,
                   title_site=title_site, lang=lang)
    groups = clause_pareto.group_figures(session, actor=actor, month=month, site_id=site_id)
    if groups:
        _groups_sheet(wb.create_sheet(_("rep.sheet_groups")), groups, month=month, title_site=title_site, lang=lang)
    clauses = clause_pareto.pareto_clauses(session, actor=actor, month=month, site_id=site_id, top=1_000_000)
    if clauses:
        _clauses_sheet(wb.create_sheet(_("rep.sheet_clauses")), clauses, month=month, title_site=title_site, lang=lang)
    wb.properties.title = safe_text(_("rep.workbook_title", site=title_site, month=month_label(month, lang)))
    wb.properties.creator = _("rep.creator")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

