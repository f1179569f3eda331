"""Scripted SAP answers behind the stand-in's real WSDL: for answers no honest service gives."""
from typing import Callable, Iterable

from config.settings import SapSettings
from connectors.sap import SapConnector
from sandbox import http
from sandbox.sap_server import SAP_GLOBAL, SOAP_ENV, SapStandIn

RESPONSE = "PurchaseOrderERPByElementsResponse_sync"


def paging(more: bool | str | None, last_id: str | None = None, returned: int | None = None,
           block: str = "ProcessingConditions") -> str:
    if more is None:
        return ""
    flag = more if isinstance(more, str) else ("true" if more else "false")
    return (f"<{block}>" + ("" if returned is None else f"<ReturnedQueryHitsNumberValue>{returned}"
                                                        "</ReturnedQueryHitsNumberValue>")
            + f"<MoreHitsAvailableIndicator>{flag}</MoreHitsAvailableIndicator>"
            + ("" if last_id is None else f"<LastReturnedObjectID>{last_id}</LastReturnedObjectID>") + f"</{block}>")


def envelope(inner: str, conditions: str | None = None, prolog: str = "", envelope_ns: str = SOAP_ENV,
             response_ns: str = SAP_GLOBAL) -> bytes:
    """A response holding `inner` (objects), then its paging block (default: one page, no more), then a log."""
    if conditions is None:
        conditions = paging(False, returned=inner.count("<PurchaseOrder>"))
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog}<soap-env:Envelope xmlns:soap-env="{envelope_ns}">'
            f'<soap-env:Body><n0:{RESPONSE} xmlns:n0="{response_ns}">{inner}{conditions}'
            "<Log><MaximumLogItemSeverityCode>1</MaximumLogItemSeverityCode></Log>"
            f"</n0:{RESPONSE}></soap-env:Body></soap-env:Envelope>").encode()


def order(po_id: str = "4500000001", vendor: str = "100001", unit: str = "EA", quantity: str = "100",
          due: str = "2026-05-10T00:00:00", zone: str = "CET", extra: str = "",
          changed: str = "2026-04-01T08:00:00Z") -> str:
    return (f"<PurchaseOrder><ID>{po_id}</ID><SystemAdministrativeData><LastChangeDateTime>{changed}"
            "</LastChangeDateTime></SystemAdministrativeData><PurchaseOrderDate>2026-04-01</PurchaseOrderDate>"
            f"<SellerParty><InternalID>{vendor}</InternalID></SellerParty><Item><ID>00010</ID>"
            f"<Quantity unitCode=\"{unit}\">{quantity}</Quantity><PlantID>1000</PlantID><Product><InternalID>M-1"
            "</InternalID></Product><Price><NetPrice><Amount currencyCode=\"EUR\">10.00</Amount>"
            f"<BaseQuantity unitCode=\"{unit}\">1</BaseQuantity></NetPrice></Price><ScheduleLine><ID>0001</ID>"
            f"<DeliveryDateTime timeZoneCode=\"{zone}\">{due}</DeliveryDateTime><Quantity unitCode=\"{unit}\">"
            f"{quantity}</Quantity></ScheduleLine>{extra}</Item></PurchaseOrder>")


Body = bytes | Iterable[bytes] | Callable[[], Iterable[bytes]]


class ScriptedAnswers:
    """The stand-in's purchase-order WSDL on GET; POSTs answered in turn by `answers` (the last one repeats).

    An answer is a body, or a `(status, headers, body)` triple whose body may also be a function
    returning chunks (called anew for each request).
    """

    def __init__(self, *answers: Body | tuple[str, list[tuple[str, str]], Body]) -> None:
        self.wsdl = SapStandIn({})
        self.path = self.wsdl.paths["purchase_orders"]
        self.answers, self.served = list(answers), 0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET":
            return self.wsdl(environ, start_response)
        # Read the request whole, as a real server does: a socket closed with unread bytes sends a reset, which
        # can destroy the end of the answer before the client has read it.
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        answer = self.answers[min(self.served, len(self.answers) - 1)]
        self.served += 1
        if isinstance(answer, tuple):
            status, headers, body = answer
        else:
            status, headers, body = "200 OK", [("Content-Type", "text/xml; charset=utf-8")], answer
        start_response(status, headers)
        return [body] if isinstance(body, bytes) else body() if callable(body) else body


class Servers:
    """Scripted servers for one test, stopped at its end."""

    def __init__(self) -> None:
        self.running: list[http.RunningServer] = []

    def connector(self, *answers: Body | tuple, **settings) -> SapConnector:
        app = ScriptedAnswers(*answers)
        server = http.start(app)
        self.running.append(server)
        options = {"max_attempts": 3, "retry_initial_s": 0, **settings}
        return SapConnector(SapSettings(purchase_orders={"url": server.url + app.path}, **options))

    def stop(self) -> None:
        for server in self.running:
            server.stop()
