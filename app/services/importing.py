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

Every problem is a message of the catalogue (``import.*``, or the use case's own error kept as it is), so
it is rendered in the reader's language (``Problem.text(lang)``, ``ImportRejected.message(lang)``); values
from the file are quoted escaped and cut short, so a problem stays one line.

All functions are keyword-only, session-first, and print nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import messages
from app.db.models import (
    POSTS,
    SHIFT_NAMES,
    Answer,
    ChecklistVersion,
    CorrectiveAction,
    Inspection,
    Shift,
    Site,
    Staff,
    User,
)
from app.messages import Joined, Msg, Renderable, msg
from app.services import audit, auth, catalog, org, signoff
from app.services import inspections as insp_svc
from app.services.actor import Actor
from app.services.errors import PermissionDenied, ServiceError
from app.services.text import TextRefused, clean_name, clean_note
from app.standards.problem_text import scoring_reason
from scoring import ScoringError, score_item

LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # a submitted_at without an offset is local time

# input vocabulary (what a Chinese spreadsheet may say), not UI text: accepted as written in any language
SITE_KIND_ALIASES = {
    "residential": "residential", "住宅": "residential", "小区": "residential",
    "sales_office": "sales_office", "案场": "sales_office", "销售案场": "sales_office",
}
YES_WORD, NO_WORD = "是", "否"
TRUE_WORDS = {"true", "yes", "y", "1", YES_WORD}
FALSE_WORDS = {"false", "no", "n", "0", NO_WORD, ""}

_CODE_MAX, _SITE_NAME_MAX, _STAFF_NAME_MAX, _POST_MAX = org.CODE_MAX, org.SITE_NAME_MAX, org.STAFF_NAME_MAX, org.POST_MAX

#: a line is {"answers": {"item": {"result": ...}}}: 3 levels; anything past this is not ours
MAX_JSON_DEPTH = 16
#: as the app's own note box (inspections.save_note)
NOTE_MAX = 2000

INSPECTION_KEYS = ("checklist", "site", "subject", "shift", "inspector", "kind", "answers", "submitted_at")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ----------------------------------------------------------------------------- results and errors
_SHOWN_MAX = 60  # characters of a value from the file quoted in a problem


def _sep(key: str) -> dict[str, str]:
    """A separator of the catalogue (``rep.sep`` "；" / "; ", ``list_sep`` "、" / ", ") in every language."""
    return {lang: messages.text(key, lang) for lang in messages.LANGS}


def _all(parts: Sequence[Renderable]) -> Joined:
    return Joined(tuple(parts), _sep("rep.sep"))


@dataclass(frozen=True)
class Problem:
    """One problem of one line: ``message`` is a catalogue message (``message.render(lang)``)."""

    line: int  # 1-based line of the file (for a CSV: the header is line 1)
    message: Renderable

    def text(self, lang: str = messages.DEFAULT_LANG) -> str:
        """The reason alone, in ``lang``."""
        return self.message.render(lang)

    def render(self, lang: str) -> str:
        """The reason with its line number ("line 3: …") in ``lang``."""
        return messages.text("import.problem", lang, line=self.line, reason=self.message)

    def __str__(self) -> str:
        return self.render(messages.DEFAULT_LANG)


class ImportRejected(ServiceError):
    """The file has bad lines; nothing of it may be committed. ``problems`` are sorted by line; the
    message counts them and quotes the first three."""

    def __init__(self, problems: list[Problem]):
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=lambda p: p.line))
        super().__init__("import.rejected", n=len(self.problems), first=_all(self.problems[:3]))


@dataclass(frozen=True)
class ImportSummary:
    count: int
    ids: tuple[int, ...]


class _LineError(Exception):
    """One or more problems of the current line (catalogue messages)."""

    def __init__(self, *reasons: Renderable):
        super().__init__("; ".join(r.render(messages.DEFAULT_LANG) for r in reasons))
        self.messages = reasons


def _shown(value: object, limit: int = _SHOWN_MAX) -> str:
    """A value from the file as it may appear inside a one-line problem: control characters, line breaks
    and bidirectional overrides escaped (``\\n``), at most ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[:limit] + "…"


def _quoted(value: object, limit: int = _SHOWN_MAX) -> str:
    """As :func:`_shown`, in quotes (``'office'``): for a value that was refused."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"


def _names(values: list[str]) -> str:
    return ", ".join(_shown(v) for v in values)


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


def _undecodable(data: bytes, pos: int, source: str | None, why: Msg) -> ImportRejected:
    line = data[:pos].count(b"\n") + 1
    reason = (msg("import.undecodable_file", file=_shown(source), why=why) if source
              else msg("import.undecodable", why=why))
    return ImportRejected([Problem(line, reason)])


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
                raise _undecodable(data, exc.start, source, msg("import.why_bom", codec=codec.upper(),
                                                                 byte=exc.start + 1)) from exc
    head = data[:1024]
    if head and head.count(0) * 4 >= len(head):
        raise _undecodable(data, head.index(0), source, msg("import.why_nul"))
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
    raise _undecodable(data, utf8_error.start, source, msg("import.why_neither", byte=utf8_error.start + 1))


def _try(session: Session, problems: list[Problem], line: int, fn: Callable[[], int]) -> int | None:
    """Run one line in a savepoint: on a problem, undo the line, note the problem, go on."""
    try:
        with session.begin_nested():
            return fn()
    except _LineError as exc:
        problems.extend(Problem(line, m) for m in exc.messages)
    except ServiceError as exc:
        problems.append(Problem(line, exc))
    except ScoringError as exc:
        problems.append(Problem(line, msg("inspection.answer_invalid", detail=scoring_reason(exc))))
    return None


def _import_csv(session: Session, text: str, required: tuple[str, ...], optional: tuple[str, ...],
                add_row: Callable[[dict[str, str], int, dict[str, int]], int]) -> ImportSummary:
    """Each CSV row through ``add_row(row, line, seen_codes)`` in its own savepoint; all or nothing."""
    problems: list[Problem] = []
    ids: list[int] = []
    seen: dict[str, int] = {}
    for line, row in _csv_rows(text, required, optional):
        if not isinstance(row, dict):
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
              ) -> Iterator[tuple[int, dict[str, str] | Msg]]:
    """(line, row) per data row, or (line, message) for a malformed row. The header is line 1."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    columns = ",".join(required + optional)
    try:
        header = next(reader)
    except StopIteration:
        yield 1, msg("import.no_header", columns=columns)
        return
    except csv.Error as exc:
        yield 1, msg("import.csv_error", detail=str(exc))
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    unknown = [h for h in names if h not in required + optional]
    dup = sorted({h for h in names if names.count(h) > 1})
    if missing or unknown or dup:
        parts = []
        if missing:
            parts.append(msg("import.missing_columns", columns=_names(missing)))
        if unknown:
            parts.append(msg("import.unknown_columns", columns=_names(unknown)))
        if dup:
            parts.append(msg("import.repeated_columns", columns=_names(dup)))
        yield 1, msg("import.bad_header", problems=_all(parts), columns=columns)
        return
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, msg("import.csv_error", detail=str(exc))
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield line, msg("import.field_count", expected=len(names), n=len(row))
            continue
        yield line, {n: cell.strip() for n, cell in zip(names, row, strict=True)}


def _need(row: dict[str, str], column: str, max_len: int) -> str:
    try:
        return clean_name(row.get(column, ""), field=column, max_len=max_len)
    except TextRefused as exc:
        raise _LineError(exc) from None


def _check_code(row: dict[str, str], seen: dict[str, int], line: int) -> str:
    code = _need(row, "code", _CODE_MAX)
    if code in seen:
        raise _LineError(msg("import.repeated_code", code=code, line=seen[code]))
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
            raise _LineError(msg("import.bad_site_kind", residential=_aliases("residential"),
                                 sales_office=_aliases("sales_office"), value=_quoted(raw_kind)))
        return org.add_site(session, actor=actor, code=code, name=name, kind=kind).id

    return _import_csv(session, text, ("code", "name", "kind"), (), add_row)


def _aliases(kind: str) -> Joined:
    """The Chinese words accepted for a site kind (住宅、小区)."""
    return Joined(tuple(w for w, k in SITE_KIND_ALIASES.items() if k == kind and not w.isascii()),
                  _sep("list_sep"))


def _parse_bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _LineError(msg("import.bad_responsible", yes=YES_WORD, no=NO_WORD, value=_quoted(raw)))


def import_staff(session: Session, *, actor: Actor, text: str) -> ImportSummary:
    """CSV ``code,name,post,site[,responsible]``; site is a site code already in the database."""
    actor.require("admin")

    def add_row(row: dict[str, str], line: int, seen: dict[str, int]) -> int:
        code = _check_code(row, seen, line)
        name = _need(row, "name", _STAFF_NAME_MAX)
        post = _need(row, "post", _POST_MAX)
        if post not in POSTS:
            raise _LineError(msg("import.bad_post", posts=" / ".join(POSTS), value=_quoted(post)))
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
        raise _LineError(msg("import.not_a_string", field=f"{where}{key}"))
    try:
        return clean_name(value, field=f"{where}{key}", max_len=_TEXT_FIELD_MAX.get(key, 64))
    except TextRefused as exc:
        raise _LineError(exc) from None


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
        raise _LineError(msg("import.not_an_object"))
    missing = [k for k in INSPECTION_KEYS if k not in doc]
    unknown = sorted(str(k) for k in doc if k not in INSPECTION_KEYS)
    if missing or unknown:
        parts = ([msg("import.missing_fields", fields=_names(missing))] if missing else []) + (
            [msg("import.unknown_fields", fields=_names(unknown))] if unknown else [])
        raise _LineError(_all(parts))
    checklist_id = _text_field(doc, "checklist")
    site_code = _text_field(doc, "site")
    inspector = _text_field(doc, "inspector")
    kind = doc["kind"]
    if kind not in ("supervisor", "self_check"):
        raise _LineError(msg("import.bad_inspection_kind", value=_quoted(kind)))

    subject = doc["subject"]
    if not isinstance(subject, dict) or len(subject) != 1 or next(iter(subject)) not in ("staff", "site"):
        raise _LineError(msg("import.bad_subject", staff="staff", site="site"))
    subject_type = next(iter(subject))
    subject_code = _text_field(subject, subject_type, "subject.")
    if subject_type == "site" and subject_code != site_code:
        raise _LineError(msg("import.subject_site_mismatch", subject=subject_code, site=site_code))

    shift = doc["shift"]
    if not isinstance(shift, dict) or set(shift) != {"date", "name"}:
        raise _LineError(msg("import.bad_shift", example=SHIFT_NAMES[0]))
    raw_date = shift["date"]
    try:
        if not isinstance(raw_date, str) or not _DATE.match(raw_date):
            raise ValueError
        shift_date = date.fromisoformat(raw_date)
    except ValueError:
        raise _LineError(msg("import.bad_shift_date", value=_quoted(raw_date))) from None
    shift_name = _text_field(shift, "name", "shift.")

    raw_at = doc["submitted_at"]
    try:
        if not isinstance(raw_at, str) or len(raw_at.strip()) <= 10:
            raise ValueError
        at = datetime.fromisoformat(raw_at.strip())
    except ValueError:
        raise _LineError(msg("import.bad_submitted_at", value=_quoted(raw_at))) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=LOCAL_TZ)
    submitted_at = _utc(at)
    if submitted_at > now:
        raise _LineError(msg("import.in_future", value=_shown(raw_at.strip())))
    if submitted_at.astimezone(LOCAL_TZ).date() < shift_date:
        raise _LineError(msg("import.before_shift", value=_shown(raw_at.strip()), date=shift_date.isoformat()))

    raw_answers = doc["answers"]
    if not isinstance(raw_answers, dict) or not raw_answers:
        raise _LineError(msg("import.no_answers"))
    answers: dict[str, dict[str, Any]] = {}
    notes: dict[str, str] = {}
    bad: list[Renderable] = []
    for item_id, value in raw_answers.items():
        if not isinstance(value, dict):
            bad.append(msg("import.answer_not_an_object", item_id=_shown(item_id)))
            continue
        note = value.get("note")
        if note is not None and not isinstance(note, str):
            bad.append(msg("import.note_not_a_string", item_id=_shown(item_id)))
            continue
        try:
            note = clean_note(note, field=msg("field.item_note", item_id=_shown(item_id)), max_len=NOTE_MAX)
        except TextRefused as exc:
            bad.append(exc)
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


def _both_languages(key: str) -> str:
    """A stored reason (the waiver of a paper record), read by people of either language: "中文 / English"."""
    return " / ".join(messages.text(key, lang) for lang in messages.LANGS)


def _import_inspection(session: Session, *, importer: Actor, ln: _Line, line: int, source: str | None) -> int:
    # --- who and what
    site = session.scalar(select(Site).where(Site.code == ln.site_code))
    if site is None:
        raise _LineError(msg("import.unknown_site", code=ln.site_code))
    staff_id: int | None = None
    if ln.subject_type == "staff":
        staff = session.scalar(select(Staff).where(Staff.code == ln.subject_code))
        if staff is None:
            raise _LineError(msg("import.unknown_staff", code=ln.subject_code))
        if staff.site_id != site.id:
            raise _LineError(msg("import.staff_elsewhere", code=ln.subject_code, site=ln.site_code))
        staff_id = staff.id
    user = session.scalar(select(User).where(User.username == ln.inspector))
    if user is None:
        raise _LineError(msg("import.unknown_inspector", user=ln.inspector))
    if not user.active:
        raise _LineError(msg("import.inspector_inactive", user=ln.inspector))

    dup = _duplicate_of(session, ln, site_id=site.id, staff_id=staff_id, user_id=user.id)
    if dup is not None:
        raise _LineError(msg("import.duplicate", id=dup))

    # --- as the inspector, through the app's own use cases
    actor = auth.actor_for(session, user)
    drafts = set(session.scalars(select(Inspection.id).where(Inspection.inspector_id == user.id,
                                                             Inspection.status == "draft")))
    try:
        iid = insp_svc.start_inspection(
            session=session, actor=actor, site_id=site.id, shift_date=ln.shift_date, shift_name=ln.shift_name,
            subject_type=ln.subject_type, checklist_id=ln.checklist_id, staff_id=staff_id, kind=ln.kind)
    except PermissionDenied as exc:
        raise _LineError(msg("import.not_allowed", user=ln.inspector, reason=exc)) from exc
    if iid in drafts:
        raise _LineError(msg("import.open_draft", user=ln.inspector, id=iid))
    insp = session.get_one(Inspection, iid)
    signoff.ensure_open(session, site_id=insp.site_id, month=insp.month)

    # every answer problem of the line at once (save_answer would stop at the first)
    checklist = catalog.stored_checklist(insp.checklist_version)
    bad: list[Renderable] = []
    for item_id, value in ln.answers.items():
        if not checklist.has_item(item_id):
            bad.append(msg("import.unknown_item", item_id=_shown(item_id), checklist=checklist.id))
            continue
        try:
            score_item(checklist.item(item_id), value)
        except ScoringError as exc:
            bad.append(msg("inspection.answer_invalid", detail=scoring_reason(exc)))
    bad += [msg("import.no_answer", item_id=it.id) for it in checklist.items if it.id not in ln.answers]
    bad += [msg("import.note_of_unknown_item", item_id=_shown(item_id))
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
                                        evidence_waiver=_both_languages("import.no_photo_waiver"),
                                        signature_waiver=_both_languages("import.no_signature_waiver"))
    if result.already_submitted:  # pragma: no cover - the draft was created in this transaction
        raise _LineError(msg("import.already_submitted"))

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
            problems.append(Problem(number, msg("import.json_too_deep", max=MAX_JSON_DEPTH)))
            continue
        try:
            doc = json.loads(raw, parse_constant=_no_constant)
        except _NotANumber as exc:
            problems.append(Problem(number, msg("import.json_constant", name=exc.name)))
            continue
        except json.JSONDecodeError as exc:  # Python's own (English) description of the syntax error
            problems.append(Problem(number, msg("import.json_syntax", column=exc.colno, detail=exc.msg)))
            continue
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            problems.append(Problem(number, msg("import.json_invalid", detail=_shown(str(exc), 200))))
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


class _NotANumber(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity are not JSON."""
    raise _NotANumber(name)
