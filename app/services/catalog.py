"""The catalogue of standards: published checklist versions live in the database.

Every published version is a ``checklist_versions`` row (its YAML text, sha256, label, who published it
when, from which file and why, its status); ``checklist_in_force`` says which version is in force for
each checklist and kind of site. Every app server reads the same rows, so a version published on one is
in force on all of them at their next page run or API call.

``checklists/*.yaml`` are the shipped defaults only: :func:`ensure_shipped` publishes a shipped file
whose text is not in the catalogue yet (on ``pinzhi db upgrade`` and, lazily, on the first catalogue read
of a process; the same text again publishes nothing). A newer shipped text replaces an older shipped
text in force, never a version the QA department published, and never switches a checklist back on that
was switched off.

Inspections point at the version row they were started with, so history never changes. Parsed
checklists are cached per process by content hash (the same hash is the same text); the rows themselves
are read on every call (a few small rows), so there is nothing to invalidate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import messages
from app.config import checklists_dir
from app.db.dml import insert_if_absent
from app.db.models import SITE_KINDS, ChecklistInForce, ChecklistVersion, User
from app.messages import Joined
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, Invalid, NotFound
from app.standards.problem_text import loader_problem
from scoring import Checklist, LoadResult, content_hash, load_directory, parse_checklist_text
from scoring.loader import Problem, checklist_files

EDITOR_ROLES = ("qa", "admin")  # who publishes, retires and switches standards
# the kinds of site a shipped default is in force for (the others: every kind)
SHIPPED_SITE_KINDS: dict[str, tuple[str, ...]] = {
    "jindi-community-cs": ("residential",), "jindi-salesoffice-cs": ("sales_office",),
}
LIVE = ("in_force", "published")  # statuses of versions that may be put in force
SHIPPED = "shipped default"  # the reason of a version published from checklists/ (published_by None)


def shipped_site_kinds(checklist_id: str) -> tuple[str, ...]:
    return SHIPPED_SITE_KINDS.get(checklist_id, SITE_KINDS)


@dataclass(frozen=True)
class CatalogEntry:
    """One version of a checklist as the catalogue holds it."""

    checklist: Checklist
    content_hash: str
    in_force: bool  # for the kind of site asked about (or for any kind when none was asked)
    version_id: int = 0
    label: str = ""
    status: str = "in_force"
    site_kinds: tuple[str, ...] = ()  # the kinds of site this version is in force for
    published_at: datetime | None = None
    published_by: str | None = None  # display name; None: the shipped default
    source_file: str | None = None
    reason: str | None = None


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, float], ...], LoadResult]] = {}


def load_catalog(directory: Path | None = None) -> LoadResult:
    """The shipped checklist files of the directory, re-read only when a file changes."""
    d = Path(directory or checklists_dir())
    key = str(d.resolve())
    stamp = tuple((p.name, p.stat().st_mtime) for p in checklist_files(d)) if d.is_dir() else ()
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
    result = load_directory(d)
    with _lock:
        _cache[key] = (stamp, result)
    return result


def catalog_problems(directory: Path | None = None) -> list[Problem]:
    """Problems of the shipped files (a broken file is not published; the others are)."""
    return load_catalog(directory).problems


# ----------------------------------------------------------------------------- parsed texts
_by_hash: dict[str, Checklist] = {}  # content hash -> parsed checklist; the same hash is the same text
_by_hash_lock = threading.Lock()


def _parse_stored(content_hash_: str, text: str) -> Checklist:
    checklist = _by_hash.get(content_hash_)
    if checklist is None:
        checklist, problems = parse_checklist_text(text, f"checklist version {content_hash_[:12]}")
        if checklist is None:  # pragma: no cover - a stored version was valid when published
            raise ValueError("; ".join(map(str, problems)))
        with _by_hash_lock:
            _by_hash[content_hash_] = checklist
    return checklist


def stored_checklist(version: ChecklistVersion) -> Checklist:
    """The checklist exactly as it was when the inspection started."""
    return _parse_stored(version.content_hash, version.yaml_text)


def checklist_for_version(session: Session, version_id: int, content_hash_: str) -> Checklist:
    """Like :func:`stored_checklist`, reading the YAML text only when this process has not parsed it yet."""
    checklist = _by_hash.get(content_hash_)
    if checklist is None:
        row = session.get(ChecklistVersion, version_id)
        if row is None:
            raise NotFound("catalog.checklist_version_not_found", version_id=version_id)
        checklist = stored_checklist(row)
    return checklist


def _checklists_by_id(session: Session, rows: Iterable[Any]) -> dict[int, Checklist]:
    """Parsed checklists of version rows (``id``, ``content_hash``), texts read only for unknown hashes."""
    rows = list(rows)
    missing = [r.id for r in rows if r.content_hash not in _by_hash]
    if missing:
        for h, text in session.execute(select(ChecklistVersion.content_hash, ChecklistVersion.yaml_text)
                                       .where(ChecklistVersion.id.in_(missing))):
            _parse_stored(h, text)
    return {r.id: _by_hash[r.content_hash] for r in rows}


# ----------------------------------------------------------------------------- reading the catalogue
_META = (ChecklistVersion.id, ChecklistVersion.checklist_id, ChecklistVersion.content_hash, ChecklistVersion.status,
         ChecklistVersion.label, ChecklistVersion.version, ChecklistVersion.published_at,
         ChecklistVersion.published_by, ChecklistVersion.source_file, ChecklistVersion.reason)


def _pointers(session: Session) -> dict[tuple[str, str], int | None]:
    return {(p.checklist_id, p.site_kind): p.version_id for p in session.scalars(select(ChecklistInForce))}


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))}


def _entries(session: Session, rows: list[Any], pointers: dict[tuple[str, str], int | None],
             in_force_for: str | None) -> list[CatalogEntry]:
    parsed = _checklists_by_id(session, rows)
    names = _names(session, (r.published_by for r in rows))
    out = []
    for r in rows:
        kinds = tuple(k for k in SITE_KINDS if pointers.get((r.checklist_id, k)) == r.id)
        in_force = (in_force_for in kinds) if in_force_for else bool(kinds)
        out.append(CatalogEntry(parsed[r.id], r.content_hash, in_force, r.id, r.label or r.version, r.status, kinds,
                                r.published_at, names.get(r.published_by) if r.published_by else None,
                                r.source_file, r.reason))
    return out


def _newest(rows: Iterable[Any]) -> Any | None:
    best = None
    for r in rows:
        if best is None or ((r.published_at, r.id) > (best.published_at, best.id)):
            best = r
    return best


def list_entries(session: Session, directory: Path | None = None, *, only_in_force: bool = False,
                 site_kind: str | None = None) -> list[CatalogEntry]:
    """One entry per checklist, ordered by id: the version in force for ``site_kind`` (for any kind when
    None), else the newest published version that is not retired. With ``only_in_force``, only checklists
    in force (for that kind of site)."""
    ensure_shipped(session, directory)
    rows = session.execute(select(*_META).where(ChecklistVersion.status.in_(LIVE))).all()
    pointers = _pointers(session)
    by_id = {r.id: r for r in rows}
    chosen: dict[str, Any] = {}
    for cid in sorted({r.checklist_id for r in rows}):
        kinds = [site_kind] if site_kind else list(SITE_KINDS)
        in_force = [by_id[v] for k in kinds if (v := pointers.get((cid, k))) in by_id]
        if in_force:
            chosen[cid] = _newest(in_force)
        elif not only_in_force:
            chosen[cid] = _newest(r for r in rows if r.checklist_id == cid)
    return _entries(session, list(chosen.values()), pointers, site_kind)


def entry_for(session: Session, checklist_id: str, directory: Path | None = None, *,
              site_kind: str | None = None) -> CatalogEntry:
    for entry in list_entries(session, directory, site_kind=site_kind):
        if entry.checklist.id == checklist_id:
            return entry
    raise NotFound("catalog.checklist_does_not_exist", checklist_id=checklist_id)


def versions(session: Session, checklist_id: str | None = None) -> list[CatalogEntry]:
    """Every published version (retired ones too), newest first, of one checklist or of all."""
    ensure_shipped(session)
    q = select(*_META).where(ChecklistVersion.status != "frozen")
    if checklist_id is not None:
        q = q.where(ChecklistVersion.checklist_id == checklist_id)
    rows = sorted(session.execute(q).all(), key=lambda r: (r.checklist_id, r.published_at, r.id))
    pointers = _pointers(session)
    out: list[CatalogEntry] = []
    for cid in dict.fromkeys(r.checklist_id for r in rows):
        out.extend(reversed(_entries(session, [r for r in rows if r.checklist_id == cid], pointers, None)))
    return out


def version_entry(session: Session, version_id: int) -> CatalogEntry:
    row = session.execute(select(*_META).where(ChecklistVersion.id == version_id)).first()
    if row is None:
        raise NotFound("catalog.checklist_version_not_found", version_id=version_id)
    return _entries(session, [row], _pointers(session), None)[0]


def version_text(session: Session, version_id: int) -> str:
    text = session.scalar(select(ChecklistVersion.yaml_text).where(ChecklistVersion.id == version_id))
    if text is None:
        raise NotFound("catalog.checklist_version_not_found", version_id=version_id)
    return text


def titles(session: Session) -> dict[str, str]:
    """Each checklist's title, from its newest version (retired and frozen ones too)."""
    out: dict[str, str] = {}
    for cid, title in session.execute(select(ChecklistVersion.checklist_id, ChecklistVersion.title)
                                      .order_by(ChecklistVersion.id)):
        out[cid] = title
    return out


def freeze_version(session: Session, entry: CatalogEntry) -> ChecklistVersion:
    """The stored row an inspection started on ``entry`` points at (its text never changes)."""
    row = session.get(ChecklistVersion, entry.version_id)
    if row is None:
        raise NotFound("catalog.version_not_found")
    return row


# ----------------------------------------------------------------------------- changing the catalogue
def _now() -> datetime:
    return datetime.now(UTC)


def _refresh_status(session: Session, checklist_id: str) -> None:
    """``in_force`` for the versions some kind of site points at, ``published`` for the other live ones."""
    pointed = {v for (cid, _), v in _pointers(session).items() if cid == checklist_id and v is not None}
    for row in session.scalars(select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist_id,
                                                              ChecklistVersion.status.in_(LIVE))):
        row.status = "in_force" if row.id in pointed else "published"


def _point(session: Session, checklist_id: str, site_kind: str, version_id: int | None, actor_id: int | None) -> None:
    row = session.get(ChecklistInForce, (checklist_id, site_kind))
    if row is None:
        insert_if_absent(session, ChecklistInForce, {
            "checklist_id": checklist_id, "site_kind": site_kind, "version_id": version_id, "updated_at": _now(),
            "updated_by": actor_id}, ["checklist_id", "site_kind"])
        row = session.get(ChecklistInForce, (checklist_id, site_kind))
        assert row is not None
    row.version_id, row.updated_at, row.updated_by = version_id, _now(), actor_id
    session.flush()


@dataclass(frozen=True)
class Published:
    version_id: int
    created: bool  # False: the same text was in the catalogue already (nothing new)
    site_kinds: tuple[str, ...]


def publish_text(session: Session, *, actor: Actor | None, text: str, label: str | None = None,
                 reason: str | None = None, source_file: str | None = None,
                 site_kinds: Iterable[str] | None = None) -> Published:
    """Publish a checklist YAML text as a new version and put it in force.

    ``actor`` None is the shipped default (no permission check; only :func:`ensure_shipped` passes it).
    ``site_kinds``: where it is in force; by default where the checklist is in force now, or (a new
    checklist) every kind. The same text again (same hash) publishes nothing.
    """
    checklist, problems = parse_checklist_text(text, source_file or "checklist")
    if checklist is None:
        raise Invalid("catalog.checklist_invalid", problems=Joined(tuple(map(loader_problem, problems[:5])),
                                                                    {lang: messages.text("rep.sep", lang) for lang in messages.LANGS}))
    h = content_hash(text)
    cid = checklist.id
    kinds = None if site_kinds is None else tuple(site_kinds)
    if kinds is not None and (not kinds or any(k not in SITE_KINDS for k in kinds)):
        raise Invalid("catalog.site_kinds_among", kinds='/'.join(SITE_KINDS))
    q = select(ChecklistVersion).where(ChecklistVersion.checklist_id == cid, ChecklistVersion.content_hash == h)
    existing = session.scalar(q)
    if existing is not None and existing.status == "retired" and actor is not None:
        raise Conflict("catalog.same_text_was_published", label=existing.label or existing.version)
    if existing is not None and existing.status != "frozen":
        return Published(existing.id, False, tuple(k for k in SITE_KINDS if _pointers(session).get((cid, k))
                                                    == existing.id))
    now = _now()
    actor_id = actor.id if actor is not None and actor.id else None
    values = {"label": label or checklist.version, "published_at": now, "published_by": actor_id,
              "source_file": source_file, "reason": reason, "status": "published"}
    if existing is None:  # concurrent first starts: insert-on-conflict, never an IntegrityError
        insert_if_absent(session, ChecklistVersion, {
            "checklist_id": cid, "version": checklist.version, "content_hash": h, "yaml_text": text,
            "title": checklist.title, "kind": checklist.kind, "subject": checklist.subject,
            "self_check": checklist.self_check, "loaded_at": now, **values}, ["checklist_id", "content_hash"])
    else:  # a text inspections froze before the catalogue lived here: published now (once)
        session.execute(update(ChecklistVersion).where(ChecklistVersion.id == existing.id,
                                                       ChecklistVersion.status == "frozen").values(**values))
    session.flush()
    row = session.scalar(q.execution_options(populate_existing=True))
    assert row is not None
    pointers = _pointers(session)
    if actor is None:  # shipped: where never set, or where an older shipped text is in force
        shipped_ids = set(session.scalars(select(ChecklistVersion.id).where(
            ChecklistVersion.checklist_id == cid, ChecklistVersion.published_by.is_(None),
            ChecklistVersion.reason == SHIPPED, ChecklistVersion.status.in_(LIVE))))
        target = [k for k in (kinds or shipped_site_kinds(cid))
                  if (cid, k) not in pointers or (pointers[(cid, k)] in shipped_ids and pointers[(cid, k)] != row.id)]
    elif kinds is not None:
        target = list(kinds)
    else:
        target = [k for k in SITE_KINDS if pointers.get((cid, k))] or list(SITE_KINDS)
    for k in target:
        _point(session, cid, k, row.id, actor_id)
    _refresh_status(session, cid)
    in_force = tuple(k for k in SITE_KINDS if _pointers(session).get((cid, k)) == row.id)
    audit.record(session, actor=actor, action="checklist.publish", entity="checklist_version", entity_id=row.id,
                 detail={"checklist": cid, "label": row.label, "hash": h, "file": source_file, "reason": reason,
                         "site_kinds": list(in_force), "shipped": actor is None})
    return Published(row.id, True, in_force)


def ensure_shipped(session: Session, directory: Path | None = None) -> list[str]:
    """Publish every shipped file whose text the catalogue does not hold yet; the ids published."""
    result = load_catalog(directory)
    if not result.checklists:
        return []
    held = {(cid, h): status for cid, h, status in session.execute(
        select(ChecklistVersion.checklist_id, ChecklistVersion.content_hash, ChecklistVersion.status))}
    done = []
    for cid, checklist in result.checklists.items():
        text = result.raw[cid]
        if held.get((cid, content_hash(text)), "frozen") != "frozen":
            continue
        publish_text(session, actor=None, text=text, label=checklist.version, reason=SHIPPED,
                     source_file=result.paths[cid].name)
        done.append(cid)
    return done


def _version_row(session: Session, checklist_id: str, version: str | int) -> ChecklistVersion:
    q = select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist_id,
                                       ChecklistVersion.status != "frozen")
    rows = list(session.scalars(q.order_by(ChecklistVersion.id.desc())))
    if isinstance(version, int):  # a row id (the pages); a label otherwise (the command line), else a row id
        found = [r for r in rows if r.id == version]
    else:
        found = [r for r in rows if r.label == version] or [r for r in rows if str(r.id) == version]
    if found:
        return found[0]
    raise NotFound("catalog.checklist_has_no_version", checklist_id=checklist_id, version=version)


def published_checklist(session: Session, *, checklist_id: str, version: str | int) -> Checklist:
    """A published (or retired) version of a checklist, by label or row id, as stored in the catalogue."""
    row = _version_row(session, checklist_id, version)
    return checklist_for_version(session, row.id, row.content_hash)


def retire(session: Session, *, actor: Actor, checklist_id: str, version: str | int,
           reason: str | None = None) -> tuple[str, ...]:
    """Retire a version: no new inspection starts on it (started ones keep it). Where it was in force, the
    newest other live version takes over, or the checklist is off there. Returns the kinds that fell back."""
    actor.require(*EDITOR_ROLES)
    row = _version_row(session, checklist_id, version)
    if row.status == "retired":
        raise Conflict("catalog.version_retired_already", label=row.label)
    row.status, row.retired_at, row.retired_by = "retired", _now(), actor.id or None  # SYSTEM (CLI): no user
    session.flush()
    fallback = _newest(session.scalars(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == checklist_id, ChecklistVersion.status.in_(LIVE))))
    moved = []
    for (cid, kind), vid in _pointers(session).items():
        if cid == checklist_id and vid == row.id:
            _point(session, cid, kind, fallback.id if fallback else None, actor.id or None)
            if fallback is not None:
                moved.append(kind)
    _refresh_status(session, checklist_id)
    audit.record(session, actor=actor, action="checklist.retire", entity="checklist_version", entity_id=row.id,
                 detail={"checklist": checklist_id, "label": row.label, "reason": reason,
                         "fallback": fallback.label if fallback else None})
    return tuple(moved)


def set_in_force(session: Session, *, actor: Actor, checklist_id: str, in_force: bool,
                 site_kind: str | None = None) -> None:
    """Switch a checklist on (its newest live version) or off, for one kind of site or for every kind."""
    actor.require(*EDITOR_ROLES)
    kinds = [site_kind] if site_kind else list(SITE_KINDS)
    if any(k not in SITE_KINDS for k in kinds):
        raise Invalid("catalog.site_kind_one", kinds='/'.join(SITE_KINDS))
    newest = _newest(session.scalars(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == checklist_id, ChecklistVersion.status.in_(LIVE))))
    if newest is None:
        raise NotFound("catalog.checklist_unknown", checklist_id=checklist_id)
    pointers = _pointers(session)
    for k in kinds:
        current = pointers.get((checklist_id, k))
        if in_force and current is None:
            _point(session, checklist_id, k, newest.id, actor.id or None)
        elif not in_force:
            _point(session, checklist_id, k, None, actor.id or None)
    _refresh_status(session, checklist_id)
    audit.record(session, actor=actor, action="checklist.in_force", entity="checklist", entity_id=checklist_id,
                 detail={"in_force": in_force, "site_kinds": kinds})
