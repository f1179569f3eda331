"""Salesforce answers read strictly: query results, token answers and Account records.

An answer that is not what the REST API Developer Guide promises (paging fields missing or of the
wrong JSON type, a token answer without `access_token`) is a `PayloadError`/`AuthError` for the
whole stream. A record that is wrong on its own (not an object, `Owner` not an object, `IsDeleted`
not a boolean, a text field that is a number) is quarantined with its reason and raw JSON, and the
rest of the page is kept. Nothing here is "truthy": `IsDeleted` is `true` or `false`, nothing else.
"""
import json
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import SalesforceSettings
from connectors.errors import AuthError, ConnectorError, PayloadError
from domain.records import Page, Rejected, SupplierAccount


M = TypeVar("M", bound=BaseModel)


class QueryAnswer(BaseModel):
    """The body of Query, QueryAll and Query More Results, in JSON's own types (no coercion)."""

    model_config = ConfigDict(strict=True, extra="ignore")
    totalSize: int = Field(ge=0)  # noqa: N815 - Salesforce's name
    done: bool
    nextRecordsUrl: str | None = None  # noqa: N815 - Salesforce's name
    records: list[Any]


class TokenAnswer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    access_token: str = Field(min_length=1)
    instance_url: str = Field(min_length=1)


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                     + ("" if e["type"] == "missing" else f" (got {json.dumps(e['input'])[:60]})")
                     for e in exc.errors())


def _read(model: type[M], body: Any, what: str, error: type[ConnectorError]) -> M:
    """`body` as `model`, or `error` saying what about it is wrong."""
    if not isinstance(body, dict):
        raise error(f"{what} is a JSON {type(body).__name__}, not an object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise error(f"{what} is not usable: {_problem(exc)}") from None


def query_answer(body: Any, doing: str) -> QueryAnswer:
    answer = _read(QueryAnswer, body, f"Salesforce's query answer while {doing}", PayloadError)
    if not answer.done and answer.nextRecordsUrl is None:
        raise PayloadError(f"Salesforce says more records follow (done=false) while {doing} but gives no "
                           "nextRecordsUrl")
    return answer


def token_answer(body: Any, url: str) -> TokenAnswer:
    answer = _read(TokenAnswer, body, f"Salesforce login at {url}: the token answer", AuthError)
    parts = urlsplit(answer.instance_url)
    if (parts.scheme != "https" or not parts.hostname or parts.username is not None or parts.path not in ("", "/")
            or parts.query or parts.fragment):
        raise AuthError(f"Salesforce login at {url} gave instance_url {answer.instance_url[:200]!r}, which is not "
                        "an https origin")
    return answer


def _text(row: dict, field: str, label: str | None = None) -> str | None:
    value = row.get(field)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{label or field} is a JSON {type(value).__name__}, not a string or null")
    return value


def account(row: Any, settings: SalesforceSettings) -> SupplierAccount:
    """One Account record as the REST API gives it (a Bulk CSV row is first shaped like one)."""
    if not isinstance(row, dict):
        raise ValueError(f"the record is a JSON {type(row).__name__}, not an object")
    owner = row.get("Owner")
    if owner is not None and not isinstance(owner, dict):
        raise ValueError(f"Owner is a JSON {type(owner).__name__}, not an object or null")
    deleted = row.get("IsDeleted")
    if not isinstance(deleted, bool):
        raise ValueError(f"IsDeleted is {json.dumps(deleted)[:40]}, not true or false")
    if "Id" not in row:
        raise ValueError("Id is missing")
    return SupplierAccount(
        id=_text(row, "Id"), name=_text(row, "Name") or "", vendor_id=_text(row, settings.vendor_id_field) or None,
        owner_id=_text(row, "OwnerId"), owner_name=_text(owner or {}, "Name", "Owner.Name"),
        industry=_text(row, "Industry"),
        tier=_text(row, settings.tier_field), risk_rating=_text(row, settings.risk_field), is_deleted=deleted,
        modstamp=_text(row, "SystemModstamp"))


def account_page(rows: list[Any], settings: SalesforceSettings,
                 shape: Callable[[Any], Any] = lambda row: row) -> Page[SupplierAccount]:
    """A page of Accounts; each bad record and each repeat of an Id in the page is quarantined.

    `shape` turns a row into the REST form first (Bulk CSV rows); its `ValueError` quarantines the row.
    """
    page: Page[SupplierAccount] = Page(records=[])
    seen: set[str] = set()
    for row in rows:
        try:
            record = account(shape(row), settings)
        except (ValidationError, ValueError) as exc:
            page.rejected.append(_rejected(row, str(exc).replace("\n", " ")))
            continue
        if record.id in seen:
            page.rejected.append(_rejected(row, f"duplicate of Account {record.id} earlier in this page"))
            continue
        seen.add(record.id)
        page.records.append(record)
    if page.records:
        page.cursor = max(record.modstamp for record in page.records)
    return page


def _rejected(row: Any, reason: str) -> Rejected:
    key = row.get("Id") if isinstance(row, dict) and isinstance(row.get("Id"), str) else ""
    return Rejected(key=key, reason=reason, raw=json.dumps(row, ensure_ascii=False))


def bulk_row(row: dict[str | None, Any]) -> dict:
    """A Bulk API CSV row shaped like a REST record: nested relationships, booleans, nulls.

    A row with more or fewer cells than the header is refused; a boolean other than `true`/`false`
    is kept as it came, for `account` to refuse.
    """
    if None in row or None in row.values():
        raise ValueError("the CSV row does not have one cell per column of the header")
    record: dict = {}
    for name, value in row.items():
        value = None if value == "" else value
        if "." in name:
            relation, field = name.split(".", 1)
            record.setdefault(relation, {})[field] = value
        else:
            record[name] = value
    if "IsDeleted" in record:
        record["IsDeleted"] = {"true": True, "false": False}.get(record["IsDeleted"], record["IsDeleted"])
    return record
