"""Default-scale benchmark run: SAP extract through the connector vs a raw HTTP + lxml reference,
and the whole pipeline on an embedded database."""
import argparse
import io
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import requests
from lxml import etree

from bench.harness import measure, report, with_ratio
from bench.publish import publish_benches
from config import load_settings
from config.settings import SapSettings
from connectors.sap import SapConnector
from sandbox.generator import generate_salesforce, generate_sap
from sandbox.serve import start_salesforce, start_sap
from scheduler.bootstrap import open_app
from scheduler.jobs import publish_job, score_job, sync_job

AS_OF = date(2026, 6, 30)
SINCE, UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
PO_QUERY = """<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:n0="http://sap.com/xi/APPL/SE/Global"><soap-env:Body><n0:PurchaseOrderERPByElementsQuery_sync>
 <QueryProcessingConditions><QueryHitsMaximumNumberValue>{size}</QueryHitsMaximumNumberValue>{after}
 </QueryProcessingConditions></n0:PurchaseOrderERPByElementsQuery_sync></soap-env:Body></soap-env:Envelope>"""


def raw_extract(url: str, page_size: int) -> int:
    """Reference: the same pages fetched with plain HTTP and parsed with lxml iterparse."""
    session, after, lines = requests.Session(), "", 0
    session.auth = ("SRM_BRIDGE", "sandbox")
    while True:
        body = PO_QUERY.format(size=page_size, after=after)
        response = session.post(f"{url}?sap-client=100", data=body, headers={"Content-Type": "text/xml"}, timeout=60)
        more, last = False, None
        for _, element in etree.iterparse(io.BytesIO(response.content), tag=("ScheduleLine", "MoreHitsAvailableIndicator", "LastReturnedObjectID")):
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
    connector = SapConnector(SapSettings(url=url, page_size=page_size))
    return sum(len(line_list.schedule_lines) for page in connector.purchase_orders(SINCE, UNTIL)
               for po in page.records for line_list in po.items)


def pipeline(suppliers: int, months: int) -> int:
    sap_data = generate_sap(suppliers, months, seed=1, as_of=AS_OF)
    sap_server, _ = start_sap(sap_data)
    sf_server, _, ca = start_salesforce(generate_salesforce(suppliers, 1, AS_OF))
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(database={"url": f"sqlite:///{Path(folder) / 'bench.db'}"},
                                 broker={"folder": Path(folder) / "broker"},
                                 sap={"url": sap_server.url, "settle_seconds": 0},
                                 salesforce={"login_url": sf_server.url, "verify": str(ca), "settle_seconds": 0})
        app = open_app(settings=settings)
        sync_job(app, ["sap", "salesforce"], full=True)
        score_job(app, AS_OF)
        publish_job(app)
    sap_server.stop()
    sf_server.stop()
    return len(sap_data["goods_movements"]) + sum(len(i["schedule_lines"]) for po in sap_data["purchase_orders"] for i in po["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    dataset = generate_sap(args.suppliers, args.months, seed=1, as_of=AS_OF)
    server, _ = start_sap(dataset)
    try:
        reference = measure("sap_extract_raw_reference", lambda: raw_extract(server.url, 500))
        extract = with_ratio(measure("sap_extract", lambda: connector_extract(server.url, 500)), reference)
    finally:
        server.stop()
    full = measure("end_to_end_full", lambda: pipeline(max(5, args.suppliers // 4), args.months))
    report([reference, extract, full, *publish_benches()])


if __name__ == "__main__":
    main()
