"""The Account object as the stand-in knows it: standard fields from Salesforce's Object Reference.

SOQL names are case-insensitive; answers use each field's own case. A standard field a dataset
leaves out is null (as in an org where nobody filled it in); custom fields (`__c`) exist when the
dataset has them, and any other name is `INVALID_FIELD`, as in a real org.
"""
from typing import Iterable

# Object Reference for the Salesforce Platform, Account (core fields, no feature-specific ones).
STANDARD_FIELDS = (
    "Id", "IsDeleted", "MasterRecordId", "Name", "Type", "ParentId", "BillingStreet", "BillingCity",
    "BillingState", "BillingPostalCode", "BillingCountry", "BillingLatitude", "BillingLongitude",
    "BillingGeocodeAccuracy", "ShippingStreet", "ShippingCity", "ShippingState", "ShippingPostalCode",
    "ShippingCountry", "ShippingLatitude", "ShippingLongitude", "ShippingGeocodeAccuracy", "Phone", "Fax",
    "AccountNumber", "Website", "PhotoUrl", "Sic", "Industry", "AnnualRevenue", "NumberOfEmployees", "Ownership",
    "TickerSymbol", "Description", "Rating", "Site", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate",
    "LastModifiedById", "SystemModstamp", "LastActivityDate", "LastViewedDate", "LastReferencedDate", "Jigsaw",
    "JigsawCompanyId", "CleanStatus", "AccountSource", "DunsNumber", "Tradestyle", "NaicsCode", "NaicsDesc",
    "YearStarted", "SicDesc", "DandbCompanyId", "OperatingHoursId",
)
# Child-to-parent relationships and the id field that holds each: `Owner.Name` reads the User in OwnerId.
RELATIONSHIPS = {"Owner": ("OwnerId", "User"), "Parent": ("ParentId", "Account"),
                 "CreatedBy": ("CreatedById", "User"), "LastModifiedBy": ("LastModifiedById", "User"),
                 "MasterRecord": ("MasterRecordId", "Account")}
RELATED_FIELDS = ("Id", "Name", "Email", "Username", "IsActive")
# The custom fields of the dataset format (DESIGN.md): an org set up for srm-bridge has them.
DATASET_CUSTOM_FIELDS = ("SAP_Vendor_Id__c", "Supplier_Tier__c", "Risk_Rating__c")


class UnknownField(KeyError):
    pass


class AccountSchema:
    def __init__(self, accounts: Iterable[dict]) -> None:
        custom = {*DATASET_CUSTOM_FIELDS, *(name for account in accounts for name in account if name.endswith("__c"))}
        self.fields = {name.lower(): name for name in (*STANDARD_FIELDS, *sorted(custom))}
        self.relations = {name.lower(): name for name in RELATIONSHIPS}
        self.related = {name.lower(): name for name in RELATED_FIELDS}

    def canonical(self, name: str) -> str:
        """`name` in the field's own case: `industry` → `Industry`, `owner.name` → `Owner.Name`."""
        relation, dot, field = name.strip().partition(".")
        if dot:
            if relation.lower() not in self.relations or field.lower() not in self.related:
                raise UnknownField(name)
            return f"{self.relations[relation.lower()]}.{self.related[field.lower()]}"
        if name.strip().lower() not in self.fields:
            raise UnknownField(name)
        return self.fields[name.strip().lower()]
