"""Delivery dates of BAPI_PO_GETDETAIL1 are CHAR 10 in the technical user's date format (SU01 1-6)."""
import pytest

from connectors.sap_bapi_orders import external_date


@pytest.mark.parametrize("written", ["09.03.2026", "03/09/2026", "03-09-2026", "2026.03.09", "2026/03/09",
                                     "2026-03-09"])
def test_every_sap_date_format_reads_as_the_same_day(written):
    assert external_date(written) == "2026-03-09"


@pytest.mark.parametrize("written", ["", "00000000", "9.3.2026", "2026-3-9", "09.03.26", "W 11/2026", "03.2026"])
def test_anything_else_is_refused(written):
    with pytest.raises(ValueError, match="not in one of SAP's date formats"):
        external_date(written)
