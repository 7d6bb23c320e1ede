"""``pinzhi token create|list|revoke``: API tokens, managed by the system administrator."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from app.cli_db import open_database
from app.messages import cli_lang, text
from app.services import api_tokens
from app.services.actor import SYSTEM
from app.services.errors import ServiceError

T = TypeVar("T")


def _run(fn: Callable[..., T], **kwargs: object) -> T | None:
    try:
        with open_database().write() as s:
            return fn(s, actor=SYSTEM, **kwargs)
    except ServiceError as exc:
        print(f"pinzhi: {exc.message(cli_lang())}", file=sys.stderr)
        return None


def cmd_token_create(args: argparse.Namespace) -> int:
    made = _run(api_tokens.create_token, username=args.username, name=args.name)
    if made is None:
        return 2
    token, view = made
    print(text("cli.token_created", cli_lang(), token_id=view.id, username=view.username, name=view.name),
          file=sys.stderr)
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    rows = _run(api_tokens.list_tokens, username=args.user)
    if rows is None:
        return 2
    lang = cli_lang()
    for t in rows:
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else text("cli.token_never", lang)
        state = (text("cli.token_active", lang) if t.active
                 else text("cli.token_revoked_at", lang, at=f"{t.revoked_at:%Y-%m-%d %H:%M}"))
        print(text("cli.token_row", lang, id=f"{t.id:>5}", user=f"{t.username:<16}", prefix=t.prefix,
                   name=f"{t.name:<20}", used=used, state=state))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    view = _run(api_tokens.revoke_token, token_id=args.id)
    if view is None:
        return 2
    print(text("cli.token_revoked", cli_lang(), token_id=view.id, username=view.username))
    return 0
