"""Sign-in throttling: failed attempts per account and per client address.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )
    # sessions of disabled users ended (before this revision disabling left them in place)
    op.execute("DELETE FROM auth_sessions WHERE user_id IN (SELECT id FROM users WHERE NOT active)")


def downgrade() -> None:
    op.drop_table('login_throttle')
