"""SAP extract: the connector against a plain HTTP + lxml iterparse reading of the same pages.

The stand-in runs in its own process (as SAP would), so the measured process holds only the
client side, and peak RSS says what the connector needs.
"""
import io
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import requests
from lxml import etree

from bench.harness import Result, alone, measure
from config.settings import SapSettings
from connectors.sap import SapConnector

SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
PO_QUERY = """<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:n0="http://sap.com/xi/SAPGlobal20/Global"><soap-env:Body><n0:PurchaseOrderERPByElementsQuery_sync>
 <PurchaseOrderSelectionByElements/><ProcessingConditions><QueryHitsMaximumNumberValue>{size}</QueryHitsMaximumNumberValue>
 <QueryHitsUnlimitedIndicator>false</QueryHitsUnlimitedIndicator>{after}</ProcessingConditions>
 </n0:PurchaseOrderERPByElementsQuery_sync></soap-env:Body></soap-env:Envelope>"""
COMMAND = shutil.which("srm-bridge", path=str(Path(sys.executable).parent)) or "srm-bridge"


@contextmanager
def stand_in(system: str, *options: str, lines: int = 2) -> Iterator[list[str]]:
    """`srm-bridge sandbox SYSTEM …` in its own process; yields the lines it prints first (SAP: its service
    URLs, two or with `--profile bapi` three; Salesforce: its URL, then its CA file)."""
    process = subprocess.Popen([COMMAND, "sandbox", system, *options], stdout=subprocess.PIPE, text=True)
    try:
        yield [process.stdout.readline().strip().removeprefix("CA ") for _ in range(lines)]
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def sap_stand_in(suppliers: int, months: int) -> Iterator[str]:
    """The purchase-order service's URL."""
    with stand_in("sap", "--suppliers", str(suppliers), "--months", str(months), "--seed", "1",
                  "--as-of", "2026-06-30") as (purchase_orders, _):
        yield purchase_orders


def raw_extract(url: str, page_size: int) -> int:
    """Reference: the same pages fetched with plain HTTP and parsed with lxml iterparse."""
    session, after, lines = requests.Session(), "", 0
    session.auth = ("SRM_BRIDGE", "sandbox")
    while True:
        body = PO_QUERY.format(size=page_size, after=after)
        response = session.post(f"{url}?sap-client=100", data=body, headers={"Content-Type": "text/xml"}, timeout=60)
        more, last = False, None
        for _, element in etree.iterparse(io.BytesIO(response.content),
                                          tag=("ScheduleLine", "MoreHitsAvailableIndicator", "LastReturnedObjectID")):
            if element.tag == "ScheduleLine":
                lines += 1
            elif element.tag == "MoreHitsAvailableIndicator":
                more = element.text == "true"
            else:
                last = element.text
            element.clear()
        if not more:
            return lines
        after = f"<LastReturnedObjectID>{last}</LastReturnedObjectID>"


def connector_extract(url: str, page_size: int) -> int:
    """Schedule lines delivered as domain records by the connector; pages are dropped once counted."""
    connector = SapConnector(SapSettings(purchase_orders={"url": url}, page_size=page_size))
    return sum(len(item.schedule_lines) for page in connector.purchase_orders(SINCE, UNTIL)
               for order in page.records for item in order.items)


def history_extract(name: str, suppliers: int, months: int, page_size: int) -> Result:
    """Pull a history in a fresh process, so that its peak RSS is the connector's alone."""
    return alone(name, "bench.sap:pull_history", suppliers, months, page_size)


def pull_history(suppliers: int, months: int, page_size: int) -> Result:
    """The connector's pull timed; the stand-in's start is not."""
    with sap_stand_in(suppliers, months) as url:
        return measure("sap_extract_history", lambda: connector_extract(url, page_size))
