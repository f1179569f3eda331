"""Just enough SOQL for the stand-in: SELECT fields FROM object [WHERE a AND b] [ORDER BY f, g] [LIMIT n]."""
import operator
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*(?P<field>[\w.]+)\s*(?P<op><=|>=|!=|=|<|>)\s*(?P<value>.+?)\s*$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class SoqlError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    fields: list[str]
    sobject: str
    conditions: list[tuple[str, Callable[[Any, Any], bool], Any]]
    order: list[str]
    limit: int | None

    def matches(self, record: dict) -> bool:
        for field, compare, value in self.conditions:
            actual = field_value(record, field)
            if isinstance(value, datetime) and actual is not None:
                actual = parse_datetime(actual)
            if value is None or actual is None:
                if compare not in (operator.eq, operator.ne) or not compare(actual, value):
                    return False
            elif not compare(actual, value):
                return False
        return True

    def sort_key(self, record: dict) -> tuple:
        return tuple(str(field_value(record, field) or "") for field in self.order)


def parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))


def _literal(text: str) -> Any:
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("\\'", "'")
    lowered = text.lower()
    if lowered in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[lowered]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})", text):
        return parse_datetime(text)
    try:
        return float(text)
    except ValueError:
        raise SoqlError(f"unexpected token: {text}") from None


def field_value(record: dict, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def parse(soql: str) -> Query:
    match = _QUERY.match(soql)
    if not match:
        raise SoqlError("unexpected token: expected SELECT ... FROM ...")
    conditions = []
    if match["where"]:
        for part in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
            condition = _CONDITION.match(part)
            if not condition:
                raise SoqlError(f"unexpected token: {part.strip()}")
            conditions.append((condition["field"], _OPERATORS[condition["op"]], _literal(condition["value"])))
    order = [f.strip() for f in match["order"].split(",")] if match["order"] else []
    return Query(fields=[f.strip() for f in match["fields"].split(",")], sobject=match["object"],
                 conditions=conditions, order=order, limit=int(match["limit"]) if match["limit"] else None)
