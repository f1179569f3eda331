"""SOAP 1.1 messages of a SOAMANAGER function-module service: reading a call, writing its answer.

A request is refused (`RequestFault`, answered with a SOAP fault `soap-env:Client`) unless it is
a well-formed SOAP 1.1 envelope whose body holds exactly the function's request element in the
style's namespace, valid against the schema of the function's WSDL: no unknown element, every
mandatory parameter present (a non-optional TABLES parameter too, even if empty), parameters in
the WSDL's order, every value of its type (a date "YYYY-MM-DD" or "0000-00-00", numeric text
for NUMC, ...).

The answer is `<function>Response` in the style's namespace (prefix n0), its parameters
unqualified and sorted by name: every export; every non-optional table; an optional table only
when the request named it, even as an empty element (SAP returns TABLES parameters the caller
passed). A row is an `item` with every component of its structure, initial ones included.
SAP's SOAP runtime hides the reason of a fault from the caller: the fault text is its generic
"Web service processing error ..." and the reason goes to the provider's error log (here: the
server's request log).
"""
from dataclasses import dataclass
from datetime import datetime, timezone
from uuid import uuid4

from lxml import etree

from tests.support.bapi_catalog import Field, Function, Parameter, Structure, Style
from tests.support.bapi_functions import Request, Result
from tests.support.bapi_values import from_text, to_text
from tests.support.bapi_wsdl import request_schema
from tests.support.soap_http import SOAP_NS, EnvelopeError, envelope_body, read_message, serialize


class RequestFault(ValueError):
    """A request SAP's SOAP runtime refuses."""


@dataclass(frozen=True)
class Call:
    request: Request
    named: tuple[str, ...]          # the table parameters the request carried, SAP names


def read_call(body: bytes, function: Function, style: Style) -> Call:
    try:
        message = read_message(body, f"{{{style.namespace}}}{style.request_element(function)}",
                               request_schema(function, style))
    except EnvelopeError as error:
        raise RequestFault(str(error)) from None
    try:
        return _call(message, function, style)
    except ValueError as error:
        raise RequestFault(f"a value of the request is not of its type: {error}") from None


def _call(message: etree._Element, function: Function, style: Style) -> Call:
    parameters = {style.name(p.name): p for p in function.request_parameters}
    request, named = Request(), []
    for element in message:
        parameter = parameters[etree.QName(element).localname]
        if parameter.is_table:
            named.append(parameter.name)
            request.tables[parameter.name] = [_structure(row, parameter.type, style) for row in element]
        elif isinstance(parameter.type, Structure):
            request.imports[parameter.name] = _structure(element, parameter.type, style)
        else:
            request.imports[parameter.name] = from_text(parameter.type, element.text)
    return Call(request, tuple(named))


def _structure(element: etree._Element, structure: Structure, style: Style) -> dict:
    fields = {style.name(f.name): f for f in structure.fields}
    return {fields[etree.QName(child).localname].name: from_text(fields[etree.QName(child).localname], child.text)
            for child in element}


def response(function: Function, style: Style, result: Result, named: tuple[str, ...]) -> bytes:
    body = envelope_body()
    message = etree.SubElement(body, f"{{{style.namespace}}}{style.response_element(function)}",
                               nsmap={"n0": style.namespace})
    for parameter in style.ordered(function.response_parameters):
        if parameter.is_table and parameter.optional and parameter.name not in named:
            continue
        _parameter(message, parameter, style, result)
    return serialize(body)


def _parameter(parent: etree._Element, parameter: Parameter, style: Style, result: Result) -> None:
    element = etree.SubElement(parent, style.name(parameter.name))
    if parameter.is_table:
        for row in result.tables.get(parameter.name, []):
            _row(etree.SubElement(element, "item"), parameter.type, style, row)
    elif isinstance(parameter.type, Structure):
        _row(element, parameter.type, style, result.exports.get(parameter.name, {}))
    else:
        element.text = to_text(parameter.type, result.exports.get(parameter.name))


def _row(parent: etree._Element, structure: Structure, style: Style, values: dict) -> None:
    unknown = set(values) - {f.name for f in structure.fields}
    if unknown:
        raise KeyError(f"{structure.name} has no component {sorted(unknown)}")
    for field in structure.fields:
        _leaf(parent, style.name(field.name), field, values.get(field.name))


def _leaf(parent: etree._Element, name: str, field: Field, value: object) -> None:
    text = to_text(field, value)
    etree.SubElement(parent, name).text = text or None


def soap_fault(code: str = "Client") -> bytes:
    """SAP's SOAP fault for a failed call: a generic text naming a time stamp and a transaction ID."""
    body = envelope_body()
    fault = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap-env:{code}"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    text = (f"Web service processing error; more details in the web service error log on provider side "
            f"(UTC timestamp {stamp}; Transaction ID {uuid4().hex.upper()})")
    string = etree.SubElement(fault, "faultstring")
    string.text = text
    string.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    etree.SubElement(fault, "detail")
    return serialize(body)
