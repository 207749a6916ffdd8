"""Upsert and reads by external id: 201 created, 200 updated from v46 (204 before), 300 with record URLs when
a non-unique External ID value matches several records, 404 NOT_FOUND when the field is missing or not an
External ID, `?updateOnly=true`, percent-encoded values, and the `/Id` forms."""

from tests.providers.salesforce.helpers import control, create, data_url, error_code

OPPORTUNITY = {"Name": "INV-0042", "StageName": "Prospecting", "CloseDate": "2026-03-01", "Amount": 1200}


def upsert_url(
    value: str, version: str = "v66.0", sobject: str = "Opportunity", field: str = "FreshBooks_Invoice_Id__c"
):
    return data_url(f"/sobjects/{sobject}/{field}/{value}", version=version)


def test_an_upsert_creates_then_updates(salesforce, api):
    created = api.patch(upsert_url("42"), json=OPPORTUNITY, timeout=5)
    updated = api.patch(upsert_url("42"), json={"StageName": "Closed Won"}, timeout=5)

    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": True}
    assert updated.status_code == 200
    assert updated.json() == {"id": created.json()["id"], "success": True, "errors": [], "created": False}
    record = api.get(data_url(f"/sobjects/Opportunity/{created.json()['id']}"), timeout=5).json()
    assert record["FreshBooks_Invoice_Id__c"] == "42" and record["IsWon"] is True


def test_before_v46_an_update_is_204_with_no_body(salesforce, api):
    created = api.patch(upsert_url("42", "v45.0"), json=OPPORTUNITY, timeout=5)
    updated = api.patch(upsert_url("42", "v45.0"), json={"Amount": 5}, timeout=5)

    assert created.status_code == 201 and "created" not in created.json()
    assert updated.status_code == 204 and updated.content == b""


def test_the_value_is_percent_decoded_and_matched_without_regard_to_case(salesforce, api):
    control(salesforce, "POST", "schema/field", {"my_domain": "acme", "sobject": "Account", "name": "ERP_Code__c"})
    first = api.patch(upsert_url("AB%2F7%40x", sobject="Account", field="ERP_Code__c"), json={"Name": "A"}, timeout=5)
    second = api.patch(upsert_url("ab%2F7%40X", sobject="Account", field="ERP_Code__c"), json={"Phone": "1"}, timeout=5)

    assert first.status_code == 201 and second.status_code == 200
    record = api.get(data_url(f"/sobjects/Account/{first.json()['id']}"), timeout=5).json()
    assert record["ERP_Code__c"] == "AB/7@x"


def test_a_field_that_is_missing_or_not_an_external_id_is_404(salesforce, api):
    control(
        salesforce,
        "POST",
        "schema/field",
        {"my_domain": "acme", "sobject": "Opportunity", "name": "FreshBooks_Invoice_Id__c", "external_id": False},
    )
    not_external = api.patch(upsert_url("42"), json=OPPORTUNITY, timeout=5)
    control(
        salesforce,
        "POST",
        "schema/field",
        {"my_domain": "acme", "sobject": "Opportunity", "name": "FreshBooks_Invoice_Id__c", "remove": True},
    )
    missing = api.patch(upsert_url("42"), json=OPPORTUNITY, timeout=5)

    expected = [
        {
            "message": "Provided external ID field does not exist or is not accessible: FreshBooks_Invoice_Id__c",
            "errorCode": "NOT_FOUND",
        }
    ]
    assert not_external.status_code == missing.status_code == 404
    assert not_external.json() == missing.json() == expected
    assert error_code(
        api.post(data_url("/sobjects/Opportunity/"), json={**OPPORTUNITY, "FreshBooks_Invoice_Id__c": "1"}, timeout=5)
    ) == ("INVALID_FIELD")


def test_several_matches_of_a_non_unique_external_id_answer_300_with_record_urls(salesforce, api):
    control(
        salesforce,
        "POST",
        "schema/field",
        {"my_domain": "acme", "sobject": "Account", "name": "Legacy_Id__c", "external_id": True, "unique": False},
    )
    first = create(api, "Account", Name="Acme Corp", Legacy_Id__c="L-1")
    second = create(api, "Account", Name="Acme Corporation", Legacy_Id__c="L-1")

    answer = api.patch(upsert_url("L-1", sobject="Account", field="Legacy_Id__c"), json={"Phone": "1"}, timeout=5)
    read = api.get(upsert_url("L-1", sobject="Account", field="Legacy_Id__c"), timeout=5)

    assert answer.status_code == read.status_code == 300
    assert answer.json() == [
        f"/services/data/v66.0/sobjects/Account/{first}",
        f"/services/data/v66.0/sobjects/Account/{second}",
    ]
    assert api.get(data_url(f"/sobjects/Account/{first}"), timeout=5).json()["Phone"] is None


def test_update_only_never_creates(salesforce, api):
    answer = api.patch(upsert_url("77"), params={"updateOnly": "true"}, json=OPPORTUNITY, timeout=5)

    assert answer.status_code == 404 and error_code(answer) == "NOT_FOUND"
    assert salesforce.org("acme").live(salesforce.org("acme").objects["Opportunity"]) == []


def test_upsert_by_id_updates_with_200(salesforce, api):
    account_id = create(api, "Account", Name="Initech")

    answer = api.patch(
        data_url(f"/sobjects/Account/Id/{account_id}"), params={"updateOnly": "true"}, json={"Phone": "1"}, timeout=5
    )
    unknown = api.patch(data_url("/sobjects/Account/Id/001dM00009zzzzzQAA"), json={"Phone": "1"}, timeout=5)

    assert answer.status_code == 200 and answer.json()["created"] is False
    assert unknown.status_code == 404


def test_post_on_id_creates_and_patch_there_is_not_allowed(salesforce, api):
    created = api.post(data_url("/sobjects/Account/Id"), json={"Name": "Initech"}, timeout=5)
    patched = api.patch(data_url("/sobjects/Account/Id"), json={"Name": "Initech"}, timeout=5)

    assert created.status_code == 201 and created.json()["created"] is True
    assert patched.status_code == 405
    assert patched.json() == [
        {"message": "HTTP Method 'PATCH' not allowed. Allowed are GET,HEAD,POST", "errorCode": "METHOD_NOT_ALLOWED"}
    ]


def test_a_body_value_of_the_external_id_must_match_the_url(salesforce, api):
    answer = api.patch(upsert_url("42"), json={**OPPORTUNITY, "FreshBooks_Invoice_Id__c": "43"}, timeout=5)

    assert answer.status_code == 400 and error_code(answer) == "INVALID_FIELD"


def test_a_record_is_read_by_external_id(salesforce, api):
    account_id = create(api, "Account", Name="Acme Corporation", FreshBooks_Client_Id__c="123")

    found = api.get(upsert_url("123", sobject="Account", field="FreshBooks_Client_Id__c"), timeout=5)
    missing = api.get(upsert_url("999", sobject="Account", field="FreshBooks_Client_Id__c"), timeout=5)

    assert found.status_code == 200 and found.json()["Id"] == account_id
    assert missing.status_code == 404


def test_contacts_upsert_on_the_standard_email_lookup(salesforce, api):
    answer = api.patch(
        data_url("/sobjects/Contact/Email/ada%40acme.example", version="v60.0"),
        json={"LastName": "Lovelace"},
        timeout=5,
    )

    assert answer.status_code == 201
    contact = api.get(data_url(f"/sobjects/Contact/{answer.json()['id']}"), timeout=5).json()
    assert contact["Email"] == "ada@acme.example" and contact["Name"] == "Lovelace"


def test_a_failed_upsert_keeps_the_rest_error_shape(salesforce, api):
    answer = api.patch(upsert_url("42"), json={"Name": "INV-42"}, timeout=5)

    assert answer.status_code == 400
    assert answer.json()[0] == {
        "message": "Required fields are missing: [StageName, CloseDate]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["StageName", "CloseDate"],
    }
