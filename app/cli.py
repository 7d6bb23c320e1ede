"""The ``pinzhi`` command line.

Checklist commands use only the pure ``scoring`` package, so they stay fast and need no database.
Database commands import ``app.db`` / ``app.services`` lazily.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from app.config import checklists_dir
from app.messages import cli_lang, text
from app.standards.problem_text import problem_text, scoring_reason
from scoring import ChecklistError, ScoringError, load_checklist_file, load_directory, score
from scoring.engine import number
from scoring.model import Checklist


class CliError(Exception):
    """A usage or input problem: printed as one line on stderr, exit code 2."""


def _fail(message: str, code: int = 2) -> NoReturn:
    print(f"pinzhi: {message}", file=sys.stderr)
    raise SystemExit(code)


# ----------------------------------------------------------------------------- checklists
def cmd_validate(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else checklists_dir()
    result = load_directory(directory)
    for problem in result.problems:
        print(problem_text(problem, cli_lang()))
    if result.problems:
        return 1
    print(text("cli.validate_ok", cli_lang(), n=len(result.checklists), dir=directory))
    return 0


def _summary(c: Checklist) -> dict[str, Any]:
    return {
        "id": c.id,
        "version": c.version,
        "title": c.title,
        "kind": c.kind,
        "subject": c.subject,
        "self_check": c.self_check,
        "possible": number(c.possible),
        "sections": len(c.sections),
        "items": len(c.items),
    }


def cmd_list(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else checklists_dir()
    result = load_directory(directory)
    for problem in result.problems:
        print(problem_text(problem, cli_lang()), file=sys.stderr)
    rows = [_summary(c) for c in result.checklists.values()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        lang = cli_lang()
        for r in rows:
            units = text("cli.list_units", lang, points=f"{r['possible']:>5}", items=f"{r['items']:>3}")
            flag = " " + text("cli.list_self_check", lang) if r["self_check"] else ""
            print(f"{r['id']:<28} {r['version']:<8} {r['kind']:<10} {r['subject']:<5} {units}{flag}  {r['title']}")
    return 1 if result.problems else 0


def resolve_checklist(ref: str, directory: Path | None) -> Checklist:
    """A checklist by path (anything that exists or ends in .yaml/.yml) or by id in the directory."""
    path = Path(ref)
    try:
        if path.suffix in {".yaml", ".yml"} or path.exists():
            if not path.is_file():
                raise CliError(text("cli.checklist_file_not_found", cli_lang(), path=ref))
            return load_checklist_file(path)
        d = directory or checklists_dir()
        result = load_directory(d)
        if ref in result.checklists:
            return result.checklists[ref]
        broken = [p for p in result.problems if p.file.endswith((f"{ref}.yaml", f"{ref}.yml"))]
        if broken:
            raise CliError(problem_text(broken[0], cli_lang()))
        raise CliError(text("cli.unknown_checklist", cli_lang(), checklist=ref, dir=d))
    except ChecklistError as exc:
        raise CliError(problem_text(exc.problems[0], cli_lang())) from exc


def cmd_score(args: argparse.Namespace) -> int:
    try:
        checklist = resolve_checklist(args.checklist, Path(args.checklists_dir) if args.checklists_dir else None)
        if args.responses == "-":
            content = sys.stdin.read()
            name = "<stdin>"
        else:
            try:
                content = Path(args.responses).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CliError(text("cli.responses_unreadable", cli_lang(), file=args.responses,
                                    reason=exc.__class__.__name__)) from exc
            name = args.responses
        try:
            doc = json.loads(content, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise CliError(text("cli.responses_bad_json", cli_lang(), file=name, line=exc.lineno, column=exc.colno,
                                detail=exc.msg)) from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
            raise CliError(text("cli.responses_shape", cli_lang(), file=name))
        if "checklist" in doc and doc["checklist"] != checklist.id:
            raise CliError(text("cli.responses_other_checklist", cli_lang(), file=name, found=doc["checklist"],
                                checklist=checklist.id))
        result = score(checklist, doc["answers"])
    except ScoringError as exc:
        _fail(scoring_reason(exc).render(cli_lang()))
    except CliError as exc:
        _fail(str(exc))
    print(json.dumps(result.to_dict(), ensure_ascii=False))
    return 0


# ----------------------------------------------------------------------------- database commands
def _lazy(module: str, func: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib

        fn: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), func)
        return fn(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pinzhi", description="Pinzhi (品质巡检) command line")
    sub = parser.add_subparsers(dest="command", required=True)

    ck = sub.add_parser("checklists", help="validate or list the checklist files")
    cks = ck.add_subparsers(dest="action", required=True)
    v = cks.add_parser("validate", help="check every file; exit 1 with one line per problem")
    v.add_argument("dir", nargs="?", help="directory (default: checklists/)")
    v.set_defaults(func=cmd_validate)
    ls = cks.add_parser("list", help="list the checklists")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--dir", help="directory (default: checklists/)")
    ls.set_defaults(func=cmd_list)
    im = cks.add_parser("import", help="read a standard kept in Excel into a checklist YAML; "
                        "exit 1 with one FILE:SHEET!CELL line per problem")
    im.add_argument("file", help=".xlsx file")
    im.add_argument("--id", required=True, help="checklist id (a-z 0-9 - _)")
    im.add_argument("--title", help="title (default: the line above the header row, else the sheet name)")
    im.add_argument("--kind", default="standard", choices=["appearance", "safety", "training", "standard", "workflow"])
    im.add_argument("--subject", default="site", choices=["staff", "site"])
    im.add_argument("--sheet", help="sheet name (default: the first sheet)")
    im.add_argument("--out", help="YAML file to write (default: stdout)")
    im.set_defaults(func=_lazy("app.cli_standards", "cmd_import"))
    ex = cks.add_parser("export", help="write a checklist as a printable Excel sheet")
    ex.add_argument("checklist", help="checklist id or path to a YAML file")
    ex.add_argument("--format", choices=["xlsx"], default="xlsx")
    ex.add_argument("--blank", action="store_true", help="a paper form with empty result columns")
    ex.add_argument("--out", help="file to write (default: ID.xlsx; - for stdout)")
    ex.add_argument("--dir", help="directory to look ids up in (default: checklists/)")
    ex.add_argument("--version", help="a published version (label or row id) from the database catalogue "
                    "instead of the file")
    ex.set_defaults(func=_lazy("app.cli_standards", "cmd_export"))
    pb = cks.add_parser("publish", help="publish an .xlsx or .yaml standard in the database catalogue "
                        "(in force at once on every app server); exit 1 with one line per problem")
    pb.add_argument("file", help=".xlsx or .yaml file")
    pb.add_argument("--label", required=True, help="version label, e.g. A/3 or 2027.1")
    pb.add_argument("--reason", required=True, help="why this version (kept with it and in the audit log)")
    pb.add_argument("--id", help="checklist id (required for .xlsx; a YAML file names its own)")
    pb.add_argument("--site-kind", action="append", choices=["residential", "sales_office"],
                    help="in force for this kind of site (repeat; default: where the checklist is in force now)")
    pb.set_defaults(func=_lazy("app.cli_standards", "cmd_publish"))
    rt = cks.add_parser("retire", help="retire a published version (started inspections keep it)")
    rt.add_argument("checklist", help="checklist id")
    rt.add_argument("version", help="version label (or version row id)")
    rt.add_argument("--reason", help="why")
    rt.set_defaults(func=_lazy("app.cli_standards", "cmd_retire"))
    vs = cks.add_parser("versions", help="the published versions in the database catalogue")
    vs.add_argument("checklist", nargs="?", help="only this checklist")
    vs.add_argument("--json", action="store_true")
    vs.set_defaults(func=_lazy("app.cli_standards", "cmd_versions"))

    sc = sub.add_parser("score", help="score one set of responses; prints one JSON object")
    sc.add_argument("--checklist", required=True, help="checklist id or path to a YAML file")
    sc.add_argument("--responses", required=True, help="responses JSON file, or - for stdin")
    sc.add_argument("--checklists-dir", help="directory to look ids up in (default: checklists/)")
    sc.set_defaults(func=cmd_score)

    db = sub.add_parser("db", help="database schema")
    dbs = db.add_subparsers(dest="action", required=True)
    up = dbs.add_parser("upgrade", help="bring the database (DATABASE_URL or data/pinzhi.db) to the latest schema")
    up.set_defaults(func=_lazy("app.cli_db", "cmd_db_upgrade"))
    bk = dbs.add_parser("backup", help="back up the database and photos into DIR (safe while the app runs)")
    bk.add_argument("dir")
    bk.set_defaults(func=_lazy("app.cli_ops", "cmd_db_backup"))
    rs = dbs.add_parser("restore", help="restore a backup from DIR (checked against its manifest first)")
    rs.add_argument("dir")
    rs.set_defaults(func=_lazy("app.cli_ops", "cmd_db_restore"))
    au = sub.add_parser("audit", help="audit log")
    aus = au.add_subparsers(dest="audit_cmd", required=True)
    av = aus.add_parser("verify", help="check the audit log's hash chain; exit 1 naming the first bad row")
    av.add_argument("--expect-head", help="SEQ:HASH printed by an earlier verify (detects deleted newest rows)")
    av.set_defaults(func=_lazy("app.cli_ops", "cmd_audit_verify"))

    user = sub.add_parser("user", help="accounts")
    us = user.add_subparsers(dest="action", required=True)
    ua = us.add_parser("add", help="add an account (password asked for, or --password-stdin)")
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=["admin", "manager", "supervisor", "staff", "qa"])
    ua.add_argument("--name", help="display name")
    ua.add_argument("--site", action="append", default=[], help="site code (repeat) for managers/supervisors")
    ua.add_argument("--staff", help="staff code, for a staff account")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ua.set_defaults(func=_lazy("app.cli_db", "cmd_user_add"))
    ul = us.add_parser("unlock", help="clear an account's failed sign-ins and sign-in lock")
    ul.add_argument("username")
    ul.set_defaults(func=_lazy("app.cli_db", "cmd_user_unlock"))

    tok = sub.add_parser("token", help="API tokens (Authorization: Bearer ...)")
    toks = tok.add_subparsers(dest="action", required=True)
    tc = toks.add_parser("create", help="create a token for a user; it is printed once")
    tc.add_argument("username")
    tc.add_argument("--name", default="", help="what the token is for")
    tc.set_defaults(func=_lazy("app.cli_tokens", "cmd_token_create"))
    tl = toks.add_parser("list", help="list tokens (never the tokens themselves)")
    tl.add_argument("--user", help="only this user's")
    tl.set_defaults(func=_lazy("app.cli_tokens", "cmd_token_list"))
    tr = toks.add_parser("revoke", help="revoke a token at once")
    tr.add_argument("id", type=int)
    tr.set_defaults(func=_lazy("app.cli_tokens", "cmd_token_revoke"))

    for noun, helptext in (("sites", "import sites from CSV"), ("staff", "import staff from CSV")):
        imp = sub.add_parser(noun, help=helptext)
        imps = imp.add_subparsers(dest="action", required=True)
        ic = imps.add_parser("import", help=f"{helptext}; a bad row names its line and nothing is imported")
        ic.add_argument("file")
        ic.set_defaults(func=_lazy("app.cli_import", f"cmd_{noun}_import"))
    insp = sub.add_parser("inspections", help="submitted inspections")
    insps = insp.add_subparsers(dest="action", required=True)
    ii = insps.add_parser("import", help="import submitted inspections from JSON lines, scored on import")
    ii.add_argument("file")
    ii.set_defaults(func=_lazy("app.cli_import", "cmd_inspections_import"))

    sc2 = sub.add_parser("scorecard", help="the monthly scorecard (same figures as the review page)")
    sc2.add_argument("--month", required=True, help="YYYY-MM")
    sc2.add_argument("--site", help="site code")
    sc2.add_argument("--subject", choices=["staff", "site"], default="staff")
    sc2.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    sc2.add_argument("--out", help="output file (required for xlsx; default stdout)")
    sc2.set_defaults(func=_lazy("app.cli_reports", "cmd_scorecard"))

    rep = sub.add_parser("report", help="reports of single records")
    reps = rep.add_subparsers(dest="what", required=True)
    ri = reps.add_parser("inspection", help="the one-inspection report (PDF: failed items, photos, signatures)")
    ri.add_argument("id", type=int, help="inspection id")
    ri.add_argument("-o", "--out", required=True, help="output file (.pdf)")
    ri.set_defaults(func=_lazy("app.cli_reports", "cmd_report_inspection"))

    demo = sub.add_parser("demo", help="fill an empty database with a demo company")
    demo.add_argument("--if-empty", action="store_true",
                      help="do nothing (exit 0) when the database already has data")
    demo.set_defaults(func=_lazy("app.cli_db", "cmd_demo"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
