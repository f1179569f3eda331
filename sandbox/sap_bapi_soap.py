"""SOAP 1.1 messages of a function-module service: reading a call, writing its answer or fault.

A call is refused (`RequestFault`: a SOAP fault, as SAP's runtime refuses what its schema does
not allow) unless it is a SOAP 1.1 envelope whose body holds the function's request element in
the style's namespace, with unqualified children that are parameters of the function, in the
WSDL's order, every mandatory one present (a mandatory TABLES parameter too, even empty), every
table row an `item` with every component of its structure, and every value of its type.

The answer is `<function>Response` (prefix n0) with every export, every mandatory table, and an
optional table only when the call named it: SAP returns the TABLES parameters a caller passed.
A row carries every component of its structure, initial ones included. SAP's runtime hides why a
call failed: the fault says only "Web service processing error", with a time stamp and a
transaction id for the provider's error log.
"""
import uuid
from datetime import datetime, timezone
from functools import lru_cache

from lxml import etree

from sandbox.sap_bapi_ddic import Component, Function, Parameter, Structure, Style, from_text, to_text
from sandbox.sap_bapi_functions import Call, Result

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class RequestFault(ValueError):
    """A call SAP's SOAP runtime refuses."""


def read_call(payload: bytes, function: Function, style: Style) -> tuple[Call, tuple[str, ...]]:
    """The call's values (SAP names, ABAP values) and the table parameters it named."""
    try:
        envelope = etree.fromstring(payload, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise RequestFault(f"the request is not well-formed XML: {exc}") from None
    body = envelope.find(f"{{{SOAP_ENV}}}Body") if envelope.tag == f"{{{SOAP_ENV}}}Envelope" else None
    expected = f"{{{style.namespace}}}{style.name(function.name)}"
    if body is None or len(body) != 1 or body[0].tag != expected:
        raise RequestFault(f"the SOAP 1.1 body must hold exactly {expected}")
    order = [p for p in style.ordered(function.inbound)]
    by_name = {style.name(p.name): p for p in order}
    call, named, position = Call(), [], -1
    for element in body[0]:
        if not isinstance(element.tag, str):
            continue
        parameter = by_name.get(element.tag)
        if parameter is None:
            raise RequestFault(f"{element.tag} is not an unqualified parameter of {function.name}")
        if order.index(parameter) <= position:
            raise RequestFault(f"{element.tag} is out of the WSDL's order or repeated")
        position = order.index(parameter)
        if parameter.kind == "table":
            named.append(parameter.name)
            call.tables[parameter.name] = [_row(item, parameter.type, style) for item in _items(element)]
        elif isinstance(parameter.type, Structure):
            call.imports[parameter.name] = _row(element, parameter.type, style)
        else:
            call.imports[parameter.name] = _value(parameter.type, element)
    missing = [p.name for p in order if not p.optional and p.name not in call.imports and p.name not in call.tables]
    if missing:
        raise RequestFault(f"mandatory parameter {', '.join(missing)} of {function.name} is missing")
    return call, tuple(named)


def _items(table: etree._Element) -> list[etree._Element]:
    rows = [child for child in table if isinstance(child.tag, str)]
    if any(row.tag != "item" for row in rows):
        raise RequestFault(f"the rows of {table.tag} must be item elements")
    return rows


def _value(component: Component, element: etree._Element) -> object:
    try:
        return from_text(component, element.text)
    except ValueError as exc:
        raise RequestFault(str(exc)) from None


def _row(element: etree._Element, structure: Structure, style: Style) -> dict:
    names = _names(structure, style)
    values = {}
    for child in element:
        if isinstance(child.tag, str):
            component = names.get(child.tag)
            if component is None or component.name in values:
                raise RequestFault(f"{child.tag} is not a component of {structure.name} (or it repeats)")
            values[component.name] = _value(component, child)
    if len(values) != len(structure.components):
        absent = [c.name for c in structure.components if c.name not in values]
        raise RequestFault(f"{structure.name} lacks {', '.join(absent)}: every component is required")
    return values


@lru_cache(maxsize=256)
def _names(structure: Structure, style: Style) -> dict[str, Component]:
    return {style.name(c.name): c for c in structure.components}


@lru_cache(maxsize=256)
def _tags(structure: Structure, style: Style) -> tuple[tuple[Component, str], ...]:
    return tuple((c, style.name(c.name)) for c in structure.components)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _render_row(structure: Structure, style: Style, values: dict, parts: list[str]) -> None:
    for component, tag in _tags(structure, style):
        text = to_text(component, values.get(component.name))
        parts.append(f"<{tag}>{_escape(text)}</{tag}>" if text else f"<{tag}/>")


def _render(parameter: Parameter, style: Style, result: Result, parts: list[str]) -> None:
    tag = style.name(parameter.name)
    if parameter.kind == "table":
        rows = result.tables.get(parameter.name, [])
        if not rows:
            parts.append(f"<{tag}/>")
            return
        parts.append(f"<{tag}>")
        for values in rows:
            parts.append("<item>")
            _render_row(parameter.type, style, values, parts)
            parts.append("</item>")
        parts.append(f"</{tag}>")
    elif isinstance(parameter.type, Structure):
        parts.append(f"<{tag}>")
        _render_row(parameter.type, style, result.exports.get(parameter.name, {}), parts)
        parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{_escape(to_text(parameter.type, result.exports.get(parameter.name)))}</{tag}>")


def response(function: Function, style: Style, result: Result, named: tuple[str, ...]) -> bytes:
    element = style.response(function)
    parts = [f'<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="{SOAP_ENV}">'
             f'<soap-env:Header/><soap-env:Body><n0:{element} xmlns:n0="{style.namespace}">']
    for parameter in style.ordered(function.outbound):
        if parameter.kind == "table" and parameter.optional and parameter.name not in named:
            continue
        _render(parameter, style, result, parts)
    parts.append(f"</n0:{element}></soap-env:Body></soap-env:Envelope>")
    return "".join(parts).encode("utf-8")


def fault(code: str = "Client") -> bytes:
    """SAP's fault for a failed call: a generic text, a time stamp and a transaction id."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    text = ("Web service processing error; more details in the web service error log on provider side "
            f"(UTC timestamp {stamp}; Transaction ID {uuid.uuid4().hex.upper()})")
    return (f'<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="{SOAP_ENV}">'
            f"<soap-env:Header/><soap-env:Body><soap-env:Fault><faultcode>soap-env:{code}</faultcode>"
            f'<faultstring xml:lang="en">{text}</faultstring><detail/></soap-env:Fault></soap-env:Body>'
            "</soap-env:Envelope>").encode("utf-8")
