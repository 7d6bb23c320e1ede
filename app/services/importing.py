"""Bulk imports: sites and staff from CSV, submitted inspections from JSON lines.

Every import is all or nothing. Each row/line is tried inside a SAVEPOINT, so one bad line does not
hide the next ones: all problems are collected (with their line numbers) and then raised together
as :class:`ImportRejected`, which rolls back the caller's transaction (``Database.write()`` does that
on any exception). The caller must never commit after catching it.

Inspections go through the very same use cases as the app (``start_inspection``, ``save_answer``,
``submit_inspection``), acting as the inspector named on the line, so permissions, scoring, the
score snapshot, section totals, monthly roll-up, corrective actions and the month sign-off check are
exactly those of an app submission. Only the timestamps are then set to the ``submitted_at`` of the
line (the audit log is append-only and keeps the real import time, plus an ``inspection.import`` row).

All functions are keyword-only, session-first, and print nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import (
    POSTS,
    Answer,
    ChecklistVersion,
    CorrectiveAction,
    Inspection,
    Shift,
    Site,
    Staff,
    User,
)
from app.services import audit, auth, catalog, org, signoff
from app.services import inspections as insp_svc
from app.services.actor import Actor
from app.services.errors import PermissionDenied, ServiceError
from app.services.text import TextRefused, clean_name, clean_note
from scoring import ScoringError, score_item

LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # a submitted_at without an offset is local time

SITE_KIND_ALIASES = {
    "residential": "residential", "住宅": "residential", "小区": "residential",
    "sales_office": "sales_office", "案场": "sales_office", "销售案场": "sales_office",
}
TRUE_WORDS = {"true", "yes", "y", "1", "是"}
FALSE_WORDS = {"false", "no", "n", "0", "否", ""}

_CODE_MAX, _SITE_NAME_MAX, _STAFF_NAME_MAX, _POST_MAX = org.CODE_MAX, org.SITE_NAME_MAX, org.STAFF_NAME_MAX, org.POST_MAX

#: a line is {"answers": {"item": {"result": ...}}}: 3 levels; anything past this is not ours
MAX_JSON_DEPTH = 16
#: as the app's own note box (inspections.save_note)
NOTE_MAX = 2000

INSPECTION_KEYS = ("checklist", "site", "subject", "shift", "inspector", "kind", "answers", "submitted_at")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ----------------------------------------------------------------------------- results and errors
@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line of the file (for a CSV: the header is line 1)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(ServiceError):
    """The file has bad lines; nothing of it may be committed. ``problems`` are sorted by line."""

    def __init__(self, problems: list[Problem]):
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=lambda p: p.line))
        super().__init__(f"{len(self.problems)} 处错误，未导入任何数据：" + "; ".join(map(str, self.problems[:3])))


@dataclass(frozen=True)
class ImportSummary:
    count: int
    ids: tuple[int, ...]


class _LineError(Exception):
    """One or more problems of the current line."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = messages


_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that Chinese tables are made of: ideographs of GB2312
    (the 6,763 common ones), CJK and general punctuation (·, —, “”, …) and full-width forms. GBK bytes that happen to be
    valid UTF-8 come out as Latin, Greek, Cyrillic or Armenian letters (卢伟 -> "¬ΰ"); UTF-8
    read as GBK comes out as rare (non-GB2312) ideographs."""
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return 1.0
    good = 0
    for ch in non_ascii:
        cp = ord(ch)
        if 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF or 0x2010 <= cp <= 0x2027 or cp == 0xB7:
            good += 1
        elif 0x4E00 <= cp <= 0x9FFF:
            try:
                ch.encode("gb2312")
                good += 1
            except UnicodeEncodeError:
                pass
    return good / len(non_ascii)


def _undecodable(data: bytes, pos: int, source: str | None, why: str) -> ImportRejected:
    line = data[:pos].count(b"\n") + 1
    where = f"{source}：" if source else ""
    return ImportRejected([Problem(line, f"{where}无法识别文件编码（{why}）。支持 UTF-8（含 BOM）、GBK/GB18030"
                                        "（Excel 默认的“CSV”）和带 BOM 的 UTF-16；请在 Excel 中另存为“CSV UTF-8”")])


def decode_text(data: bytes, *, source: str | None = None) -> str:
    """Decode an imported file: a BOM decides (UTF-8, UTF-16, UTF-32); else strict UTF-8 or
    GB18030 (a superset of GBK, Chinese Excel's "CSV"). When the bytes are valid in both, the
    decoding whose non-ASCII characters look like Chinese text wins (UTF-8 on a tie): nothing is
    guessed from statistics of other languages. Undecodable -> :class:`ImportRejected` naming
    ``source`` (the file) and the line."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise _undecodable(data, exc.start, source, f"以 {codec.upper()} BOM 开头，但第 {exc.start + 1} "
                                                            "个字节起不是该编码") from exc
    head = data[:1024]
    if head and head.count(0) * 4 >= len(head):
        raise _undecodable(data, head.index(0), source, "含大量 NUL 字节：可能是没有 BOM 的 UTF-16，或不是文本文件")
    try:
        as_utf8: str | None = data.decode("utf-8")
        utf8_error = None
    except UnicodeDecodeError as exc:
        as_utf8, utf8_error = None, exc
    try:
        as_gb: str | None = data.decode("gb18030")
    except UnicodeDecodeError:
        as_gb = None
    if as_utf8 is not None and (as_gb is None or _plausibility(as_gb) <= _plausibility(as_utf8)):
        return as_utf8
    if as_gb is not None:
        return as_gb
    assert utf8_error is not None
    raise _undecodable(data, utf8_error.start, source, f"第 {utf8_error.start + 1} 个字节起既不是 UTF-8 也不是 GBK/GB18030")


def _try(session: Session, problems: list[Problem], line: int, fn: Callable[[], int]) -> int | None:
    """Run one line in a savepoint: on a problem, undo the line, note the problem, go on."""
    try:
        with session.begin_nested():
            return fn()
    except _LineError as exc:
        problems.extend(Problem(line, m) for m in exc.messages)
    except (ServiceError, ScoringError) as exc:
        problems.append(Problem(line, str(exc)))
    return None


def _import_csv(session: Session, text: str, required: tuple[str, ...], optional: tuple[str, ...],
                add_row: Callable[[dict[str, str], int, dict[str, int]], int]) -> ImportSummary:
    """Each CSV row through ``add_row(row, line, seen_codes)`` in its own savepoint; all or nothing."""
    problems: list[Problem] = []
    ids: list[int] = []
    seen: dict[str, int] = {}
    for line, row in _csv_rows(text, required, optional):
        if isinstance(row, str):
            problems.append(Problem(line, row))
            continue
        new_id = _try(session, problems, line, partial(add_row, row, line, seen))
        if new_id is not None:
            ids.append(new_id)
    return _finish(problems, ids)


def _finish(problems: list[Problem], ids: list[int]) -> ImportSummary:
    if problems:
        raise ImportRejected(problems)
    return ImportSummary(len(ids), tuple(ids))


# ----------------------------------------------------------------------------- CSV
def _csv_rows(text: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
              ) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line, row) per data row, or (line, message) for a malformed row. The header is line 1."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        yield 1, f"缺少表头（应为 {','.join(required + optional)}）"
        return
    except csv.Error as exc:
        yield 1, f"CSV 格式错误：{exc}"
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    unknown = [h for h in names if h not in required + optional]
    dup = sorted({h for h in names if names.count(h) > 1})
    if missing or unknown or dup:
        parts = []
        if missing:
            parts.append(f"缺少列 {', '.join(missing)}")
        if unknown:
            parts.append(f"未知列 {', '.join(unknown)}")
        if dup:
            parts.append(f"重复列 {', '.join(dup)}")
        yield 1, f"表头错误：{'；'.join(parts)}（应为 {','.join(required + optional)}）"
        return
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, f"CSV 格式错误：{exc}"
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield line, f"应有 {len(names)} 列，实际 {len(row)} 列"
            continue
        yield line, {n: cell.strip() for n, cell in zip(names, row, strict=True)}


def _need(row: dict[str, str], column: str, max_len: int) -> str:
    try:
        return clean_name(row.get(column, ""), field=column, max_len=max_len)
    except TextRefused as exc:
        raise _LineError(str(exc)) from None


def _check_code(row: dict[str, str], seen: dict[str, int], line: int) -> str:
    code = _need(row, "code", _CODE_MAX)
    if code in seen:
        raise _LineError(f"编号 {code} 与第 {seen[code]} 行重复")
    seen[code] = line
    return code


def import_sites(session: Session, *, actor: Actor, text: str) -> ImportSummary:
    """CSV ``code,name,kind``; kind is residential | sales_office (or 住宅/小区, 案场/销售案场)."""
    actor.require("admin")

    def add_row(row: dict[str, str], line: int, seen: dict[str, int]) -> int:
        code = _check_code(row, seen, line)
        name = _need(row, "name", _SITE_NAME_MAX)
        raw_kind = row["kind"]
        kind = SITE_KIND_ALIASES.get(raw_kind.lower())
        if kind is None:
            raise _LineError(f"kind 必须是 residential / sales_office（或 住宅、小区 / 案场、销售案场），收到 {raw_kind!r}")
        return org.add_site(session, actor=actor, code=code, name=name, kind=kind).id

    return _import_csv(session, text, ("code", "name", "kind"), (), add_row)


def _parse_bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _LineError(f"responsible 必须是 true/false 或 是/否，收到 {raw!r}")


def import_staff(session: Session, *, actor: Actor, text: str) -> ImportSummary:
    """CSV ``code,name,post,site[,responsible]``; site is a site code already in the database."""
    actor.require("admin")

    def add_row(row: dict[str, str], line: int, seen: dict[str, int]) -> int:
        code = _check_code(row, seen, line)
        name = _need(row, "name", _STAFF_NAME_MAX)
        post = _need(row, "post", _POST_MAX)
        if post not in POSTS:
            raise _LineError(f"post 必须是 {' / '.join(POSTS)} 之一，收到 {post!r}")
        site_code = _need(row, "site", _CODE_MAX)
        responsible = _parse_bool(row.get("responsible", ""))
        return org.add_staff(session, actor=actor, code=code, name=name, post=post, site_code=site_code,
                             responsible=responsible).id

    return _import_csv(session, text, ("code", "name", "post", "site"), ("responsible",), add_row)


# ----------------------------------------------------------------------------- inspections (JSON lines)
def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


_TEXT_FIELD_MAX = {"checklist": 64, "site": _CODE_MAX, "staff": _CODE_MAX, "inspector": 64, "name": 8}


def _text_field(doc: dict[str, Any], key: str, where: str = "") -> str:
    value = doc.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a numeric code written without quotes
    if not isinstance(value, str) or not value.strip():
        raise _LineError(f"{where}{key} 必须是非空字符串")
    try:
        return clean_name(value, field=f"{where}{key}", max_len=_TEXT_FIELD_MAX.get(key, 64))
    except TextRefused as exc:
        raise _LineError(str(exc)) from None


@dataclass(frozen=True)
class _Line:
    checklist_id: str
    site_code: str
    subject_type: str
    subject_code: str
    shift_date: date
    shift_name: str
    inspector: str
    kind: str
    answers: dict[str, dict[str, Any]]
    notes: dict[str, str]
    submitted_at: datetime  # UTC


def _parse_line(doc: Any, now: datetime) -> _Line:
    if not isinstance(doc, dict):
        raise _LineError("每行必须是一个 JSON 对象")
    missing = [k for k in INSPECTION_KEYS if k not in doc]
    unknown = sorted(str(k) for k in doc if k not in INSPECTION_KEYS)
    if missing or unknown:
        msgs = ([f"缺少字段 {', '.join(missing)}"] if missing else []) + (
            [f"未知字段 {', '.join(unknown)}"] if unknown else [])
        raise _LineError("；".join(msgs))
    checklist_id = _text_field(doc, "checklist")
    site_code = _text_field(doc, "site")
    inspector = _text_field(doc, "inspector")
    kind = doc["kind"]
    if kind not in ("supervisor", "self_check"):
        raise _LineError(f"kind 必须是 supervisor 或 self_check，收到 {kind!r}")

    subject = doc["subject"]
    if not isinstance(subject, dict) or len(subject) != 1 or next(iter(subject)) not in ("staff", "site"):
        raise _LineError('subject 必须是 {"staff": 员工编号} 或 {"site": 管理处编号}')
    subject_type = next(iter(subject))
    subject_code = _text_field(subject, subject_type, "subject.")
    if subject_type == "site" and subject_code != site_code:
        raise _LineError(f"subject.site {subject_code} 与 site {site_code} 不一致")

    shift = doc["shift"]
    if not isinstance(shift, dict) or set(shift) != {"date", "name"}:
        raise _LineError('shift 必须是 {"date": "YYYY-MM-DD", "name": "早班"}')
    raw_date = shift["date"]
    try:
        if not isinstance(raw_date, str) or not _DATE.match(raw_date):
            raise ValueError
        shift_date = date.fromisoformat(raw_date)
    except ValueError:
        raise _LineError(f"shift.date 必须是日期 YYYY-MM-DD，收到 {raw_date!r}") from None
    shift_name = _text_field(shift, "name", "shift.")

    raw_at = doc["submitted_at"]
    try:
        if not isinstance(raw_at, str) or len(raw_at.strip()) <= 10:
            raise ValueError
        at = datetime.fromisoformat(raw_at.strip())
    except ValueError:
        raise _LineError(f"submitted_at 必须是 ISO-8601 日期时间（如 2026-11-20T09:30:00+08:00），收到 {raw_at!r}"
                         ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=LOCAL_TZ)
    submitted_at = _utc(at)
    if submitted_at > now:
        raise _LineError(f"submitted_at {raw_at} 晚于当前时间")
    if submitted_at.astimezone(LOCAL_TZ).date() < shift_date:
        raise _LineError(f"submitted_at {raw_at} 早于班次日期 {shift_date.isoformat()}")

    raw_answers = doc["answers"]
    if not isinstance(raw_answers, dict) or not raw_answers:
        raise _LineError("answers 必须是以检查项编号为键的非空对象")
    answers: dict[str, dict[str, Any]] = {}
    notes: dict[str, str] = {}
    bad: list[str] = []
    for item_id, value in raw_answers.items():
        if not isinstance(value, dict):
            bad.append(f"item {item_id}: answer must be an object")
            continue
        note = value.get("note")
        if note is not None and not isinstance(note, str):
            bad.append(f"item {item_id}: note must be a string")
            continue
        try:
            note = clean_note(note, field=f"item {item_id}: note", max_len=NOTE_MAX)
        except TextRefused as exc:
            bad.append(str(exc))
            continue
        if note:
            notes[item_id] = note
        answers[item_id] = {k: v for k, v in value.items() if k != "note"}
    if bad:
        raise _LineError(*bad)
    return _Line(checklist_id, site_code, subject_type, subject_code, shift_date, shift_name, inspector, kind,
                 answers, notes, submitted_at)


def _duplicate_of(session: Session, ln: _Line, *, site_id: int, staff_id: int | None, user_id: int) -> int | None:
    """An already submitted inspection with the same checklist, subject, shift, inspector, kind and time."""
    q = (
        select(Inspection.id, Inspection.submitted_at)
        .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
        .join(Shift, Shift.id == Inspection.shift_id)
        .where(ChecklistVersion.checklist_id == ln.checklist_id, Inspection.status == "submitted",
               Inspection.site_id == site_id, Inspection.subject_type == ln.subject_type,
               Inspection.staff_id.is_(None) if staff_id is None else Inspection.staff_id == staff_id,
               Shift.date == ln.shift_date, Shift.name == ln.shift_name,
               Inspection.inspector_id == user_id, Inspection.kind == ln.kind)
    )
    for iid, at in session.execute(q):
        if at is not None and _utc(at) == ln.submitted_at:
            return int(iid)
    return None


def _import_inspection(session: Session, *, importer: Actor, ln: _Line, line: int, source: str | None) -> int:
    # --- who and what
    site = session.scalar(select(Site).where(Site.code == ln.site_code))
    if site is None:
        raise _LineError(f"管理处编号 {ln.site_code} 不存在")
    staff_id: int | None = None
    if ln.subject_type == "staff":
        staff = session.scalar(select(Staff).where(Staff.code == ln.subject_code))
        if staff is None:
            raise _LineError(f"员工编号 {ln.subject_code} 不存在")
        if staff.site_id != site.id:
            raise _LineError(f"员工 {ln.subject_code} 不属于管理处 {ln.site_code}")
        staff_id = staff.id
    user = session.scalar(select(User).where(User.username == ln.inspector))
    if user is None:
        raise _LineError(f"检查人 {ln.inspector} 不存在")
    if not user.active:
        raise _LineError(f"检查人 {ln.inspector} 的账号已停用")

    dup = _duplicate_of(session, ln, site_id=site.id, staff_id=staff_id, user_id=user.id)
    if dup is not None:
        raise _LineError(f"重复：已有相同的已提交检查（#{dup}：同一检查表、对象、班次、检查人、类型和提交时间）")

    # --- as the inspector, through the app's own use cases
    actor = auth.actor_for(session, user)
    drafts = set(session.scalars(select(Inspection.id).where(Inspection.inspector_id == user.id,
                                                             Inspection.status == "draft")))
    try:
        iid = insp_svc.start_inspection(
            session=session, actor=actor, site_id=site.id, shift_date=ln.shift_date, shift_name=ln.shift_name,
            subject_type=ln.subject_type, checklist_id=ln.checklist_id, staff_id=staff_id, kind=ln.kind)
    except PermissionDenied as exc:
        raise _LineError(f"检查人 {ln.inspector} 无权进行该检查：{exc}") from exc
    if iid in drafts:
        raise _LineError(f"检查人 {ln.inspector} 在该班次对同一对象已有未提交的草稿（#{iid}），请先在应用中处理该草稿")
    insp = session.get_one(Inspection, iid)
    signoff.ensure_open(session, site_id=insp.site_id, month=insp.month)

    # every answer problem of the line at once (save_answer would stop at the first)
    checklist = catalog.stored_checklist(insp.checklist_version)
    bad: list[str] = []
    for item_id, value in ln.answers.items():
        if not checklist.has_item(item_id):
            bad.append(f"item {item_id}: unknown item id for checklist {checklist.id}")
            continue
        try:
            score_item(checklist.item(item_id), value)
        except ScoringError as exc:
            bad.append(str(exc))
    bad += [f"item {it.id}: no answer" for it in checklist.items if it.id not in ln.answers]
    bad += [f"item {item_id}: note for an item that is not in the checklist"
            for item_id in ln.notes if not checklist.has_item(item_id)]
    if bad:
        raise _LineError(*bad)

    with session.no_autoflush:
        for item_id, value in ln.answers.items():
            insp_svc.save_answer(session=session, actor=actor, inspection_id=iid, item_id=item_id, value=value)
        for item_id, note in ln.notes.items():
            insp_svc.save_note(session=session, actor=actor, inspection_id=iid, item_id=item_id, note=note)
    # paper records carry no photos: the missing evidence is recorded as such (per item, audit-logged)
    result = insp_svc.submit_inspection(session=session, actor=actor, inspection_id=iid,
                                        evidence_waiver="导入的纸质记录，无照片 / imported record, no photo",
                                        signature_waiver="导入的纸质记录，无电子签字 / imported record, no signatures")
    if result.already_submitted:  # pragma: no cover - the draft was created in this transaction
        raise _LineError("该检查已被提交")

    # --- the recorded time is the one of the line (as if submitted then)
    at = ln.submitted_at
    session.execute(update(Inspection).where(Inspection.id == iid)
                    .values(created_at=at, updated_at=at, submitted_at=at)
                    .execution_options(synchronize_session=False))
    session.execute(update(Answer).where(Answer.inspection_id == iid).values(answered_at=at)
                    .execution_options(synchronize_session=False))
    for action in session.scalars(select(CorrectiveAction).where(CorrectiveAction.inspection_id == iid)):
        hours = (_utc(action.due_at) - _utc(action.opened_at)) / timedelta(hours=1)
        action.opened_at, action.due_at = at, at + timedelta(hours=hours)
    session.expire(insp)
    audit.record(session, actor=importer, action="inspection.import", entity="inspection", entity_id=iid,
                 detail={"source": source, "line": line, "submitted_at": at.isoformat()})
    return iid


def import_inspections(session: Session, *, actor: Actor, text: str, source: str | None = None,
                       now: datetime | None = None) -> ImportSummary:
    """JSON lines, one submitted inspection each (blank lines are skipped). Admin only.

    ``source`` (e.g. the file name) goes into the audit log; ``now`` is for tests (future check).
    """
    actor.require("admin")
    now = _utc(now) if now is not None else datetime.now(UTC)
    problems: list[Problem] = []
    ids: list[int] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        raw = raw.rstrip("\r")
        if not raw.strip():
            continue
        depth = _json_depth(raw)
        if depth > MAX_JSON_DEPTH:
            problems.append(Problem(number, f"JSON 嵌套过深（超过 {MAX_JSON_DEPTH} 层）/ JSON nested deeper than "
                                            f"{MAX_JSON_DEPTH} levels"))
            continue
        try:
            doc = json.loads(raw, parse_constant=_no_constant)
        except ValueError as exc:
            msg = f"invalid JSON at column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            problems.append(Problem(number, f"JSON 格式错误（{msg}）"))
            continue
        try:
            ln = _parse_line(doc, now)
        except _LineError as exc:
            problems.extend(Problem(number, m) for m in exc.messages)
            continue
        new_id = _try(session, problems, number, partial(_import_inspection, session, importer=actor, ln=ln,
                                                         line=number, source=source))
        if new_id is not None:
            ids.append(new_id)
    return _finish(problems, ids)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth(raw: str) -> int:
    """Deepest nesting of ``[``/``{`` in one JSON text (strings skipped), stopping past the limit.

    Checked before ``json.loads``, whose C parser recurses once per level: a line of 100,000
    ``[`` would end the import with a RecursionError traceback.
    """
    depth = deepest = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub("", raw)):
        if m.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    break
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
