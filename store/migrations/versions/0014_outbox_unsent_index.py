"""the relay chooses a batch from indexes on the unsent outbox rows instead of ranking the whole backlog

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

UNSENT = 'sent_at IS NULL AND dead_at IS NULL'
RETRYING = 'next_attempt_at IS NOT NULL'


def upgrade() -> None:
    op.create_index('ix_outbox_unsent', 'outbox', ['supplier_id', 'sequence', 'created_at'], unique=False,
                    postgresql_where=sa.text(UNSENT), sqlite_where=sa.text(UNSENT))
    op.create_index('ix_outbox_retrying', 'outbox', ['sent_at', 'dead_at', 'next_attempt_at'], unique=False,
                    postgresql_where=sa.text(RETRYING), sqlite_where=sa.text(RETRYING))


def downgrade() -> None:
    op.drop_index('ix_outbox_retrying', table_name='outbox')
    op.drop_index('ix_outbox_unsent', table_name='outbox')
