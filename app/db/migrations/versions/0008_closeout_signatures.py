"""close-out signatures

The signatures drawn on the tablet when an inspection is closed out (the inspector's and the inspected
staff member's / front-desk lead's), or a refusal to sign with its reason. One row per inspection and role.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspection_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.Column('signer_name', sa.String(length=80), nullable=False),
        sa.Column('refused', sa.Boolean(), nullable=False),
        sa.Column('refusal_reason', sa.Text(), nullable=True),
        sa.Column('image_png', sa.LargeBinary(), nullable=True),
        sa.Column('image_sha256', sa.String(length=64), nullable=True),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signed_by', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_inspection_signatures_inspection_id_inspections'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_inspection_signatures_signed_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_signatures')),
        sa.UniqueConstraint('inspection_id', 'role', name=op.f('uq_inspection_signatures_inspection_id')),
    )


def downgrade() -> None:
    op.drop_table('inspection_signatures')
