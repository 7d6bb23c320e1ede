"""answer no-photo reason

A written reason why a failed item whose evidence rule is ``on_fail`` has no photo; it excuses the photo at
submit (an item with ``evidence: required`` always needs one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_photo_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('no_photo_reason')
