"""The audit log is append-only for real (issue 10, point 3).

SQLite: every bypass the tester used is refused by the file's own triggers (INSERT OR REPLACE over an
existing id, UPDATE, DELETE); what cannot be refused (DROP TRIGGER, then editing) is caught by the hash
chain through ``pinzhi audit verify``. PostgreSQL: the app's role (created by ``pinzhi db upgrade``) can
neither TRUNCATE, DELETE, UPDATE nor disable the triggers; the owner who does is caught by the chain.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import PG_URL
from factories import checklist_dict, item, section, use_checklists
from world import PASSWORD, build_world

from app.cli import main
from app.db.engine import Database, make_engine
from app.db.migrate import upgrade
from app.db.models import AuditLog
from app.db.roles import grant_app_role
from app.services import audit, auth
from app.services import inspections as svc
from app.services.actor import SYSTEM
from app.services.errors import ServiceError

CL = checklist_dict([section("s", [item("s.a", 1), item("s.b", 1)])], id="au", version="1", subject="site",
                    kind="safety")


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, CL)
    return build_world(db)


def flow(db, w) -> int:
    with db.write() as s:
        iid = svc.start_inspection(session=s, actor=w.supervisor, site_id=w.site_a, shift_date=date(2026, 11, 3),
                                   shift_name="早班", subject_type="site", checklist_id="au")
        for it in ("s.a", "s.b"):
            svc.save_answer(session=s, actor=w.supervisor, inspection_id=iid, item_id=it, value={"result": "pass"})
    with db.write() as s:
        svc.submit_inspection(session=s, actor=w.supervisor, inspection_id=iid)
    return iid


def verify(db, **kw) -> audit.Verification:
    with db.read() as s:
        return audit.verify(s, **kw)


def test_chain_is_whole_after_real_use_and_concurrent_appends(db, world):
    w = world
    flow(db, w)
    errors: list[BaseException] = []

    def sign_in():
        try:
            with db.write() as s:
                auth.sign_in(s, username="manager", password=PASSWORD)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sign_in) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    result = verify(db)
    with db.read() as s:
        n = s.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        seqs = s.scalars(sa.select(AuditLog.seq).order_by(AuditLog.seq)).all()
    assert result.ok, result.problem
    assert result.rows == n == result.head_seq and seqs == list(range(1, n + 1))


def test_rolled_back_events_leave_no_hole(db, world):
    w = world
    with pytest.raises(ServiceError), db.write() as s:
        audit.record(s, actor=SYSTEM, action="test.rolled_back", entity="test")
        s.execute(sa.text("SELECT * FROM no_such_table"))
    with db.write() as s:
        audit.record(s, actor=w.admin, action="test.kept", entity="test", detail={"k": [1, "二"], 3: None})
    result = verify(db)
    assert result.ok, result.problem
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "test.rolled_back")) == 0


# ----------------------------------------------------------------------------- SQLite
def _raw(db) -> sqlite3.Connection:
    """An attacker's own connection to the file (no app settings: recursive_triggers off)."""
    return sqlite3.connect(db.engine.url.database, isolation_level=None)


@pytest.fixture
def sqlite_world(sqlite_db, tmp_path, monkeypatch):
    use_checklists(tmp_path, monkeypatch, CL)
    w = build_world(sqlite_db)
    flow(sqlite_db, w)
    monkeypatch.setenv("DATABASE_URL", str(sqlite_db.engine.url))
    monkeypatch.setenv("PINZHI_LANG", "en")  # the CLI's messages in English (Chinese: unset it)
    return sqlite_db, w


@pytest.mark.parametrize("attack", [
    "INSERT OR REPLACE INTO audit_log (id, at, actor_id, action, entity, entity_id, detail, seq, prev_hash, row_hash)"
    " SELECT id, at, actor_id, 'forged', entity, entity_id, detail, seq, prev_hash, row_hash FROM audit_log"
    " WHERE seq = 3",
    "REPLACE INTO audit_log (id, at, action, entity) SELECT id, at, 'forged', entity FROM audit_log WHERE seq = 3",
    "UPDATE audit_log SET action = 'forged' WHERE seq = 3",
    "DELETE FROM audit_log WHERE seq = 3",
    "DELETE FROM audit_log",
    "INSERT INTO audit_log (at, action, entity) VALUES ('2026-01-01 00:00:00', 'forged', 'x')",
])
def test_sqlite_triggers_refuse_each_bypass(sqlite_world, attack):
    db, _ = sqlite_world
    with db.read() as s:
        before = s.execute(sa.select(AuditLog.id, AuditLog.action, AuditLog.row_hash).order_by(AuditLog.id)).all()
    conn = _raw(db)
    with pytest.raises(sqlite3.DatabaseError, match="audit_log"):
        conn.execute(attack)
    conn.close()
    with db.read() as s:
        assert s.execute(sa.select(AuditLog.id, AuditLog.action, AuditLog.row_hash).order_by(AuditLog.id)).all() \
            == before
    assert verify(db).ok


def _drop_triggers(conn: sqlite3.Connection) -> None:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'")]
    assert len(names) >= 4
    for name in names:
        conn.execute(f"DROP TRIGGER {name}")


@pytest.mark.parametrize(("attack", "expect"), [
    ("UPDATE audit_log SET detail = '{\"grade\": \"A\"}' WHERE seq = 4", "content changed"),
    ("UPDATE audit_log SET at = '2020-01-01 00:00:00.000000' WHERE seq = 4", "content changed"),
    ("DELETE FROM audit_log WHERE seq = 4", "missing (deleted)"),
    ("UPDATE audit_log SET seq = seq + 1000 WHERE seq = 4", "missing (deleted)"),
    ("INSERT INTO audit_log (at, action, entity) VALUES ('2026-01-01 00:00:00', 'forged', 'x')", "not chained"),
])
def test_sqlite_dropped_triggers_are_caught_by_verify(sqlite_world, capsys, monkeypatch, attack, expect):
    db, _ = sqlite_world
    assert main(["audit", "verify"]) == 0
    conn = _raw(db)
    _drop_triggers(conn)
    with db.read() as s:
        bad_id = s.scalar(sa.select(AuditLog.id).where(AuditLog.seq == 4))
        next_id = s.scalar(sa.select(AuditLog.id).where(AuditLog.seq == 5))
    conn.execute(attack)
    conn.close()
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and expect in out
    if expect == "content changed":
        assert f"id={bad_id} (seq 4)" in out  # names the first bad row
        monkeypatch.delenv("PINZHI_LANG")  # the default language of the command line: Chinese
        assert main(["audit", "verify"]) == 1
        assert capsys.readouterr().out.strip() == f"审计日志已被破坏（前 3 行完好）：audit_log id={bad_id} (seq 4)：写入后内容被更改"
    elif expect == "missing (deleted)":
        assert f"id={next_id} (seq 5)" in out and "seq 4–4" in out


def test_sqlite_forged_copy_of_a_row_is_caught(sqlite_world, capsys):
    """Replacing a row by one with recomputed own hash still breaks the link to the next row."""
    db, _ = sqlite_world
    conn = _raw(db)
    _drop_triggers(conn)
    row = conn.execute("SELECT id, seq, at, actor_id, action, entity, entity_id, detail, prev_hash FROM audit_log "
                       "WHERE seq = 4").fetchone()
    from datetime import datetime

    digest = audit.row_digest(row[8], row[1], datetime.fromisoformat(row[2]), row[3], "forged", row[5], row[6],
                              None)
    conn.execute("UPDATE audit_log SET action='forged', detail=NULL, row_hash=? WHERE id=?", (digest, row[0]))
    conn.close()
    assert main(["audit", "verify"]) == 1
    assert "seq 5" in capsys.readouterr().out


def test_sqlite_deleted_newest_rows_need_the_noted_head(sqlite_world, capsys, monkeypatch):
    db, _ = sqlite_world
    assert main(["audit", "verify"]) == 0
    rows, _, head = capsys.readouterr().out.strip().removeprefix("audit log ok: ").partition(" rows, head ")
    monkeypatch.delenv("PINZHI_LANG")  # the default language of the command line: Chinese
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == f"审计日志完好：{rows} 行，最新一行 {head}"
    monkeypatch.setenv("PINZHI_LANG", "en")
    conn = _raw(db)
    _drop_triggers(conn)
    conn.execute("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    conn.close()
    assert main(["audit", "verify"]) == 0  # a chain alone cannot tell a shorter log ...
    capsys.readouterr()
    assert main(["audit", "verify", "--expect-head", head]) == 1  # ... the noted head can
    assert "newest rows were deleted" in capsys.readouterr().out


def test_migration_chains_rows_written_before_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        for k in range(5):
            conn.execute(sa.text("INSERT INTO audit_log (at, action, entity, detail) VALUES "
                                 "(:at, :a, 'user', :d)"), {"at": f"2026-10-0{k + 1} 08:00:00.000000",
                                                            "a": f"old.{k}", "d": json.dumps({"n": k})})
    upgrade(engine)
    db = Database(engine)
    result = verify(db)
    assert result.ok and result.rows == 5, result.problem
    with db.write() as s:
        audit.record(s, actor=None, action="new", entity="user")
    assert verify(db).rows == 6
    engine.dispose()


# ----------------------------------------------------------------------------- PostgreSQL
@pytest.fixture
def pg_roles(tmp_path, monkeypatch):
    """A migrated schema owned by the test's superuser, and an app role made by ``pinzhi db upgrade``."""
    if not PG_URL:
        pytest.skip("DATABASE_URL_PG not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    role = f"pz_app_{schema}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    base = sa.engine.make_url(PG_URL)
    opts = {"options": f"-csearch_path={schema}"}
    owner_url = base.update_query_dict(opts).render_as_string(hide_password=False)
    app_url = base.set(username=role, password="app-secret").update_query_dict(opts).render_as_string(
        hide_password=False)
    monkeypatch.setenv("PINZHI_DB_OWNER_URL", owner_url)
    monkeypatch.setenv("DATABASE_URL", app_url)
    use_checklists(tmp_path, monkeypatch, CL)
    try:
        assert main(["db", "upgrade"]) == 0
        owner = Database(make_engine(owner_url))
        app = Database(make_engine(app_url))
        yield owner, app, role
        app.engine.dispose()
        owner.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            if conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
                conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.pg
def test_pg_app_role_cannot_rewrite_the_audit_log(pg_roles, capsys):
    owner, app, role = pg_roles
    w = build_world(app)  # the whole app works as the role: users, sign-in, start, answer, submit
    flow(app, w)
    with app.read() as s:
        assert s.scalar(sa.text("SELECT current_user")) == role
        n = s.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    assert n > 5
    for attack in ("TRUNCATE audit_log", "DELETE FROM audit_log", "UPDATE audit_log SET action = 'forged'",
                   "ALTER TABLE audit_log DISABLE TRIGGER ALL", "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
                   "DROP TABLE audit_log", "DROP TRIGGER audit_log_no_change ON audit_log",
                   "UPDATE alembic_version SET version_num = '0001'"):
        with pytest.raises(ServiceError), app.write() as s:
            s.execute(sa.text(attack))
    with app.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == n
    assert verify(app).ok
    # the owner (not the app) can disable the trigger: the chain still tells
    with owner.write() as s:
        s.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        s.execute(sa.text("UPDATE audit_log SET detail = NULL WHERE seq = 3"))
        s.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))
    bad = verify(app)
    assert not bad.ok and bad.problem is not None and "(seq 3): content changed" in bad.problem.render("en")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    assert "(seq 3)" in capsys.readouterr().out


@pytest.mark.pg
def test_pg_owner_truncate_is_refused_by_trigger(pg_roles):
    owner, _, _ = pg_roles
    with owner.write() as s:
        audit.record(s, actor=None, action="x", entity="y")
    with pytest.raises(ServiceError), owner.write() as s:
        s.execute(sa.text("TRUNCATE audit_log"))


@pytest.mark.pg
def test_pg_app_role_is_not_a_superuser_and_upgrade_is_idempotent(pg_roles):
    owner, app, role = pg_roles
    with owner.read() as s:
        row = s.execute(sa.text("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = :r"),
                        {"r": role}).one()
        assert tuple(row) == (False, False, False)
        privs = set(s.scalars(sa.text(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :r AND table_name = 'audit_log' AND table_schema = current_schema()"), {"r": role}))
    assert privs == {"SELECT", "INSERT"}
    assert main(["db", "upgrade"]) == 0  # run again: same grants, no error
    with owner.write() as s:
        assert grant_app_role(s.connection(), role) == s.scalar(sa.text("SELECT current_schema()"))
    assert os.environ["DATABASE_URL"].count(role) == 1
