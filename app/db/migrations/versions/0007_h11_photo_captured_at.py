"""inspection photo capture time

The time a photo was taken, as the device reported it with the upload (the inspection screen downscales
photos in the browser, which drops the EXIF time).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.drop_column('captured_at')
