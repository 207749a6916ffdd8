"""The standard objects ml-connector touches, field by field, as a new org has them: Account (in the order of
the recorded Account, fixture account_get_200.json), Contact, Opportunity, OpportunityStage, User, Order and
Invoice (salesforce.md 2.6). Custom fields and the multi-currency field are added per org (`org.py`)."""

from __future__ import annotations

from connections.providers.salesforce.emulator.schema import Field, SObjectType, f, picklist, ref, ro


def _head(with_deleted: bool = True) -> list[Field]:
    head = [ro("Id", "id", nillable=False, label="Record ID")]
    if with_deleted:
        head.append(ro("IsDeleted", "boolean", nillable=False, default=False, label="Deleted"))
    return head


def _audit(*, viewed: bool = True) -> list[Field]:
    fields = [
        ro("CreatedDate", "datetime", nillable=False),
        ro("CreatedById", "reference", nillable=False, reference_to="User", relationship="CreatedBy"),
        ro("LastModifiedDate", "datetime", nillable=False),
        ro("LastModifiedById", "reference", nillable=False, reference_to="User", relationship="LastModifiedBy"),
        ro("SystemModstamp", "datetime", nillable=False),
    ]
    if viewed:
        fields += [ro("LastViewedDate", "datetime"), ro("LastReferencedDate", "datetime")]
    return fields


def _owner() -> Field:
    return ref("OwnerId", "User", "Owner", nillable=False, label="Owner ID")


def _address(kind: str) -> list[Field]:
    return [
        f(f"{kind}Street", "textarea", 255),
        f(f"{kind}City", "string", 40),
        f(f"{kind}State", "string", 80),
        f(f"{kind}PostalCode", "string", 20),
        f(f"{kind}Country", "string", 80),
        f(f"{kind}StateCode", "picklist", 255),
        f(f"{kind}CountryCode", "picklist", 255),
        f(f"{kind}Latitude", "double"),
        f(f"{kind}Longitude", "double"),
        picklist(f"{kind}GeocodeAccuracy", ("Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip")),
        ro(f"{kind}Address", "address"),
    ]


def account() -> SObjectType:
    fields = [
        *_head(),
        ref("MasterRecordId", "Account", "MasterRecord", createable=False, updateable=False),
        f("Name", "string", 255, nillable=False, required=True, label="Account Name"),
        picklist(
            "Type",
            (
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ),
            label="Account Type",
        ),
        ref("ParentId", "Account", "Parent"),
        *_address("Billing"),
        *_address("Shipping"),
        f("Phone", "phone", 40),
        f("Fax", "phone", 40),
        f("AccountNumber", "string", 40),
        f("Website", "url", 255),
        ro("PhotoUrl", "url", 255),
        f("Sic", "string", 20),
        f("Industry", "picklist", 255),
        f("AnnualRevenue", "currency"),
        f("NumberOfEmployees", "int", label="Employees"),
        picklist("Ownership", ("Public", "Private", "Subsidiary", "Other")),
        f("TickerSymbol", "string", 20),
        f("Description", "textarea", 32000),
        picklist("Rating", ("Hot", "Warm", "Cold")),
        f("Site", "string", 80),
        _owner(),
        *_audit(viewed=False),
        ro("LastActivityDate", "date"),
        ro("LastViewedDate", "datetime"),
        ro("LastReferencedDate", "datetime"),
        f("Jigsaw", "string", 20),
        ro("JigsawCompanyId", "string", 20),
        picklist(
            "CleanStatus",
            ("Matched", "Different", "Acknowledged", "NotFound", "Inactive", "Pending"),
            default="Pending",
        ),
        picklist("AccountSource", ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")),
        f("DunsNumber", "string", 9),
        f("Tradestyle", "string", 255),
        f("NaicsCode", "string", 8),
        f("NaicsDesc", "string", 120),
        f("YearStarted", "string", 4),
        f("SicDesc", "string", 80),
        ref("DandbCompanyId", "DandBCompany"),
        ref("OperatingHoursId", "OperatingHours"),
    ]
    return SObjectType("Account", "Account", "Accounts", "001", fields)


def contact() -> SObjectType:
    fields = [
        *_head(),
        ref("MasterRecordId", "Contact", "MasterRecord", createable=False, updateable=False),
        ref("AccountId", "Account"),
        f("LastName", "string", 80, nillable=False, required=True),
        f("FirstName", "string", 40),
        picklist("Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
        ro("Name", "string", 121, label="Full Name"),
        f("Phone", "phone", 40),
        f("Email", "email", 80, id_lookup=True),
        f("Title", "string", 128),
        _owner(),
        *_audit(),
    ]
    return SObjectType("Contact", "Contact", "Contacts", "003", fields)


# Forecast category API values and their labels (ForecastCategoryName).
FORECAST_CATEGORIES = {
    "Omitted": "Omitted",
    "Pipeline": "Pipeline",
    "BestCase": "Best Case",
    "Forecast": "Commit",
    "Closed": "Closed",
}


def opportunity() -> SObjectType:
    fields = [
        *_head(),
        ref("AccountId", "Account"),
        f("IsPrivate", "boolean", nillable=False, default=False, label="Private"),
        f("Name", "string", 120, nillable=False, required=True),
        f("Description", "textarea", 32000),
        f("StageName", "picklist", 255, nillable=False, required=True, restricted=True, label="Stage"),
        f("Amount", "currency"),
        f("Probability", "percent", label="Probability (%)"),
        ro("ExpectedRevenue", "currency"),
        f("TotalOpportunityQuantity", "double", label="Quantity"),
        f("CloseDate", "date", nillable=False, required=True),
        picklist(
            "Type",
            (
                "Existing Customer - Upgrade",
                "Existing Customer - Replacement",
                "Existing Customer - Downgrade",
                "New Customer",
            ),
            label="Opportunity Type",
        ),
        f("NextStep", "string", 255),
        picklist("LeadSource", ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")),
        ro("IsClosed", "boolean", nillable=False, default=False, label="Closed"),
        ro("IsWon", "boolean", nillable=False, default=False, label="Won"),
        ro("ForecastCategory", "picklist", 40, picklist=tuple(FORECAST_CATEGORIES), nillable=False),
        picklist("ForecastCategoryName", tuple(FORECAST_CATEGORIES.values()), label="Forecast Category"),
        ref("CampaignId", "Campaign"),
        ro("HasOpportunityLineItem", "boolean", nillable=False, default=False, label="Has Line Item"),
        ref("Pricebook2Id", "Pricebook2"),
        _owner(),
        *_audit(viewed=False),
        ro("LastActivityDate", "date"),
        ro("FiscalQuarter", "int"),
        ro("FiscalYear", "int"),
        ro("Fiscal", "string", 6, label="Fiscal Period"),
        ro("LastViewedDate", "datetime"),
        ro("LastReferencedDate", "datetime"),
    ]
    return SObjectType("Opportunity", "Opportunity", "Opportunities", "006", fields)


def opportunity_stage(prefix: str) -> SObjectType:
    fields = [
        *_head(with_deleted=False),
        ro("MasterLabel", "string", 255, nillable=False),
        ro("ApiName", "string", 255, nillable=False),
        ro("IsActive", "boolean", nillable=False),
        ro("SortOrder", "int"),
        ro("IsClosed", "boolean", nillable=False),
        ro("IsWon", "boolean", nillable=False),
        ro("ForecastCategory", "picklist", 40, picklist=tuple(FORECAST_CATEGORIES)),
        ro("ForecastCategoryName", "picklist", 40, picklist=tuple(FORECAST_CATEGORIES.values())),
        ro("DefaultProbability", "percent"),
        ro("Description", "string", 255),
        *_audit(viewed=False),
    ]
    return SObjectType(
        "OpportunityStage", "Opportunity Stage", "Opportunity Stages", prefix, fields, False, False, False
    )


def user() -> SObjectType:
    fields = [
        *_head(with_deleted=False),
        ro("Username", "string", 80, nillable=False, id_lookup=True),
        ro("LastName", "string", 80, nillable=False),
        ro("FirstName", "string", 40),
        ro("Name", "string", 121, label="Full Name"),
        ro("CompanyName", "string", 80),
        ro("Email", "email", 128, nillable=False),
        ro("Alias", "string", 8, nillable=False),
        ro("IsActive", "boolean", nillable=False, label="Active"),
        ro("TimeZoneSidKey", "picklist", 40, nillable=False, label="Time Zone"),
        ro("UserType", "picklist", 40),
        *_audit(),
    ]
    return SObjectType("User", "User", "Users", "005", fields, False, False, False)


def order(prefix: str) -> SObjectType:
    fields = [
        *_head(with_deleted=False),
        _owner(),
        ref("ContractId", "Contract"),
        ref("AccountId", "Account", nillable=False),
        ref("Pricebook2Id", "Pricebook2"),
        f("EffectiveDate", "date", nillable=False, label="Order Start Date"),
        f("EndDate", "date"),
        ro("IsReductionOrder", "boolean", nillable=False, default=False),
        f("Status", "picklist", 40, nillable=False, restricted=True, picklist=("Draft", "Activated")),
        f("Description", "textarea", 32000),
        ro("ActivatedDate", "datetime"),
        ro("ActivatedById", "reference", reference_to="User", relationship="ActivatedBy"),
        ro("StatusCode", "picklist", 40, nillable=False, picklist=("Draft", "Activated"), label="Status Category"),
        ro("OrderNumber", "string", 30, nillable=False, auto=True),
        ro("TotalAmount", "currency", nillable=False, label="Order Amount"),
        f("Name", "string", 80, label="Order Name"),
        f("PoNumber", "string", 80, label="PO Number"),
        f("Type", "picklist", 255, label="Order Type"),
        *_audit(viewed=False),
        ro("IsDeleted", "boolean", nillable=False, default=False, label="Deleted"),
        ro("LastViewedDate", "datetime"),
        ro("LastReferencedDate", "datetime"),
    ]
    return SObjectType("Order", "Order", "Orders", prefix, fields)


def invoice(prefix: str, *, totals: bool) -> SObjectType:
    """Supported calls: query, retrieve, update and describe, never create (salesforce.md 2.6)."""
    fields = [
        *_head(),
        ro("DocumentNumber", "string", 255, nillable=False, auto=True, label="Invoice Number"),
        ro("BillingAccountId", "reference", reference_to="Account", relationship="BillingAccount"),
        ro("BillToContactId", "reference", reference_to="Contact", relationship="BillToContact"),
        ro("ReferenceEntityId", "reference", reference_to="Order", relationship="ReferenceEntity"),
        ro("InvoiceDate", "date"),
        f("DueDate", "date", createable=False),
        f("Status", "picklist", 40, createable=False, picklist=("Draft", "Posted", "Canceled")),
        f("Description", "textarea", 32000, createable=False),
        ro("Balance", "currency"),
    ]
    if totals:
        fields += [ro("TotalAmount", "currency"), ro("TotalAmountWithTax", "currency")]
    fields += _audit()
    return SObjectType("Invoice", "Invoice", "Invoices", prefix, fields, False, True, False, "order_management")


def default_objects(config: dict) -> dict[str, SObjectType]:
    prefixes = config["key_prefixes"]
    types = [
        account(),
        contact(),
        opportunity(),
        opportunity_stage(prefixes["OpportunityStage"]),
        user(),
        order(prefixes["Order"]),
        invoice(prefixes["Invoice"], totals=config["invoice_total_fields"]),
    ]
    return {t.name: t for t in types}
