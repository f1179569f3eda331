"""SAP extract through BAPIs: the bapi profile against a plain requests + lxml client making the same calls.

Both read the stand-in (`srm-bridge sandbox sap --profile bapi`, its own process) the same way: goods
movements in posting-date slices (7 days, twice as long after an empty one), the order list, then
one BAPI_PO_GETDETAIL1 call per order with the same number of calls in flight. Records: schedule
lines and goods movements delivered.
"""
import io
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

import requests
from lxml import etree

from bench.sap import SINCE, UNTIL, stand_in
from config.settings import SapSettings
from connectors.sap_bapi import SapBapiConnector

POOL = 4
ENVELOPE = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:urn="urn:sap-com:document:sap:rfc:functions"><soapenv:Header/><soapenv:Body>'
            '<urn:{function}>{parameters}</urn:{function}></soapenv:Body></soapenv:Envelope>')
EQ = "<item><SIGN>I</SIGN><OPTION>EQ</OPTION><LOW>{}</LOW><HIGH/></item>"
SLICE = ("<GOODSMVT_HEADER/><GOODSMVT_ITEMS/><MOVE_TYPE_RA>"
         + "".join(EQ.format(kind) for kind in ("101", "102", "122", "161"))
         + "</MOVE_TYPE_RA><PSTNG_DATE_RA><item><SIGN>I</SIGN><OPTION>BT</OPTION><LOW>{low}</LOW><HIGH>{high}</HIGH>"
         "</item></PSTNG_DATE_RA><RETURN/>")
LIST = "<DOC_DATE>{low}</DOC_DATE><PO_HEADERS/><PO_ITEMS/><RETURN/><WITH_PO_HEADERS>X</WITH_PO_HEADERS>"
DETAIL = "<POCONFIRMATION/><POHISTORY/><POITEM/><POSCHEDULE/><PURCHASEORDER>{number}</PURCHASEORDER><RETURN/>"


@contextmanager
def bapi_stand_in(suppliers: int, months: int) -> Iterator[list[str]]:
    """The endpoints of BAPI_GOODSMVT_GETITEMS, BAPI_PO_GETITEMS and BAPI_PO_GETDETAIL1."""
    with stand_in("sap", "--profile", "bapi", "--suppliers", str(suppliers), "--months", str(months), "--seed", "1",
                  "--as-of", "2026-06-30", lines=3) as urls:
        yield urls


def _post(session: requests.Session, url: str, function: str, parameters: str) -> bytes:
    response = session.post(f"{url}?sap-client=100", data=ENVELOPE.format(function=function, parameters=parameters),
                            headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)
    response.raise_for_status()
    return response.content


def _rows(content: bytes, table: str, column: str) -> list[str]:
    """One column of a table's rows (RFC naming), read with iterparse."""
    values, inside = [], False
    for event, element in etree.iterparse(io.BytesIO(content), events=("start", "end"), tag=(table, column)):
        if element.tag == table:
            inside = event == "start"
        elif event == "end" and inside:
            values.append(element.text or "")
            element.clear()
    return values


def raw_extract_bapi(urls: list[str]) -> int:
    """Reference: the same calls with requests, envelopes written by hand, answers read with lxml iterparse."""
    movements_url, list_url, detail_url = urls
    session = requests.Session()
    session.auth = ("SRM_BRIDGE", "sandbox")
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=POOL)
    session.mount("http://", adapter)
    low, last, days, records = SINCE.date() - timedelta(days=62), UNTIL.date(), 7, 0
    while low <= last:
        high = min(low + timedelta(days=days - 1), last)
        found = len(_rows(_post(session, movements_url, "BAPI_GOODSMVT_GETITEMS",
                                SLICE.format(low=low, high=high)), "GOODSMVT_ITEMS", "PO_NUMBER"))
        records += found
        days = 7 if found else min(3660, days * 2)
        low = high + timedelta(days=1)
    listed = _post(session, list_url, "BAPI_PO_GETITEMS", LIST.format(low=SINCE.date() - timedelta(days=90)))
    numbers = sorted(set(_rows(listed, "PO_HEADERS", "PO_NUMBER")))

    def detail(number: str) -> int:
        return len(_rows(_post(session, detail_url, "BAPI_PO_GETDETAIL1", DETAIL.format(number=number)),
                         "POSCHEDULE", "SCHED_LINE"))

    with ThreadPoolExecutor(POOL) as pool:
        return records + sum(pool.map(detail, numbers))


def connector_extract_bapi(urls: list[str]) -> int:
    """Schedule lines and goods movements delivered as domain records by the bapi profile."""
    movements_url, list_url, detail_url = urls
    connector = SapBapiConnector(SapSettings(profile="bapi", bapi={
        "goods_movements": {"url": movements_url}, "purchase_order_list": {"url": list_url},
        "purchase_order_detail": {"url": detail_url, "pool_size": POOL}}))
    movements = sum(len(page.records) for page in connector.goods_movements(SINCE, UNTIL))
    return movements + sum(len(item.schedule_lines) for page in connector.purchase_orders(SINCE, UNTIL)
                           for order in page.records for item in order.items)

