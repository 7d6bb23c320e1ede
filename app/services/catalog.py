"""The checklists in force: read from ``checklists/``, frozen into the database when used.

Parsed checklists are cached per process: by file modification time for the directory, and forever
for a stored version (its YAML never changes: the row is keyed by content hash).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import checklists_dir
from app.db.dml import insert_if_absent
from app.db.models import ChecklistSetting, ChecklistVersion
from app.services import audit
from app.services.actor import Actor
from app.services.errors import NotFound
from scoring import Checklist, LoadResult, content_hash, load_directory, parse_checklist_text
from scoring.loader import Problem, checklist_files


@dataclass(frozen=True)
class CatalogEntry:
    checklist: Checklist
    yaml_text: str
    content_hash: str
    in_force: bool


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, float], ...], LoadResult]] = {}


def load_catalog(directory: Path | None = None) -> LoadResult:
    """All checklist files of the directory, re-read only when a file changes."""
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
    return load_catalog(directory).problems


def in_force_map(session: Session) -> dict[str, bool]:
    return {s.checklist_id: s.in_force for s in session.scalars(select(ChecklistSetting))}


def list_entries(session: Session, directory: Path | None = None, *, only_in_force: bool = False) -> list[CatalogEntry]:
    result = load_catalog(directory)
    settings = in_force_map(session)
    entries = []
    for cid, checklist in result.checklists.items():
        text = result.raw[cid]
        entry = CatalogEntry(checklist, text, content_hash(text), settings.get(cid, True))
        if entry.in_force or not only_in_force:
            entries.append(entry)
    return entries


def set_in_force(session: Session, *, actor: Actor, checklist_id: str, in_force: bool) -> None:
    actor.require("admin")
    row = session.get(ChecklistSetting, checklist_id)
    now = datetime.now(UTC)
    if row is None:
        session.add(ChecklistSetting(checklist_id=checklist_id, in_force=in_force, updated_at=now, updated_by=actor.id))
    else:
        row.in_force, row.updated_at, row.updated_by = in_force, now, actor.id
    audit.record(session, actor=actor, action="checklist.in_force", entity="checklist", entity_id=checklist_id,
                 detail={"in_force": in_force})


def freeze_version(session: Session, entry: CatalogEntry) -> ChecklistVersion:
    """The stored row for this exact YAML text (created on first use)."""
    c = entry.checklist
    query = select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == c.id, ChecklistVersion.content_hash == entry.content_hash
    )
    row = session.scalar(query)
    if row is None:  # concurrent first uses: insert-on-conflict, never an IntegrityError
        insert_if_absent(session, ChecklistVersion, {
            "checklist_id": c.id, "version": c.version, "content_hash": entry.content_hash,
            "yaml_text": entry.yaml_text, "title": c.title, "kind": c.kind, "subject": c.subject,
            "self_check": c.self_check, "loaded_at": datetime.now(UTC),
        }, ["checklist_id", "content_hash"])
        row = session.scalar(query)
        assert row is not None
    return row


def entry_for(session: Session, checklist_id: str, directory: Path | None = None) -> CatalogEntry:
    for entry in list_entries(session, directory):
        if entry.checklist.id == checklist_id:
            return entry
    raise NotFound("catalog.checklist_unknown", checklist_id=checklist_id)


_by_hash: dict[str, Checklist] = {}  # content hash -> parsed checklist; the same hash is the same text
_by_hash_lock = threading.Lock()


def _parse_stored(content_hash_: str, text: str) -> Checklist:
    checklist = _by_hash.get(content_hash_)
    if checklist is None:
        checklist, problems = parse_checklist_text(text, f"checklist version {content_hash_[:12]}")
        if checklist is None:  # pragma: no cover - a stored version was valid when frozen
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
            raise NotFound("catalog.version_unknown", version_id=version_id)
        checklist = stored_checklist(row)
    return checklist
