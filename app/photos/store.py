"""Content-addressed filesystem store for the rendered photos.

Layout under ``root`` (every name is made by the server; no user file name ever reaches a path)::

    root/ab/cd/<sha256>.jpg         display copy
    root/ab/cd/<sha256>.thumb.jpg   thumbnail
    root/ab/cd/<sha256>.json        record (written last: its presence marks a complete entry)

``sha256`` is the SHA-256 of the *uploaded bytes*, so a re-upload is found before decoding.
Each file is written to a temp file in the same directory, fsynced and ``os.replace``d; if
anything fails, every file and directory this call created is removed again.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

_SHA_RE = re.compile(r"[0-9a-f]{64}")
_REL_RE = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(([0-9a-f]{64})(?:\.thumb)?\.jpg)")
RECORD_VERSION = 1


def rel_paths(sha: str) -> tuple[str, str, str]:
    """(display, thumb, record) paths relative to root, posix."""
    if not _SHA_RE.fullmatch(sha):
        raise ValueError("not a sha256 hex digest")
    base = f"{sha[0:2]}/{sha[2:4]}/{sha}"
    return f"{base}.jpg", f"{base}.thumb.jpg", f"{base}.json"


def resolve_rel(root: Path, rel: str) -> Path:
    """Absolute path of a stored file; ``rel`` must be one of our own names and stay under root."""
    m = _REL_RE.fullmatch(rel) if isinstance(rel, str) else None
    if m is None or not m.group(4).startswith(m.group(1) + m.group(2)):
        raise ValueError(f"not a stored photo path: {rel!r}")
    base = Path(root).resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base):
        raise ValueError(f"stored photo path escapes the store: {rel!r}")
    return path


def open_stored(root: Path, rel: str) -> bytes:
    """Read a stored display copy or thumbnail (``rel`` as returned in ``StoredPhoto``).

    Raises ``ValueError`` for anything that is not a server-made photo path under ``root``
    and ``FileNotFoundError`` if the file is gone.
    """
    return resolve_rel(root, rel).read_bytes()


# ---------------------------------------------------------------------------
# Per-key locks (same photo, same root -> one writer at a time, within this process)
# ---------------------------------------------------------------------------


class KeyedLocks:
    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, list[int]]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._mu:
            lock, users = self._locks.setdefault(key, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._mu:
                users[0] -= 1
                if users[0] == 0:
                    del self._locks[key]


# ---------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------


def _makedirs_tracked(path: Path, created: list[Path]) -> None:
    """mkdir -p that records (in creation order) the directories it actually created."""
    missing: list[Path] = []
    p = path
    while not p.is_dir():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            continue
        created.append(d)


def _write_atomic(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def commit(root: Path, sha: str, display: bytes, thumb: bytes, record: dict[str, Any]) -> None:
    """Write display, thumbnail and record (in that order); all-or-nothing for new entries."""
    display_rel, thumb_rel, record_rel = rel_paths(sha)
    root = Path(root)
    directory = root / display_rel.rsplit("/", 1)[0]
    created_dirs: list[Path] = []
    created_files: list[Path] = []
    payload = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    try:
        _makedirs_tracked(directory, created_dirs)
        for rel, data in ((display_rel, display), (thumb_rel, thumb), (record_rel, payload)):
            path = root / rel
            existed = path.exists()
            _write_atomic(path, data)
            if not existed:
                created_files.append(path)
    except BaseException:
        for p in created_files:
            with suppress(OSError):
                p.unlink()
        for d in reversed(created_dirs):
            with suppress(OSError):  # not empty: another photo landed there meanwhile
                d.rmdir()
        raise


def load_record(root: Path, sha: str) -> dict[str, Any] | None:
    """The stored record for ``sha`` if the entry is complete and intact, else None."""
    display_rel, thumb_rel, record_rel = rel_paths(sha)
    root = Path(root)
    try:
        raw = json.loads((root / record_rel).read_text("utf-8"))
        if not isinstance(raw, dict) or raw.get("v") != RECORD_VERSION or raw.get("sha256") != sha:
            return None
        if raw.get("display_path") != display_rel or raw.get("thumb_path") != thumb_rel:
            return None
        if (root / display_rel).stat().st_size != raw.get("byte_size"):
            return None
        if not (root / thumb_rel).is_file():
            return None
        if raw.get("captured_at") is not None:
            raw["captured_at"] = datetime.fromisoformat(raw["captured_at"])
    except (OSError, ValueError, TypeError):
        return None
    return raw
