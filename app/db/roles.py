"""PostgreSQL: the app runs as a role that does not own the tables.

``pinzhi db upgrade`` connects with the owner's URL (``PINZHI_DB_OWNER_URL``), migrates, then creates
(or updates) the role named in the app's ``DATABASE_URL`` and grants it, in the current schema:

- ``SELECT, INSERT, UPDATE, DELETE`` on every table (no TRUNCATE, TRIGGER, REFERENCES),
- only ``SELECT, INSERT`` on ``audit_log`` and only ``SELECT`` on ``alembic_version``,
- ``USAGE, SELECT`` on the sequences.

Not owning ``audit_log``, the role can neither ``ALTER TABLE … DISABLE TRIGGER`` nor drop it; without
the privileges it can neither ``UPDATE``, ``DELETE`` nor ``TRUNCATE`` it.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from app.messages import MessageError

APPEND_ONLY_TABLES = ("audit_log",)
READ_ONLY_TABLES = ("alembic_version",)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(MessageError):
    """Why the app's role was not set up."""


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise RoleError("cli.role_bad_name", name=repr(name))
    return f'"{name}"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"  # standard_conforming_strings is on (PostgreSQL >= 9.1)


def grant_app_role(conn: Connection, role: str, password: str | None = None) -> str:
    """Create or update ``role`` (LOGIN, no superuser) with the app's privileges; returns the schema."""
    schema = str(conn.scalar(text("SELECT current_schema()")))
    r, s = _ident(role), _ident(schema)
    found = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        conn.execute(text(f"CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
                          + (f" PASSWORD {_literal(password)}" if password else "")))
    else:
        if found.rolsuper or found.rolbypassrls:
            raise RoleError("cli.role_superuser", role=role)
        if password:
            conn.execute(text(f"ALTER ROLE {r} PASSWORD {_literal(password)}"))
    owner = conn.scalar(text("SELECT tableowner FROM pg_tables WHERE schemaname = :s AND tablename = 'audit_log'"),
                        {"s": schema})
    if owner == role:
        raise RoleError("cli.role_owns_tables", role=role)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {s} TO {r}"))
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}"))
    for table in APPEND_ONLY_TABLES:
        conn.execute(text(f"REVOKE UPDATE, DELETE ON {s}.{_ident(table)} FROM {r}"))
    for table in READ_ONLY_TABLES:
        conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON {s}.{_ident(table)} FROM {r}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}"))
    return schema
