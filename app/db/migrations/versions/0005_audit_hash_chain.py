"""audit log: hash chain (seq, prev_hash, row_hash); refuse REPLACE and TRUNCATE

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 15:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

APPEND_ONLY = "SELECT RAISE(ABORT, 'audit_log is append-only')"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('audit_log', sa.Column('seq', sa.Integer(), nullable=True))
    op.add_column('audit_log', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('row_hash', sa.String(length=64), nullable=True))
    op.create_index('uq_audit_log_seq', 'audit_log', ['seq'], unique=True)
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        _chain_existing_rows()
        op.execute(f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN {APPEND_ONLY}; END")
        # INSERT OR REPLACE would delete the old row without firing a DELETE trigger (unless
        # recursive_triggers is on): refuse any insert that collides with an existing row.
        op.execute(
            "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id OR seq = NEW.seq) "
            f"BEGIN {APPEND_ONLY}; END"
        )
        # a new row must extend the chain: next seq, previous row's hash
        op.execute(
            "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log "
            "WHEN NEW.seq IS NULL OR NEW.seq != COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1 "
            "OR NEW.prev_hash IS NOT COALESCE((SELECT row_hash FROM audit_log WHERE seq = NEW.seq - 1), "
            "'0000000000000000000000000000000000000000000000000000000000000000') "
            "BEGIN SELECT RAISE(ABORT, 'audit_log: a new row must extend the hash chain'); END"
        )
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        _chain_existing_rows()
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def _chain_existing_rows() -> None:
    """Give rows written before this revision their place in the chain (in id order)."""
    from app.services.audit import GENESIS, row_digest

    conn = op.get_bind()
    t = sa.table("audit_log", sa.column("id"), sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_id"),
                 sa.column("action"), sa.column("entity"), sa.column("entity_id"), sa.column("detail", sa.JSON()),
                 sa.column("seq"), sa.column("prev_hash"), sa.column("row_hash"))
    rows = conn.execute(sa.select(t.c.id, t.c.at, t.c.actor_id, t.c.action, t.c.entity, t.c.entity_id,
                                  t.c.detail).order_by(t.c.id)).all()
    prev = GENESIS
    for seq, r in enumerate(rows, start=1):
        digest = row_digest(prev, seq, r.at, r.actor_id, r.action, r.entity, r.entity_id, r.detail)
        conn.execute(t.update().where(t.c.id == r.id).values(seq=seq, prev_hash=prev, row_hash=digest))
        prev = digest


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_chain")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
    op.drop_index('uq_audit_log_seq', table_name='audit_log')
    op.drop_column('audit_log', 'row_hash')
    op.drop_column('audit_log', 'prev_hash')
    op.drop_column('audit_log', 'seq')
    if dialect == "sqlite":
        op.execute(f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN {APPEND_ONLY}; END")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")

