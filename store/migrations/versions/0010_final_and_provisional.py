"""scorecards carry their status (final once the month has ended by as_of, else provisional); the scoring
state remembers the newest as-of ever scored, so a back-dated run can be told from a current one

Follows 0011 (peer benchmarks), which reached the schema first.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-02
"""
import hashlib
import json
from calendar import monthrange
from datetime import date

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None

CHUNK = 1000


def _status(period: str, as_of: date | str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    day = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    return 'final' if day >= date(year, month, monthrange(year, month)[1]) else 'provisional'


def upgrade() -> None:
    with op.batch_alter_table('scorecards') as batch:
        batch.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='provisional'))
    _label_cards()
    _label_queued_events()
    with op.batch_alter_table('scorecards') as batch:
        batch.alter_column('status', server_default=None)
    with op.batch_alter_table('scoring_state') as batch:
        batch.add_column(sa.Column('latest_as_of', sa.Date(), nullable=True))
    op.execute("UPDATE scoring_state SET latest_as_of = as_of")


def downgrade() -> None:
    with op.batch_alter_table('scoring_state') as batch:
        batch.drop_column('latest_as_of')
    with op.batch_alter_table('scorecards') as batch:
        batch.drop_column('status')


def _label_cards() -> None:
    """Each stored card gets the status its as-of gives it, in its column and its content; its fingerprint
    follows the content, so nothing is republished for it."""
    connection = op.get_bind()
    cards = sa.table('scorecards', sa.column('supplier_id'), sa.column('period'), sa.column('window_months'),
                     sa.column('as_of', sa.Date), sa.column('card', sa.JSON), sa.column('fingerprint'),
                     sa.column('status'))
    rows = connection.execute(sa.select(cards.c.supplier_id, cards.c.period, cards.c.window_months, cards.c.as_of,
                                        cards.c.card)).all()
    for start in range(0, len(rows), CHUNK):
        plain, carded = [], []
        for supplier, period, window_months, as_of, card in rows[start:start + CHUNK]:
            key = {'s': supplier, 'p': period, 'w': window_months, 't': _status(period, as_of)}
            if card is None:
                plain.append(key)
                continue
            card = {**card, 'status': key['t']}
            content = {name: value for name, value in card.items() if name != 'as_of'}
            carded.append({**key, 'c': card,
                           'f': hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()})
        where = sa.and_(cards.c.supplier_id == sa.bindparam('s'), cards.c.period == sa.bindparam('p'),
                        cards.c.window_months == sa.bindparam('w'))
        if plain:
            connection.execute(cards.update().where(where).values(status=sa.bindparam('t')), plain)
        if carded:
            connection.execute(cards.update().where(where).values(
                status=sa.bindparam('t'), card=sa.bindparam('c'), fingerprint=sa.bindparam('f')), carded)


def _label_queued_events() -> None:
    """Scorecard events not yet sent or dead-lettered carry the status too (a replay sends them as the
    contract now reads)."""
    connection = op.get_bind()
    outbox = sa.table('outbox', sa.column('id'), sa.column('event_type'), sa.column('envelope'), sa.column('sent_at'))
    queued = connection.execute(sa.select(outbox.c.id, outbox.c.envelope).where(
        outbox.c.event_type == 'scorecard.published.v1', outbox.c.sent_at.is_(None))).all()
    for start in range(0, len(queued), CHUNK):
        updates = []
        for event_id, envelope in queued[start:start + CHUNK]:
            event = json.loads(envelope)
            if 'status' not in event['data']:
                event['data'] = {**event['data'], 'status': _status(event['data']['period'], event['data']['as_of'])}
                updates.append({'i': event_id, 'e': json.dumps(event, separators=(',', ':'), ensure_ascii=False)})
        if updates:
            connection.execute(outbox.update().where(outbox.c.id == sa.bindparam('i'))
                               .values(envelope=sa.bindparam('e')), updates)
