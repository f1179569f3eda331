"""SAP's interfaces of the function modules the test BAPI server publishes, and SOAMANAGER's two
ways of naming them in a WSDL.

The interfaces and structures are data, read from `bapi_ddic/` (the header of each file names
the SAP artifact every block was taken from):
- `functions.txt`: BAPI_GOODSMVT_GETITEMS (SAP's source of the function module: its TABLES
  interface), BAPI_PO_GETITEMS and BAPI_PO_GETDETAIL1 (SAP/fundamental-tools field catalogs
  bapi_po_getitems.js, bapi_po_getdetail1.js);
- `structures.txt`: BAPIRET2, BAPIRETURN, BAPI2017_GM_HEAD_02, BAPI2017_GM_ITEM_SHOW, the
  BAPI2017_GM_*_RA range structures, BAPIEKKOL, BAPIEKPOC, BAPIMEPOHEADER, BAPIMEPOITEM,
  BAPIMEPOSCHEDULE, BAPIEKES, BAPIEKBE and every other structure of those interfaces.

Naming styles (SOAMANAGER's "name mapping" switch of a function-module service):
- RFC style, namespace urn:sap-com:document:sap:rfc:functions: every name as in the dictionary
  (`BAPI_PO_GETDETAIL1`, `POITEM`, `PO_ITEM`), structure types named after the structure
  (`BAPIRET2`), table types `TABLE_OF_<structure>`;
- mc-style, namespace urn:sap-com:document:sap:soap:functions:mc-style: each name split at its
  underscores, each part capitalised and the rest of it in lower case, the parts joined
  (`BapiPoGetdetail1`, `Poitem`, `PoItem`, `Bapi2017GmHead02`, `TableOfBapiret2`); the
  elementary types (`char10`, `date10`, ...) stay in urn:sap-com:document:sap:rfc:functions.
In both styles the response element is the function's name followed by `Response`, and table rows
are `item` elements.
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DDIC = Path(__file__).parent / "bapi_ddic"
RFC_NS = "urn:sap-com:document:sap:rfc:functions"
MC_NS = "urn:sap-com:document:sap:soap:functions:mc-style"


@dataclass(frozen=True)
class Field:
    """One component (or an elementary parameter): ABAP dictionary type, length and decimals."""
    name: str
    abap_type: str          # CHAR NUMC DATS TIMS QUAN CURR DEC CUKY UNIT LANG INT1 INT4 FLTP
    length: int
    decimals: int = 0


@dataclass(frozen=True)
class Structure:
    name: str
    description: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class Parameter:
    kind: str                       # "I" import, "E" export, "T" table
    name: str
    type: Structure | Field
    optional: bool

    @property
    def is_table(self) -> bool:
        return self.kind == "T"


@dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    @property
    def request_parameters(self) -> tuple[Parameter, ...]:
        """What the request element may carry: imports and tables (TABLES are passed both ways)."""
        return tuple(p for p in self.parameters if p.kind in "IT")

    @property
    def response_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind in "ET")


@lru_cache(maxsize=None)
def camel(name: str) -> str:
    """mc-style: PO_ITEM -> PoItem, POITEM -> Poitem, BAPI2017_GM_HEAD_02 -> Bapi2017GmHead02."""
    return "".join(part[:1].upper() + part[1:].lower() for part in name.split("_"))


@dataclass(frozen=True)
class Style:
    key: str                        # "rfc" | "mc"
    namespace: str

    def name(self, sap_name: str) -> str:
        return sap_name if self.key == "rfc" else camel(sap_name)

    def structure_type(self, structure: Structure) -> str:
        return self.name(structure.name)

    def table_type(self, structure: Structure) -> str:
        return f"TABLE_OF_{structure.name}" if self.key == "rfc" else f"TableOf{camel(structure.name)}"

    def request_element(self, function: Function) -> str:
        return self.name(function.name)

    def response_element(self, function: Function) -> str:
        return f"{self.name(function.name)}Response"

    def ordered(self, parameters: tuple[Parameter, ...]) -> list[Parameter]:
        """SOAMANAGER lists a function's parameters in its messages sorted by their names."""
        return sorted(parameters, key=lambda p: self.name(p.name))


RFC = Style("rfc", RFC_NS)
MC = Style("mc", MC_NS)
STYLES = {style.key: style for style in (RFC, MC)}


def _field(name: str, abap_type: str, size: str) -> Field:
    length, _, decimals = size.partition(".")
    return Field(name, abap_type, int(length), int(decimals or 0))


def _lines(path: Path) -> list[str]:
    return [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def _structures() -> dict[str, Structure]:
    blocks: dict[str, tuple[str, list[Field]]] = {}
    name = ""
    for line in _lines(DDIC / "structures.txt"):
        if not line.startswith(" "):
            name, _, description = line.partition("  ")
            blocks[name] = (description.rsplit(" [", 1)[0].strip(), [])
        else:
            blocks[name][1].append(_field(*line.split()))
    return {key: Structure(key, description, tuple(fields)) for key, (description, fields) in blocks.items()}


def _functions(structures: dict[str, Structure]) -> dict[str, Function]:
    blocks: dict[str, list[Parameter]] = {}
    name = ""
    for line in _lines(DDIC / "functions.txt"):
        if not line.startswith(" "):
            name = line.strip()
            blocks[name] = []
            continue
        words = line.split()
        optional = words[-1] == "optional"
        kind, parameter, *type_words = words[:-1] if optional else words
        typed = structures[type_words[0]] if len(type_words) == 1 else _field(parameter, *type_words)
        blocks[name].append(Parameter(kind, parameter, typed, optional))
    return {key: Function(key, tuple(parameters)) for key, parameters in blocks.items()}


STRUCTURES = _structures()
FUNCTIONS = _functions(STRUCTURES)
GOODSMVT_GETITEMS = FUNCTIONS["BAPI_GOODSMVT_GETITEMS"]
PO_GETITEMS = FUNCTIONS["BAPI_PO_GETITEMS"]
PO_GETDETAIL1 = FUNCTIONS["BAPI_PO_GETDETAIL1"]
