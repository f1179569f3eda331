"""incremental scoring by supplier-month: a touched mark names the month it touched

Marks written before this revision have no month and keep meaning "every month of the supplier".

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dirty_suppliers') as batch:
        batch.add_column(sa.Column('period', sa.String(length=7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dirty_suppliers') as batch:
        batch.drop_column('period')
