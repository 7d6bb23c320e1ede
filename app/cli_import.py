"""Import commands of the ``pinzhi`` CLI: read the file, run the import in ONE write transaction.

Exit codes: 0 imported; 1 the file has bad lines (one ``FILE:LINE: reason`` per problem on stderr,
nothing imported); 2 usage problems (file missing or unreadable). Everything is printed in the language of
``PINZHI_LANG`` (:func:`app.messages.cli_lang`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from app import messages
from app.messages import cli_lang
from app.services import importing
from app.services.actor import SYSTEM, Actor
from app.services.errors import ServiceError

Importer = Callable[[Session, Actor, str, str], importing.ImportSummary]


def _one_line(s: str) -> str:
    """One problem, one line: a line break in a quoted value must not start a fake ``FILE:LINE:`` line."""
    return " ".join(s.splitlines())


def _run(args: argparse.Namespace, done_key: str, importer: Importer) -> int:
    """``done_key``: the catalogue message of the summary ("imported {n} sites from {file}")."""
    lang = cli_lang()
    name = args.file
    path = Path(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        print("pinzhi: " + messages.text("import.cli_not_found", lang, file=name), file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        print("pinzhi: " + messages.text("import.cli_unreadable", lang, file=name, reason=reason), file=sys.stderr)
        return 2
    from app.cli_db import open_database

    try:
        content = importing.decode_text(data, source=path.name)
        db = open_database()
        with db.write() as s:  # an exception (ImportRejected) rolls everything back
            summary = importer(s, SYSTEM, content, path.name)
    except importing.ImportRejected as exc:
        for p in exc.problems:
            print(f"{name}:{p.line}: {_one_line(p.text(lang))}", file=sys.stderr)
        print(messages.text("import.cli_nothing", lang, n=len(exc.problems), file=name))
        return 1
    except ServiceError as exc:
        print(f"pinzhi: {exc.message(lang)}", file=sys.stderr)
        return 1
    print(messages.text(done_key, lang, n=summary.count, file=name))
    return 0


def cmd_sites_import(args: argparse.Namespace) -> int:
    return _run(args, "import.cli_sites", lambda s, actor, text, _src: importing.import_sites(s, actor=actor, text=text))


def cmd_staff_import(args: argparse.Namespace) -> int:
    return _run(args, "import.cli_staff", lambda s, actor, text, _src: importing.import_staff(s, actor=actor, text=text))


def cmd_inspections_import(args: argparse.Namespace) -> int:
    return _run(args, "import.cli_inspections",
                lambda s, actor, text, src: importing.import_inspections(s, actor=actor, text=text, source=src))
