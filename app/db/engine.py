"""Engine and session factories. Never imports Streamlit: tests and the CLI build engines directly.

SQLite is configured for a tablet app with concurrent writers: WAL, foreign keys on, a busy timeout,
synchronous=FULL (an answer shown as saved survives a power cut), and write transactions that take
the write lock at BEGIN (``BEGIN IMMEDIATE``) so that a read-then-write transaction can never fail
with "database is locked" half-way; readers use plain ``BEGIN`` and never block writers under WAL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own handling is lax)
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql("BEGIN" if mode == "DEFERRED" else f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """The engine plus two session factories: ``write()`` (locks eagerly on SQLite) and ``read()``."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write = sessionmaker(engine, expire_on_commit=False)
        reader = engine.execution_options(sqlite_begin="DEFERRED") if is_sqlite(engine) else engine
        self._read = sessionmaker(reader, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on error."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session


def make_database(url: str, **kwargs: Any) -> Database:
    return Database(make_engine(url, **kwargs))


_process_db: dict[str, Database] = {}
_process_lock = threading.Lock()


def process_database(url: str) -> Database:
    """The one :class:`Database` of this server process for ``url``, migrated to head on first use.

    The pages, the auth routes and the JSON API all share it.
    """
    with _process_lock:
        db = _process_db.get(url)
        if db is None:
            from app.db.migrate import ensure_schema

            db = Database(make_engine(url))
            ensure_schema(db.engine)
            _process_db[url] = db
        return db


def dispose_process_databases() -> None:
    """Close and forget every process database (tests switch databases between runs)."""
    with _process_lock:
        for db in _process_db.values():
            db.engine.dispose()
        _process_db.clear()
