"""One function module published as a web service: called by SAP's names, answered as rows of texts.

SOAMANAGER names a function module's messages in one of two styles: RFC (namespace
`urn:sap-com:document:sap:rfc:functions`, the dictionary's upper-case names) or mc-style
(`urn:sap-com:document:sap:soap:functions:mc-style`, camel case: `BapiPoGetdetail1`, `PoItem`).
The style is read from the WSDL (which of the two operation names it offers) unless set. Callers
speak SAP's names only; tables travel as repeated `item` rows, and optional tables come back only
when the request names them, so every table to be read is always sent, even empty.

RETURN is read on every call (`sap_bapi_return`): an error row fails the call with a
`RemoteFault`, a documented "no data" message makes the answer empty, warnings are logged. An
answer without a table or structure the call asked for is a `PayloadError`.
"""
import logging
from dataclasses import dataclass, field
from typing import Callable
from xml.sax.saxutils import escape

from lxml import etree

from config.sap_bapi import FunctionService
from connectors.errors import ConnectorError, PayloadError, RemoteFault
from connectors.kept import Kept
from connectors.sap_bapi_return import Verdict, judge, parse_no_data
from connectors.sap_transport import SapTransport, SoapService
from connectors.sap_xml import local, parse_response

log = logging.getLogger("srm_bridge.connectors.sap")

RFC_NS = "urn:sap-com:document:sap:rfc:functions"
MC_NS = "urn:sap-com:document:sap:soap:functions:mc-style"
Row = dict[str, str]
RETURN_FIELDS = ("TYPE", "ID", "NUMBER", "CODE", "MESSAGE")
MARKER = "SRMBRIDGE0"  # stands for a prepared call's value: ten characters, fits CHAR 10


def camel(name: str) -> str:
    """mc-style: PO_ITEM → PoItem, POITEM → Poitem, BAPI_PO_GETDETAIL1 → BapiPoGetdetail1."""
    return "".join(part[:1].upper() + part[1:].lower() for part in name.split("_"))


def _as_is(name: str) -> str:
    return name


@dataclass
class Answer:
    """What a call returned, by SAP's names: structures (exports) as one row, tables as rows; `empty` when
    RETURN said "no data" (the tables are then empty whatever they held)."""

    exports: dict[str, Row] = field(default_factory=dict)
    tables: dict[str, list[Row]] = field(default_factory=dict)
    empty: bool = False


class FunctionCall:
    """A function module's service, built once from its WSDL; `call` sends one request and reads the answer."""

    def __init__(self, transport: SapTransport, service: FunctionService, naming: str, setting: str,
                 kept: Kept | None = None) -> None:
        self.function, self.setting = service.function, setting
        if not service.url and not service.wsdl:
            raise ConnectorError(f"no endpoint for SAP {self.function}: set {setting}.url")
        self.service = SoapService(transport, self.function, service.url, str(service.wsdl) if service.wsdl else None,
                                   setting, kept)
        self.name = self._style(naming)
        self.operation = self.name(self.function)
        self.response_qname = self.service.response_qname(self.operation)
        self.declared = self.service.request_elements(self.operation)
        self.mandatory_tables = self._mandatory_tables()
        self.no_data = parse_no_data(service.no_data)
        self._wire_names: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}

    def _style(self, naming: str) -> Callable[[str], str]:
        offered = sorted({name for binding in self.service.bindings for name in binding._operations})
        styles = {"rfc": _as_is, "mc": camel}
        if naming == "auto":
            found = [style for style, name in styles.items() if name(self.function) in offered]
            if found:
                return styles[found[0]]
        elif styles[naming](self.function) in offered:
            return styles[naming]
        raise RemoteFault(f"the WSDL of SAP {self.function} offers no operation {self.function} "
                          f"({camel(self.function)} in mc-style; check {self.setting}.function and sap.bapi.naming; "
                          f"it offers {', '.join(offered) or 'none'})")

    def _mandatory_tables(self) -> set[str]:
        """The request's tables without minOccurs="0" (the WSDL's names): sent empty when the call has no rows."""
        body = self.service.binding(self.operation).get(self.operation).input.body
        elements = body.type.elements if body is not None else []
        return {name for name, element in elements if element.min_occurs and
                any(child == "item" for child, _ in getattr(element.type, "elements", []))}

    def require(self, *parameters: str) -> None:
        """Refuse a service whose request lacks a parameter the profile sends, naming the setting to check."""
        missing = [p for p in parameters if self.name(p) not in self.declared]
        if missing:
            raise RemoteFault(f"the {self.function} request in its WSDL has no {', '.join(missing)} "
                              f"(check {self.setting}; it declares {', '.join(sorted(self.declared))})")

    def call(self, imports: dict[str, str], tables: dict[str, list[Row]], read: dict[str, tuple[str, ...]],
             exports: dict[str, tuple[str, ...]] | None = None) -> Answer:
        """Send `imports` and `tables` (RETURN is always added); read back the tables of `read` and the structures
        of `exports`, each with its fields (SAP names), and judge RETURN."""
        content = self.service.call(self.operation, self._arguments(imports, tables))
        return self.read(content, read, exports or {})

    def prepared(self, varying: str, tables: dict[str, list[Row]]) -> Callable[[str], bytes]:
        """Calls that differ only in the import `varying` (an order number): zeep builds the request once, each
        call writes its value in. Returns the answer's content, for `read`."""
        body = self.service.request(self.operation, self._arguments({varying: MARKER}, tables))
        if body.count(MARKER.encode()) != 1:
            return lambda value: self.service.call(self.operation, self._arguments({varying: value}, tables))
        head, _, tail = body.partition(MARKER.encode())
        return lambda value: self.service.call(self.operation, body=head + escape(value).encode() + tail)

    def _arguments(self, imports: dict[str, str], tables: dict[str, list[Row]]) -> dict:
        arguments: dict = {name: {"item": []} for name in self.mandatory_tables}
        arguments.update({self.name(name): value for name, value in imports.items()})
        for name, rows in {**tables, "RETURN": []}.items():
            arguments[self.name(name)] = {"item": [{self.name(f): v for f, v in row.items()} for row in rows]}
        return arguments

    def read(self, content: bytes, tables: dict[str, tuple[str, ...]], exports: dict[str, tuple[str, ...]]) -> Answer:
        parts = {**tables, **exports, "RETURN": RETURN_FIELDS}
        wanted = {self.name(name): name for name in parts}
        parsed = parse_response(content, self.response_qname, None, _element, blocks=tuple(wanted),
                                namespaces=frozenset({RFC_NS, MC_NS}))
        answer = Answer()
        for element_name, name in wanted.items():
            found = parsed.blocks.get(element_name, [])
            if len(found) != 1:
                raise PayloadError(f"SAP {self.function} answered {'without' if not found else 'with several'} "
                                   f"{element_name}")
            if name in exports:
                answer.exports[name] = self._row(found[0], parts[name])
                continue
            rows = [child for child in found[0] if isinstance(child.tag, str)]
            if any(local(row.tag) != "item" for row in rows):
                raise PayloadError(f"SAP {self.function} answered a {element_name} table with rows other than item")
            answer.tables[name] = [self._row(row, parts[name]) for row in rows]
        if self._judge(answer.tables.pop("RETURN")).no_data:
            answer.empty = True
            answer.tables = {name: [] for name in answer.tables}
        return answer

    def _row(self, element: etree._Element, fields: tuple[str, ...]) -> Row:
        """The texts of `fields` in one row (a row has every component of its structure: hundreds, mostly unread)."""
        names = self._wire_names.get(fields)
        if names is None:
            names = self._wire_names[fields] = [(self.name(name), f"{{*}}{self.name(name)}", name) for name in fields]
        row: Row = {}
        for wire, anywhere, name in names:
            child = element.find(wire)
            if child is None:
                child = element.find(anywhere)
            if child is not None:
                row[name] = (child.text or "").strip()
        return row

    def _judge(self, rows: list[Row]) -> Verdict:
        verdict = judge(self.function, rows, self.no_data)
        for warning in verdict.warnings:
            log.warning("SAP warning", extra={"function": self.function, "message_class": warning.message_class,
                                              "number": warning.number, "text": warning.text})
        return verdict


def _element(element: etree._Element) -> etree._Element:
    return element
