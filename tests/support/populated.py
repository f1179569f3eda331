"""A database as the demo leaves it, built in-process: generated SAP and Salesforce data, stored and scored
month after month (so corrective actions have a history)."""
from datetime import date, datetime, time, timezone

from sqlalchemy import Engine

from config import Settings
from domain.records import SupplierAccount
from sandbox.generator import generate_salesforce, generate_sap
from scheduler.demo import replay_month_ends
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from sync.scoring import score
from tests.support.records import sap_records

AS_OF = date(2026, 6, 30)


def accounts_of(dataset: dict) -> list[SupplierAccount]:
    return [SupplierAccount(id=a["Id"], name=a["Name"], vendor_id=a["SAP_Vendor_Id__c"], owner_id=a["OwnerId"],
                            owner_name=a["Owner"]["Name"], industry=a["Industry"], tier=a["Supplier_Tier__c"],
                            risk_rating=a["Risk_Rating__c"], modstamp=a["SystemModstamp"]) for a in dataset["accounts"]]


def populate(engine: Engine, settings: Settings, suppliers: int = 6, months: int = 8, seed: int = 7,
             as_of: date = AS_OF, names: dict[str, str] | None = None) -> None:
    """Store and score; `names` renames Accounts by vendor id (e.g. to a hostile name)."""
    orders, movements = sap_records(generate_sap(suppliers, months, seed, as_of))
    accounts = generate_salesforce(suppliers, seed, as_of)
    for account in accounts["accounts"]:
        vendor = (account["SAP_Vendor_Id__c"] or "").zfill(10)
        account["Name"] = (names or {}).get(vendor, account["Name"])
    with engine.begin() as connection:
        store_purchase_orders(connection, orders)
        store_goods_movements(connection, movements)
        store_accounts(connection, accounts_of(accounts))
    for month_end in replay_month_ends(as_of, 4):
        score(engine, settings, month_end, datetime.combine(month_end, time(23), timezone.utc))
