"""The stand-in's ABAP dictionary: function interfaces, structures, SOAMANAGER's two naming styles,
and how each ABAP value travels as text.

`sap_bapi_ddic.txt` holds the interfaces and structures (its header names the SAP artifacts).
SOAMANAGER publishes a function module in one of two naming styles:
- RFC: namespace urn:sap-com:document:sap:rfc:functions, every name as in the dictionary
  (`BAPI_PO_GETDETAIL1`, `POITEM`, `PO_ITEM`), table types `TABLE_OF_<structure>`;
- mc-style: namespace urn:sap-com:document:sap:soap:functions:mc-style, each name cut at its
  underscores, every part capitalised and the rest of it lower case (`BapiPoGetdetail1`,
  `Poitem`, `PoItem`), table types `TableOf<Structure>`.
Elementary values are written as SOAMANAGER writes them: CHAR without trailing blanks, NUMC
zero-padded, dates `YYYY-MM-DD` (initial `0000-00-00`), times `HH:MM:SS`, packed numbers with
all their decimals. A value the stand-in cannot format is sent as written, so that the client's
own checks are what a malformed dataset exercises.
"""
import re
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

RFC_NS = "urn:sap-com:document:sap:rfc:functions"
MC_NS = "urn:sap-com:document:sap:soap:functions:mc-style"
INITIAL_DATE, INITIAL_TIME = "0000-00-00", "00:00:00"
NUMBERS = {"Q": "quantum", "Y": "curr", "P": "decimal"}


@dataclass(frozen=True)
class Component:
    name: str
    kind: str          # C N D T Q Y P K U L B I F (see sap_bapi_ddic.txt)
    length: int = 0
    decimals: int = 0


@dataclass(frozen=True)
class Structure:
    name: str
    components: tuple[Component, ...]
    by_name: dict[str, Component] = field(compare=False, repr=False, default_factory=dict)


@dataclass(frozen=True)
class Parameter:
    kind: str          # import, export, table
    name: str
    type: Structure | Component
    optional: bool


@dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    @property
    def inbound(self) -> tuple[Parameter, ...]:
        """What a request may carry: imports, and tables (TABLES parameters travel both ways)."""
        return tuple(p for p in self.parameters if p.kind in ("import", "table"))

    @property
    def outbound(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind in ("export", "table"))


def _component(token: str) -> Component:
    name, _, typed = token.partition(":")
    return _elementary(name, typed)


def _elementary(name: str, typed: str) -> Component:
    kind, size = typed[0], typed[1:]
    length, _, decimals = size.partition(".")
    return Component(name, kind, int(length or 0), int(decimals or 0))


def _load() -> tuple[dict[str, Structure], dict[str, Function]]:
    text = resources.files("sandbox").joinpath("sap_bapi_ddic.txt").read_text(encoding="utf-8")
    structures: dict[str, list[Component]] = {}
    functions: dict[str, list[tuple[str, str, str, bool]]] = {}
    current: list | None = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = line.split()
        if words[0] == "structure":
            current = structures.setdefault(words[1], [])
        elif words[0] == "function":
            current = functions.setdefault(words[1], [])
        elif current is not None and words[0] in ("import", "export", "table"):
            current.append((words[0], words[1], words[2], words[-1] == "optional"))
        elif current is not None:
            current.extend(_component(token) for token in words)
    built = {name: Structure(name, tuple(parts), {c.name: c for c in parts}) for name, parts in structures.items()}
    interfaces = {name: Function(name, tuple(
        Parameter(kind, parameter, built[typed] if typed in built else _elementary(parameter, typed), optional)
        for kind, parameter, typed, optional in rows)) for name, rows in functions.items()}
    return built, interfaces


STRUCTURES, FUNCTIONS = _load()


@lru_cache(maxsize=4096)
def camel(name: str) -> str:
    """mc-style: PO_ITEM → PoItem, POITEM → Poitem, BAPI2017_GM_HEAD_02 → Bapi2017GmHead02."""
    return "".join(part[:1].upper() + part[1:].lower() for part in name.split("_"))


@dataclass(frozen=True)
class Style:
    key: str           # "rfc" or "mc"
    namespace: str

    def name(self, sap_name: str) -> str:
        return sap_name if self.key == "rfc" else camel(sap_name)

    def table_type(self, structure: Structure) -> str:
        return f"TABLE_OF_{structure.name}" if self.key == "rfc" else f"TableOf{camel(structure.name)}"

    def response(self, function: Function) -> str:
        return f"{self.name(function.name)}Response"

    def ordered(self, parameters: tuple[Parameter, ...]) -> list[Parameter]:
        """SOAMANAGER lists a function's parameters in its messages sorted by their names."""
        return sorted(parameters, key=lambda p: self.name(p.name))


STYLES = {"rfc": Style("rfc", RFC_NS), "mc": Style("mc", MC_NS)}


def to_text(component: Component, value: object) -> str:
    """The text SAP sends for `value`; None or "" is the type's initial value."""
    kind = component.kind
    if kind == "D":
        return value.isoformat() if isinstance(value, date) else (str(value) if value else INITIAL_DATE)
    if kind == "T":
        return value.strftime("%H:%M:%S") if isinstance(value, time) else (str(value) if value else INITIAL_TIME)
    if kind == "N":
        text = str(value if value is not None else "").strip()
        return text.zfill(component.length) if text.isdigit() or not text else text
    if kind in NUMBERS:
        try:
            return format(Decimal(str(value if value not in (None, "") else 0)).quantize(
                Decimal(1).scaleb(-component.decimals)), "f")
        except (InvalidOperation, ValueError):
            return str(value)
    if kind in ("B", "I"):
        return str(int(value or 0))
    if kind == "F":
        return repr(float(value or 0))
    return str(value if value is not None else "").rstrip()


def from_text(component: Component, text: str | None) -> object:
    """A request value as ABAP holds it; raises ValueError for text that is not of the type."""
    text = (text or "").strip()
    kind = component.kind
    if kind in ("D", "T"):
        pattern = r"\d{4}-\d{2}-\d{2}" if kind == "D" else r"\d{2}:\d{2}:\d{2}"
        if not re.fullmatch(pattern, text):
            raise ValueError(f"{component.name}: {text!r} is not {'a date10' if kind == 'D' else 'a time'}")
        if text in (INITIAL_DATE, INITIAL_TIME):
            return None
        return date.fromisoformat(text) if kind == "D" else time.fromisoformat(text)
    if kind == "N":
        if text and not text.isdigit():
            raise ValueError(f"{component.name}: {text!r} is not numeric text")
        return text.zfill(component.length) if text else "0" * component.length
    if kind in NUMBERS:
        try:
            return Decimal(text or 0)
        except InvalidOperation:
            raise ValueError(f"{component.name}: {text!r} is not a number") from None
    if kind in ("B", "I"):
        return int(text or 0)
    if kind == "F":
        return float(text or 0)
    if len(text) > max(component.length, 2):
        raise ValueError(f"{component.name}: {text!r} is longer than {component.length} characters")
    return text
