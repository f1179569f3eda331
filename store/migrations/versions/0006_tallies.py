"""monthly tallies instead of window measurements: windows are summed from their months

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tallies',
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('supplier_id', 'period', name=op.f('pk_tallies'))
    )
    op.drop_table('measurements')
    # the next scoring run measures in full: the stored basis no longer describes what is stored
    op.execute("DELETE FROM scoring_state")


def downgrade() -> None:
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
    op.execute("DELETE FROM scoring_state")
    op.drop_table('tallies')
