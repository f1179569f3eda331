"""confirmations: SAP's confirmation id and processing type, the date first seen; SAP's own date optional

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_id', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('processing_type', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('first_seen_on', sa.Date(), nullable=True))
        batch_op.alter_column('confirmed_on', existing_type=sa.Date(), nullable=True)
    op.execute("UPDATE confirmations SET first_seen_on = confirmed_on")
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.alter_column('first_seen_on', existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    op.execute("UPDATE confirmations SET confirmed_on = first_seen_on WHERE confirmed_on IS NULL")
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.alter_column('confirmed_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('first_seen_on')
        batch_op.drop_column('processing_type')
        batch_op.drop_column('confirmation_id')
