"""Read a QA standard kept in Excel into a version-2 checklist (``shared/DESIGN.md`` "Importing a
standard from Excel").

Plain functions, no database and no Streamlit: :func:`read_standard` takes the workbook's bytes and
returns the checklist as data (what its YAML file would hold) plus every problem, each naming its cell,
so the command line and the in-app standards workshop share one reader. Nothing is half-read: with any
problem, ``checklist`` is ``None``.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from app import messages
from app.messages import DEFAULT_LANG, LANGS, Joined, Renderable, msg
from app.standards.problem_text import loader_detail
from app.standards.rule_text import BONUS_PHRASE, NUM, PENALTY_PHRASE, ParsedRule, parse_rule_text
from scoring.engine import number
from scoring.grades import DEFAULT_BANDS
from scoring.loader import ITEM_ID, SLUG, parse_checklist
from scoring.model import KINDS, SUBJECTS

HEADER_ROWS = 10
ROLES: dict[str, tuple[str, ...]] = {
    "section": ("部分", "类别", "版块", "板块", "模块", "一级指标", "考核项目"),
    "group": ("分项", "二级指标", "子项"),
    "number": ("编号", "序号"),
    "text": ("检查内容", "检查标准", "服务标准", "考核内容", "考核标准", "标准要求", "三级指标"),
    "points": ("分值", "标准分", "分数", "满分"),
    "rule": ("评分标准", "扣分标准", "扣分说明", "评分细则", "扣分细则", "考核办法"),
    "method": ("检查方式", "检查方法", "考核方式"),
    "critical": ("否决", "红线"),
}
# the header word of each role, as the standards workshop's grid workbook writes it (read back by this module)
ROLE_LABELS = {"section": "部分", "group": "分项", "number": "编号", "text": "检查内容", "points": "分值",
               "rule": "评分标准", "method": "检查方式", "critical": "否决"}
METHOD_WORDS: tuple[tuple[str, str], ...] = (
    ("查阅", "records"), ("记录", "records"), ("现场", "onsite"), ("查看", "onsite"), ("暗访", "mystery"),
    ("电话", "phone"), ("询问", "interview"), ("抽问", "interview"),
)
CRITICAL_SECTION_WORDS = ("本部分不得分", "本部分", "部分", "section")
CRITICAL_CHECKLIST_WORDS = ("一票否决", "否决", "是", "√", "✓", "✔", "y", "yes", "红线", "checklist")
CRITICAL_NONE_WORDS = ("", "否", "无", "-", "—", "/", "n", "no", "none")
TOTAL_WORDS = ("合计", "总计", "总分", "小计", "合计分", "总分合计")
NO_POINTS = ("", "-", "—", "－", "/", "／")
NO_GROUP = ("-", "—", "－", "/", "／", "无")  # a group cell saying "directly in the section"
POINTS_IN_TITLE = re.compile(r"[（(]\s*" + NUM + r"\s*分\s*[)）]")
HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.．]")
BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
GRADES_ROW = re.compile(r"^(?:评定等级|等级评定|评级|等级)\s*[:：]")
GRADE_BAND = re.compile(r"([^\s；;，,:：≥>=<]+)\s*(?:≥|>=|＞=)\s*" + NUM)
GRADE_LOWEST = re.compile(r"([^\s；;，,:：≥>=<]+)\s*(?:<|＜)\s*" + NUM)
TENTH = Decimal("0.1")


CRITICAL_CHECKLIST_MARK, CRITICAL_SECTION_MARK = "一票否决", "本部分不得分"  # what a veto cell should say
METHOD_HINT = "查阅记录/现场查看/暗访/电话/询问"  # the method cell's words, as a problem suggests them


@dataclass(frozen=True)
class SheetProblem:
    """One problem, at one cell: printed ``FILE:SHEET!CELL: reason``; the reason is a catalogue message
    (``xlsx.…``), rendered in a language by :meth:`render` (``str()``: Chinese)."""

    file: str
    sheet: str
    cell: str
    reason: Renderable

    def render(self, lang: str) -> str:
        reason = self.reason.render(lang)
        where = f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet or self.cell
        return f"{self.file}:{where}: {reason}" if where else f"{self.file}: {reason}"

    def __str__(self) -> str:
        return self.render(DEFAULT_LANG)


@dataclass
class ImportedRow:
    """One item as read: its row, its cells by role, and where it went (for marking problems on rows)."""

    row: int
    item_id: str
    section_id: str
    group_id: str | None
    cells: dict[str, str] = field(default_factory=dict)  # role -> cell address
    values: dict[str, str] = field(default_factory=dict)  # role -> the cell's text (section/group: its title cell)


@dataclass
class ImportResult:
    checklist: dict[str, Any] | None
    problems: list[SheetProblem]
    sheet: str = ""
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # role -> column letter
    rows: list[ImportedRow] = field(default_factory=list)
    title: str = ""  # the checklist's title as found (also when there are problems)

    @property
    def ok(self) -> bool:
        return self.checklist is not None and not self.problems


def normalize_header(value: object) -> str:
    """A header cell without whitespace and without anything in brackets."""
    text = BRACKETS.sub("", str(value or ""))
    return re.sub(r"\s+", "", text)


def header_role(value: object) -> str | None:
    name = normalize_header(value)
    for role, words in ROLES.items():
        if name in words:
            return role
    return None


def cell_text(value: object) -> str:
    """A cell's value as text: numbers without a trailing .0, strings stripped, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(number(Decimal(str(value))))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_points(value: object) -> Decimal | None | Renderable:
    """``None`` for no points, a Decimal, or a reason (a message) why the value is not points."""
    text = cell_text(value).removesuffix("分").strip()
    if text in NO_POINTS:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return msg("xlsx.points_not_number", value=cell_text(value))
    if not d.is_finite() or d < 0 or d / TENTH != (d / TENTH).to_integral_value():
        return msg("xlsx.points_not_tenth", value=cell_text(value))
    return None if d == 0 else Decimal(number(d)) if d == d.to_integral_value() else d.normalize()


def split_title(text: str) -> tuple[str, Decimal | None]:
    """"内部管理（6分）" -> ("内部管理", 6)."""
    m = POINTS_IN_TITLE.search(text)
    if m is None:
        return text.strip(), None
    return (text[: m.start()] + text[m.end():]).strip(), Decimal(m.group(1))


def method_of(text: str) -> str | None:
    """The first method named in the cell ("查看现场/暗访" -> onsite), or None."""
    hits = [(text.find(word), method) for word, method in METHOD_WORDS if word in text]
    return min(hits)[1] if hits else None


def critical_of(text: str) -> str | None:
    t = text.strip().lower()
    if t in CRITICAL_NONE_WORDS:
        return "none"
    if any(w in t for w in CRITICAL_SECTION_WORDS):
        return "section"
    if any(w in t for w in CRITICAL_CHECKLIST_WORDS):
        return "checklist"
    return None


def _num(d: Decimal) -> int | float:
    return number(d)


class _Sheet:
    """A worksheet as a grid of values, with merged ranges known."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.max_row = ws.max_row
        self.max_col = ws.max_column
        self.values: dict[tuple[int, int], Any] = {}
        for row in ws.iter_rows(min_row=1, max_row=self.max_row, max_col=self.max_col):
            for c in row:
                if c.value is not None:
                    self.values[(c.row, c.column)] = c.value
        self.merged: dict[tuple[int, int], tuple[int, int, int, int]] = {}  # cell -> (r0, c0, r1, c1)
        for rng in ws.merged_cells.ranges:
            box = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.merged[(r, c)] = box

    def raw(self, r: int, c: int) -> Any:
        return self.values.get((r, c))

    def shared(self, r: int, c: int) -> Any:
        """The value, or the value of the merged range the cell lies in."""
        box = self.merged.get((r, c))
        return self.values.get((box[0], box[1])) if box else self.values.get((r, c))

    def text(self, r: int, c: int) -> str:
        return cell_text(self.raw(r, c))

    def column_has_merges(self, c: int, first_row: int) -> bool:
        return any(box[1] <= c <= box[3] and box[2] > box[0] and box[2] >= first_row
                   for box in set(self.merged.values()))


def addr(r: int, c: int) -> str:
    return f"{get_column_letter(c)}{r}"


@dataclass
class _Container:
    """A section or group being read."""

    id: str
    title: str
    points: Decimal | None
    cell: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    label: str = ""  # the title cell as written ("内部管理（6分）")


class _Reader:
    def __init__(self, sheet: _Sheet, file: str, sheet_name: str):
        self.s = sheet
        self.file = file
        self.sheet_name = sheet_name
        self.problems: list[SheetProblem] = []
        self.cols: dict[str, int] = {}
        self.header_row: int | None = None
        self.rows: list[ImportedRow] = []
        self.bad_rows: set[int] = set()

    def problem(self, cell: str, reason: Renderable, row: int | None = None) -> None:
        self.problems.append(SheetProblem(self.file, self.sheet_name, cell, reason))
        if row is not None:
            self.bad_rows.add(row)

    # --------------------------------------------------------------------- header
    def find_header(self) -> bool:
        for r in range(1, min(HEADER_ROWS, self.s.max_row) + 1):
            cols: dict[str, int] = {}
            for c in range(1, self.s.max_col + 1):
                role = header_role(self.s.raw(r, c))
                if role is None:
                    continue
                if role == "number" and "number" in cols:
                    if normalize_header(self.s.raw(r, c)) == "编号":  # 编号 is preferred over 序号
                        cols["number"] = c
                    continue
                cols.setdefault(role, c)
            if "points" in cols and "text" in cols:
                self.cols, self.header_row = cols, r
                return True
        self.problem("A1", msg("xlsx.no_header", rows=HEADER_ROWS, texts="/".join(ROLES["text"]),
                               points="/".join(ROLES["points"])))
        return False

    def title(self) -> str | None:
        assert self.header_row is not None
        for r in range(1, self.header_row):
            for c in range(1, self.s.max_col + 1):
                t = self.s.text(r, c)
                if t:
                    return t
        return None

    def col_text(self, r: int, role: str, *, shared: bool = False) -> str:
        c = self.cols.get(role)
        if c is None:
            return ""
        return cell_text(self.s.shared(r, c) if shared else self.s.raw(r, c))

    def col_addr(self, r: int, role: str) -> str:
        c = self.cols.get(role)
        return addr(r, c) if c is not None else addr(r, self.cols["text"])

    # --------------------------------------------------------------------- rows
    def is_total_row(self, r: int) -> bool:
        for role in ("section", "group", "number", "text"):
            t = re.sub(r"\s+", "", self.col_text(r, role))
            if t and (t in TOTAL_WORDS or t.startswith(("合计", "总计"))):
                return True
        return False

    def heading_row(self, r: int) -> tuple[str, str] | None:
        """A section title written across the row: a cell merged over the text column and its neighbours,
        or (in a sheet without a section column) a lone "一、接待服务（10分）" in a row with no text or points."""
        box = self.s.merged.get((r, self.cols["text"]))
        if box is not None and box[3] > box[1] and box[0] == r:
            pcol = self.cols["points"]
            text = cell_text(self.s.raw(box[0], box[1]))
            if text and (box[1] <= pcol <= box[3] or not self.col_text(r, "points")):
                return text, addr(r, box[1])
            return None
        if "section" in self.cols or self.col_text(r, "text") or self.col_text(r, "points"):
            return None
        cells = [(t, c) for c in range(1, self.s.max_col + 1) if (t := self.s.text(r, c))]
        if len(cells) == 1 and (HEADING.match(cells[0][0]) or POINTS_IN_TITLE.search(cells[0][0])):
            return cells[0][0], addr(r, cells[0][1])
        return None

    def rule_of(self, r: int) -> ParsedRule:
        return parse_rule_text(self.col_text(r, "rule", shared=True))

    def is_item_row(self, r: int) -> bool:
        if self.is_total_row(r) or self.heading_row(r) is not None:
            return False
        text, points = self.col_text(r, "text"), self.col_text(r, "points")
        return bool(text or points)

    def last_item_row(self, first: int) -> int:
        """The last row with points, or with a bonus/penalty rule (signature lines and notes come after)."""
        last = first - 1
        for r in range(first, self.s.max_row + 1):
            if not self.is_item_row(r):
                continue
            p = parse_points(self.s.raw(r, self.cols["points"]))
            if p is not None or any(cl.kind in ("bonus", "penalty") for cl in self.rule_of(r).clauses):
                last = r
        return last

    # --------------------------------------------------------------------- the body
    def read(self, checklist_title: str) -> list[_Container]:
        assert self.header_row is not None
        first = self.header_row + 1
        last = self.last_item_row(first)
        sections: list[_Container] = []
        section: _Container | None = None
        group: _Container | None = None
        group_end = 0
        gcol = self.cols.get("group")
        group_merges = gcol is not None and self.s.column_has_merges(gcol, first)
        n_groups = 0
        seen_ids: dict[str, str] = {}

        def new_section(title_text: str, cell: str) -> _Container:
            title, pts = split_title(title_text)
            sec = _Container(f"s{len(sections) + 1}", title or checklist_title, pts, cell, label=title_text)
            sections.append(sec)
            return sec

        for r in range(first, last + 1):
            if self.is_total_row(r):
                continue
            heading = self.heading_row(r)
            scell = self.cols.get("section")
            stext = self.s.text(r, scell) if scell is not None else ""
            if heading is not None:
                section, group = new_section(*heading), None
            elif stext:
                section, group = new_section(stext, self.col_addr(r, "section")), None
            gtext = self.s.text(r, gcol) if gcol is not None else ""
            if gtext in NO_GROUP:
                group, gtext = None, ""
            if gtext:
                if section is None:
                    section = new_section(checklist_title, addr(r, self.cols["text"]))
                n_groups += 1
                title, pts = split_title(gtext)
                group = _Container(f"g{n_groups}", title, pts, addr(r, gcol) if gcol else "", label=gtext)
                section.entries.append({"__group__": group})
                box = self.s.merged.get((r, gcol)) if gcol else None
                group_end = box[2] if box else (r if group_merges else last)
            elif group is not None and r > group_end:
                group = None
            if heading is not None or not self.is_item_row(r):
                continue
            if section is None:
                section = new_section(checklist_title, addr(r, self.cols["text"]))
            entry = self.item(r, section, group, seen_ids)
            section.rows.append(r)
            if group is not None:
                group.rows.append(r)
            if entry is not None:
                (group or section).entries.append(entry)
        return sections

    def item(self, r: int, section: _Container, group: _Container | None,
             seen_ids: dict[str, str]) -> dict[str, Any] | None:
        text = self.col_text(r, "text")
        points = parse_points(self.s.raw(r, self.cols["points"]))
        pcell, tcell, rcell = self.col_addr(r, "points"), self.col_addr(r, "text"), self.col_addr(r, "rule")
        ok = bad_points = True
        if not (points is None or isinstance(points, Decimal)):
            self.problem(pcell, points, r)
            ok, points = False, None
        else:
            bad_points = False
        if not text:
            self.problem(tcell, msg("xlsx.points_without_text"), r)
            ok = False
        # id
        if "number" in self.cols:
            raw_id = self.col_text(r, "number").lower().rstrip(".、．").strip()
            ncell = self.col_addr(r, "number")
            if not raw_id:
                self.problem(ncell, msg("xlsx.no_number"), r)
                ok = False
            elif not ITEM_ID.match(raw_id):
                self.problem(ncell, msg("xlsx.bad_number", number=raw_id), r)
                ok = False
            elif raw_id in seen_ids:
                self.problem(ncell, msg("xlsx.number_twice", number=raw_id, cell=seen_ids[raw_id]), r)
                ok = False
            else:
                seen_ids[raw_id] = ncell
            item_id = raw_id
        else:
            item_id = f"{section.id[1:]}.{len(section.rows) + 1}"
            seen_ids[item_id] = tcell
        # rule
        rule = self.rule_of(r)
        for reason in rule.problems:
            self.problem(rcell, reason, r)
            ok = False
        data: dict[str, Any] = {"id": item_id, "text": text}
        kinds = {cl.kind for cl in rule.clauses}
        if points is None:
            if kinds == {"bonus"} or kinds == {"penalty"}:
                if len(rule.clauses) > 1:
                    self.problem(rcell, msg("xlsx.one_adjustment"), r)
                    ok = False
                data["scoring"] = rule.clauses[0].kind
                data["per"] = _num(rule.clauses[0].amount or Decimal(0))
                if rule.max is not None:
                    data["max"] = _num(rule.max)
            elif text and not rule.problems and not bad_points:
                self.problem(pcell, msg("xlsx.no_points", bonus=BONUS_PHRASE, penalty=PENALTY_PHRASE), r)
                ok = False
        else:
            data["points"] = _num(points)
            ok = self.scoring(r, rule, points, data) and ok
        if rule.critical != "none":
            data["critical"] = rule.critical
        if "critical" in self.cols:
            ctext = self.col_text(r, "critical", shared=True)
            crit = critical_of(ctext)
            if crit is None:
                self.problem(self.col_addr(r, "critical"), msg("xlsx.bad_critical", value=ctext,
                                                                checklist=CRITICAL_CHECKLIST_MARK,
                                                                section=CRITICAL_SECTION_MARK), r)
                ok = False
            elif crit != "none":
                data["critical"] = crit
        if data.get("scoring") == "bonus" and data.get("critical"):
            self.problem(rcell, msg("xlsx.bonus_critical"), r)
            ok = False
        if rule.na:
            data["na"] = True
        if "method" in self.cols:
            mtext = self.col_text(r, "method", shared=True)
            method = method_of(mtext) if mtext else "onsite"
            if method is None:
                self.problem(self.col_addr(r, "method"), msg("xlsx.bad_method", value=mtext, methods=METHOD_HINT), r)
                ok = False
            else:
                data["method"] = method
        data["source"] = f"import: {self.file} {self.sheet_name}!{r}"
        values = {role: self.col_text(r, role, shared=role in ("rule", "method", "critical"))
                  for role in ("number", "text", "points", "rule", "method", "critical")}
        values |= {"section": section.label, "group": group.label if group else ""}
        self.rows.append(ImportedRow(r, item_id, section.id, group.id if group else None,
                                     {role: addr(r, c) for role, c in self.cols.items()}, values))
        return data if ok else None

    def scoring(self, r: int, rule: ParsedRule, points: Decimal, data: dict[str, Any]) -> bool:
        rcell = self.col_addr(r, "rule")
        kinds = [cl.kind for cl in rule.clauses]
        if "bonus" in kinds or "penalty" in kinds:
            self.problem(rcell, msg("xlsx.adjustment_with_points", bonus=BONUS_PHRASE, penalty=PENALTY_PHRASE), r)
            return False
        if "sample" in kinds or "scale" in kinds:
            if len(kinds) > 1:
                self.problem(rcell, msg("xlsx.sample_scale_alone"), r)
                return False
            data["scoring"] = kinds[0]
            if kinds[0] == "sample" and rule.min_sample is not None:
                data["min_sample"] = rule.min_sample
            if kinds[0] == "scale" and rule.step is not None:
                data["step"] = _num(rule.step)
            return True
        if rule.min_sample is not None or rule.step is not None or rule.max is not None:
            self.problem(rcell, msg("xlsx.modifiers_misused"), r)
            return False
        ok = True
        if rule.critical != "none" and any(cl.kind == "per" for cl in rule.clauses):
            self.problem(rcell, msg("xlsx.veto_on_deduction", checklist=CRITICAL_CHECKLIST_MARK,
                                         section=CRITICAL_SECTION_MARK), r)
            ok = False
        for cl in rule.clauses:
            if cl.amount is not None and cl.amount > points:
                self.problem(rcell, msg("xlsx.per_over_points", per=_num(cl.amount), points=_num(points)), r)
                ok = False
            if cl.amount is not None and cl.amount / TENTH != (cl.amount / TENTH).to_integral_value():
                self.problem(rcell, msg("xlsx.per_not_tenth", per=_num(cl.amount)), r)
                ok = False
        if len(rule.clauses) == 1 and rule.clauses[0].kind == "per":
            data["scoring"] = "deduct"
            data["per"] = _num(rule.clauses[0].amount or Decimal(0))
        elif len(rule.clauses) >= 2:
            data["scoring"] = "deduct"
            data["rules"] = [
                {"id": chr(ord("a") + k), "text": cl.text, "per": "all" if cl.amount is None else _num(cl.amount)}
                for k, cl in enumerate(rule.clauses)
            ]
        return ok  # no clause, or one "all" clause: pass/fail

    def grades(self, after: int) -> list[dict[str, Any]] | None:
        """A 评定等级 line below the table: "优秀≥90分；良好≥80分；合格≥60分；不合格<60分"."""
        for r in range(after + 1, self.s.max_row + 1):
            for c in range(1, self.s.max_col + 1):
                t = self.s.text(r, c)
                if not t:
                    continue
                if GRADES_ROW.match(t):
                    bands = [{"grade": g, "min": _num(Decimal(m))} for g, m in GRADE_BAND.findall(t)]
                    bands += [{"grade": g, "min": 0} for g, _ in GRADE_LOWEST.findall(t)]
                    return bands or None
                break
        return None


def _container_points(reader: _Reader, box: _Container, key: str) -> Decimal:
    """The points of a section or group; ``key`` names the problem when its stated points differ."""
    counted = Decimal(0)
    for e in box.entries:
        if "__group__" in e:
            g: _Container = e["__group__"]
            counted += g.points if g.points is not None else Decimal(0)
        elif "points" in e:
            counted += Decimal(str(e["points"]))
    if box.points is not None and box.points != counted and not any(r in reader.bad_rows for r in box.rows):
        reader.problem(box.cell, msg(key, title=box.title, stated=_num(box.points), counted=_num(counted)))
    return box.points if box.points is not None else counted


def _entries(reader: _Reader, box: _Container) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for e in box.entries:
        if "__group__" not in e:
            out.append(e)
            continue
        g: _Container = e["__group__"]
        if not g.entries:
            if not g.rows:  # (rows that all had problems are reported already)
                reader.problem(g.cell, msg("xlsx.empty_group", title=g.title))
            continue
        g.points = _container_points(reader, g, "xlsx.group_sum")
        out.append({"id": g.id, "title": g.title, "points": _num(g.points), "items": list(g.entries)})
    return out


def read_standard(data: bytes, *, file_name: str, checklist_id: str, title: str | None = None,
                  kind: str = "standard", subject: str = "site", sheet: str | None = None) -> ImportResult:
    """Read one sheet of an .xlsx workbook (the first, or ``sheet``) into a version-2 checklist."""
    file = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return ImportResult(None, [SheetProblem(file, "", "", msg("xlsx.not_xlsx", error=exc.__class__.__name__))])
    if sheet is not None and sheet not in wb.sheetnames:
        sheets = Joined(tuple(wb.sheetnames), sep={lang: messages.text("list_sep", lang) for lang in LANGS})
        return ImportResult(None, [SheetProblem(file, sheet, "A1", msg("xlsx.no_sheet", sheets=sheets))])
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    reader = _Reader(_Sheet(ws), file, ws.title)
    result = ImportResult(None, reader.problems, sheet=ws.title)
    if not SLUG.match(checklist_id):
        reader.problem("", msg("xlsx.bad_id", id=checklist_id))
    if kind not in KINDS or subject not in SUBJECTS:
        reader.problem("", msg("xlsx.bad_kind", kinds="/".join(KINDS), subjects="/".join(SUBJECTS)))
    if not reader.find_header():
        return result
    assert reader.header_row is not None
    result.header_row = reader.header_row
    result.columns = {role: get_column_letter(c) for role, c in reader.cols.items()}
    the_title = title or reader.title() or ws.title
    result.title = the_title
    sections = reader.read(the_title)
    result.rows = reader.rows
    if not reader.rows and not reader.problems:
        reader.problem(addr(reader.header_row + 1, reader.cols["text"]), msg("xlsx.no_items"))
    out_sections = []
    for sec in sections:
        entries = _entries(reader, sec)
        if not entries:
            if sec.rows:
                continue
            reader.problem(sec.cell, msg("xlsx.empty_section", title=sec.title))
            continue
        points = _container_points(reader, sec, "xlsx.section_sum")
        out_sections.append({"id": sec.id, "title": sec.title, "points": _num(points), "items": entries})
    doc: dict[str, Any] = {"id": checklist_id, "version": "1", "title": the_title, "kind": kind,
                           "subject": subject}
    last = max((r.row for r in reader.rows), default=reader.header_row)
    grades = reader.grades(last)
    if grades and grades != [{"grade": b.grade, "min": _num(b.min)} for b in DEFAULT_BANDS]:
        doc["grades"] = grades
    doc["sections"] = out_sections
    if reader.problems:
        return result
    _validate(reader, doc)
    if not reader.problems:
        result.checklist = doc
    return result


def _validate(reader: _Reader, doc: dict[str, Any]) -> None:
    """The checklist loader's own rules, each problem put on the cell it is about (its English ``rule`` names the
    key, which picks the column; the reason shown is the loader's message in the user's language)."""
    _, problems = parse_checklist(doc, reader.file)
    by_item = {r.item_id: r for r in reader.rows}
    for p in problems:
        where, cell = p.where, "A1"
        if where.startswith("item "):
            row = by_item.get(where[5:])
            if row is not None:
                role = next((k for k, words in (("rule", ("per", "rule", "max", "step", "min_sample")),
                                                 ("points", ("points",)), ("number", ("'id'",)),
                                                 ("method", ("method",)), ("critical", ("critical",)))
                             if any(w in p.rule for w in words) and k in row.cells), "text")
                cell = row.cells[role]
        reader.problem(cell, loader_detail(p))


def to_yaml(doc: dict[str, Any], comment: str | None = None) -> str:
    """The checklist data as a YAML file (keys in the order written, Chinese kept readable)."""
    head = "".join(f"# {line}\n" for line in comment.splitlines()) if comment else ""
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000)
