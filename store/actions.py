"""Corrective actions and their append-only audit trail."""
from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, func, select, update

from domain.actions import ACTIVE, CorrectiveAction
from store.records import utc
from store.tables import action_audit, corrective_actions

PLAN_FIELDS = ("higher_is_better", "evidence", "milestones", "linked_signals", "sustained", "overdue_escalated")


def _row(action: CorrectiveAction) -> dict:
    data = action.model_dump(mode="json")
    return {"supplier_id": action.supplier_id, "kpi": action.kpi, "status": action.status, "gap": action.gap,
            "baseline": action.baseline, "target": action.target, "due_date": action.due_date,
            "buyer_owner": action.buyer_owner, "supplier_contact": action.supplier_contact,
            "root_cause": action.root_cause, "escalation_level": action.escalation_level,
            "plan": {key: data[key] for key in PLAN_FIELDS}, "opened_at": action.opened_at,
            "closed_at": action.closed_at}


def _action(row) -> CorrectiveAction:  # noqa: ANN001 - a row mapping
    return CorrectiveAction(action_id=row["id"], supplier_id=row["supplier_id"], kpi=row["kpi"], status=row["status"],
                            gap=row["gap"], baseline=row["baseline"], target=row["target"], due_date=row["due_date"],
                            buyer_owner=row["buyer_owner"], supplier_contact=row["supplier_contact"],
                            root_cause=row["root_cause"], escalation_level=row["escalation_level"],
                            opened_at=utc(row["opened_at"]), closed_at=utc(row["closed_at"]), **row["plan"])


def insert_action(connection: Connection, action: CorrectiveAction) -> CorrectiveAction:
    action_id = connection.execute(corrective_actions.insert().values(**_row(action))).inserted_primary_key[0]
    return action.model_copy(update={"action_id": action_id})


def update_action(connection: Connection, action: CorrectiveAction) -> None:
    connection.execute(update(corrective_actions).where(corrective_actions.c.id == action.action_id)
                       .values(**_row(action)))


def load_action(connection: Connection, action_id: int, for_update: bool = False) -> CorrectiveAction | None:
    query = select(corrective_actions).where(corrective_actions.c.id == action_id)
    if for_update and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    return None if row is None else _action(row)


def find_actions(connection: Connection, status: str | None = None, supplier_id: str | None = None,
                 active: bool = False, suppliers: Iterable[str] | None = None) -> list[CorrectiveAction]:
    query = select(corrective_actions).order_by(corrective_actions.c.id)
    if suppliers is not None:
        query = query.where(corrective_actions.c.supplier_id.in_(list(suppliers)))
    if status:
        query = query.where(corrective_actions.c.status == status)
    if supplier_id:
        query = query.where(corrective_actions.c.supplier_id == supplier_id)
    if active:
        query = query.where(corrective_actions.c.status.in_(ACTIVE))
    return [_action(row) for row in connection.execute(query).mappings()]


def counts_by_status(connection: Connection) -> dict[str, int]:
    query = select(corrective_actions.c.status, func.count()).group_by(corrective_actions.c.status)
    return {status: count for status, count in connection.execute(query)}


def add_audit(connection: Connection, action_id: int, at: datetime, actor: str, from_status: str | None,
              to_status: str | None, change: dict, reason: str) -> None:
    connection.execute(action_audit.insert().values(action_id=action_id, at=at, actor=actor, from_status=from_status,
                                                    to_status=to_status, change=change, reason=reason))


def audit_trail(connection: Connection, action_id: int) -> list[dict]:
    rows = connection.execute(select(action_audit).where(action_audit.c.action_id == action_id)
                              .order_by(action_audit.c.id)).mappings()
    return [{**row, "at": utc(row["at"])} for row in rows]
