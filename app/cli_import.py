"""Import commands of the ``pinzhi`` CLI: read the file, run the import in ONE write transaction.

Exit codes: 0 imported; 1 the file has bad lines (one ``FILE:LINE: reason`` per problem on stderr,
nothing imported); 2 usage problems (file missing or unreadable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from app.messages import cli_lang
from app.services import importing
from app.services.actor import SYSTEM, Actor
from app.services.errors import ServiceError

Importer = Callable[[Session, Actor, str, str], importing.ImportSummary]


def _run(args: argparse.Namespace, noun: str, importer: Importer) -> int:
    name = args.file
    path = Path(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        print(f"pinzhi: file not found: {name}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pinzhi: cannot read {name}: {exc.strerror or exc.__class__.__name__}", file=sys.stderr)
        return 2
    from app.cli_db import open_database

    try:
        text = importing.decode_text(data, source=path.name)
        db = open_database()
        with db.write() as s:  # an exception (ImportRejected) rolls everything back
            summary = importer(s, SYSTEM, text, path.name)
    except importing.ImportRejected as exc:
        for p in exc.problems:
            print(f"{name}:{p.line}: {p.message}", file=sys.stderr)
        print(f"nothing imported: {len(exc.problems)} problem(s) in {name}")
        return 1
    except ServiceError as exc:
        print(f"pinzhi: {exc.message(cli_lang())}", file=sys.stderr)
        return 1
    print(f"imported {summary.count} {noun} from {name}")
    return 0


def cmd_sites_import(args: argparse.Namespace) -> int:
    return _run(args, "sites", lambda s, actor, text, _src: importing.import_sites(s, actor=actor, text=text))


def cmd_staff_import(args: argparse.Namespace) -> int:
    return _run(args, "staff", lambda s, actor, text, _src: importing.import_staff(s, actor=actor, text=text))


def cmd_inspections_import(args: argparse.Namespace) -> int:
    return _run(args, "inspections",
                lambda s, actor, text, src: importing.import_inspections(s, actor=actor, text=text, source=src))
