"""Write a checklist as a printable Excel sheet in the layout QA departments keep their standards in.

Columns 部分 | 分项 | 编号 | 检查内容 | 分值 | 评分标准 | 检查方式 | 否决 (分项, 检查方式 and 否决 only when the
checklist uses them); section and group cells merged over their rows with "（N分）"; a 合计 row and the
grade bands below. :mod:`app.standards.xlsx_import` reads it back to the same checklist. With
``blank=True`` it is a paper form for sites without a tablet: a line for the site, inspector and date,
empty 扣分 / 得分 / 检查情况 columns and a signature line.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.standards.rule_text import rule_text
from scoring.engine import number
from scoring.model import METHOD_LABELS, Checklist, Group, Item

FONT = "宋体"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
NO_GROUP = "—"  # the group cell of an item that sits directly in its section
CRITICAL_LABELS = {"checklist": "一票否决", "section": "本部分不得分"}
RESULT_COLUMNS = (("扣分", 8), ("得分", 8), ("检查情况", 28))
SIGNATURES = "检查人签字：____________    被检查方签字：____________    日期：____________"
SITE_LINE = "项目名称：____________________    检查人：____________    检查日期：______年____月____日"


def _n(d: Decimal) -> str:
    return str(number(d))


def titled(title: str, points: Decimal) -> str:
    """A section or group cell: "内部管理（6分）"; without points when it has none (bonus/penalty only)."""
    return f"{title}（{_n(points)}分）" if points else title


def grades_line(checklist: Checklist) -> str:
    bands = sorted(checklist.grades, key=lambda b: b.min, reverse=True)
    positive = [b for b in bands if b.min > 0]
    parts = [f"{b.grade}≥{_n(b.min)}分" for b in positive]
    parts += [f"{b.grade}<{_n(positive[-1].min)}分" if positive else f"{b.grade}≥0分" for b in bands if b.min == 0]
    return "评定等级：" + "；".join(parts)


def _text(ws: Worksheet, row: int, col: int, value: object, font: Font) -> Cell:
    """Write a value; a text is always a text, never a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    cell.font = font
    return cell


def _line(ws: Worksheet, row: int, width: int, text: str, font: Font) -> Cell:
    """A line of text across the sheet (title, info, grades, signatures)."""
    cell = _text(ws, row, 1, text, font)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    return cell


def _put(ws: Worksheet, row: int, col: int, value: object, align: Alignment = WRAP, bold: bool = False) -> None:
    cell = _text(ws, row, col, value, Font(name=FONT, size=10, bold=bold))
    cell.alignment = align
    cell.border = BORDER


def write_standard(checklist: Checklist, *, blank: bool = False) -> bytes:
    """The checklist as an .xlsx workbook (one sheet), ready to print."""
    has_groups = any(s.groups for s in checklist.sections)
    has_method = any(i.method != "onsite" for i in checklist.items)
    has_critical = any(i.critical != "none" for i in checklist.items)
    columns: list[tuple[str, str, int]] = [("section", "部分", 14)]
    if has_groups:
        columns.append(("group", "分项", 14))
    columns += [("number", "编号", 10), ("text", "检查内容", 48), ("points", "分值", 7), ("rule", "评分标准", 36)]
    if has_method:
        columns.append(("method", "检查方式", 10))
    if has_critical:
        columns.append(("critical", "否决", 10))
    if blank:
        columns += [(name, name, width) for name, width in RESULT_COLUMNS]
    col = {key: k + 1 for k, (key, _, _) in enumerate(columns)}
    width = len(columns)

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "检查表" if blank else "评分标准"
    small = Font(name=FONT, size=10)
    title = _line(ws, 1, width, checklist.title, Font(name=FONT, size=14, bold=True))
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    _line(ws, 2, width, SITE_LINE if blank else f"版本：{checklist.version}    满分：{_n(checklist.possible)}分", small)
    header = 3
    for k, (_, name, w) in enumerate(columns, start=1):
        _put(ws, header, k, name, CENTER, bold=True)
        ws.cell(row=header, column=k).fill = HEAD_FILL
        ws.column_dimensions[get_column_letter(k)].width = w

    row = header + 1
    for section in checklist.sections:
        first = row
        for entry in section.entries:
            items = entry.items if isinstance(entry, Group) else (entry,)
            group_first = row
            for item in items:
                _item_row(ws, row, col, item, blank)
                if has_groups:
                    _put(ws, row, col["group"], "" if isinstance(entry, Group) else NO_GROUP, CENTER)
                _put(ws, row, col["section"], "", CENTER)
                row += 1
            if isinstance(entry, Group):
                _put(ws, group_first, col["group"], titled(entry.title, entry.points), CENTER)
                if row - 1 > group_first:
                    ws.merge_cells(start_row=group_first, start_column=col["group"], end_row=row - 1,
                                   end_column=col["group"])
        _put(ws, first, col["section"], titled(section.title, section.points), CENTER)
        if row - 1 > first:
            ws.merge_cells(start_row=first, start_column=col["section"], end_row=row - 1, end_column=col["section"])

    for k in range(1, width + 1):
        _put(ws, row, k, "", CENTER, bold=True)
    _put(ws, row, col["section"], "合计", CENTER, bold=True)
    _put(ws, row, col["points"], number(checklist.possible), CENTER, bold=True)
    row += 2
    for line in (grades_line(checklist), *((SIGNATURES,) if blank else ())):
        _line(ws, row, width, line, small)
        row += 2

    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    ws.print_title_rows = f"{header}:{header}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _item_row(ws: Worksheet, row: int, col: dict[str, int], item: Item, blank: bool) -> None:
    _put(ws, row, col["number"], item.id, CENTER)
    _put(ws, row, col["text"], item.text)
    _put(ws, row, col["points"], None if item.adjustment else number(item.points), CENTER)
    _put(ws, row, col["rule"], rule_text(item))
    if "method" in col:
        _put(ws, row, col["method"], METHOD_LABELS[item.method], CENTER)
    if "critical" in col:
        _put(ws, row, col["critical"], CRITICAL_LABELS.get(item.critical, ""), CENTER)
    if blank:
        for name, _ in RESULT_COLUMNS:
            _put(ws, row, col[name], "")
