"""Why a KPI has its value: the schedule lines, movements, items or actions behind it, each with its part."""
from datetime import date
from typing import Any

from domain.deliveries import ActionDue, Movement, OrderedItem
from domain.records import RECEIPT, RETURNS, REVERSAL
from mapping.deliveries import LineFacts
from mapping.kpis import DeliveryWindow

LINE_KPIS = ("otd_pct", "otif_pct", "fill_rate_pct", "lead_time_days_mean", "delay_days_mean")
RULES = {
    "otd_pct": "lines due in the period (on or before as-of) with net receipts inside [due − early_days, "
               "due + late_days] reaching ordered × (1 − qty_tolerance), ÷ those lines; a line whose window has "
               "not closed by as-of and that is not yet on time is open and not counted",
    "otif_pct": "lines on time and in full: total net received within [1 − qty_tolerance, 1 + over_tolerance] × "
                "ordered and nothing returned, ÷ lines due (open lines not counted)",
    "fill_rate_pct": "Σ min(received, ordered) ÷ Σ ordered over lines due",
    "lead_time_days_mean": "completion date − PO date over complete lines due; mean",
    "delay_days_mean": "completion date − due date over complete lines due; mean (negative = early)",
    "quality_ppm": "returned (122, 161) ÷ (Σ101 − Σ102) × 1,000,000 over movements posted in the period",
    "price_variance_pct": "Σ (price − baseline) × qty ÷ Σ baseline × qty over items ordered in the period "
                          "(price = net price ÷ price unit; baseline = first price for the material in the "
                          "12 months before)",
    "confirmation_lag_days_median": "first confirmation − PO date over items ordered in the period; median "
                                    "(a confirmation dates from SAP's date, else from the day it was first seen)",
    "action_closure_pct": "actions closed by their due date ÷ actions due in the period (cancelled left out)",
}


def explain_lines(lines: list[LineFacts], window: DeliveryWindow) -> list[dict[str, Any]]:
    rows = []
    for line in sorted(lines, key=lambda l: (l.due, l.po_id, l.item_id, l.line_id)):
        first, last = window.bounds(line.due)
        inside = line.received_between(first, last)
        completed = window.completed_on(line)
        judged = not window.is_open(line)
        rows.append({
            "po": line.po_id, "item": line.item_id, "line": line.line_id, "po_date": line.po_date, "due": line.due,
            "window": f"{first}..{last}", "ordered": line.ordered, "received_in_window": inside,
            "received_outside_window": line.received - inside, "returned": line.returned,
            "completed_on": completed,
            "state": "open" if not judged else "on time" if window.on_time(line) else "not on time",
            "on_time": window.on_time(line) if judged else None,
            "in_full": window.in_full(line) if judged else None, "counted_in_full_as": min(line.received, line.ordered),
            "lead_time_days": (completed - line.po_date).days if completed else None,
            "delay_days": (completed - line.due).days if completed else None,
        })
    return rows


def explain_movements(movements: list[Movement]) -> list[dict[str, Any]]:
    effect = {RECEIPT: "received", REVERSAL: "reversal (subtracted from received)"}
    return [{"document": "/".join(map(str, m.key)), "type": m.movement_type, "posting_date": m.posting_date,
             "quantity": m.quantity, "counts_as": effect.get(m.movement_type) or
             ("returned" if m.movement_type in RETURNS else "not counted")}
            for m in sorted(movements, key=lambda m: m.order)]


def explain_prices(items: list[OrderedItem], baselines: dict) -> list[dict[str, Any]]:
    rows = []
    for item in sorted(items, key=lambda i: (i.order_date, i.po_id, i.item_id)):
        baseline = baselines.get((item.supplier_id, item.po_id, item.item_id))
        rows.append({"po": item.po_id, "item": item.item_id, "material": item.material, "ordered": item.order_date,
                     "quantity": item.quantity, "price": item.unit_price, "baseline": baseline,
                     "variance": None if baseline is None else (item.unit_price - baseline) * item.quantity,
                     "counted": baseline is not None})
    return rows


def explain_confirmations(items: list[OrderedItem], as_of: date, confirm_days: int) -> list[dict[str, Any]]:
    rows = []
    for item in sorted(items, key=lambda i: (i.order_date, i.po_id, i.item_id)):
        known = item.first_confirmed_on if item.first_confirmed_on and item.first_confirmed_on <= as_of else None
        lag = (known - item.order_date).days if known else None
        rows.append({"po": item.po_id, "item": item.item_id, "ordered": item.order_date, "first_confirmed": known,
                     "date_from": item.confirmed_date_from if known else None,
                     "lag_days": lag, "within_confirm_days": lag is not None and lag <= confirm_days})
    return rows


def explain_actions(actions: list[ActionDue], as_of: date) -> list[dict[str, Any]]:
    return [{"action": a.action_id, "due": a.due_date, "closed_on": a.closed_on, "cancelled": a.cancelled,
             "counted": a.due_date <= as_of and not a.cancelled,
             "closed_in_time": a.closed_on is not None and a.closed_on <= a.due_date}
            for a in sorted(actions, key=lambda a: (a.due_date, a.action_id))]
