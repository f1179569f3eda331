"""an incremental scoring run rescores only the suppliers whose inputs changed: what each supplier's last
scoring read besides its tallies is kept as a fingerprint

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'supplier_contexts',
        sa.Column('supplier_id', sa.String(length=10), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_supplier_contexts')),
    )


def downgrade() -> None:
    op.drop_table('supplier_contexts')
