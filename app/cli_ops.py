"""Operations commands of the ``pinzhi`` CLI: backup, restore, audit verification (imported lazily)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.config import database_url, photos_dir
from app.messages import cli_lang, text


def cmd_db_backup(args: argparse.Namespace) -> int:
    from app.db.backup import BackupError, backup

    try:
        summary = backup(database_url(), photos_dir(), Path(args.dir))
    except BackupError as exc:
        print("pinzhi: " + text("cli.backup_refused", cli_lang(), reason=exc.reason), file=sys.stderr)
        return 2
    print(text("cli.backup_written", cli_lang(), dir=summary.directory, database=summary.database,
               photos=summary.files - 1, bytes=summary.bytes))
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    from app.db.backup import BackupError, restore
    from app.db.engine import make_engine
    from app.db.migrate import ensure_schema

    url = database_url()
    try:
        summary = restore(Path(args.dir), url, photos_dir())
    except BackupError as exc:
        print("pinzhi: " + text("cli.restore_refused", cli_lang(), reason=exc.reason), file=sys.stderr)
        return 2
    engine = make_engine(url)
    ensure_schema(engine)  # a backup from an older version is brought up to date
    engine.dispose()
    print(text("cli.restored", cli_lang(), database=summary.database, photos=summary.files - 1, dir=summary.directory))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from app.cli_db import open_database
    from app.services import audit

    expect = None
    if args.expect_head:
        seq, _, digest = args.expect_head.partition(":")
        if not seq.isdigit() or len(digest) < 12:
            print("pinzhi: " + text("cli.expect_head_format", cli_lang()), file=sys.stderr)
            return 2
        expect = (int(seq), digest)
    db = open_database()
    with db.read() as s:
        result = audit.verify(s, expect_head=expect)
    if not result.ok:
        print(text("cli.audit_broken", cli_lang(), rows=result.rows, problem=result.problem))
        return 1
    print(text("cli.audit_ok", cli_lang(), rows=result.rows, head=f"{result.head_seq}:{result.head_hash}"))
    return 0
