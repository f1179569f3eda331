"""Salesforce write-back: each supplier's latest monthly scorecard onto its Account, with sObject Collections.

One PATCH per up to 200 Accounts (`allOrNone=false`), each record's result read: a record that
failed for a passing reason (a row lock, a busy server) is tried again up to
`write_back.max_attempts` times; a record refused for good (validation, unknown id), or still
failing, is dead-lettered with the Salesforce error. Only final months are written (a provisional card,
of a month still running, never reaches an Account), and only the newest final month stored for a
supplier, so a rescored older month never overwrites a newer one; suppliers without exactly one live
Account are refused by name.
Other events a queue bound wider than `scorecard.published.*` brings are acknowledged untouched: the
percentile ranks of a peer benchmark are not an Account's field.
"""
import logging

from sqlalchemy import Connection, func, select

from config.settings import SalesforceSettings
from connectors.errors import AuthError, LimitExceeded, PayloadError, RemoteFault, TransientError
from connectors.salesforce import SalesforceClient
from domain.actions import ACTIVE
from domain.events import CloudEvent
from domain.scorecards import Scorecard
from store.scorecards import FINAL
from store.tables import corrective_actions, scorecards, supplier_accounts
from sync.consumer import RetryLater

log = logging.getLogger("srm_bridge.sync.write_back")
SCORECARD = "scorecard.published.v1"
RETRYABLE = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG", "TXN_SECURITY_FAIL"})


class SalesforceWriteBack:
    def __init__(self, client: SalesforceClient, settings: SalesforceSettings) -> None:
        self.client, self.settings, self.config = client, settings, settings.write_back

    def __call__(self, connection: Connection, events: list[CloudEvent]) -> dict[str, str | None]:
        outcomes: dict[str, str | None] = {event.id: None for event in events}
        latest: dict[str, tuple[CloudEvent, Scorecard]] = {}
        for event in events:
            if event.type != SCORECARD:
                continue
            card: Scorecard = event.data
            if card.window_months != 1 or card.status != FINAL:
                continue  # a rolling window, or a month still running: never written
            if card.supplier_id not in latest or card.period >= latest[card.supplier_id][1].period:
                latest[card.supplier_id] = (event, card)
        newest = _newest_periods(connection, list(latest))
        accounts = _accounts(connection, list(latest))
        records, owners = [], []
        for supplier, (event, card) in sorted(latest.items()):
            if card.period < newest.get(supplier, card.period):
                continue  # a newer month is already on the Account (or on its way)
            found = accounts.get(supplier, [])
            if len(found) != 1:
                outcomes[event.id] = (f"supplier {supplier} has no live Account" if not found else
                                      f"supplier {supplier} is claimed by Accounts {', '.join(found)}: not guessed")
                continue
            records.append(self._record(found[0], card, _open_actions(connection, supplier)))
            owners.append(event.id)
        for start in range(0, len(records), self.config.batch_size):
            chunk = list(zip(owners[start:start + self.config.batch_size], records[start:start + self.config.batch_size]))
            outcomes.update(self._write(chunk))
        return outcomes

    def _record(self, account_id: str, card: Scorecard, open_actions: int) -> dict:
        c = self.config
        values = {c.score_field: card.score, c.grade_field: card.grade, c.otd_field: card.kpis.otd_pct,
                  c.ppm_field: card.kpis.quality_ppm, c.period_field: card.period, c.open_actions_field: open_actions}
        return {"attributes": {"type": "Account"}, "id": account_id, **{k: v for k, v in values.items() if k}}

    def _write(self, chunk: list[tuple[str, dict]]) -> dict[str, str | None]:
        """One collection call per attempt, with the records still failing; returns each event's final error."""
        pending, errors = dict(chunk), {}
        for attempt in range(1, self.config.max_attempts + 1):
            if not pending:
                break
            payload = {"allOrNone": False, "records": list(pending.values())}
            try:
                results = self.client.call(lambda sf: sf.restful("composite/sobjects", method="PATCH", json=payload,
                                                                 timeout=self.settings.timeout_s),
                                           f"writing {len(pending)} scorecards to Accounts")
            except (TransientError, LimitExceeded, AuthError) as exc:
                raise RetryLater(str(exc)) from None
            except (RemoteFault, PayloadError) as exc:
                results = _refused_all(len(pending), "REQUEST_REFUSED", str(exc))
            if not _one_result_each(results, len(pending)):
                results = _refused_all(len(pending), "INVALID_ANSWER", "Salesforce did not answer one result object "
                                       f"with a list of error objects per record: {str(results)[:200]}")
            failed = {}
            for (event_id, record), result in zip(list(pending.items()), results):
                if result.get("success") is True:
                    errors[event_id] = None
                    continue
                codes = {e.get("statusCode") for e in result.get("errors") or [{}]}
                errors[event_id] = "; ".join(f"{e.get('statusCode')}: {e.get('message')}"
                                             for e in result.get("errors") or [{}]) + f" (account {record['id']})"
                if codes & RETRYABLE:
                    failed[event_id] = record  # a lock or a busy server: worth another try
            if failed:
                log.warning("Salesforce refused records", extra={"attempt": attempt, "failed": len(failed),
                                                                 "first_error": next(iter(errors.values()))})
            pending = failed
        return errors


def _refused_all(count: int, code: str, message: str) -> list[dict]:
    return [{"success": False, "errors": [{"statusCode": code, "message": message}]}] * count


def _one_result_each(results: object, count: int) -> bool:
    """The sObject Collections answer: a list of `{success, errors: [{statusCode, message}]}`, one per record."""
    return isinstance(results, list) and len(results) == count and all(
        isinstance(r, dict) and isinstance(r.get("errors") or [], list)
        and all(isinstance(e, dict) for e in r.get("errors") or []) for r in results)


def _newest_periods(connection: Connection, suppliers: list[str]) -> dict[str, str]:
    rows = connection.execute(select(scorecards.c.supplier_id, func.max(scorecards.c.period))
                              .where(scorecards.c.supplier_id.in_(suppliers), scorecards.c.window_months == 1,
                                     scorecards.c.status == FINAL)
                              .group_by(scorecards.c.supplier_id))
    return {supplier: period for supplier, period in rows}


def _accounts(connection: Connection, suppliers: list[str]) -> dict[str, list[str]]:
    a = supplier_accounts.c
    found: dict[str, list[str]] = {}
    for vendor, account in connection.execute(select(a.vendor_id, a.account_id).where(
            a.vendor_id.in_(suppliers), a.is_deleted.is_(False)).order_by(a.account_id)):
        found.setdefault(vendor, []).append(account)
    return found


def _open_actions(connection: Connection, supplier: str) -> int:
    return connection.execute(select(func.count()).where(corrective_actions.c.supplier_id == supplier,
                                                         corrective_actions.c.status.in_(ACTIVE))).scalar()
