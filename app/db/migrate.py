"""Bring any database to the head revision with Alembic (the app and ``pinzhi db upgrade`` call this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import ProgrammingError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


class SchemaBehind(RuntimeError):
    pass


def ensure_schema(engine: Engine) -> None:
    """Upgrade only when the database is behind (cheap check at app start)."""
    current = current_revision(engine)
    if current != head_revision():
        try:
            upgrade(engine)
        except ProgrammingError as exc:  # PostgreSQL app role: no right to change the schema
            raise SchemaBehind(
                f"the database schema is at {current}, this version needs {head_revision()}: run "
                "`pinzhi db upgrade` with PINZHI_DB_OWNER_URL set to the tables' owner") from exc
