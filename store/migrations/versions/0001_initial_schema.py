"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('confirmations',
    sa.Column('po_id', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('confirmed_on', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('po_id', 'item_id', 'seq', name=op.f('pk_confirmations'))
    )
    op.create_table('corrective_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('kpi', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('gap', sa.Text(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('buyer_owner', sa.String(length=255), nullable=True),
    sa.Column('supplier_contact', sa.String(length=255), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_actions'))
    )
    with op.batch_alter_table('corrective_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrective_actions_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('goods_movements',
    sa.Column('document', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('movement_type', sa.String(length=3), nullable=False),
    sa.Column('posting_date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=6), nullable=False),
    sa.Column('po_id', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.String(length=10), nullable=False),
    sa.Column('schedule_line_id', sa.String(length=10), nullable=True),
    sa.Column('reverses_document', sa.String(length=10), nullable=True),
    sa.Column('reverses_year', sa.Integer(), nullable=True),
    sa.Column('reverses_line', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('document', 'year', 'line', name=op.f('pk_goods_movements'))
    )
    with op.batch_alter_table('goods_movements', schema=None) as batch_op:
        batch_op.create_index('ix_goods_movements_po_item', ['po_id', 'item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goods_movements_posting_date'), ['posting_date'], unique=False)

    op.create_table('kpi_measurements',
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('kpi', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('supplier_id', 'period', 'kpi', name=op.f('pk_kpi_measurements'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('event_type', sa.String(length=60), nullable=False),
    sa.Column('routing_key', sa.String(length=120), nullable=False),
    sa.Column('envelope', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('supplier_id', 'sequence', name=op.f('uq_outbox_supplier_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['sent_at', 'dead_at', 'supplier_id', 'sequence'], unique=False)

    op.create_table('purchase_orders',
    sa.Column('po_id', sa.String(length=20), nullable=False),
    sa.Column('vendor_id', sa.String(length=10), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('po_id', name=op.f('pk_purchase_orders'))
    )
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_orders_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('record_key', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine'))
    )
    op.create_table('risk_signals',
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('kpi', sa.String(length=40), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('observed', sa.Float(), nullable=True),
    sa.Column('limit_value', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('dedupe_key', name=op.f('pk_risk_signals'))
    )
    with op.batch_alter_table('risk_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_signals_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('schedule_lines',
    sa.Column('po_id', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.String(length=10), nullable=False),
    sa.Column('line_id', sa.String(length=10), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('po_id', 'item_id', 'line_id', name=op.f('pk_schedule_lines'))
    )
    with op.batch_alter_table('schedule_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_lines_due_date'), ['due_date'], unique=False)

    op.create_table('scorecards',
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('window_months', sa.Integer(), nullable=False),
    sa.Column('supplier_name', sa.String(length=255), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('kpis', sa.JSON(), nullable=False),
    sa.Column('kpi_scores', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('supplier_id', 'period', 'window_months', name=op.f('pk_scorecards'))
    )
    op.create_table('supplier_accounts',
    sa.Column('account_id', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('vendor_id', sa.String(length=10), nullable=True),
    sa.Column('owner_id', sa.String(length=18), nullable=True),
    sa.Column('owner_name', sa.String(length=255), nullable=True),
    sa.Column('industry', sa.String(length=255), nullable=True),
    sa.Column('tier', sa.String(length=80), nullable=True),
    sa.Column('risk_rating', sa.String(length=80), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('modstamp', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_supplier_accounts'))
    )
    with op.batch_alter_table('supplier_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_accounts_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('supplier_sequences',
    sa.Column('supplier_id', sa.String(length=10), nullable=False),
    sa.Column('last_sequence', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_supplier_sequences'))
    )
    op.create_table('sync_cursors',
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('position', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_sync_cursors'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('pulled', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_runs_run_id'), ['run_id'], unique=False)

    op.create_table('action_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('change', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['corrective_actions.id'], name=op.f('fk_action_audit_action_id_corrective_actions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_audit'))
    )
    with op.batch_alter_table('action_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_audit_action_id'), ['action_id'], unique=False)

    op.create_table('po_items',
    sa.Column('po_id', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.String(length=10), nullable=False),
    sa.Column('material', sa.String(length=40), nullable=False),
    sa.Column('plant', sa.String(length=10), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=6), nullable=False),
    sa.Column('net_price', sa.BigInteger(), nullable=False),
    sa.Column('price_unit', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.po_id'], name=op.f('fk_po_items_po_id_purchase_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('po_id', 'item_id', name=op.f('pk_po_items'))
    )


def downgrade() -> None:
    op.drop_table('po_items')
    with op.batch_alter_table('action_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_audit_action_id'))

    op.drop_table('action_audit')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_runs_run_id'))

    op.drop_table('sync_runs')
    op.drop_table('sync_cursors')
    op.drop_table('supplier_sequences')
    with op.batch_alter_table('supplier_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_accounts_vendor_id'))

    op.drop_table('supplier_accounts')
    op.drop_table('scorecards')
    with op.batch_alter_table('schedule_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_lines_due_date'))

    op.drop_table('schedule_lines')
    with op.batch_alter_table('risk_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_signals_supplier_id'))

    op.drop_table('risk_signals')
    op.drop_table('quarantine')
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_orders_vendor_id'))

    op.drop_table('purchase_orders')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('kpi_measurements')
    with op.batch_alter_table('goods_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goods_movements_posting_date'))
        batch_op.drop_index('ix_goods_movements_po_item')

    op.drop_table('goods_movements')
    with op.batch_alter_table('corrective_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrective_actions_supplier_id'))

    op.drop_table('corrective_actions')
    op.drop_table('confirmations')
