"""catalog: published checklist versions in the database, in force per checklist and site kind

``checklist_versions`` rows become the catalogue's versions (label, status, who published them when,
from which file and why, retirement); ``checklist_in_force`` says which version is in force for which
kind of site. Rows that exist already were frozen by inspections: they stay ``frozen`` until the shipped
file with the same text is published (the app does that on its first start). ``checklist_settings``
(one in-force switch per checklist) is replaced: a checklist switched off there is switched off for
every site kind.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SITE_KINDS = ('residential', 'sales_office')


def upgrade() -> None:
    with op.batch_alter_table('checklist_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='frozen'))
        batch_op.add_column(sa.Column('label', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_file', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retired_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checklist_versions_published_by_users'), 'users',
                                    ['published_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_checklist_versions_retired_by_users'), 'users',
                                    ['retired_by'], ['id'])
    op.create_table('checklist_in_force',
    sa.Column('checklist_id', sa.String(length=64), nullable=False),
    sa.Column('site_kind', sa.String(length=16), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_checklist_in_force_updated_by_users')),
    sa.ForeignKeyConstraint(['version_id'], ['checklist_versions.id'],
                            name=op.f('fk_checklist_in_force_version_id_checklist_versions')),
    sa.PrimaryKeyConstraint('checklist_id', 'site_kind', name=op.f('pk_checklist_in_force'))
    )
    # a checklist an administrator switched off stays off, for every kind of site
    conn = op.get_bind()
    off = conn.execute(sa.text('SELECT checklist_id, updated_at, updated_by FROM checklist_settings '
                               'WHERE NOT in_force')).fetchall()
    for checklist_id, updated_at, updated_by in off:
        for kind in SITE_KINDS:
            conn.execute(sa.text('INSERT INTO checklist_in_force (checklist_id, site_kind, version_id, updated_at, '
                                 'updated_by) VALUES (:c, :k, NULL, :t, :u)'),
                         {'c': checklist_id, 'k': kind, 't': updated_at, 'u': updated_by})
    op.drop_table('checklist_settings')


def downgrade() -> None:
    op.create_table('checklist_settings',
    sa.Column('checklist_id', sa.String(length=64), nullable=False),
    sa.Column('in_force', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_checklist_settings_updated_by_users')),
    sa.PrimaryKeyConstraint('checklist_id', name=op.f('pk_checklist_settings'))
    )
    op.drop_table('checklist_in_force')
    with op.batch_alter_table('checklist_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checklist_versions_retired_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_checklist_versions_published_by_users'), type_='foreignkey')
        for column in ('retired_by', 'retired_at', 'reason', 'source_file', 'published_by', 'published_at',
                       'label', 'status'):
            batch_op.drop_column(column)
