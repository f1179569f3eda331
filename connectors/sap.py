"""SAP connector: query services over SOAP with zeep, paged and incremental by change time.

Yields `Page`s of domain records; a record that fails validation is returned as `Rejected`
with its reason and raw content, and the rest of the page is kept.
"""
import json
import logging
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator

import requests
import zeep
import zeep.exceptions
from lxml import etree
from pydantic import ValidationError
from zeep.helpers import serialize_object
from zeep.transports import Transport

from config.settings import SapSettings
from connectors.http import ConfiguredSession
from connectors.errors import AuthError, PayloadError, RemoteFault, TransientError
from connectors.retry import transient_retry
from domain.records import GoodsMovement, Page, PurchaseOrder, Rejected

log = logging.getLogger("srm_bridge.connectors.sap")

PURCHASE_ORDERS = ("PurchaseOrderERPByElementsQueryResponse_In", "PurchaseOrderSelectionByElements", "PurchaseOrder")
MATERIAL_DOCUMENTS = ("MaterialDocumentERPByElementsQueryResponse_In", "MaterialDocumentSelectionByElements", "MaterialDocument")
ERROR_SEVERITY = 3


class _SoapTransport(Transport):
    """Refuses what is not a SOAP envelope (an HTML error page, a proxy's 503) before zeep parses it."""

    def post_xml(self, address: str, envelope: Any, headers: dict) -> requests.Response:
        response = super().post_xml(address, envelope, headers)
        content_type = response.headers.get("Content-Type", "")
        if response.status_code != 200 and ("xml" not in content_type or b"Envelope" not in response.content[:2048]):
            raise zeep.exceptions.TransportError(status_code=response.status_code, content=response.content[:500])
        return response


def _with_client(url: str, client: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}sap-client={client}"


class SapClient:
    """One zeep client per process, built from settings; every call has a timeout and a retry policy."""

    def __init__(self, settings: SapSettings) -> None:
        self.settings = settings
        session = ConfiguredSession(settings.verify)
        session.auth = (settings.user, settings.password.get_secret_value())
        transport = _SoapTransport(session=session, timeout=settings.connect_timeout_s,
                              operation_timeout=settings.operation_timeout_s)
        zeep_settings = zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True,
                                      forbid_entities=True, forbid_external=True)
        self.retrying = transient_retry(settings.max_attempts, settings.retry_initial_s)
        wsdl = _with_client(f"{settings.url}?wsdl", settings.client)
        client = self._guard(lambda: zeep.Client(wsdl, transport=transport, settings=zeep_settings), "loading the WSDL")
        binding = next(iter(client.wsdl.bindings))
        self.service = client.create_service(binding, _with_client(settings.url, settings.client))

    def _guard(self, call: Callable[[], Any], doing: str) -> Any:
        """Run a zeep call with retries, translating library errors into the connector error tree."""
        def attempt() -> Any:
            try:
                return call()
            except zeep.exceptions.TransportError as exc:
                if exc.status_code >= 500 or exc.status_code == 429:
                    raise TransientError(f"SAP answered HTTP {exc.status_code} while {doing}") from None
                raise
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise TransientError(f"SAP unreachable while {doing}: {type(exc).__name__}") from None

        try:
            return self.retrying(attempt)
        except TransientError:
            raise
        except zeep.exceptions.Fault as exc:
            raise RemoteFault(f"SAP fault while {doing}: {exc.message}") from None
        except zeep.exceptions.TransportError as exc:
            raise _http_error(exc.status_code, doing) from None
        except (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden) as exc:
            raise PayloadError(f"SAP response while {doing} declares a DTD or entities, refused: {exc}") from None
        except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.XMLParseError, etree.XMLSyntaxError) as exc:
            raise PayloadError(f"SAP response while {doing} is not valid XML: {exc}") from None
        except (zeep.exceptions.Error, ArithmeticError, ValueError) as exc:
            raise PayloadError(f"SAP response while {doing} does not match the WSDL: {exc!r}") from None

    def call(self, operation: str, **arguments: Any) -> Any:
        return self._guard(lambda: getattr(self.service, operation)(**arguments), operation)


def _http_error(status: int, doing: str) -> Exception:
    if status in (401, 403):
        return AuthError(f"SAP refused the credentials (HTTP {status}) while {doing}")
    if status >= 500 or status == 429:
        return TransientError(f"SAP answered HTTP {status} while {doing}")
    return RemoteFault(f"SAP answered HTTP {status} while {doing}")


def _instant(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _day(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _quantity(node: dict | None) -> tuple[Decimal | None, str | None]:
    if not node:
        return None, None
    return node.get("_value_1"), node.get("unitCode")


def purchase_order_record(raw: dict) -> PurchaseOrder:
    items = []
    for item in raw.get("Item") or ():
        quantity, unit = _quantity(item.get("Quantity"))
        price = item.get("NetPrice") or {}
        price_unit, _ = _quantity(price.get("BaseQuantity"))
        items.append({
            "id": item.get("ID"), "material": (item.get("Product") or {}).get("InternalID"),
            "plant": item.get("PlantID"), "quantity": quantity, "unit": unit,
            "net_price": (price.get("Amount") or {}).get("_value_1"),
            "price_unit": int(price_unit) if price_unit is not None else 1,
            "schedule_lines": [
                {"id": line.get("ID"), "due": _day(line.get("DeliveryDateTime")), "quantity": _quantity(line.get("Quantity"))[0]}
                for line in item.get("ScheduleLine") or ()
            ],
            "confirmations": [
                {"confirmed_on": conf.get("CreationDate"), "due": _day(conf.get("ConfirmedDeliveryDateTime")),
                 "quantity": _quantity(conf.get("Quantity"))[0]}
                for conf in item.get("Confirmation") or ()
            ],
        })
    return PurchaseOrder.model_validate({
        "id": raw.get("ID"), "vendor": (raw.get("SellerParty") or {}).get("InternalID"),
        "order_date": raw.get("PurchaseOrderDate"), "currency": raw.get("CurrencyCode"),
        "changed_at": _instant(raw["LastChangeDateTime"]) if raw.get("LastChangeDateTime") else None,
        "items": items,
    })


def goods_movement_records(raw: dict) -> Iterator[GoodsMovement | Rejected]:
    for item in raw.get("Item") or ():
        key = f"{raw.get('ID')}/{raw.get('FiscalYear')}/{item.get('ID')}"
        quantity, unit = _quantity(item.get("Quantity"))
        reference = item.get("PurchaseOrderReference") or {}
        reversed_ref = item.get("ReversedMaterialDocumentReference")
        try:
            yield GoodsMovement.model_validate({
                "document": raw.get("ID"), "year": raw.get("FiscalYear"), "line": item.get("ID"),
                "movement_type": item.get("GoodsMovementTypeCode"), "posting_date": raw.get("PostingDate"),
                "quantity": quantity, "unit": unit, "po": reference.get("ID"), "po_item": reference.get("ItemID"),
                "schedule_line": reference.get("ScheduleLineID"),
                "reverses": {"document": reversed_ref.get("ID"), "year": reversed_ref.get("FiscalYear"),
                             "line": reversed_ref.get("ItemID")} if reversed_ref else None,
                "changed_at": _instant(raw["LastChangeDateTime"]) if raw.get("LastChangeDateTime") else None,
            })
        except ValidationError as exc:
            yield Rejected(key=key, reason=_reason(exc), raw=_raw({**raw, "Item": [item]}))


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())


def _raw(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


class SapConnector:
    """Pull purchase orders and goods movements changed in `[since, until)`, page by page."""

    def __init__(self, settings: SapSettings) -> None:
        self.settings = settings
        self._client: SapClient | None = None

    @property
    def client(self) -> SapClient:
        """Built on first use, so an unreachable SAP fails the run that needs it, not start-up."""
        if self._client is None:
            self._client = SapClient(self.settings)
        return self._client

    def _pages(self, spec: tuple[str, str, str], since: datetime, until: datetime) -> Iterator[list[dict]]:
        operation, selection, collection = spec
        after: str | None = None
        while True:
            response = self.client.call(
                operation,
                **{selection: {"SelectionByLastChangeDateTime": {"LowerBoundaryDateTime": since, "UpperBoundaryDateTime": until}},
                   "QueryProcessingConditions": {"QueryHitsMaximumNumberValue": self.client.settings.page_size,
                                                 "LastReturnedObjectID": after}})
            answer = serialize_object(response, dict) or {}
            _check_log(answer.get("Log"), operation)
            objects = answer.get(collection) or []
            conditions = answer.get("ResponseProcessingConditions") or {}
            yield objects
            if not conditions.get("MoreHitsAvailableIndicator"):
                return
            last = conditions.get("LastReturnedObjectID")
            if not objects or not last or last == after:
                raise PayloadError(f"SAP {operation} reports more hits but paging does not advance past {after!r}")
            after = last

    def purchase_orders(self, since: datetime, until: datetime) -> Iterator[Page[PurchaseOrder]]:
        for objects in self._pages(PURCHASE_ORDERS, since, until):
            page: Page[PurchaseOrder] = Page(records=[])
            for raw in objects:
                try:
                    page.records.append(purchase_order_record(raw))
                except ValidationError as exc:
                    page.rejected.append(Rejected(key=str(raw.get("ID")), reason=_reason(exc), raw=_raw(raw)))
            page.cursor = _last_change(objects)
            yield page

    def goods_movements(self, since: datetime, until: datetime) -> Iterator[Page[GoodsMovement]]:
        for objects in self._pages(MATERIAL_DOCUMENTS, since, until):
            page: Page[GoodsMovement] = Page(records=[])
            for raw in objects:
                for record in goods_movement_records(raw):
                    (page.rejected if isinstance(record, Rejected) else page.records).append(record)
            page.cursor = _last_change(objects)
            yield page


def _last_change(objects: list[dict]) -> datetime | None:
    stamps = [_instant(obj["LastChangeDateTime"]) for obj in objects if obj.get("LastChangeDateTime")]
    return max(stamps, default=None)


def _check_log(log_node: dict | None, operation: str) -> None:
    if not log_node:
        return
    notes = [item for item in log_node.get("Item") or () if _severity(item.get("SeverityCode")) >= ERROR_SEVERITY]
    for item in log_node.get("Item") or ():
        if _severity(item.get("SeverityCode")) == ERROR_SEVERITY - 1:
            log.warning("SAP warning", extra={"operation": operation, "note": item.get("Note")})
    if notes:
        raise RemoteFault(f"SAP {operation} reported errors: " + "; ".join(str(n.get("Note")) for n in notes))


def _severity(code: Any) -> int:
    try:
        return int(code)
    except (TypeError, ValueError):
        return 0
