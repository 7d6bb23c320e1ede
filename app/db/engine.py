"""Engine and session factories. Never imports Streamlit: tests and the CLI build engines directly.

SQLite is configured for a tablet app with concurrent writers: WAL, foreign keys on, a busy timeout,
synchronous=FULL (an answer shown as saved survives a power cut), and write transactions that take
the write lock at BEGIN (``BEGIN IMMEDIATE``) so that a read-then-write transaction can never fail
with "database is locked" half-way; readers use plain ``BEGIN`` and never block writers under WAL.
A new SQLite file is created owner-only (0600).

Connection pool (both databases): ``PINZHI_DB_POOL`` connections at most (default 20: a tap holds a
connection for a few milliseconds, so 20 serve 50 tablets tapping at once) and a short checkout
timeout ``PINZHI_DB_POOL_TIMEOUT`` seconds (default 10). Every database failure leaving ``write()``
or ``read()`` becomes a :class:`~app.services.errors.ServiceError` with a Chinese/English message.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from app.services.errors import from_database_error

BUSY_TIMEOUT_MS = 30_000
DEFAULT_POOL = 20
DEFAULT_POOL_TIMEOUT = 10.0
log = logging.getLogger(__name__)


def pool_settings() -> dict[str, Any]:
    """Pool size and checkout timeout from the environment (``PINZHI_DB_POOL``, ``PINZHI_DB_POOL_TIMEOUT``)."""
    size = int(os.environ.get("PINZHI_DB_POOL") or DEFAULT_POOL)
    timeout = float(os.environ.get("PINZHI_DB_POOL_TIMEOUT") or DEFAULT_POOL_TIMEOUT)
    if size < 1 or timeout <= 0:
        raise ValueError("PINZHI_DB_POOL must be >= 1 and PINZHI_DB_POOL_TIMEOUT > 0")
    return {"pool_size": size, "max_overflow": 0, "pool_timeout": timeout}


def _private_sqlite_file(url: str) -> None:
    """Create the database file owner-only (0600) before SQLite creates it world-readable."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if not path.exists():
        if not path.parent.exists():  # a new data directory: owner-only too
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.parent.chmod(0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    elif path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o600)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if ":memory:" not in url and url not in ("sqlite://", "sqlite+pysqlite://"):
        for key, value in pool_settings().items():
            kwargs.setdefault(key, value)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
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
        cur.execute("PRAGMA recursive_triggers=ON")  # REPLACE's implicit delete fires DELETE triggers
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
        with _service_errors(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _service_errors(), self._read() as session, session.begin():
            yield session


@contextmanager
def _service_errors() -> Iterator[None]:
    """Database failures become ServiceErrors (the transaction is already rolled back); logged in full."""
    try:
        yield
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
        log.warning("database error mapped to a service error: %s", exc)
        raise from_database_error(exc) from exc


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
            _publish_shipped(db)
            _process_db[url] = db
        return db


def _publish_shipped(db: Database) -> None:
    """First start: publish the shipped checklist files the catalogue does not hold yet (the same text
    again publishes nothing; the catalogue also checks lazily, so a failure here is only logged)."""
    from app.services import catalog
    from app.services.errors import ServiceError

    try:
        with db.write() as s:
            catalog.ensure_shipped(s)
    except ServiceError as exc:  # pragma: no cover - e.g. the database is busy; the first read retries
        log.warning("shipped checklists not published at start: %s", exc)


def dispose_process_databases() -> None:
    """Close and forget every process database (tests switch databases between runs)."""
    with _process_lock:
        for db in _process_db.values():
            db.engine.dispose()
        _process_db.clear()
