"""Fixtures: every test gets its own real database (SQLite file, or a PostgreSQL schema)."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# AppTest cannot send the session cookie: let the pages read a test's token from session state instead
# (app/ui/state.py session_token; honoured only under this variable, which only the test suite sets)
os.environ["PINZHI_APPTEST"] = "1"
# Close-out signatures (app/services/signatures.py) are required by default; the suite's many submits that
# are not about signatures run with them optional. tests/test_signatures.py and the close-out browser test
# turn the requirement on (monkeypatch / the server's environment) and check it.
os.environ.setdefault("PINZHI_SIGNATURES", "optional")

PG_URL = os.environ.get("DATABASE_URL_PG")
IN_CI = bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from app.db.engine import make_engine
    from app.db.migrate import upgrade

    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def _sqlite_db(template: Path, tmp_path: Path):
    from app.db.engine import Database, make_engine

    path = tmp_path / "pinzhi.db"
    shutil.copy(template, path)
    return Database(make_engine(f"sqlite:///{path}"))


def _pg_db():
    if not PG_URL:
        if IN_CI:
            pytest.fail("DATABASE_URL_PG is not set in CI: PostgreSQL tests must run")
        pytest.skip("DATABASE_URL_PG not set")
    import sqlalchemy as sa

    from app.db.engine import Database, make_engine
    from app.db.migrate import upgrade

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=25, max_overflow=5)
    upgrade(engine)
    return Database(engine), admin, schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db(request, sqlite_template, tmp_path) -> Iterator:
    """A migrated, empty database: SQLite and PostgreSQL."""
    if request.param == "sqlite":
        database = _sqlite_db(sqlite_template, tmp_path)
        yield database
        database.engine.dispose()
        return
    database, admin, schema = _pg_db()
    yield database
    database.engine.dispose()
    import sqlalchemy as sa

    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    database = _sqlite_db(sqlite_template, tmp_path)
    yield database
    database.engine.dispose()
