"""Record CRUD and the rules of the write path: required fields, unknown and read-only fields, the stage
picklist (and a renamed won stage), derived Opportunity fields, unique external ids, lookups by Id or by
external id, deleted records, multi-currency, Orders, and Invoice with and without Order Management."""

from tests.providers.salesforce.helpers import control, create, data_url, error_code, soql


def test_it_creates_reads_updates_and_deletes_an_account(salesforce, api, sandbox):
    account_id = create(api, "Account", Name="Acme Corporation", BillingCity="Springfield")
    sandbox.clock.advance(60)

    updated = api.patch(data_url(f"/sobjects/Account/{account_id}"), json={"Phone": "(555) 010-2000"}, timeout=5)
    record = api.get(data_url(f"/sobjects/Account/{account_id}"), timeout=5).json()
    deleted = api.delete(data_url(f"/sobjects/Account/{account_id}"), timeout=5)

    assert updated.status_code == 204 and updated.content == b""
    assert list(record)[:3] == ["attributes", "Id", "IsDeleted"]
    assert record["attributes"] == {"type": "Account", "url": f"/services/data/v66.0/sobjects/Account/{account_id}"}
    assert record["Phone"] == "(555) 010-2000" and record["Website"] is None
    assert record["BillingAddress"]["city"] == "Springfield" and record["ShippingAddress"] is None
    assert record["CreatedDate"] == "2026-01-01T00:00:00.000+0000"
    assert record["LastModifiedDate"] == record["SystemModstamp"] == "2026-01-01T00:01:00.000+0000"
    assert record["OwnerId"] == record["CreatedById"] == salesforce.org("acme").run_as_user()["Id"]
    assert record["FreshBooks_Client_Id__c"] is None
    assert len(account_id) == 18 and account_id.startswith("001")
    assert deleted.status_code == 204


def test_fields_param_picks_fields_and_adds_id(salesforce, api):
    account_id = create(api, "Account", Name="Initech")

    record = api.get(data_url(f"/sobjects/Account/{account_id}"), params={"fields": "name,Phone"}, timeout=5).json()
    bad = api.get(data_url(f"/sobjects/Account/{account_id}"), params={"fields": "Nope"}, timeout=5)

    assert list(record) == ["attributes", "Name", "Phone", "Id"]
    assert bad.status_code == 400 and error_code(bad) == "INVALID_FIELD"


def test_a_15_character_id_finds_the_record(salesforce, api):
    account_id = create(api, "Account", Name="Initech")

    assert api.get(data_url(f"/sobjects/Account/{account_id[:15]}"), timeout=5).json()["Id"] == account_id


def test_required_fields_are_listed_in_the_message(salesforce, api):
    account = api.post(data_url("/sobjects/Account/"), json={"Phone": "1"}, timeout=5)
    opportunity = api.post(data_url("/sobjects/Opportunity/"), json={"Name": "INV-1"}, timeout=5)

    assert account.status_code == 400
    assert account.json() == [
        {"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}
    ]
    assert opportunity.json()[0]["message"] == "Required fields are missing: [StageName, CloseDate]"
    assert opportunity.json()[0]["fields"] == ["StageName", "CloseDate"]


def test_clearing_a_required_field_is_refused(salesforce, api):
    account_id = create(api, "Account", Name="Initech")

    answer = api.patch(data_url(f"/sobjects/Account/{account_id}"), json={"Name": ""}, timeout=5)

    assert error_code(answer) == "REQUIRED_FIELD_MISSING"


def test_unknown_and_read_only_fields_are_refused(salesforce, api):
    unknown = api.post(data_url("/sobjects/Account/"), json={"Name": "A", "Colour__c": "red"}, timeout=5)
    read_only = api.post(
        data_url("/sobjects/Opportunity/"),
        json={"Name": "X", "StageName": "Prospecting", "CloseDate": "2026-02-01", "IsWon": True},
        timeout=5,
    )

    assert unknown.json() == [
        {"message": "No such column 'Colour__c' on sobject of type Account", "errorCode": "INVALID_FIELD", "fields": []}
    ]
    assert error_code(read_only) == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert read_only.json()[0]["fields"] == ["IsWon"]


def test_values_of_the_wrong_type_or_length_are_refused(salesforce, api):
    bad_date = api.post(
        data_url("/sobjects/Opportunity/"),
        json={"Name": "X", "StageName": "Prospecting", "CloseDate": "soon"},
        timeout=5,
    )
    too_long = api.post(data_url("/sobjects/Account/"), json={"Name": "x" * 256}, timeout=5)
    bad_number = api.post(data_url("/sobjects/Account/"), json={"Name": "A", "AnnualRevenue": "lots"}, timeout=5)

    assert error_code(bad_date) == "JSON_PARSER_ERROR"
    assert error_code(too_long) == "STRING_TOO_LONG"
    assert error_code(bad_number) == "JSON_PARSER_ERROR"


def test_a_body_that_is_not_json_is_a_parser_error(salesforce, api):
    answer = api.post(data_url("/sobjects/Account/"), data="{oops", timeout=5)

    assert answer.status_code == 400 and error_code(answer) == "JSON_PARSER_ERROR"


def test_stage_name_is_a_restricted_picklist_of_the_orgs_stages(salesforce, api):
    answer = api.post(
        data_url("/sobjects/Opportunity/"),
        json={"Name": "X", "StageName": "Paid", "CloseDate": "2026-02-01"},
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json() == [
        {
            "message": "bad value for restricted picklist field: Paid",
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "fields": ["StageName"],
        }
    ]


def test_the_stage_sets_is_won_is_closed_probability_and_forecast(salesforce, api):
    opportunity_id = create(
        api, "Opportunity", Name="INV-1", StageName="Qualification", CloseDate="2026-05-20", Amount=1000
    )
    before = api.get(data_url(f"/sobjects/Opportunity/{opportunity_id}"), timeout=5).json()
    api.patch(
        data_url(f"/sobjects/Opportunity/{opportunity_id}"),
        json={"StageName": "Closed Won", "CloseDate": "2026-06-01", "Amount": 950.5},
        timeout=5,
    )
    after = api.get(data_url(f"/sobjects/Opportunity/{opportunity_id}"), timeout=5).json()

    assert (before["IsWon"], before["IsClosed"], before["Probability"]) == (False, False, 10)
    assert before["ForecastCategoryName"] == "Pipeline" and before["ExpectedRevenue"] == 100
    assert (after["IsWon"], after["IsClosed"], after["Probability"]) == (True, True, 100)
    assert after["ForecastCategory"] == after["ForecastCategoryName"] == "Closed"
    assert after["Amount"] == 950.5 and after["FiscalQuarter"] == 2 and after["FiscalYear"] == 2026


def test_a_renamed_won_stage_replaces_closed_won(salesforce, api):
    old = create(api, "Opportunity", Name="Old win", StageName="Closed Won", CloseDate="2026-01-05")
    status, body = control(salesforce, "POST", "stages/won", {"my_domain": "acme", "label": "Won - Paid"})

    stages = soql(
        api, "SELECT ApiName FROM OpportunityStage WHERE IsWon = true AND IsClosed = true AND IsActive = true"
    )
    refused = api.post(
        data_url("/sobjects/Opportunity/"),
        json={"Name": "X", "StageName": "Closed Won", "CloseDate": "2026-02-01"},
        timeout=5,
    )
    won = create(api, "Opportunity", Name="New win", StageName="Won - Paid", CloseDate="2026-02-01")

    assert status == 200 and body["won_stage"] == "Won - Paid"
    assert [r["ApiName"] for r in stages.json()["records"]] == ["Won - Paid"]
    assert error_code(refused) == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert api.get(data_url(f"/sobjects/Opportunity/{won}"), timeout=5).json()["IsWon"] is True
    assert api.get(data_url(f"/sobjects/Opportunity/{old}"), timeout=5).json()["StageName"] == "Won - Paid"


def test_the_default_stages_are_those_of_a_new_org(salesforce, api):
    records = soql(api, "SELECT MasterLabel, DefaultProbability FROM OpportunityStage ORDER BY SortOrder").json()

    assert [r["MasterLabel"] for r in records["records"]] == [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    assert records["records"][8]["DefaultProbability"] == 100


def test_a_unique_external_id_cannot_be_used_twice(salesforce, api):
    first = create(api, "Account", Name="Acme Corporation", FreshBooks_Client_Id__c="123")

    answer = api.post(
        data_url("/sobjects/Account/"), json={"Name": "Acme Corp", "FreshBooks_Client_Id__c": "123"}, timeout=5
    )

    assert answer.status_code == 400
    assert answer.json() == [
        {
            "message": f"duplicate value found: FreshBooks_Client_Id__c duplicates value on record with id: {first}",
            "errorCode": "DUPLICATE_VALUE",
            "fields": [],
        }
    ]


def test_an_opportunity_can_name_its_account_by_external_id(salesforce, api):
    account_id = create(api, "Account", Name="Acme Corporation", FreshBooks_Client_Id__c="123")
    body = {"Name": "INV-7", "StageName": "Prospecting", "CloseDate": "2026-02-01"}

    found = create(api, "Opportunity", **body, Account={"FreshBooks_Client_Id__c": "123"})
    missing = api.post(
        data_url("/sobjects/Opportunity/"), json={**body, "Account": {"FreshBooks_Client_Id__c": "999"}}, timeout=5
    )
    not_external = api.post(data_url("/sobjects/Opportunity/"), json={**body, "Account": {"Name": "Acme"}}, timeout=5)

    assert api.get(data_url(f"/sobjects/Opportunity/{found}"), timeout=5).json()["AccountId"] == account_id
    assert missing.status_code == 400
    assert missing.json() == [
        {
            "message": "Foreign key external ID: 999 not found for field FreshBooks_Client_Id__c in entity Account",
            "errorCode": "INVALID_FIELD",
            "fields": [],
        }
    ]
    assert error_code(not_external) == "INVALID_FIELD"


def test_lookups_by_id_must_point_at_live_records_of_the_right_type(salesforce, api):
    account_id = create(api, "Account", Name="Gone")
    contact_id = create(api, "Contact", LastName="Lee")
    api.delete(data_url(f"/sobjects/Account/{account_id}"), timeout=5)
    body = {"Name": "X", "StageName": "Prospecting", "CloseDate": "2026-02-01"}

    deleted = api.post(data_url("/sobjects/Opportunity/"), json={**body, "AccountId": account_id}, timeout=5)
    wrong_type = api.post(data_url("/sobjects/Opportunity/"), json={**body, "AccountId": contact_id}, timeout=5)
    malformed = api.post(data_url("/sobjects/Opportunity/"), json={**body, "AccountId": "abc"}, timeout=5)

    assert deleted.json() == [
        {"message": "invalid cross reference id", "errorCode": "INVALID_CROSS_REFERENCE_KEY", "fields": []}
    ]
    assert error_code(wrong_type) == "FIELD_INTEGRITY_EXCEPTION"
    assert error_code(malformed) == "MALFORMED_ID"


def test_deleted_records_answer_entity_is_deleted(salesforce, api):
    account_id = create(api, "Account", Name="Gone")
    api.delete(data_url(f"/sobjects/Account/{account_id}"), timeout=5)

    read = api.get(data_url(f"/sobjects/Account/{account_id}"), timeout=5)
    again = api.delete(data_url(f"/sobjects/Account/{account_id}"), timeout=5)
    update = api.patch(data_url(f"/sobjects/Account/{account_id}"), json={"Phone": "1"}, timeout=5)

    expected = [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]
    assert read.status_code == again.status_code == update.status_code == 404
    assert read.json() == again.json() == update.json() == expected


def test_unknown_ids_get_the_not_found_message_of_their_form(salesforce, api):
    well_formed = api.get(data_url("/sobjects/Account/001dM00009zzzzzQAA"), timeout=5)
    malformed = api.get(data_url("/sobjects/Account/12345"), timeout=5)
    salesforce.config["unknown_id_message"] = "resource"
    always = api.get(data_url("/sobjects/Account/12345"), timeout=5)

    assert well_formed.status_code == malformed.status_code == 404
    assert well_formed.json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
    assert malformed.json() == [
        {"message": "Provided external ID field does not exist or is not accessible: 12345", "errorCode": "NOT_FOUND"}
    ]
    assert always.json()[0]["message"] == "The requested resource does not exist"


def test_currency_iso_code_exists_only_in_multi_currency_orgs(salesforce, api):
    refused = api.post(data_url("/sobjects/Account/"), json={"Name": "A", "CurrencyIsoCode": "EUR"}, timeout=5)
    control(salesforce, "POST", "orgs", {"my_domain": "acme", "multi_currency": True})
    account_id = create(api, "Account", Name="A", CurrencyIsoCode="EUR")
    default = create(api, "Account", Name="B")
    bad = api.post(data_url("/sobjects/Account/"), json={"Name": "C", "CurrencyIsoCode": "XYZ"}, timeout=5)

    assert error_code(refused) == "INVALID_FIELD"
    assert api.get(data_url(f"/sobjects/Account/{account_id}"), timeout=5).json()["CurrencyIsoCode"] == "EUR"
    assert api.get(data_url(f"/sobjects/Account/{default}"), timeout=5).json()["CurrencyIsoCode"] == "USD"
    assert error_code(bad) == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_orders_need_an_account_a_start_date_and_a_status(salesforce, api):
    account_id = create(api, "Account", Name="Acme Corporation")

    missing = api.post(data_url("/sobjects/Order/"), json={"Name": "O"}, timeout=5)
    order_id = create(api, "Order", AccountId=account_id, EffectiveDate="2026-01-10", Status="Draft")
    order = api.get(data_url(f"/sobjects/Order/{order_id}"), timeout=5).json()

    assert missing.json()[0]["message"] == "Required fields are missing: [AccountId, EffectiveDate, Status]"
    assert order_id.startswith("801")
    assert order["StatusCode"] == "Draft" and order["OrderNumber"] == "00000100" and order["TotalAmount"] == 0


def test_invoice_exists_only_with_order_management(salesforce, api):
    query = soql(api, "SELECT Id FROM Invoice")
    describe = api.get(data_url("/sobjects/Invoice/describe"), timeout=5)
    names = [s["name"] for s in api.get(data_url("/sobjects/"), timeout=5).json()["sobjects"]]

    assert query.status_code == 400 and error_code(query) == "INVALID_TYPE"
    assert "sObject type 'Invoice' is not supported." in query.json()[0]["message"]
    assert describe.status_code == 404 and error_code(describe) == "NOT_FOUND"
    assert "Invoice" not in names


def test_with_order_management_invoices_are_read_and_updated_but_never_created(salesforce, api):
    control(salesforce, "POST", "orgs", {"my_domain": "acme", "order_management": "true"})
    account_id = create(api, "Account", Name="Acme Corporation")
    status, made = control(
        salesforce,
        "POST",
        "records/invoice",
        {"my_domain": "acme", "BillingAccountId": account_id, "InvoiceDate": "2026-01-05", "TotalAmount": 1200},
    )

    created = api.post(data_url("/sobjects/Invoice/"), json={"Description": "x"}, timeout=5)
    updated = api.patch(data_url(f"/sobjects/Invoice/{made['id']}"), json={"Description": "Paid by check"}, timeout=5)
    rows = soql(api, "SELECT DocumentNumber, Balance, BillingAccount.Name, Description FROM Invoice").json()

    assert status == 201 and made["id"].startswith("3tt")
    assert created.status_code == 400 and error_code(created) == "INVALID_TYPE_FOR_OPERATION"
    assert updated.status_code == 204
    assert rows["records"][0]["BillingAccount"]["Name"] == "Acme Corporation"
    assert rows["records"][0]["Balance"] == 1200 and rows["records"][0]["Description"] == "Paid by check"
    assert rows["records"][0]["DocumentNumber"] == "INV-0000000001"


def test_describe_lists_fields_with_their_flags_and_the_live_stage_values(salesforce, api):
    describe = api.get(data_url("/sobjects/Opportunity/describe"), timeout=5).json()
    fields = {f["name"]: f for f in describe["fields"]}

    external = fields["FreshBooks_Invoice_Id__c"]
    assert describe["name"] == "Opportunity" and describe["keyPrefix"] == "006"
    assert (external["externalId"], external["unique"], external["custom"], external["type"]) == (
        True,
        True,
        True,
        "string",
    )
    assert fields["StageName"]["nillable"] is False and fields["IsWon"]["updateable"] is False
    assert fields["StageName"]["restrictedPicklist"] is True
    assert [v["value"] for v in fields["StageName"]["picklistValues"]][-2:] == ["Closed Won", "Closed Lost"]
    assert {
        "name",
        "type",
        "label",
        "externalId",
        "unique",
        "custom",
        "nillable",
        "updateable",
        "picklistValues",
    } <= set(external)


def test_describe_global_lists_the_orgs_objects(salesforce, api):
    answer = api.get(data_url("/sobjects/"), timeout=5).json()

    assert answer["encoding"] == "UTF-8" and answer["maxBatchSize"] == 200
    entry = next(s for s in answer["sobjects"] if s["name"] == "Account")
    assert {"name", "label", "custom", "queryable", "createable", "updateable"} <= set(entry)
    assert {s["name"] for s in answer["sobjects"]} == {
        "Account",
        "Contact",
        "Opportunity",
        "OpportunityStage",
        "User",
        "Order",
    }


def test_an_unknown_sobject_is_not_found(salesforce, api):
    answer = api.post(data_url("/sobjects/Widget__c/"), json={"Name": "x"}, timeout=5)

    assert answer.status_code == 404 and error_code(answer) == "NOT_FOUND"


def test_orgs_keep_their_own_records(salesforce, api):
    create(api, "Account", Name="Only in acme")

    assert salesforce.org("globex").live(salesforce.org("globex").objects["Account"]) == []
