"""SOQL: the statements the client sends (fields, relationship fields, WHERE with AND/OR, IN, LIKE, literals of
each type and string escapes, ORDER BY, LIMIT/OFFSET, COUNT()), paging with nextRecordsUrl, queryAll, and
Salesforce's errors for what it cannot run."""

from tests.providers.salesforce.helpers import control, create, data_url, error_code, host, soql


def make_accounts(api, *names: str) -> dict[str, str]:
    return {name: create(api, "Account", Name=name) for name in names}


def names(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["Name"] for r in answer.json()["records"]]


def test_it_answers_selected_fields_in_order_after_attributes(salesforce, api):
    ids = make_accounts(api, "Initech")

    answer = soql(api, "select name, id from account")

    assert answer.json() == {
        "totalSize": 1,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Account", "url": f"/services/data/v66.0/sobjects/Account/{ids['Initech']}"},
                "Name": "Initech",
                "Id": ids["Initech"],
            }
        ],
    }


def test_relationship_fields_are_nested_records(salesforce, api):
    account_id = create(api, "Account", Name="Acme Corporation")
    create(api, "Opportunity", Name="With", StageName="Prospecting", CloseDate="2026-02-01", AccountId=account_id)
    create(api, "Opportunity", Name="Without", StageName="Prospecting", CloseDate="2026-02-01")

    records = soql(api, "SELECT Name, Account.Name, Owner.Name FROM Opportunity ORDER BY Name DESC").json()["records"]

    assert records[0]["Name"] == "Without" and records[0]["Account"] is None
    assert records[1]["Account"]["Name"] == "Acme Corporation"
    assert records[1]["Account"]["attributes"]["type"] == "Account"
    assert records[1]["Owner"]["Name"] == "Integration User"


def test_string_comparisons_ignore_case_and_escapes_are_honoured(salesforce, api):
    make_accounts(api, "O'Brien & Sons", "Back\\slash Ltd", "obrien")

    apostrophe = soql(api, "SELECT Name FROM Account WHERE Name = 'o\\'brien & sons'")
    backslash = soql(api, "SELECT Name FROM Account WHERE Name = 'Back\\\\slash Ltd'")
    bad_escape = soql(api, "SELECT Name FROM Account WHERE Name = 'a\\qb'")

    assert names(apostrophe) == ["O'Brien & Sons"]
    assert names(backslash) == ["Back\\slash Ltd"]
    assert error_code(bad_escape) == "MALFORMED_QUERY"


def test_like_in_and_not_equal(salesforce, api):
    make_accounts(api, "Acme Corp", "Acme Corporation", "ACME_1", "Globex", "Initech")

    like = soql(api, "SELECT Name FROM Account WHERE Name LIKE 'acme%' ORDER BY Name")
    underscore = soql(api, "SELECT Name FROM Account WHERE Name LIKE 'acme\\_%'")
    in_list = soql(api, "SELECT Name FROM Account WHERE Name IN ('globex', 'Initech') ORDER BY Name")
    not_in = soql(api, "SELECT Name FROM Account WHERE Name NOT IN ('Globex') AND Name != 'Initech' ORDER BY Name")

    assert names(like) == ["Acme Corp", "Acme Corporation", "ACME_1"]
    assert names(underscore) == ["ACME_1"]
    assert names(in_list) == ["Globex", "Initech"]
    assert names(not_in) == ["Acme Corp", "Acme Corporation", "ACME_1"]


def test_typed_literals_booleans_numbers_dates_and_null(salesforce, api):
    create(api, "Opportunity", Name="Small", StageName="Prospecting", CloseDate="2026-01-10", Amount=100)
    create(api, "Opportunity", Name="Big", StageName="Closed Won", CloseDate="2026-03-10", Amount=5000)
    create(api, "Opportunity", Name="Unpriced", StageName="Prospecting", CloseDate="2026-02-10")

    assert names(soql(api, "SELECT Name FROM Opportunity WHERE IsWon = true")) == ["Big"]
    assert names(soql(api, "SELECT Name FROM Opportunity WHERE Amount >= 100 AND Amount < 1000")) == ["Small"]
    assert names(soql(api, "SELECT Name FROM Opportunity WHERE CloseDate > 2026-02-01 ORDER BY CloseDate")) == [
        "Unpriced",
        "Big",
    ]
    assert names(soql(api, "SELECT Name FROM Opportunity WHERE Amount = null")) == ["Unpriced"]
    assert names(soql(api, "SELECT Name FROM Opportunity WHERE CreatedDate >= 2026-01-01T00:00:00Z")) != []
    quoted = soql(api, "SELECT Name FROM Opportunity WHERE CloseDate > '2026-02-01'")
    assert error_code(quoted) == "INVALID_FIELD"
    assert "must be of type date and should not be enclosed in quotes" in quoted.json()[0]["message"]


def test_and_or_need_parentheses_to_mix(salesforce, api):
    make_accounts(api, "A", "B", "C")

    grouped = soql(api, "SELECT Name FROM Account WHERE (Name = 'A' OR Name = 'B') AND Name != 'B'")
    mixed = soql(api, "SELECT Name FROM Account WHERE Name = 'A' OR Name = 'B' AND Name != 'B'")
    salesforce.config["soql_mixed_and_or"] = "and_first"
    ranked = soql(api, "SELECT Name FROM Account WHERE Name = 'A' OR Name = 'B' AND Name != 'B' ORDER BY Name")

    assert names(grouped) == ["A"]
    assert error_code(mixed) == "MALFORMED_QUERY"
    assert names(ranked) == ["A"]


def test_ids_in_where_accept_15_characters_and_refuse_garbage(salesforce, api):
    ids = make_accounts(api, "Initech", "Globex")

    short = soql(api, "SELECT Name FROM Account WHERE Id = '%s'" % ids["Globex"][:15])  # noqa: S608, UP031
    bad = soql(api, "SELECT Name FROM Account WHERE Id = 'nope'")

    assert names(short) == ["Globex"]
    assert error_code(bad) == "INVALID_QUERY_FILTER_OPERATOR"


def test_order_by_nulls_limit_and_offset(salesforce, api):
    for name, city in (("A", "Zurich"), ("B", None), ("C", "Austin"), ("D", "Berlin")):
        create(api, "Account", Name=name, BillingCity=city)

    assert names(soql(api, "SELECT Name FROM Account ORDER BY BillingCity")) == ["B", "C", "D", "A"]
    assert names(soql(api, "SELECT Name FROM Account ORDER BY BillingCity DESC")) == ["A", "D", "C", "B"]
    assert names(soql(api, "SELECT Name FROM Account ORDER BY BillingCity NULLS LAST LIMIT 2 OFFSET 1")) == ["D", "A"]
    assert error_code(soql(api, "SELECT Name FROM Account OFFSET 2001")) == "NUMBER_OUTSIDE_VALID_RANGE"


def test_order_is_an_object_name_despite_the_keyword(salesforce, api):
    account_id = create(api, "Account", Name="Acme Corporation")
    create(api, "Order", AccountId=account_id, EffectiveDate="2026-01-10", Status="Draft")

    answer = soql(api, "SELECT OrderNumber, Account.Name FROM Order ORDER BY OrderNumber")

    assert answer.status_code == 200, answer.text
    assert answer.json()["records"][0]["Account"]["Name"] == "Acme Corporation"


def test_count_returns_the_total_and_no_records(salesforce, api):
    make_accounts(api, "A", "B", "C")

    answer = soql(api, "SELECT COUNT() FROM Account WHERE Name != 'C'").json()

    assert answer == {"totalSize": 2, "done": True, "records": []}


def test_results_are_paged_with_next_records_url(salesforce, api):
    salesforce.config["query_page_size"] = 2
    make_accounts(api, "A", "B", "C", "D", "E")

    first = soql(api, "SELECT Name FROM Account ORDER BY Name").json()
    second = api.get(host() + first["nextRecordsUrl"], timeout=5).json()
    third = api.get(host() + second["nextRecordsUrl"], timeout=5).json()

    assert list(first) == ["totalSize", "done", "nextRecordsUrl", "records"]
    assert first["nextRecordsUrl"].startswith("/services/data/v66.0/query/0r8") and first["nextRecordsUrl"].endswith(
        "-2"
    )
    assert (first["totalSize"], first["done"], [r["Name"] for r in first["records"]]) == (5, False, ["A", "B"])
    assert [r["Name"] for r in second["records"]] == ["C", "D"] and second["done"] is False
    assert [r["Name"] for r in third["records"]] == ["E"] and third["done"] is True and "nextRecordsUrl" not in third
    assert third["totalSize"] == 5


def test_a_real_size_page_is_2000_records(salesforce, api):
    org = salesforce.org("acme")
    for n in range(2086):
        org.create(org.objects["Account"], {"Name": f"Account {n:04d}"}, org.admin)

    first = soql(api, "SELECT Id FROM Account").json()
    second = api.get(host() + first["nextRecordsUrl"], timeout=5).json()

    assert len(first["records"]) == 2000 and len(second["records"]) == 86 and second["done"] is True


def test_an_unknown_or_stale_locator_is_refused(salesforce, api, sandbox):
    salesforce.config["query_page_size"] = 1
    make_accounts(api, "A", "B")
    first = soql(api, "SELECT Name FROM Account").json()

    unknown = api.get(data_url("/query/0r8deadbeef-1"), timeout=5)
    sandbox.clock.advance(901)
    stale = api.get(host() + first["nextRecordsUrl"], timeout=5)

    assert error_code(unknown) == error_code(stale) == "INVALID_QUERY_LOCATOR"


def test_query_all_includes_deleted_rows(salesforce, api):
    ids = make_accounts(api, "Kept", "Gone")
    api.delete(data_url(f"/sobjects/Account/{ids['Gone']}"), timeout=5)

    live = soql(api, "SELECT Name FROM Account ORDER BY Name")
    everything = soql(api, "SELECT Name, IsDeleted FROM Account ORDER BY Name", resource="queryAll")

    assert names(live) == ["Kept"]
    assert [(r["Name"], r["IsDeleted"]) for r in everything.json()["records"]] == [("Gone", True), ("Kept", False)]


def test_errors_point_at_the_token_like_salesforce(salesforce, api):
    column = soql(api, "SELECT Id, Nme FROM Account")
    sobject = soql(api, "SELECT Id FROM Acount")
    relationship = soql(api, "SELECT Id, Ownr.Name FROM Account")
    syntax = soql(api, "SELECT Id FROM Account WHERE")
    empty = soql(api, "")

    assert column.status_code == 400
    assert column.json()[0]["message"].startswith(
        "\nSELECT Id, Nme FROM Account\n           ^\nERROR at Row:1:Column:12\n"
    )
    assert "No such column 'Nme' on entity 'Account'." in column.json()[0]["message"]
    assert error_code(column) == "INVALID_FIELD"
    assert (
        error_code(sobject) == "INVALID_TYPE"
        and "sObject type 'Acount' is not supported." in sobject.json()[0]["message"]
    )
    assert "Didn't understand relationship 'Ownr'" in relationship.json()[0]["message"]
    assert error_code(syntax) == "MALFORMED_QUERY" and "unexpected token: '<EOF>'" in syntax.json()[0]["message"]
    assert empty.json() == [{"message": "SOQL statements cannot be empty or null", "errorCode": "MALFORMED_QUERY"}]


def test_error_context_can_be_turned_off(salesforce, api):
    salesforce.config["soql_error_context"] = False

    answer = soql(api, "SELECT Nme FROM Account")

    assert answer.json()[0]["message"].startswith("No such column 'Nme' on entity 'Account'.")


def test_a_query_is_one_api_call_and_each_page_another(salesforce, api):
    salesforce.config["query_page_size"] = 1
    make_accounts(api, "A", "B")
    control(salesforce, "POST", "usage", {"my_domain": "acme", "used": 0})

    first = soql(api, "SELECT Name FROM Account")
    second = api.get(host() + first.json()["nextRecordsUrl"], timeout=5)

    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/15000"
