"""Rows of SAP's BAPI structures built from the test data set: dicts of component name -> value.

A component a row leaves out is sent with its initial value (see bapi_values). Which component a
data set attribute fills is SAP's mapping of the underlying table field:
- GOODSMVT_HEADER (BAPI2017_GM_HEAD_02) and GOODSMVT_ITEMS (BAPI2017_GM_ITEM_SHOW): MKPF/MSEG as
  SAP's MAP2E_MKPF_TO_B2017_GM_HEAD_02 and MAP2E_MSEG_TO_2017_GM_ITEM_SHOW map them (REF_DOC =
  LFBNR, ...); the item's SCHED_LINE is MSEG-KDEIN, a sales order schedule line: always "0000";
- POHISTORY (BAPIEKBE): one row per material document item against the order, PROCESS_ID "1"
  and HIST_TYPE "E" (goods receipt), DB_CR_IND "S" for a receipt, "H" for 102, 122 and 161;
- POSCHEDULE (BAPIMEPOSCHEDULE): DELIVERY_DATE is CHAR 10 in the user's date format with
  DEL_DATCAT_EXT "D"; STAT_DATE carries the same day as a date;
- RETURN: BAPIRET2 (TYPE, ID, NUMBER, MESSAGE, MESSAGE_V1..V4, ...) or the older BAPIRETURN
  (TYPE, CODE = message class followed by the number, MESSAGE, ...); the message text is the
  message with each "&" replaced by the next variable, as MESSAGE ... INTO does.
"""
from tests.support.bapi_data import Confirmation, MaterialDocument, MaterialDocumentItem, PurchaseOrder, PurchaseOrderItem, ScheduleLine
from tests.support.bapi_values import external_date

ISO_UNITS = {"ST": "PCE", "KG": "KGM"}
CONFIRMATION_NAMES = {"AB": "Order Acknowledgment", "LA": "Inbound Delivery"}
CREDITS = ("102", "122", "161")


def goodsmvt_header(document: MaterialDocument) -> dict:
    return {"MAT_DOC": document.mat_doc, "DOC_YEAR": document.doc_year, "TR_EV_TYPE": document.tr_ev_type,
            "DOC_DATE": document.doc_date, "PSTNG_DATE": document.pstng_date, "ENTRY_DATE": document.entry_date,
            "ENTRY_TIME": document.entry_time, "USERNAME": document.username, "VER_GR_GI_SLIP": "1",
            "REF_DOC_NO": document.ref_doc_no, "HEADER_TXT": document.header_txt,
            "REF_DOC_NO_LONG": document.ref_doc_no}


def goodsmvt_item(document: MaterialDocument, item: MaterialDocumentItem) -> dict:
    return {"MAT_DOC": document.mat_doc, "DOC_YEAR": document.doc_year, "MATDOC_ITM": item.matdoc_itm,
            "MATERIAL": item.material, "PLANT": item.plant, "STGE_LOC": item.stge_loc, "MOVE_TYPE": item.move_type,
            "STCK_TYPE": item.stck_type, "VENDOR": item.vendor, "ENTRY_QNT": item.entry_qnt,
            "ENTRY_UOM": item.entry_uom, "ENTRY_UOM_ISO": ISO_UNITS.get(item.entry_uom, ""),
            "PO_PR_QNT": item.entry_qnt if item.po_number else 0, "ORDERPR_UN": item.entry_uom if item.po_number else "",
            "ORDERPR_UN_ISO": ISO_UNITS.get(item.entry_uom, "") if item.po_number else "",
            "PO_NUMBER": item.po_number, "PO_ITEM": item.po_item or 0, "NO_MORE_GR": item.no_more_gr,
            "ITEM_TEXT": item.item_text, "MVT_IND": item.mvt_ind, "AMOUNT_LC": item.amount_lc,
            "CURRENCY": item.currency, "CURRENCY_ISO": item.currency, "REF_DOC_YR": item.ref_doc_yr or 0,
            "REF_DOC": item.ref_doc, "REF_DOC_IT": item.ref_doc_it or 0}


def po_header(order: PurchaseOrder) -> dict:
    """BAPIMEPOHEADER (BAPI_PO_GETDETAIL1's POHEADER)."""
    return {"PO_NUMBER": order.po_number, "COMP_CODE": order.comp_code, "DOC_TYPE": order.doc_type, "STATUS": "9",
            "CREAT_DATE": order.creat_date, "CREATED_BY": order.created_by, "ITEM_INTVL": 10, "VENDOR": order.vendor,
            "LANGU": "EN", "LANGU_ISO": "EN", "PMNTTRMS": "0001", "PURCH_ORG": order.purch_org,
            "PUR_GROUP": order.pur_group, "CURRENCY": order.currency, "CURRENCY_ISO": order.currency,
            "EXCH_RATE": 1, "DOC_DATE": order.doc_date, "SUBITEMINT": 1}


def po_list_header(order: PurchaseOrder) -> dict:
    """BAPIEKKOL (BAPI_PO_GETITEMS' PO_HEADERS)."""
    return {"PO_NUMBER": order.po_number, "CO_CODE": order.comp_code, "DOC_CAT": "F", "DOC_TYPE": order.doc_type,
            "STATUS": "9", "CREATED_ON": order.creat_date, "CREATED_BY": order.created_by, "ITEM_INTVL": 10,
            "LAST_ITEM": order.items[-1].po_item, "VENDOR": order.vendor, "LANGUAGE": "EN", "PMNTTRMS": "0001",
            "PURCH_ORG": order.purch_org, "PUR_GROUP": order.pur_group, "CURRENCY": order.currency,
            "EXCH_RATE": 1, "DOC_DATE": order.doc_date, "SUBITEMINT": 1, "CURRENCY_ISO": order.currency}


def po_list_item(order: PurchaseOrder, item: PurchaseOrderItem) -> dict:
    """BAPIEKPOC (BAPI_PO_GETITEMS' PO_ITEMS): no QUANTITY, the quantity is DISP_QUAN."""
    return {"PO_NUMBER": order.po_number, "PO_ITEM": item.po_item, "MATERIAL": item.material,
            "ITEM_CAT": "0", "STORE_LOC": item.stge_loc, "MAT_GRP": item.matl_group, "SHORT_TEXT": item.short_text,
            "PLANT": item.plant, "UNIT": item.po_unit, "NET_PRICE": item.net_price, "PRICE_UNIT": item.price_unit,
            "CONV_NUM1": 1, "CONV_DEN1": 1, "ORDERPR_UN": item.po_unit, "ACKN_REQD": item.ackn_reqd,
            "DELETE_IND": item.delete_ind, "DISP_QUAN": item.quantity, "NO_MORE_GR": item.no_more_gr,
            "ORDERPR_UN_ISO": ISO_UNITS.get(item.po_unit, ""), "PO_UNIT_ISO": ISO_UNITS.get(item.po_unit, "")}


def po_item(item: PurchaseOrderItem) -> dict:
    """BAPIMEPOITEM (BAPI_PO_GETDETAIL1's POITEM)."""
    return {"PO_ITEM": item.po_item, "DELETE_IND": item.delete_ind, "SHORT_TEXT": item.short_text,
            "MATERIAL": item.material, "PLANT": item.plant,
            "STGE_LOC": item.stge_loc, "MATL_GROUP": item.matl_group, "QUANTITY": item.quantity, "PO_UNIT": item.po_unit,
            "PO_UNIT_ISO": ISO_UNITS.get(item.po_unit, ""), "ORDERPR_UN": item.po_unit,
            "ORDERPR_UN_ISO": ISO_UNITS.get(item.po_unit, ""), "CONV_NUM1": 1, "CONV_DEN1": 1,
            "NET_PRICE": item.net_price, "PRICE_UNIT": item.price_unit, "NO_MORE_GR": item.no_more_gr,
            "ITEM_CAT": "0", "GR_IND": "X", "IR_IND": "X", "GR_BASEDIV": "X", "ACKN_REQD": item.ackn_reqd,
            "CONF_CTRL": "0001" if item.ackn_reqd else ""}


def po_schedule(item: PurchaseOrderItem, line: ScheduleLine, date_format: str) -> dict:
    return {"PO_ITEM": item.po_item, "SCHED_LINE": line.sched_line, "DEL_DATCAT_EXT": "D",
            "DELIVERY_DATE": external_date(line.delivery_date, date_format), "QUANTITY": line.quantity,
            "DELIV_TIME": line.deliv_time, "STAT_DATE": line.stat_date, "PO_DATE": line.po_date}


def po_confirmation(item: PurchaseOrderItem, confirmation: Confirmation) -> dict:
    return {"PO_ITEM": item.po_item, "CONF_SER": confirmation.conf_ser, "CONF_TYPE": confirmation.conf_type,
            "CONF_NAME": CONFIRMATION_NAMES.get(confirmation.conf_type, ""), "DEL_DATCAT_EXT": "D",
            "DELIV_DATE": confirmation.deliv_date, "DELIV_TIME": confirmation.deliv_time,
            "QUANTITY": confirmation.quantity, "DISPO_REL": "X",
            "RECEIPT_REL": "X" if confirmation.conf_type == "LA" else "", "EXT_DOC": confirmation.ext_doc,
            "DELIV_NUMB": confirmation.deliv_numb, "DELIV_ITEM": confirmation.deliv_item or 0,
            "EXT_DOC_LONG": confirmation.ext_doc}


def po_history(document: MaterialDocument, item: MaterialDocumentItem) -> dict:
    """BAPIEKBE: the purchase order history row of one goods movement."""
    return {"PO_ITEM": item.po_item, "SERIAL_NO": 0, "PROCESS_ID": "1", "DOC_YEAR": document.doc_year,
            "MAT_DOC": document.mat_doc, "MATDOC_ITM": item.matdoc_itm, "HIST_TYPE": "E", "MOVE_TYPE": item.move_type,
            "PSTNG_DATE": document.pstng_date, "QUANTITY": item.entry_qnt, "VAL_LOCCUR": item.amount_lc,
            "VAL_FORCUR": item.amount_lc, "CURRENCY": item.currency, "DB_CR_IND": "H" if item.move_type in CREDITS else "S",
            "REF_DOC_NO": document.ref_doc_no, "REF_DOC_YR": item.ref_doc_yr or 0, "REF_DOC": item.ref_doc,
            "REF_DOC_IT": item.ref_doc_it or 0, "ENTRY_DATE": document.entry_date, "ENTRY_TIME": document.entry_time,
            "MATERIAL": item.material, "PLANT": item.plant, "LOC_CURR": item.currency, "DOC_DATE": document.doc_date,
            "CURRENCY_ISO": item.currency, "LOC_CURR_ISO": item.currency, "REF_DOC_NO_LONG": document.ref_doc_no}


def message_text(text: str, variables: tuple[str, ...]) -> str:
    for variable in variables:
        text = text.replace("&", variable, 1)
    return text.replace("&", "").strip()


def bapiret2(type_: str, message_class: str, number: str, text: str, *variables: str) -> dict:
    row = {"TYPE": type_, "ID": message_class, "NUMBER": number, "MESSAGE": message_text(text, variables)}
    row.update({f"MESSAGE_V{n}": value for n, value in enumerate(variables, 1)})
    return row


def bapireturn(type_: str, message_class: str, number: str, text: str, *variables: str) -> dict:
    row = {"TYPE": type_, "CODE": f"{message_class}{number}", "MESSAGE": message_text(text, variables)}
    row.update({f"MESSAGE_V{n}": value for n, value in enumerate(variables, 1)})
    return row
