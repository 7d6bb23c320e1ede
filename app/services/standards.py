"""The standards workshop (标准管理): the QA department's way from a file to a published version.

upload an Excel (.xlsx) or YAML file -> :func:`read_upload` gives a :class:`Workshop`: the standard as
grid rows (section, group, number, text, points, rule, method, critical), every problem on its row and
column -> the grid is edited and read again by :func:`apply_grid` (the same Excel reader reads the grid,
so a cell in the grid means what the same cell in a sheet means) -> :func:`diff` against the version in
force -> :func:`publish` with a label and a reason -> :func:`app.services.catalog.retire`.

What a sheet cannot hold (section ids, English titles, evidence rules, due hours, sources) is carried
over from the uploaded document by item id; an item whose text, points or rule changed in the grid keeps
its ``source`` and is marked "edited by <user>". Pages only show widgets; every rule is here.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy.orm import Session

from app.messages import DEFAULT_LANG, Joined, Renderable, msg, norm_lang, text
from app.services import catalog
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound
from app.services.text import clean_name, clean_note
from app.standards.problem_text import loader_detail
from app.standards.rule_text import rule_text
from app.standards.xlsx_export import CRITICAL_LABELS, titled, write_standard
from app.standards.xlsx_import import ROLE_LABELS, ImportResult, read_standard, to_yaml
from scoring.engine import number
from scoring.loader import SLUG, parse_checklist, parse_checklist_text
from scoring.model import METHOD_LABELS, Checklist, Group, Item
from scoring.safe_yaml import SafeYAMLError, load

COLUMNS = ("section", "group", "number", "text", "points", "rule", "method", "critical")
HEADERS = {c: ROLE_LABELS[c] for c in COLUMNS}  # the grid workbook's header row: the words the reader knows
GRID_SHEET = "grid"
MAX_UPLOAD = 5 * 1024 * 1024
MAX_ROWS = 2000
MAX_CELL = 2000
LABEL_MAX = 32  # the YAML ``version`` column is 32 characters
REASON_MAX = 1000
_CELL = re.compile(r"^([A-Z]{1,3})(\d+)$")


@dataclass(frozen=True)
class CellProblem:
    """One problem: on a grid row (0-based) and column (a name of :data:`COLUMNS`) when it has one."""

    row: int | None
    column: str | None
    message: Renderable  # a catalogue message (anything with ``render(lang)``)

    def render(self, lang: str) -> str:
        """The problem in ``lang``: its row (1-based), its column's name and its message ("第4行 分值：…",
        "row 4 · Points: …")."""
        lang = norm_lang(lang)
        column = None if self.column is None else msg("std_col_" + self.column)
        if self.row is None:
            return self.message.render(lang) if column is None else \
                text("std.problem_column", lang, column=column, message=self.message)
        if column is None:
            return text("std.problem_row", lang, n=self.row + 1, message=self.message)
        return text("std.problem_row_column", lang, n=self.row + 1, column=column, message=self.message)

    def __str__(self) -> str:
        return self.render(DEFAULT_LANG)


@dataclass
class Workshop:
    """A standard being prepared: grid rows, where each came from, and (when valid) its YAML text."""

    checklist_id: str
    file_name: str
    rows: list[dict[str, str]]
    base: dict[str, Any]  # the uploaded document (what a sheet cannot hold is taken from here)
    problems: list[CellProblem] = field(default_factory=list)
    yaml_text: str | None = None  # the text to publish: set only when there is no problem
    edited: dict[str, str] = field(default_factory=dict)  # item id -> who changed it in the grid
    origin: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)  # item id -> (source, row as read)

    @property
    def ok(self) -> bool:
        return self.yaml_text is not None and not self.problems

    @property
    def checklist(self) -> Checklist | None:
        if self.yaml_text is None:
            return None
        return parse_checklist_text(self.yaml_text, self.file_name)[0]

    def row_problems(self) -> dict[int, list[CellProblem]]:
        out: dict[int, list[CellProblem]] = {}
        for p in self.problems:
            if p.row is not None:
                out.setdefault(p.row, []).append(p)
        return out


def safe_load(text: str) -> Any:
    """YAML to plain dicts, lists, strings and numbers (the limited loader's own types removed)."""
    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, str):
            return str(v)
        return v
    return plain(load(text))


def _require(actor: Actor) -> None:
    actor.require(*catalog.EDITOR_ROLES)


def _n(d: Decimal) -> str:
    return str(number(d))


# ----------------------------------------------------------------------------- rows of a checklist
def _item_row(section: str, group: str, item: Item) -> dict[str, str]:
    return {"section": section, "group": group, "number": item.id, "text": item.text,
            "points": "" if item.adjustment else _n(item.points), "rule": rule_text(item),
            "method": METHOD_LABELS[item.method], "critical": CRITICAL_LABELS.get(item.critical, "")}


def rows_of(checklist: Checklist) -> list[dict[str, str]]:
    """The grid rows of a checklist: what its Excel export holds, one row per item."""
    rows: list[dict[str, str]] = []
    for s in checklist.sections:
        slabel = titled(s.title, s.points)
        for e in s.entries:
            if isinstance(e, Group):
                rows.extend(_item_row(slabel, titled(e.title, e.points), i) for i in e.items)
            else:
                rows.append(_item_row(slabel, "", e))
    return rows


# ----------------------------------------------------------------------------- reading an upload
def read_upload(*, actor: Actor, data: bytes, file_name: str, checklist_id: str | None = None) -> Workshop:
    """An uploaded .xlsx (``checklist_id`` names the standard) or .yaml/.yml file (its own id)."""
    _require(actor)
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1][:200]
    if len(data) > MAX_UPLOAD:
        raise Invalid("standards.file_too_large", max_mb=MAX_UPLOAD // 1024 // 1024)
    lower = name.lower()
    if lower.endswith((".yaml", ".yml")):
        return _read_yaml(data, name)
    if not lower.endswith(".xlsx"):
        raise Invalid("standards.upload_excel_xlsx_yaml")
    cid = (checklist_id or "").strip()
    if not SLUG.match(cid) or len(cid) > 64:
        raise Invalid("standards.checklist_id_may_hold")
    result = read_standard(data, file_name=name, checklist_id=cid)
    return _from_import(result, name, cid)


def _from_import(result: ImportResult, name: str, cid: str) -> Workshop:
    rows = [{c: r.values.get(c, "") for c in COLUMNS} for r in result.rows]
    origin = {r.item_id: (f"import: {name} {result.sheet}!{r.row}", row) for r, row in zip(result.rows, rows,
                                                                                          strict=True) if r.item_id}
    by_sheet_row = {r.row: n for n, r in enumerate(result.rows)}
    letters = {v: k for k, v in result.columns.items()}
    problems = []
    for p in result.problems:
        row, column = None, None
        m = _CELL.match(p.cell or "")
        if m and result.rows:
            sheet_row = int(m.group(2))
            column = letters.get(m.group(1))
            row = by_sheet_row.get(sheet_row)
            if row is None:  # a section or group title cell above its items: the first item below it
                row = next((n for n, r in enumerate(result.rows) if r.row >= sheet_row), None)
        problems.append(CellProblem(row, column if column in COLUMNS else None, p.reason))
    doc = result.checklist
    text = to_yaml(doc, comment=f"Imported from {name}, sheet {result.sheet}, in the standards workshop.") \
        if doc is not None and not problems else None
    base = doc or {"id": cid, "version": "1", "title": result.title or name.rsplit(".", 1)[0], "kind": "standard",
                   "subject": "site"}
    return Workshop(cid, name, rows, base, problems, text, origin=origin)


def _read_yaml(data: bytes, name: str) -> Workshop:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("standards.yaml_file_utf") from None
    checklist, problems = parse_checklist_text(text, name)
    if checklist is None:
        try:
            raw = safe_load(text)
        except (SafeYAMLError, yaml.YAMLError):
            raw = None
        cid = str(raw.get("id", "")) if isinstance(raw, dict) else ""
        return Workshop(cid, name, [], raw if isinstance(raw, dict) else {},
                        [CellProblem(None, None, loader_detail(p)) for p in problems], None)
    base = safe_load(text)
    assert isinstance(base, dict)
    return _of_checklist(checklist, name, base, text)


def _of_checklist(checklist: Checklist, name: str, base: dict[str, Any], text: str) -> Workshop:
    rows = rows_of(checklist)
    origin = {i.id: (i.source, row) for i, row in zip(checklist.items, rows, strict=True)}
    return Workshop(checklist.id, name, rows, base, [], text, origin=origin)


def from_version(session: Session, *, actor: Actor, version_id: int) -> Workshop:
    """A published version opened in the workshop (to edit it into a new version)."""
    _require(actor)
    text = catalog.version_text(session, version_id)
    entry = catalog.version_entry(session, version_id)
    base = safe_load(text)
    assert isinstance(base, dict)
    return _of_checklist(entry.checklist, entry.source_file or f"{entry.checklist.id}.yaml", base, text)


# ----------------------------------------------------------------------------- the edited grid
def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):  # None, NaN (an empty grid cell)
        return ""
    text = str(value).strip()
    if len(text) > MAX_CELL:
        raise Invalid("standards.cell_too_long_at", MAX_CELL=MAX_CELL)
    return text


def _grid_workbook(title: str, rows: list[dict[str, str]]) -> bytes:
    """The grid as a sheet the Excel reader reads: title in row 1, header in row 2, row n of the grid in
    row n + 3; a section or group cell written where it changes, "—" where items leave their group."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = GRID_SHEET
    ws.cell(row=1, column=1, value=ILLEGAL_CHARACTERS_RE.sub("", title))
    for c, col in enumerate(COLUMNS, start=1):
        ws.cell(row=2, column=c, value=HEADERS[col])
    prev_section, prev_group = None, ""
    for n, row in enumerate(rows):
        r = n + 3
        for c, col in enumerate(COLUMNS, start=1):
            value = row.get(col, "")
            if col == "section":
                if value == prev_section:
                    continue
                prev_group = ""
            if col == "group":
                if value == prev_group:
                    continue
                value = value or "—"
            if value:  # text, never a formula: the reader takes the cell's text
                cell = ws.cell(row=r, column=c, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"
        prev_section, prev_group = row.get("section", ""), row.get("group", "")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def apply_grid(workshop: Workshop, rows: list[dict[str, Any]], *, actor: Actor) -> Workshop:
    """The workshop after the grid was edited: read again, checked, what a sheet cannot hold carried over."""
    _require(actor)
    if len(rows) > MAX_ROWS:
        raise Invalid("standards.too_many_rows_at", MAX_ROWS=MAX_ROWS)
    clean = [{c: _cell(r.get(c)) for c in COLUMNS} for r in rows]
    clean = [r for r in clean if any(r.values())]  # rows left empty are no rows
    title = str(workshop.base.get("title") or workshop.checklist_id)
    data = _grid_workbook(title, clean)
    result = read_standard(data, file_name=workshop.file_name, checklist_id=workshop.checklist_id,
                           kind=str(workshop.base.get("kind", "standard")),
                           subject=str(workshop.base.get("subject", "site")), sheet=GRID_SHEET)
    letters = {chr(ord("A") + k): col for k, col in enumerate(COLUMNS)}
    problems = []
    for p in result.problems:
        m = _CELL.match(p.cell or "")
        row = int(m.group(2)) - 3 if m else None
        problems.append(CellProblem(row if row is not None and 0 <= row < len(clean) else None,
                                    letters.get(m.group(1)) if m else None, p.reason))
    out = Workshop(workshop.checklist_id, workshop.file_name, clean, workshop.base, problems, None,
                   origin=workshop.origin)
    out.edited = {r["number"].lower(): actor.username for r in clean
                  if _edited(r, workshop.origin.get(r["number"].lower()))}
    if result.checklist is None or problems:
        return out
    if clean == workshop.rows and workshop.yaml_text is not None:  # nothing changed: the uploaded text as it was
        out.yaml_text = workshop.yaml_text
        return out
    doc = _merge(result.checklist, workshop.base, workshop.origin, out.edited)
    checklist, loader_problems = parse_checklist(doc, workshop.file_name)
    if checklist is None:
        rows_by_id = {r["number"].lower(): n for n, r in enumerate(clean)}
        for lp in loader_problems:
            item = lp.where[5:] if lp.where.startswith("item ") else None
            out.problems.append(CellProblem(rows_by_id.get(item) if item else None, None, loader_detail(lp)))
        return out
    out.yaml_text = to_yaml(doc, comment=f"From {workshop.file_name}, edited in the standards workshop.")
    return out


_ITEM_EXTRAS = ("evidence", "due_hours", "text_en", "na", "self_check")


def _base_items(base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in base.get("sections") or []:
        for e in (s.get("items") or []) if isinstance(s, dict) else []:
            if not isinstance(e, dict):
                continue
            for i in (e.get("items") if "items" in e else [e]) or []:
                if isinstance(i, dict) and "id" in i:
                    out[str(i["id"])] = i
    return out


def _edited(row: dict[str, str], origin: tuple[str, dict[str, str]] | None) -> bool:
    """A row whose number is new, or whose text, points, rule, method or critical differ from the upload."""
    if origin is None:
        return True
    return any(row.get(c, "") != origin[1].get(c, "") for c in ("text", "points", "rule", "method", "critical"))


Origin = dict[str, tuple[str, dict[str, str]]]


def _merge(doc: dict[str, Any], base: dict[str, Any], origin: Origin, edited: dict[str, str]) -> dict[str, Any]:
    """The grid's document with what a sheet cannot hold taken from the uploaded one."""
    out = dict(doc)
    for key in ("version", "title", "title_en", "kind", "subject", "self_check", "grades", "due_hours"):
        if key in base:
            out[key] = base[key]
    base_sections = [s for s in base.get("sections") or [] if isinstance(s, dict)]
    used: set[int] = set()
    base_items = _base_items(base)
    for s in out["sections"]:
        match = next((k for k, b in enumerate(base_sections) if k not in used and b.get("title") == s["title"]), None)
        base_groups: list[dict[str, Any]] = []
        if match is not None:
            used.add(match)
            b = base_sections[match]
            s["id"] = b.get("id", s["id"])
            if "title_en" in b:
                s["title_en"] = b["title_en"]
            base_groups = [e for e in b.get("items") or [] if isinstance(e, dict) and "items" in e]
        for e in s["items"]:
            if "items" in e:
                g = next((g for g in base_groups if g.get("title") == e["title"]), None)
                if g is not None:
                    e["id"] = g.get("id", e["id"])
                    if "title_en" in g:
                        e["title_en"] = g["title_en"]
                for i in e["items"]:
                    _merge_item(i, base_items, origin, edited)
            else:
                _merge_item(e, base_items, origin, edited)
    total = base.get("total_points")
    if total is not None:
        points = sum((Decimal(str(s["points"])) for s in out["sections"]), Decimal(0))
        if Decimal(str(total)) == points:
            out["total_points"] = total
    return out


def _merge_item(item: dict[str, Any], base_items: dict[str, dict[str, Any]], origin: Origin,
                edited: dict[str, str]) -> None:
    """Carry over what the grid cannot hold; the source stays, "· edited by <user>" added when changed."""
    b = base_items.get(item["id"])
    if b is not None:
        for key in _ITEM_EXTRAS:
            if key in b and key not in item:
                item[key] = b[key]
        if item.get("scoring") == "scale" and "step" in b and "step" not in item:
            item["step"] = b["step"]
    o = origin.get(item["id"])
    source = o[0] if o is not None else "workshop: added in the standards workshop"
    who = edited.get(item["id"])
    item["source"] = f"{source} · edited by {who}" if who else source


# ----------------------------------------------------------------------------- the difference
@dataclass(frozen=True)
class Change:
    """One item's change; an added or removed item's side is a message ("text (N pts)"), render with ``tr``."""

    item_id: str
    before: str | Renderable
    after: str | Renderable


@dataclass
class Difference:
    """Against the version in force (``base_label`` None: the checklist is new)."""

    base_label: str | None
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    reworded: list[Change] = field(default_factory=list)
    repointed: list[Change] = field(default_factory=list)
    rescored: list[Change] = field(default_factory=list)  # the rule (how it is scored) changed
    total_before: Decimal | None = None
    total_after: Decimal = Decimal(0)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.reworded or self.repointed or self.rescored) \
            and self.total_before == self.total_after


def diff(session: Session, *, actor: Actor, workshop: Workshop) -> Difference:
    _require(actor)
    new = workshop.checklist
    if new is None:
        raise Invalid("standards.standard_still_has_problems")
    try:
        old: Checklist | None = catalog.entry_for(session, new.id).checklist
        label: str | None = catalog.entry_for(session, new.id).label
    except NotFound:
        old, label = None, None
    return compare(old, new, label)


def compare(old: Checklist | None, new: Checklist, base_label: str | None = None) -> Difference:
    d = Difference(base_label, total_before=None if old is None else old.possible, total_after=new.possible)
    before = {i.id: i for i in old.items} if old is not None else {}
    after = {i.id: i for i in new.items}
    for i in new.items:
        b = before.get(i.id)
        if b is None:
            d.added.append(Change(i.id, "", msg("std.item_points", text=i.text, points=_n(i.points))))
            continue
        if b.text != i.text:
            d.reworded.append(Change(i.id, b.text, i.text))
        if b.points != i.points:
            d.repointed.append(Change(i.id, _n(b.points), _n(i.points)))
        if rule_text(b) != rule_text(i) or b.critical != i.critical or b.method != i.method:
            d.rescored.append(Change(i.id, rule_text(b), rule_text(i)))
    d.removed = [Change(i.id, msg("std.item_points", text=i.text, points=_n(i.points)), "")
                 for i in (old.items if old else ()) if i.id not in after]
    return d


# ----------------------------------------------------------------------------- publishing
def publish(session: Session, *, actor: Actor, workshop: Workshop, label: object, reason: object,
            site_kinds: list[str] | None = None) -> catalog.Published:
    """Publish the workshop's standard as a new version labelled ``label`` (audit-logged)."""
    _require(actor)
    if not workshop.ok or workshop.yaml_text is None:
        raise Invalid("standards.fix_problems_first")
    the_label = clean_name(label, field=msg("field.version_label"), max_len=LABEL_MAX)
    the_reason = clean_note(reason, field=msg("field.publish_reason"), max_len=REASON_MAX)
    if not the_reason:
        raise Invalid("standards.give_reason_publishing")
    text = workshop.yaml_text
    doc = safe_load(text)
    assert isinstance(doc, dict)
    if str(doc.get("version")) != the_label:  # the version label is the checklist's version
        doc["version"] = the_label
        text = to_yaml(doc, comment=f"{workshop.file_name}, published in the standards workshop.")
    for e in catalog.versions(session, workshop.checklist_id):
        if e.label == the_label and e.content_hash != catalog.content_hash(text):
            raise Conflict("standards.version_label_taken", the_label=the_label)
    return catalog.publish_text(session, actor=actor, text=text, label=the_label, reason=the_reason,
                                source_file=workshop.file_name, site_kinds=site_kinds)


def publish_file(session: Session, *, actor: Actor, data: bytes, file_name: str, label: object, reason: object,
                 checklist_id: str | None = None, site_kinds: list[str] | None = None) -> catalog.Published:
    """Read and publish a file in one step (``pinzhi checklists publish``): refused on any problem."""
    workshop = read_upload(actor=actor, data=data, file_name=file_name, checklist_id=checklist_id)
    if not workshop.ok:
        raise Invalid("standards.invalid", problems=Joined(tuple(workshop.problems), sep={"zh": "\n", "en": "\n"}))
    return publish(session, actor=actor, workshop=workshop, label=label, reason=reason, site_kinds=site_kinds)


# ----------------------------------------------------------------------------- downloads
def download(session: Session, *, actor: Actor, version_id: int, fmt: str) -> tuple[str, bytes]:
    """(file name, bytes) of a version as YAML or Excel; every signed-in role may read the standards."""
    text = catalog.version_text(session, version_id)
    entry = catalog.version_entry(session, version_id)
    safe_label = re.sub(r"[^A-Za-z0-9._-]+", "_", entry.label)[:32]
    stem = f"{entry.checklist.id}-{safe_label}"
    if fmt == "yaml":
        return f"{stem}.yaml", text.encode("utf-8")
    if fmt == "xlsx":
        return f"{stem}.xlsx", write_standard(entry.checklist)
    raise Invalid("standards.format_yaml_xlsx")

