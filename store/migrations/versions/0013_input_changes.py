"""an idle scoring run is skipped: what scoring reads besides SAP records is marked when it changes,
and the last run's settings are kept whole

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'input_changes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('supplier_id', sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_input_changes')),
    )
    with op.batch_alter_table('scoring_state') as batch:
        batch.add_column(sa.Column('inputs_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scoring_state') as batch:
        batch.drop_column('inputs_hash')
    op.drop_table('input_changes')
