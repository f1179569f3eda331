"""what a pull interrupted in its window has finished, so that it resumes without reading it again

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_progress',
        sa.Column('stream', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('stream', 'key', name=op.f('pk_sync_progress')),
    )


def downgrade() -> None:
    op.drop_table('sync_progress')
