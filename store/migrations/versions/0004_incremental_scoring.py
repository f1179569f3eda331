"""incremental scoring: suppliers touched since the last run, stored measurements, the last run's basis

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dirty_suppliers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dirty_suppliers'))
    )
    op.create_table('measurements',
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('window_months', sa.Integer(), nullable=False),
    sa.Column('kpis', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('on_time_lines', sa.Integer(), nullable=False),
    sa.Column('due_lines', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('supplier_id', 'period', 'window_months', name=op.f('pk_measurements'))
    )
    op.create_table('scoring_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('settings_hash', sa.String(length=64), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_state'))
    )


def downgrade() -> None:
    op.drop_table('scoring_state')
    op.drop_table('measurements')
    op.drop_table('dirty_suppliers')
