"""Backup and restore: the database, the photo store and a manifest of SHA-256 checksums.

SQLite: the online backup API copies a consistent snapshot while the app keeps writing (a plain file
copy would miss what is still in the WAL). PostgreSQL: ``pg_dump`` / ``pg_restore`` (custom format).
The database is copied first, then the photos: a photo row in the snapshot was committed after its
files were written, so every photo the snapshot refers to is in the copy.

A restore checks every file against the manifest before touching anything and names the first bad one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.messages import MessageError

MANIFEST = "manifest.json"
SQLITE_FILE = "pinzhi.db"
PG_FILE = "pinzhi.pgdump"
PHOTOS = "photos"
FORMAT = 1


class BackupError(MessageError):
    """Why a backup or restore was refused (names the file)."""


@dataclass(frozen=True)
class BackupSummary:
    directory: Path
    database: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sqlite_path(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:":
        raise BackupError("cli.backup_in_memory")
    return Path(name)


def _libpq(url: str) -> list[str]:
    """pg_dump/pg_restore arguments for ``url``: the libpq URL, and ``--schema`` when it sets a search_path."""
    u = make_url(url)
    args = ["--dbname", u.set(drivername="postgresql").render_as_string(hide_password=False)]
    options = str(u.query.get("options", ""))
    if "search_path=" in options:
        args += ["--schema", options.split("search_path=", 1)[1].split()[0].split(",")[0]]
    return args


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError("cli.backup_tool_missing", tool=name)
    return found


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def backup(url: str, photos_root: Path, dest: Path) -> BackupSummary:
    """Write a complete backup into ``dest`` (new or empty directory, created 0700)."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError("cli.backup_dir_not_empty", dir=dest)
    _private_dir(dest)
    dialect = make_url(url).get_backend_name()
    if dialect == "sqlite":
        target = dest / SQLITE_FILE
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        src = sqlite3.connect(_sqlite_path(url), timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one step: a consistent snapshot; writers go on (WAL)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
    elif dialect == "postgresql":
        target = dest / PG_FILE
        done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target),
                               *_libpq(url)], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError("cli.backup_tool_failed", tool="pg_dump", detail=done.stderr.strip()[:500])
        target.chmod(0o600)
    else:
        raise BackupError("cli.backup_unsupported", database=dialect)
    files = {target.name: target}
    if photos_root.is_dir():
        for path in sorted(photos_root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):  # skip uploads still being written
                rel = Path(PHOTOS) / path.relative_to(photos_root)
                out = dest / rel
                _private_dir(out.parent)
                try:
                    shutil.copy2(path, out)
                except FileNotFoundError:  # removed meanwhile: not referenced by the snapshot either
                    continue
                files[rel.as_posix()] = out
    listed: dict[str, dict[str, Any]] = {name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for name, p in sorted(files.items())}
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "database": dialect, "files": listed}
    tmp = dest / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(dest / MANIFEST)  # written last: its presence marks a complete backup
    return BackupSummary(dest, dialect, len(files), sum(int(v["bytes"]) for v in listed.values()))


def check(src: Path) -> dict[str, object]:
    """The manifest, after every file was checked against it. Raises :class:`BackupError` naming the bad file."""
    mpath = src / MANIFEST
    if not mpath.is_file():
        raise BackupError("cli.backup_no_manifest", file=mpath)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BackupError("cli.backup_manifest_damaged", file=mpath, detail=exc.__class__.__name__) from exc
    if not isinstance(files, dict) or manifest.get("format") != FORMAT:
        raise BackupError("cli.backup_manifest_format", file=mpath, format=FORMAT)
    db_file = SQLITE_FILE if manifest.get("database") == "sqlite" else PG_FILE
    if db_file not in files:
        raise BackupError("cli.backup_no_database_file", file=mpath, database_file=db_file)
    for name, meta in files.items():
        path = src / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise BackupError("cli.backup_unsafe_name", file=mpath, name=repr(name))
        if not path.is_file():
            raise BackupError("cli.backup_file_missing", file=path)
        if path.stat().st_size != meta.get("bytes") or _sha256(path) != meta.get("sha256"):
            raise BackupError("cli.backup_file_damaged", file=path)
    if db_file == SQLITE_FILE:
        conn = sqlite3.connect(f"file:{src / SQLITE_FILE}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError("cli.backup_not_sqlite", file=src / SQLITE_FILE, detail=exc) from exc
        finally:
            conn.close()
        if result != "ok":
            raise BackupError("cli.backup_integrity_failed", file=src / SQLITE_FILE, detail=result)
    return manifest


def restore(src: Path, url: str, photos_root: Path) -> BackupSummary:
    """Replace the database's content with the backup and put back its photos (checked first)."""
    manifest = check(src)
    dialect = make_url(url).get_backend_name()
    if manifest["database"] != dialect:
        raise BackupError("cli.backup_wrong_database", file=src / MANIFEST, backup_database=manifest["database"],
                          database=dialect)
    if dialect == "sqlite":
        target = _sqlite_path(url)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        source = sqlite3.connect(f"file:{src / SQLITE_FILE}?mode=ro", uri=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            source.backup(dst)  # page by page under the destination's write lock: all or nothing
        finally:
            dst.close()
            source.close()
    else:
        done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               *_libpq(url), str(src / PG_FILE)], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError("cli.backup_tool_failed", tool="pg_restore", detail=done.stderr.strip()[:500])
    files = manifest["files"]
    assert isinstance(files, dict)
    n = 0
    for name in files:
        rel = Path(name)
        if rel.parts[0] != PHOTOS:
            continue
        out = photos_root / Path(*rel.parts[1:])
        out.parent.mkdir(parents=True, exist_ok=True)
        if not out.exists() or _sha256(out) != files[name]["sha256"]:
            shutil.copy2(src / rel, out)
        n += 1
    return BackupSummary(src, dialect, n + 1, sum(int(v["bytes"]) for v in files.values()))
