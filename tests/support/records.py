"""Domain records from a sandbox dataset, as the connectors would deliver them, and changes to them."""
from domain.records import GoodsMovement, PurchaseOrder


def sap_records(dataset: dict) -> tuple[list[PurchaseOrder], list[GoodsMovement]]:
    orders = [PurchaseOrder.model_validate({**po, "items": [
        {**item, "confirmations": [{"confirmed_on": c["date"], "due": c.get("due"), "quantity": c["quantity"]}
                                   for c in item.get("confirmations", ())]} for item in po["items"]]})
        for po in dataset["purchase_orders"]]
    movements = [GoodsMovement.model_validate(
        {**m, "changed_at": m.get("changed_at") or f"{m['posting_date']}T00:00:00Z"})
        for m in dataset["goods_movements"]]
    return orders, movements


def changed_line(order: PurchaseOrder, **update) -> PurchaseOrder:
    """The order with its first schedule line changed."""
    item = order.items[0]
    line = item.schedule_lines[0].model_copy(update=update)
    items = (item.model_copy(update={"schedule_lines": (line, *item.schedule_lines[1:])}), *order.items[1:])
    return order.model_copy(update={"items": items})
