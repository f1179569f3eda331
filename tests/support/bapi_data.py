"""The data the test BAPI server serves, in plain Python, named after the BAPI fields it is sent as.

Every attribute is the lower-case name of a field of SAP's BAPI structures, so a test compares
what a connector stored with the source without reading XML; values are Python values (dates,
times, `Decimal`s, strings in SAP's internal format: vendor "0000100001", item "00010").

- `PurchaseOrder` (BAPIMEPOHEADER in POHEADER, BAPIEKKOL in PO_HEADERS): `po_number`,
  `comp_code`, `doc_type`, `doc_date` (EKKO-BEDAT, what BAPI_PO_GETITEMS' DOC_DATE selects on),
  `creat_date`, `created_by`, `vendor`, `purch_org`, `pur_group`, `currency`, `items`;
- `PurchaseOrderItem` (BAPIMEPOITEM in POITEM, BAPIEKPOC in PO_ITEMS): `po_item`, `short_text`,
  `material`, `plant`, `stge_loc`, `matl_group`, `quantity`, `po_unit`, `net_price` (per
  `price_unit`), `price_unit`, `delete_ind` ("" or "L"), `no_more_gr` ("" or "X"), `ackn_reqd`,
  `schedules`, `confirmations`;
- `ScheduleLine` (BAPIMEPOSCHEDULE in POSCHEDULE): `sched_line` ("0001"), `delivery_date` (sent as
  CHAR 10 in the user's date format), `deliv_time`, `quantity`, `stat_date`, `po_date`;
- `Confirmation` (BAPIEKES in POCONFIRMATION): `conf_ser` ("0001"), `conf_type` ("AB" order
  acknowledgment, "LA" inbound delivery), `deliv_date`, `deliv_time`, `quantity`, `ext_doc` (the
  vendor's reference), `deliv_numb`/`deliv_item` (the inbound delivery of an "LA"). BAPIEKES
  has neither a creation date nor a schedule line: a confirmation is known by PO_ITEM and CONF_SER;
- `MaterialDocument` (BAPI2017_GM_HEAD_02 in GOODSMVT_HEADER): `mat_doc`, `doc_year` (numbers
  start again each year: a number is unique only with its year), `tr_ev_type` ("WE" goods receipt
  for a purchase order, "WA" goods issue), `doc_date`, `pstng_date`, `entry_date`, `entry_time`,
  `username`, `ref_doc_no` (the supplier's delivery note), `header_txt`, `items`;
- `MaterialDocumentItem` (BAPI2017_GM_ITEM_SHOW in GOODSMVT_ITEMS; BAPIEKBE in POHISTORY):
  `matdoc_itm` ("0001"), `move_type`, `material`, `plant`, `stge_loc`, `entry_qnt` (never signed:
  101, 102, 122 and 161 differ only by `move_type`), `entry_uom`, `po_number`/`po_item` (empty
  for a movement without an order, e.g. 201), `vendor`, `mvt_ind` ("B" for a movement against a
  purchase order), `stck_type`, `ref_doc_yr`/`ref_doc`/`ref_doc_it` (MSEG LFBJA/LFBNR/LFPOS: a
  101 refers to itself, a 102 to the 101 it reverses, a 122 to the 101 it returns goods from),
  `amount_lc`, `currency`, `no_more_gr`, `item_text`. There is no purchase order schedule line in
  BAPI2017_GM_ITEM_SHOW (its SCHED_LINE is a sales order's): no receipt names one.
"""
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal


@dataclass(frozen=True)
class ScheduleLine:
    sched_line: str
    delivery_date: date
    deliv_time: time
    quantity: Decimal
    stat_date: date
    po_date: date


@dataclass(frozen=True)
class Confirmation:
    conf_ser: str
    conf_type: str
    deliv_date: date
    deliv_time: time
    quantity: Decimal
    ext_doc: str
    deliv_numb: str = ""
    deliv_item: str = ""


@dataclass(frozen=True)
class PurchaseOrderItem:
    po_item: str
    short_text: str
    material: str
    plant: str
    stge_loc: str
    matl_group: str
    quantity: Decimal
    po_unit: str
    net_price: Decimal
    price_unit: Decimal
    schedules: tuple[ScheduleLine, ...]
    confirmations: tuple[Confirmation, ...] = ()
    delete_ind: str = ""
    no_more_gr: str = ""
    ackn_reqd: str = ""


@dataclass(frozen=True)
class PurchaseOrder:
    po_number: str
    doc_date: date
    creat_date: date
    created_by: str
    vendor: str
    items: tuple[PurchaseOrderItem, ...]
    comp_code: str = "1000"
    doc_type: str = "NB"
    purch_org: str = "1000"
    pur_group: str = "001"
    currency: str = "EUR"

    def item(self, po_item: str) -> PurchaseOrderItem:
        return next(i for i in self.items if i.po_item == po_item)


@dataclass(frozen=True)
class MaterialDocumentItem:
    matdoc_itm: str
    move_type: str
    material: str
    plant: str
    entry_qnt: Decimal
    entry_uom: str
    po_number: str = ""
    po_item: str = ""
    vendor: str = ""
    ref_doc_yr: str = ""
    ref_doc: str = ""
    ref_doc_it: str = ""
    amount_lc: Decimal = Decimal(0)
    currency: str = "EUR"
    stge_loc: str = "0001"
    mvt_ind: str = ""
    stck_type: str = ""
    no_more_gr: str = ""
    item_text: str = ""


@dataclass(frozen=True)
class MaterialDocument:
    mat_doc: str
    doc_year: str
    tr_ev_type: str
    doc_date: date
    pstng_date: date
    entry_date: date
    entry_time: time
    username: str
    items: tuple[MaterialDocumentItem, ...]
    ref_doc_no: str = ""
    header_txt: str = ""


@dataclass(frozen=True)
class BapiDataset:
    orders: tuple[PurchaseOrder, ...]
    documents: tuple[MaterialDocument, ...]

    def order(self, po_number: str) -> PurchaseOrder | None:
        return next((o for o in self.orders if o.po_number == po_number), None)

    def document(self, mat_doc: str, doc_year: str) -> MaterialDocument | None:
        return next((d for d in self.documents if (d.mat_doc, d.doc_year) == (mat_doc, doc_year)), None)

    def movements_for(self, po_number: str) -> list[tuple[MaterialDocument, MaterialDocumentItem]]:
        """The material document items posted against an order, in document order."""
        return [(d, i) for d in self.documents for i in d.items if i.po_number == po_number]
