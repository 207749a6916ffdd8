"""sObject Collections: create, update, upsert, retrieve and delete in one call each, the 200-record cap,
per-record results with `statusCode` errors and no `id` on failures, `allOrNone` rollback, and the parser
error for a record without `attributes`."""

from tests.providers.salesforce.helpers import create, data_url, error_code, soql


def account(name: str, **fields) -> dict:
    return {"attributes": {"type": "Account"}, "Name": name, **fields}


def test_create_answers_save_results_in_request_order(salesforce, api):
    answer = api.post(
        data_url("/composite/sobjects"),
        json={"allOrNone": False, "records": [account("A"), account(""), account("C")]},
        timeout=5,
    )

    results = answer.json()
    assert answer.status_code == 200
    assert results[0] == {"id": results[0]["id"], "success": True, "errors": []}
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert results[2]["success"] is True
    assert [r["Name"] for r in soql(api, "SELECT Name FROM Account ORDER BY Name").json()["records"]] == ["A", "C"]


def test_all_or_none_rolls_every_record_back(salesforce, api):
    answer = api.post(
        data_url("/composite/sobjects"),
        json={"allOrNone": True, "records": [account("A"), account("B", Colour__c="red")]},
        timeout=5,
    )

    assert answer.status_code == 200
    assert answer.json() == [
        {
            "success": False,
            "errors": [
                {
                    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "message": (
                        "Record rolled back because not all records were valid and the request was using AllOrNone "
                        "header"
                    ),
                    "fields": [],
                }
            ],
        },
        {
            "success": False,
            "errors": [
                {
                    "statusCode": "INVALID_FIELD",
                    "message": "No such column 'Colour__c' on sobject of type Account",
                    "fields": [],
                }
            ],
        },
    ]
    assert soql(api, "SELECT COUNT() FROM Account").json()["totalSize"] == 0


def test_all_or_none_also_rolls_back_updates(salesforce, api):
    first = create(api, "Account", Name="A")
    second = create(api, "Account", Name="B")

    api.patch(
        data_url("/composite/sobjects"),
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Account"}, "id": first, "Phone": "1"},
                {"attributes": {"type": "Account"}, "id": second, "Name": ""},
            ],
        },
        timeout=5,
    )

    assert api.get(data_url(f"/sobjects/Account/{first}"), timeout=5).json()["Phone"] is None


def test_more_than_200_records_is_refused_whole(salesforce, api):
    answer = api.post(
        data_url("/composite/sobjects"), json={"records": [account(f"A{n}") for n in range(201)]}, timeout=5
    )

    assert answer.status_code == 400
    assert answer.json() == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    assert soql(api, "SELECT COUNT() FROM Account").json()["totalSize"] == 0


def test_200_records_is_one_api_call(salesforce, api):
    answer = api.post(
        data_url("/composite/sobjects"), json={"records": [account(f"A{n}") for n in range(200)]}, timeout=5
    )

    assert all(r["success"] for r in answer.json())
    assert answer.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_a_record_without_attributes_first_is_a_parser_error(salesforce, api):
    missing = api.post(data_url("/composite/sobjects"), json={"records": [{"Name": "A"}]}, timeout=5)
    late = api.post(
        data_url("/composite/sobjects"), json={"records": [{"Name": "A", "attributes": {"type": "Account"}}]}, timeout=5
    )

    expected = [
        {
            "message": (
                "Nested object for polymorphic foreign key must have an attributes field before any other fields."
            ),
            "errorCode": "JSON_PARSER_ERROR",
        }
    ]
    assert missing.status_code == late.status_code == 400
    assert missing.json() == late.json() == expected


def test_create_refuses_records_with_an_id(salesforce, api):
    existing = create(api, "Account", Name="A")

    answer = api.post(data_url("/composite/sobjects"), json={"records": [account("B", Id=existing)]}, timeout=5)

    assert answer.json()[0]["errors"][0]["statusCode"] == "INVALID_FIELD"


def test_update_reports_unknown_and_missing_ids(salesforce, api):
    known = create(api, "Account", Name="A")

    answer = api.patch(
        data_url("/composite/sobjects"),
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "id": known, "Phone": "555"},
                {"attributes": {"type": "Account"}, "id": "001xx000003DHP0AAO", "Name": "Updated Account Name"},
                {"attributes": {"type": "Account"}, "Name": "No id"},
            ],
        },
        timeout=5,
    )

    results = answer.json()
    assert results[0] == {"id": known, "success": True, "errors": []}
    assert results[1] == {
        "success": False,
        "errors": [
            {"statusCode": "INVALID_CROSS_REFERENCE_KEY", "message": "invalid cross reference id", "fields": []}
        ],
    }
    assert results[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert api.get(data_url(f"/sobjects/Account/{known}"), timeout=5).json()["Phone"] == "555"


def test_upsert_by_external_id_reports_created(salesforce, api):
    create(api, "Account", Name="Acme Corporation", FreshBooks_Client_Id__c="1")

    answer = api.patch(
        data_url("/composite/sobjects/Account/FreshBooks_Client_Id__c"),
        json={
            "allOrNone": False,
            "records": [
                account("Acme Corp", FreshBooks_Client_Id__c="1"),
                account("Globex", FreshBooks_Client_Id__c="2"),
                account("Twice", FreshBooks_Client_Id__c="3"),
                account("Twice again", FreshBooks_Client_Id__c="3"),
                account("No value"),
            ],
        },
        timeout=5,
    )

    results = answer.json()
    assert answer.status_code == 200
    assert results[0]["created"] is False and results[1]["created"] is True
    assert list(results[1]) == ["id", "success", "errors", "created"]
    assert results[2]["errors"][0]["statusCode"] == results[3]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert results[4]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    names = soql(api, "SELECT Name FROM Account ORDER BY Name").json()["records"]
    assert [r["Name"] for r in names] == ["Acme Corp", "Globex"]


def test_upsert_on_a_field_that_is_not_an_external_id_is_404(salesforce, api):
    answer = api.patch(data_url("/composite/sobjects/Account/Name"), json={"records": [account("A")]}, timeout=5)

    assert answer.status_code == 404
    assert error_code(answer) == "NOT_FOUND"


def test_delete_by_ids(salesforce, api):
    first = create(api, "Account", Name="A")
    second = create(api, "Account", Name="B")
    api.delete(data_url(f"/sobjects/Account/{second}"), timeout=5)

    answer = api.delete(
        data_url("/composite/sobjects"), params={"ids": f"{first},{second}", "allOrNone": "false"}, timeout=5
    )

    assert answer.json() == [
        {"id": first, "success": True, "errors": []},
        {
            "success": False,
            "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}],
        },
    ]


def test_retrieve_several_records_with_chosen_fields(salesforce, api):
    first = create(api, "Account", Name="A", Phone="1")

    answer = api.get(
        data_url("/composite/sobjects/Account"),
        params={"ids": f"{first},001dM00009zzzzzQAA", "fields": "Name,Phone"},
        timeout=5,
    )

    assert answer.json()[0]["Name"] == "A" and answer.json()[0]["Phone"] == "1"
    assert answer.json()[1] is None
