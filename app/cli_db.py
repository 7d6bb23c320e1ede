"""Database commands of the ``pinzhi`` CLI (imported lazily: checklist commands need no database)."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.config import data_dir, database_url
from app.db.engine import Database, make_engine
from app.db.migrate import ensure_schema
from app.messages import cli_lang, text
from app.services import auth
from app.services.actor import SYSTEM
from app.services.errors import ServiceError


def open_database() -> Database:
    engine = make_engine(database_url())
    ensure_schema(engine)
    return Database(engine)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _publish_shipped(db: Database) -> None:
    """The shipped checklists/ files the catalogue does not hold yet (the same text again: nothing)."""
    from app.services import catalog

    with db.write() as s:
        published = catalog.ensure_shipped(s)
    for cid in published:
        print(text("cli.published_shipped", cli_lang(), checklist=cid))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate; on PostgreSQL with ``PINZHI_DB_OWNER_URL`` set, as the owner, then grant the app's role."""
    from sqlalchemy.engine import make_url

    from app.config import owner_database_url
    from app.db.roles import RoleError, grant_app_role

    url = database_url()
    owner_url = owner_database_url()
    if owner_url is None:
        _publish_shipped(open_database())
        print(text("cli.db_at_head", cli_lang(), url=_safe_url(url)))
        return 0
    engine = make_engine(owner_url)
    ensure_schema(engine)
    _publish_shipped(Database(engine))
    print(text("cli.db_at_head", cli_lang(), url=_safe_url(owner_url)))
    app, owner = make_url(url), make_url(owner_url)
    if engine.dialect.name == "postgresql" and app.username and app.username != owner.username:
        try:
            with engine.begin() as conn:
                schema = grant_app_role(conn, app.username, app.password)
        except RoleError as exc:
            print("pinzhi: " + exc.render(cli_lang()), file=sys.stderr)
            return 2
        print(text("cli.app_role_granted", cli_lang(), role=app.username, schema=schema))
    engine.dispose()
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(text("cli.password_prompt", cli_lang()))
        if getpass.getpass(text("cli.password_again", cli_lang())) != password:
            print("pinzhi: " + text("cli.passwords_differ", cli_lang()), file=sys.stderr)
            return 2
    db = open_database()
    try:
        with db.write() as s:
            if args.role == "admin" and auth.needs_first_admin(s):
                auth.create_first_admin(s, username=args.username, password=password, display_name=args.name)
            else:
                auth.create_user(s, actor=SYSTEM, username=args.username, password=password, role=args.role,
                                 display_name=args.name, site_codes=args.site, staff_code=args.staff)
    except ServiceError as exc:
        print(f"pinzhi: {exc.message(cli_lang())}", file=sys.stderr)
        return 2
    print(text("cli.user_added", cli_lang(), username=args.username, role=args.role))
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    db = open_database()
    with db.write() as s:
        auth.unlock(s, actor=SYSTEM, username=args.username)
    print(text("cli.user_unlocked", cli_lang(), username=args.username))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.services import demo

    lang = cli_lang()
    db = open_database()
    with db.read() as s:
        empty = demo.database_is_empty(s)
    if not empty:
        if args.if_empty:
            creds = data_dir() / "demo-logins.txt"
            print(text("cli.demo_not_added_logins", lang, file=creds) if creds.exists()
                  else text("cli.demo_not_added", lang))
            return 0
        print("pinzhi: " + text("cli.demo_not_empty", lang), file=sys.stderr)
        return 2
    print(text("cli.demo_creating", lang), flush=True)
    summary = demo.seed_demo(db)
    lines = [text("cli.demo_accounts", lang, password=summary.password)]
    lines += [f"  {u:<10} {role}" for u, role in summary.accounts]
    logins = "\n".join(lines)
    creds = data_dir() / "demo-logins.txt"
    creds.write_text(logins + "\n", encoding="utf-8")
    creds.chmod(0o600)
    print(logins)
    print(text("cli.demo_saved", lang, file=creds))
    return 0
