"""SAP extract: the connector against a plain HTTP + lxml iterparse reading of the same pages.

The stand-in runs in its own process (as SAP would), so the measured process holds only the
client side, and peak RSS says what the connector needs.
"""
import io
import json
import resource
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import requests
from lxml import etree

from bench.harness import Result, measure
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
def stand_in(system: str, *options: str) -> Iterator[list[str]]:
    """`srm-bridge sandbox SYSTEM …` in its own process; yields the two lines it prints first (SAP: its two
    service URLs; Salesforce: its URL, then its CA file)."""
    process = subprocess.Popen([COMMAND, "sandbox", system, *options], stdout=subprocess.PIPE, text=True)
    try:
        yield [process.stdout.readline().strip(), process.stdout.readline().strip().removeprefix("CA ")]
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


def own_peak_rss_mb() -> float:
    """This process's peak RSS since it started (VmHWM): ru_maxrss would carry the forking parent's peak."""
    try:
        status = Path("/proc/self/status").read_text()
        return round(int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024, 1)
    except (OSError, StopIteration):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def history_extract(name: str, suppliers: int, months: int, page_size: int) -> Result:
    """Pull a history in a fresh process, so that its peak RSS is the connector's alone."""
    done = subprocess.run([sys.executable, "-m", "bench.sap", str(suppliers), str(months), str(page_size)],
                          capture_output=True, text=True, check=True)
    return Result(**{**json.loads(done.stdout.strip().splitlines()[-1]), "name": name})


if __name__ == "__main__":
    history_suppliers, history_months, size = (int(arg) for arg in sys.argv[1:4])
    with sap_stand_in(history_suppliers, history_months) as url:
        result = measure("sap_extract_history", lambda: connector_extract(url, size))
    result.peak_rss_mb = own_peak_rss_mb()
    print(json.dumps(result.__dict__))
