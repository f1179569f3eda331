"""What a process keeps from one run's connectors to the next, so each sync cycle does not pay again for
what the last one already had: SAP's parsed WSDLs and the Salesforce session.

Connectors are built afresh for every run (each with the run's `Cancel`); they take what is kept
here and put back what they obtained. A WSDL is kept under the address it was read from, so a
changed setting reads the new one; a SAP upgrade that changes a WSDL is read after a restart. A kept
Salesforce session is used until Salesforce expires it, then renewed once, as any session.
"""
from dataclasses import dataclass, field

from zeep.wsdl import Document

from connectors.salesforce_records import TokenAnswer


@dataclass
class Kept:
    wsdls: dict[str, Document] = field(default_factory=dict)
    salesforce: TokenAnswer | None = None
