"""``pinzhi scorecard``: the monthly scorecard as JSON, CSV or an Excel workbook (imported lazily).

Acts as the system administrator (the CLI runs on the server, like ``pinzhi demo``). Exit codes:
0 done, 2 a usage or input problem (bad month, unknown site code, xlsx without ``--out``), printed
as one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli_db import open_database
from app.messages import cli_lang, text
from app.reports import check_month, site_id_for_code
from app.reports.csvout import json_row, scorecard_csv
from app.services.actor import SYSTEM
from app.services.errors import ServiceError


def _fail(message: str) -> int:
    print(f"pinzhi: {message}", file=sys.stderr)
    return 2


def _write_text(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()


def cmd_scorecard(args: argparse.Namespace) -> int:
    try:
        check_month(args.month)
    except ServiceError:
        return _fail(text("cli.bad_month", cli_lang(), month=repr(args.month)))
    fmt = getattr(args, "format", "json") or "json"
    out = getattr(args, "out", None)
    if fmt == "xlsx" and not out:
        return _fail(text("cli.xlsx_needs_out", cli_lang()))
    db = open_database()
    try:
        with db.read() as s:
            site_id = None
            if args.site:
                site_id = site_id_for_code(s, args.site)
                if site_id is None:
                    return _fail(text("cli.unknown_site", cli_lang(), code=repr(args.site)))
            if fmt == "xlsx":
                from app.reports.excel import scorecard_workbook

                data = scorecard_workbook(s, actor=SYSTEM, month=args.month, site_id=site_id)
            else:
                from app.services.clause_pareto import adjustments
                from app.services.scorecard import scorecard

                lines = scorecard(s, actor=SYSTEM, month=args.month, subject_type=args.subject or "staff",
                                  site_id=site_id)
                # version-2 standards: what bonus rows added and penalty rows took (only when the month has any)
                adjust = adjustments(s, actor=SYSTEM, month=args.month, subject_type=args.subject or "staff",
                                     site_id=site_id)
    except ServiceError as exc:
        return _fail(exc.message(cli_lang()))
    if fmt == "xlsx":
        assert out is not None
        Path(out).write_bytes(data)
        print(text("cli.wrote", cli_lang(), path=out))
        return 0
    if fmt == "csv":
        _write_text(scorecard_csv(lines, adjust), out)
        return 0
    rows = [json_row(ln) for ln in lines]
    if adjust:
        for row, ln in zip(rows, lines, strict=True):
            a = adjust.get(ln.subject_id)
            row["bonus"], row["penalty"] = (float(a.bonus), float(a.penalty)) if a else (0.0, 0.0)
    _write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", out)
    return 0


def cmd_report_inspection(args: argparse.Namespace) -> int:
    """``pinzhi report inspection ID -o FILE.pdf``: the one-inspection report (as the system administrator)."""
    from app.reports.inspection_pdf import inspection_pdf

    db = open_database()
    try:
        with db.read() as s:
            data = inspection_pdf(s, actor=SYSTEM, inspection_id=args.id, lang=cli_lang())
    except ServiceError as exc:
        return _fail(exc.message(cli_lang()))
    finally:
        db.engine.dispose()
    Path(args.out).write_bytes(data)
    print(text("cli.wrote", cli_lang(), path=args.out))
    return 0
