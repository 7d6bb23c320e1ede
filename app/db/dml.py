"""Dialect-aware statements shared by services (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_if_absent(session: Session, model: type[Any], values: dict[str, Any], keys: list[str]) -> None:
    """``INSERT … ON CONFLICT (keys) DO NOTHING``: get-or-create that cannot fail on a concurrent insert.

    On PostgreSQL a concurrent uncommitted insert of the same key makes this wait for it; the caller's
    following SELECT then sees the committed row.
    """
    ins = pg_insert(model) if session.get_bind().dialect.name == "postgresql" else sqlite_insert(model)
    session.execute(ins.values(**values).on_conflict_do_nothing(index_elements=keys))
