"""poison-proof consumers: quarantined content kept as bytes, handler failures counted per event

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consumer_attempts',
    sa.Column('consumer', sa.String(length=60), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_consumer_attempts'))
    )
    with op.batch_alter_table('quarantine') as batch:
        batch.alter_column('raw', existing_type=sa.Text(), type_=sa.LargeBinary(), existing_nullable=False,
                           postgresql_using="convert_to(raw, 'UTF8')")


def downgrade() -> None:
    with op.batch_alter_table('quarantine') as batch:
        batch.alter_column('raw', existing_type=sa.LargeBinary(), type_=sa.Text(), existing_nullable=False,
                           postgresql_using="convert_from(raw, 'UTF8')")
    op.drop_table('consumer_attempts')
