"""peer benchmarks are their own event: the last one published per group, subjects wide enough for a
group id, and percentile ranks taken out of stored scorecards and queued scorecard events

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02
"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None

RETIRED = ('percentile_in_category', 'percentile_in_segment')
CHUNK = 1000


def upgrade() -> None:
    op.create_table('benchmarks',
    sa.Column('group_id', sa.String(length=96), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('window_months', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('group_id', 'period', 'window_months', name=op.f('pk_benchmarks'))
    )
    _widen(96)
    _drop_percentiles()


def downgrade() -> None:
    _widen(None)
    op.drop_table('benchmarks')


def _widen(subject: int | None) -> None:
    """Subjects of `subject` characters; back to what they were with None."""
    for table, column, before in (('supplier_sequences', 'supplier_id', 10), ('outbox', 'supplier_id', 10),
                                  ('consumer_offsets', 'subject', 40)):
        old, new = (before, subject) if subject else (96, before)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=old), type_=sa.String(length=new),
                               existing_nullable=False)


def _drop_percentiles() -> None:
    """A scorecard changes only with its supplier's own numbers: the stored cards lose their percentiles
    (their fingerprints follow, so nothing is republished for it), and so do scorecard events not yet sent
    or dead-lettered (a replay sends them as the contract now reads)."""
    connection = op.get_bind()
    cards = sa.table('scorecards', sa.column('supplier_id'), sa.column('period'), sa.column('window_months'),
                     sa.column('card', sa.JSON), sa.column('fingerprint'))
    rows = connection.execute(sa.select(cards.c.supplier_id, cards.c.period, cards.c.window_months, cards.c.card)
                              .where(cards.c.card.is_not(None))).all()
    for start in range(0, len(rows), CHUNK):
        updates = []
        for supplier, period, window_months, card in rows[start:start + CHUNK]:
            if not any(key in card for key in RETIRED):
                continue
            card = {key: value for key, value in card.items() if key not in RETIRED}
            content = {key: value for key, value in card.items() if key != 'as_of'}
            updates.append({'s': supplier, 'p': period, 'w': window_months, 'c': card,
                            'f': hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()})
        if updates:
            connection.execute(cards.update().where(
                cards.c.supplier_id == sa.bindparam('s'), cards.c.period == sa.bindparam('p'),
                cards.c.window_months == sa.bindparam('w')).values(card=sa.bindparam('c'),
                                                                   fingerprint=sa.bindparam('f')), updates)
    outbox = sa.table('outbox', sa.column('id'), sa.column('event_type'), sa.column('envelope'), sa.column('sent_at'))
    queued = connection.execute(sa.select(outbox.c.id, outbox.c.envelope).where(
        outbox.c.event_type == 'scorecard.published.v1', outbox.c.sent_at.is_(None))).all()
    for start in range(0, len(queued), CHUNK):
        updates = []
        for event_id, envelope in queued[start:start + CHUNK]:
            event = json.loads(envelope)
            if any(key in event['data'] for key in RETIRED):
                event['data'] = {key: value for key, value in event['data'].items() if key not in RETIRED}
                updates.append({'i': event_id, 'e': json.dumps(event, separators=(',', ':'), ensure_ascii=False)})
        if updates:
            connection.execute(outbox.update().where(outbox.c.id == sa.bindparam('i'))
                               .values(envelope=sa.bindparam('e')), updates)
