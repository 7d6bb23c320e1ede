"""``pinzhi checklists import`` (a standard kept in Excel -> a version-2 checklist YAML) and
``pinzhi checklists export`` (a checklist -> a printable Excel sheet, or a blank paper form).

Neither needs the database. Import problems are one line each, ``FILE:SHEET!CELL: reason``, on stderr;
with any problem the exit code is 1 and nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

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
        return _fail(f"--id must be a slug of a-z 0-9 - _ (got {args.id!r})")
    src = Path(args.file)
    try:
        data = src.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc.__class__.__name__}")
    result = read_standard(data, file_name=src.name, checklist_id=args.id, title=args.title, kind=args.kind,
                           subject=args.subject, sheet=args.sheet)
    if result.problems or result.checklist is None:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        return 1
    text = to_yaml(result.checklist, comment=f"Imported from {src.name}, sheet {result.sheet}, by pinzhi checklists import.")
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if not out.parent.is_dir():
        return _fail(f"directory not found for --out {args.out}")
    _write_atomically(out, text.encode("utf-8"))
    doc = result.checklist
    n_items = len(result.rows)
    print(f"{out}: {len(doc['sections'])} sections, {n_items} items from {src.name} {result.sheet}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from app.cli import CliError, resolve_checklist

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
        return _fail(f"directory not found for --out {target}")
    _write_atomically(out, data)
    print(f"{out}: {checklist.title}{'（空白检查表）' if args.blank else ''}")
    return 0
