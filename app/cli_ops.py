"""Operations commands of the ``pinzhi`` CLI: backup, restore, audit verification (imported lazily)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.config import database_url, photos_dir


def cmd_db_backup(args: argparse.Namespace) -> int:
    from app.db.backup import BackupError, backup

    try:
        summary = backup(database_url(), photos_dir(), Path(args.dir))
    except BackupError as exc:
        print(f"pinzhi: backup refused: {exc}", file=sys.stderr)
        return 2
    print(f"backup written to {summary.directory}: {summary.database} database and {summary.files - 1} photo "
          f"files, {summary.bytes} bytes, checksums in manifest.json")
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    from app.db.backup import BackupError, restore
    from app.db.engine import make_engine
    from app.db.migrate import ensure_schema

    url = database_url()
    try:
        summary = restore(Path(args.dir), url, photos_dir())
    except BackupError as exc:
        print(f"pinzhi: restore refused, nothing changed: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    ensure_schema(engine)  # a backup from an older version is brought up to date
    engine.dispose()
    print(f"restored {summary.database} database and {summary.files - 1} photo files from {summary.directory}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from app.cli_db import open_database
    from app.services import audit

    expect = None
    if args.expect_head:
        seq, _, digest = args.expect_head.partition(":")
        if not seq.isdigit() or len(digest) < 12:
            print("pinzhi: --expect-head wants SEQ:HASH (at least 12 hex digits of the hash)", file=sys.stderr)
            return 2
        expect = (int(seq), digest)
    db = open_database()
    with db.read() as s:
        result = audit.verify(s, expect_head=expect)
    if not result.ok:
        print(f"audit log BROKEN after {result.rows} good rows: {result.problem}")
        return 1
    print(f"audit log ok: {result.rows} rows, head {result.head_seq}:{result.head_hash}")
    return 0
