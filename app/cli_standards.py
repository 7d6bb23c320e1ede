"""``pinzhi checklists import`` (a standard kept in Excel -> a version-2 checklist YAML) and
``pinzhi checklists export`` (a checklist -> a printable Excel sheet, or a blank paper form).

Neither needs the database. Import problems are one line each, ``FILE:SHEET!CELL: reason``, on stderr, in
the language of ``PINZHI_LANG``; with any problem the exit code is 1 and nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.messages import cli_lang, text
from app.standards.xlsx_export import write_standard
from app.standards.xlsx_import import read_standard, to_yaml
from scoring.loader import SLUG


def _fail(message: str, code: int = 2) -> int:
    print(f"pinzhi: {message}", file=sys.stderr)
    return code


def _write_atomically(path: Path, data: bytes) -> None:
    """The whole file or nothing: written beside the target, then renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_import(args: argparse.Namespace) -> int:
    if not SLUG.match(args.id):
        return _fail(text("cli.bad_checklist_id", cli_lang(), checklist_id=repr(args.id)))
    src = Path(args.file)
    try:
        data = src.read_bytes()
    except OSError as exc:
        return _fail(text("cli.file_unreadable", cli_lang(), file=args.file, reason=exc.strerror or exc.__class__.__name__))
    result = read_standard(data, file_name=src.name, checklist_id=args.id, title=args.title, kind=args.kind,
                           subject=args.subject, sheet=args.sheet)
    if result.problems or result.checklist is None:
        lang = cli_lang()
        for problem in result.problems:
            print(problem.render(lang), file=sys.stderr)
        return 1
    yaml_text = to_yaml(result.checklist,
                        comment=f"Imported from {src.name}, sheet {result.sheet}, by pinzhi checklists import.")
    if args.out is None:
        sys.stdout.write(yaml_text)
        return 0
    out = Path(args.out)
    if not out.parent.is_dir():
        return _fail(text("cli.out_dir_not_found", cli_lang(), path=args.out))
    _write_atomically(out, yaml_text.encode("utf-8"))
    doc = result.checklist
    n_items = len(result.rows)
    print(text("cli.imported_standard", cli_lang(), path=out, sections=len(doc["sections"]), items=n_items,
               file=src.name, sheet=result.sheet))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from app.cli import CliError, resolve_checklist

    if args.version:  # a version published in the database catalogue (what the app servers use)
        from app.cli_db import open_database
        from app.services import catalog
        from app.services.errors import ServiceError

        db = open_database()
        try:
            with db.read() as s:
                checklist = catalog.published_checklist(s, checklist_id=args.checklist, version=args.version)
        except ServiceError as exc:
            return _fail(exc.message(cli_lang()))
        finally:
            db.engine.dispose()
    else:
        try:
            checklist = resolve_checklist(args.checklist, Path(args.dir) if args.dir else None)
        except CliError as exc:
            return _fail(str(exc))
    data = write_standard(checklist, blank=args.blank)
    target = args.out or f"{checklist.id}{'-blank' if args.blank else ''}.xlsx"
    if target == "-":
        sys.stdout.buffer.write(data)
        return 0
    out = Path(target)
    if not out.parent.is_dir():
        return _fail(text("cli.out_dir_not_found", cli_lang(), path=target))
    _write_atomically(out, data)
    print(text("cli.exported_blank" if args.blank else "cli.exported", cli_lang(), path=out, title=checklist.title))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish through the same service as the standards page (acting as the system administrator)."""
    from app.cli_db import open_database
    from app.services import standards
    from app.services.actor import SYSTEM
    from app.services.errors import Invalid, ServiceError

    src = Path(args.file)
    try:
        data = src.read_bytes()
    except OSError as exc:
        return _fail(text("cli.file_unreadable", cli_lang(), file=args.file, reason=exc.strerror or exc.__class__.__name__))
    db = open_database()
    try:
        with db.write() as s:
            done = standards.publish_file(s, actor=SYSTEM, data=data, file_name=src.name, label=args.label,
                                          reason=args.reason, checklist_id=args.id, site_kinds=args.site_kind)
    except Invalid as exc:
        for line in exc.message(cli_lang()).splitlines():
            print(f"{src.name}: {line}", file=sys.stderr)
        return 1
    except ServiceError as exc:
        return _fail(exc.message(cli_lang()))
    finally:
        db.engine.dispose()
    if not done.created:
        print(text("cli.publish_same", cli_lang(), file=src.name, version_id=done.version_id))
        return 0
    print(text("cli.published" if done.site_kinds else "cli.published_nowhere", cli_lang(), file=src.name,
               version_id=done.version_id, label=args.label, site_kinds=", ".join(done.site_kinds)))
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    from app.cli_db import open_database
    from app.services import catalog
    from app.services.actor import SYSTEM
    from app.services.errors import ServiceError

    db = open_database()
    try:
        with db.write() as s:
            moved = catalog.retire(s, actor=SYSTEM, checklist_id=args.checklist, version=args.version,
                                   reason=args.reason)
    except ServiceError as exc:
        return _fail(exc.message(cli_lang()))
    finally:
        db.engine.dispose()
    print(text("cli.retired_previous" if moved else "cli.retired", cli_lang(), checklist=args.checklist,
               version=args.version, site_kinds=", ".join(moved)))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    import json

    from app.cli_db import open_database
    from app.services import catalog

    db = open_database()
    try:
        with db.write() as s:
            entries = catalog.versions(s, args.checklist)
    finally:
        db.engine.dispose()
    rows: list[dict[str, Any]] = [{"checklist": e.checklist.id, "version_id": e.version_id, "label": e.label, "status": e.status,
             "in_force_for": list(e.site_kinds), "title": e.checklist.title, "points": float(e.checklist.possible),
             "published_at": e.published_at.isoformat() if e.published_at else None,
             "published_by": e.published_by or "(shipped)", "file": e.source_file, "reason": e.reason,
             "sha256": e.content_hash} for e in entries]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"{r['checklist']:<24} {r['label']:<10} {r['status']:<9} {','.join(r['in_force_for']) or '-':<25} "
              f"{r['published_by']:<12} {r['title']}")
    return 0
