"""The Zendesk emulator's API behaviour: auth, organizations, custom fields, users, tickets and notes."""

import requests

from tests.providers.zendesk.helpers import create_org, create_ticket, url


def test_it_answers_users_me_with_the_admin_for_a_good_api_token(admin_api, zendesk):
    answer = admin_api.get(url("/api/v2/users/me.json"), timeout=5)

    assert answer.status_code == 200
    user = answer.json()["user"]
    assert user["id"] == zendesk.account("acme").admin.id
    assert user["role"] == "admin"
    assert user["authenticity_token"]


def test_it_answers_users_me_with_an_anonymous_user_when_the_credentials_are_wrong(zendesk):
    answer = requests.get(url("/api/v2/users/me.json"), auth=("admin@acme.example.com/token", "wrong"), timeout=5)

    assert answer.status_code == 200
    user = answer.json()["user"]
    assert user["id"] is None
    assert user["name"] == "Anonymous user"
    assert user["role"] == "end-user"


def test_it_can_answer_users_me_with_401_instead_when_configured(zendesk):
    zendesk.config["users_me_on_bad_credentials"] = "401"

    answer = requests.get(url("/api/v2/users/me"), auth=("admin@acme.example.com/token", "wrong"), timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {"error": "Couldn't authenticate you"}


def test_it_refuses_other_endpoints_with_couldnt_authenticate_you(zendesk):
    answer = requests.get(url("/api/v2/organizations.json"), auth=("admin@acme.example.com/token", "wrong"), timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {"error": "Couldn't authenticate you"}
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Web Password"'


def test_it_accepts_api_tokens_only_in_the_email_slash_token_form(zendesk):
    password_style = requests.get(
        url("/api/v2/organizations"), auth=("admin@acme.example.com", zendesk.config["api_token"]), timeout=5
    )

    assert password_style.status_code == 401


def test_it_answers_every_path_with_and_without_the_json_suffix(admin_api):
    org = create_org(admin_api, "Suffix Ltd")

    plain = admin_api.get(url(f"/api/v2/organizations/{org['id']}"), timeout=5)
    suffixed = admin_api.get(url(f"/api/v2/organizations/{org['id']}.json"), timeout=5)

    assert plain.json() == suffixed.json()


def test_it_keeps_each_subdomain_a_separate_account(zendesk, admin_api):
    create_org(admin_api, "Only In Acme")
    globex = zendesk.account("globex")
    other = requests.Session()
    other.auth = (f"{globex.admin.email}/token", zendesk.config["api_token"])

    listing = other.get(url("/api/v2/organizations.json", "globex"), timeout=5).json()
    cross = admin_api.get(url("/api/v2/organizations.json", "globex"), timeout=5)

    assert listing["organizations"] == []
    assert cross.status_code == 401


# Organizations -------------------------------------------------------------------------------------


def test_it_creates_an_organization_with_201_and_a_location(admin_api):
    answer = admin_api.post(
        url("/api/v2/organizations.json"), json={"organization": {"name": "Acme Ltd", "external_id": "fb-1"}}, timeout=5
    )

    assert answer.status_code == 201
    org = answer.json()["organization"]
    assert answer.headers["Location"] == url(f"/api/v2/organizations/{org['id']}.json")
    assert org["url"] == answer.headers["Location"]
    assert org["external_id"] == "fb-1"
    assert org["notes"] is None
    assert org["details"] is None
    assert org["domain_names"] == []


def test_it_refuses_a_taken_name_case_insensitively_with_422_duplicate_value(admin_api):
    create_org(admin_api, "Acme Ltd")

    answer = admin_api.post(url("/api/v2/organizations.json"), json={"organization": {"name": "ACME LTD"}}, timeout=5)

    assert answer.status_code == 422
    assert answer.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"name": [{"description": "Name: ACME LTD has already been taken", "error": "DuplicateValue"}]},
    }


def test_it_refuses_a_taken_external_id_case_insensitively(admin_api):
    create_org(admin_api, "First", external_id="company1")

    answer = admin_api.post(
        url("/api/v2/organizations.json"),
        json={"organization": {"name": "Second", "external_id": "Company1"}},
        timeout=5,
    )

    assert answer.status_code == 422
    assert answer.json()["details"]["external_id"][0]["error"] == "DuplicateValue"


def test_it_refuses_a_blank_name(admin_api):
    answer = admin_api.post(url("/api/v2/organizations.json"), json={"organization": {"name": "  "}}, timeout=5)

    assert answer.status_code == 422
    assert "name" in answer.json()["details"]


def test_it_answers_record_not_found_for_an_unknown_organization(admin_api):
    answer = admin_api.get(url("/api/v2/organizations/404404.json"), timeout=5)

    assert answer.status_code == 404
    assert answer.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


def test_put_overwrites_notes_and_details_and_replaces_domain_names(admin_api):
    org = create_org(admin_api, "Notes Ltd", notes="old note", details="old", domain_names=["a.example", "b.example"])

    answer = admin_api.put(
        url(f"/api/v2/organizations/{org['id']}.json"),
        json={"organization": {"notes": "Balance: 120.00 USD", "domain_names": ["c.example"]}},
        timeout=5,
    )

    updated = answer.json()["organization"]
    assert answer.status_code == 200
    assert updated["notes"] == "Balance: 120.00 USD"
    assert updated["details"] == "old"
    assert updated["domain_names"] == ["c.example"]
    assert updated["name"] == "Notes Ltd"


def test_put_refuses_renaming_onto_another_organizations_name(admin_api):
    create_org(admin_api, "Taken")
    org = create_org(admin_api, "Free")

    answer = admin_api.put(
        url(f"/api/v2/organizations/{org['id']}"), json={"organization": {"name": "taken"}}, timeout=5
    )

    assert answer.status_code == 422


def test_create_or_update_matches_on_external_id_and_answers_200(admin_api):
    org = create_org(admin_api, "Linked Ltd", external_id="fb-42")

    answer = admin_api.post(
        url("/api/v2/organizations/create_or_update.json"),
        json={"organization": {"external_id": "FB-42", "notes": "synced"}},
        timeout=5,
    )

    assert answer.status_code == 200
    assert answer.json()["organization"]["id"] == org["id"]
    assert answer.json()["organization"]["notes"] == "synced"


def test_create_or_update_matches_on_id(admin_api):
    org = create_org(admin_api, "By Id Ltd")

    answer = admin_api.post(
        url("/api/v2/organizations/create_or_update"),
        json={"organization": {"id": org["id"], "details": "x"}},
        timeout=5,
    )

    assert answer.status_code == 200
    assert answer.json()["organization"]["details"] == "x"


def test_create_or_update_creates_with_201_when_nothing_matches(admin_api):
    answer = admin_api.post(
        url("/api/v2/organizations/create_or_update.json"),
        json={"organization": {"name": "Brand New", "external_id": "fb-9"}},
        timeout=5,
    )

    assert answer.status_code == 201
    assert "Location" in answer.headers


def test_create_or_update_never_matches_on_name_so_a_taken_name_is_a_duplicate(admin_api):
    create_org(admin_api, "Lorem Ipsum")

    answer = admin_api.post(
        url("/api/v2/organizations/create_or_update.json"), json={"organization": {"name": "Lorem Ipsum"}}, timeout=5
    )

    assert answer.status_code == 422
    assert answer.json()["details"]["name"] == [
        {"description": "Name: Lorem Ipsum has already been taken", "error": "DuplicateValue"}
    ]


def test_search_finds_by_name_and_by_external_id_exactly_and_case_insensitively(admin_api):
    org = create_org(admin_api, "Acme Ltd", external_id="Company1")
    create_org(admin_api, "Acme Ltd Europe")

    by_name = admin_api.get(url("/api/v2/organizations/search.json"), params={"name": "acme ltd"}, timeout=5).json()
    by_external = admin_api.get(
        url("/api/v2/organizations/search"), params={"external_id": "company1"}, timeout=5
    ).json()
    partial = admin_api.get(url("/api/v2/organizations/search.json"), params={"name": "Acme"}, timeout=5).json()

    assert [o["id"] for o in by_name["organizations"]] == [org["id"]]
    assert [o["id"] for o in by_external["organizations"]] == [org["id"]]
    assert by_name["count"] == 1
    assert by_name["next_page"] is None
    assert by_name["previous_page"] is None
    assert partial["organizations"] == []


def test_autocomplete_matches_name_prefixes_but_not_names_starting_with_punctuation(admin_api):
    create_org(admin_api, "Acme Ltd")
    create_org(admin_api, "acme labs")
    create_org(admin_api, "(Acme) Holdings")
    create_org(admin_api, "Globex")

    answer = admin_api.get(url("/api/v2/organizations/autocomplete.json"), params={"name": "acm"}, timeout=5).json()

    assert sorted(o["name"] for o in answer["organizations"]) == ["Acme Ltd", "acme labs"]
    assert answer["count"] == 2


def test_autocomplete_needs_two_characters(admin_api):
    answer = admin_api.get(url("/api/v2/organizations/autocomplete.json"), params={"name": "a"}, timeout=5)

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "QueryError"


def test_the_cursor_list_pages_through_every_organization_by_following_links_next(admin_api):
    created = [create_org(admin_api, f"Org {n}")["id"] for n in range(5)]
    seen, next_url, pages = [], url("/api/v2/organizations.json?page[size]=2"), 0

    while next_url:
        page = admin_api.get(next_url, timeout=5).json()
        seen += [o["id"] for o in page["organizations"]]
        next_url = page["links"]["next"] if page["meta"]["has_more"] else None
        pages += 1

    assert seen == sorted(created)
    assert pages == 3


def test_the_cursor_list_can_page_backwards(admin_api):
    ids = [create_org(admin_api, f"Org {n}")["id"] for n in range(4)]
    first = admin_api.get(url("/api/v2/organizations.json"), params={"page[size]": 2}, timeout=5).json()
    second = admin_api.get(first["links"]["next"], timeout=5).json()

    back = admin_api.get(second["links"]["prev"], timeout=5).json()

    assert [o["id"] for o in second["organizations"]] == ids[2:]
    assert [o["id"] for o in back["organizations"]] == ids[:2]


def test_the_cursor_list_refuses_a_page_size_above_100(admin_api):
    answer = admin_api.get(url("/api/v2/organizations.json"), params={"page[size]": 101}, timeout=5)

    assert answer.status_code == 400


def test_without_page_parameters_the_list_uses_offset_pagination(admin_api):
    for n in range(3):
        create_org(admin_api, f"Offset {n}")

    page = admin_api.get(url("/api/v2/organizations.json"), params={"per_page": 2}, timeout=5).json()

    assert len(page["organizations"]) == 2
    assert page["count"] == 3
    assert page["next_page"].endswith("page=2&per_page=2")


def test_show_many_finds_organizations_by_ids_and_by_external_ids(admin_api):
    one = create_org(admin_api, "One", external_id="x-1")
    two = create_org(admin_api, "Two", external_id="x-2")

    by_ids = admin_api.get(
        url("/api/v2/organizations/show_many.json"), params={"ids": f"{one['id']},{two['id']}"}, timeout=5
    )
    by_external = admin_api.get(url("/api/v2/organizations/show_many"), params={"external_ids": "x-2"}, timeout=5)

    assert [o["name"] for o in by_ids.json()["organizations"]] == ["One", "Two"]
    assert [o["name"] for o in by_external.json()["organizations"]] == ["Two"]


def test_an_organization_can_be_deleted(admin_api):
    org = create_org(admin_api, "Gone Ltd")

    deleted = admin_api.delete(url(f"/api/v2/organizations/{org['id']}.json"), timeout=5)

    assert deleted.status_code == 204
    assert admin_api.get(url(f"/api/v2/organizations/{org['id']}.json"), timeout=5).status_code == 404


# Incremental export ----------------------------------------------------------------------------------


def test_incremental_export_returns_changes_since_start_time_until_end_of_stream(admin_api, sandbox):
    start = int(sandbox.clock.now())
    first = create_org(admin_api, "Early")
    sandbox.clock.advance(10)
    second = create_org(admin_api, "Later")
    sandbox.clock.advance(120)

    everything = admin_api.get(url("/api/v2/incremental/organizations.json"), params={"start_time": start}, timeout=5)
    since_later = admin_api.get(
        url("/api/v2/incremental/organizations.json"), params={"start_time": start + 10}, timeout=5
    ).json()

    body = everything.json()
    assert [o["id"] for o in body["organizations"]] == [first["id"], second["id"]]
    assert body["count"] == 2
    assert body["end_of_stream"] is True
    assert body["end_time"] == start + 10
    assert body["next_page"] == url(f"/api/v2/incremental/organizations.json?start_time={start + 10}")
    assert [o["id"] for o in since_later["organizations"]] == [second["id"]]


def test_incremental_export_pages_by_end_time_and_overlaps_inside_one_second(admin_api, sandbox):
    start = int(sandbox.clock.now())
    for n in range(3):
        create_org(admin_api, f"Org {n}")
        sandbox.clock.advance(1)
    sandbox.clock.advance(120)

    first = admin_api.get(
        url("/api/v2/incremental/organizations.json"), params={"start_time": start, "per_page": 2}, timeout=5
    ).json()
    second = admin_api.get(first["next_page"] + "&per_page=2", timeout=5).json()

    assert first["end_of_stream"] is False
    assert [o["name"] for o in first["organizations"]] == ["Org 0", "Org 1"]
    assert [o["name"] for o in second["organizations"]] == ["Org 1", "Org 2"]
    assert second["end_of_stream"] is True


def test_incremental_export_sees_updates_as_changes(admin_api, sandbox):
    org = create_org(admin_api, "Changing")
    sandbox.clock.advance(30)
    mark = int(sandbox.clock.now())
    admin_api.put(url(f"/api/v2/organizations/{org['id']}.json"), json={"organization": {"notes": "n"}}, timeout=5)
    sandbox.clock.advance(120)

    answer = admin_api.get(url("/api/v2/incremental/organizations"), params={"start_time": mark}, timeout=5).json()

    assert [o["notes"] for o in answer["organizations"]] == ["n"]


def test_incremental_export_refuses_a_start_time_less_than_a_minute_old(admin_api, sandbox):
    answer = admin_api.get(
        url("/api/v2/incremental/organizations.json"), params={"start_time": int(sandbox.clock.now()) - 30}, timeout=5
    )

    assert answer.status_code == 422


def test_incremental_export_needs_an_admin(zendesk, sandbox):
    account = zendesk.account("acme")
    agent = account.create_user({"name": "Agent", "email": "agent@acme.example.com", "role": "agent"})
    session = requests.Session()
    session.auth = (f"{agent.email}/token", zendesk.config["api_token"])

    answer = session.get(url("/api/v2/incremental/organizations.json"), params={"start_time": 0}, timeout=5)

    assert answer.status_code == 403


# Organization fields -------------------------------------------------------------------------------


def define_field(api, key, type_, **extra):
    answer = api.post(
        url("/api/v2/organization_fields.json"),
        json={"organization_field": {"key": key, "type": type_, "title": key.replace("_", " ").title(), **extra}},
        timeout=5,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["organization_field"]


def test_custom_organization_fields_are_defined_then_set_with_their_types(admin_api):
    define_field(admin_api, "balance", "decimal")
    define_field(admin_api, "open_invoices", "integer")
    define_field(admin_api, "payment_status", "dropdown", custom_field_options=[{"name": "Paid", "value": "paid"}])
    org = create_org(admin_api, "Fields Ltd")
    assert org["organization_fields"] == {"balance": None, "open_invoices": None, "payment_status": None}

    answer = admin_api.put(
        url(f"/api/v2/organizations/{org['id']}.json"),
        json={"organization": {"organization_fields": {"balance": "120.50", "open_invoices": 2}}},
        timeout=5,
    )
    again = admin_api.put(
        url(f"/api/v2/organizations/{org['id']}.json"),
        json={"organization": {"organization_fields": {"payment_status": "paid"}}},
        timeout=5,
    )

    assert answer.json()["organization"]["organization_fields"]["balance"] == 120.5
    assert again.json()["organization"]["organization_fields"] == {
        "balance": 120.5,
        "open_invoices": 2,
        "payment_status": "paid",
    }


def test_custom_fields_are_listed(admin_api):
    define_field(admin_api, "balance", "decimal")

    answer = admin_api.get(url("/api/v2/organization_fields.json"), timeout=5).json()

    assert [f["key"] for f in answer["organization_fields"]] == ["balance"]
    assert answer["organization_fields"][0]["type"] == "decimal"


def test_a_custom_field_value_of_the_wrong_type_is_refused(admin_api):
    define_field(admin_api, "open_invoices", "integer")
    org = create_org(admin_api, "Typed Ltd")

    answer = admin_api.put(
        url(f"/api/v2/organizations/{org['id']}.json"),
        json={"organization": {"organization_fields": {"open_invoices": "many"}}},
        timeout=5,
    )

    assert answer.status_code == 422


def test_unknown_custom_field_keys_are_ignored_unless_configured_to_be_refused(admin_api, zendesk):
    org = create_org(admin_api, "Unknown Ltd")
    payload = {"organization": {"organization_fields": {"nope": 1}}}

    ignored = admin_api.put(url(f"/api/v2/organizations/{org['id']}.json"), json=payload, timeout=5)
    zendesk.config["unknown_custom_field"] = "reject"
    refused = admin_api.put(url(f"/api/v2/organizations/{org['id']}.json"), json=payload, timeout=5)

    assert ignored.status_code == 200
    assert ignored.json()["organization"]["organization_fields"] == {}
    assert refused.status_code == 422


def test_a_field_key_is_unique(admin_api):
    define_field(admin_api, "balance", "decimal")

    answer = admin_api.post(
        url("/api/v2/organization_fields.json"),
        json={"organization_field": {"key": "balance", "type": "text", "title": "Again"}},
        timeout=5,
    )

    assert answer.status_code == 422


# Users ----------------------------------------------------------------------------------------------


def test_users_are_created_shown_and_found_by_email(admin_api):
    created = admin_api.post(
        url("/api/v2/users.json"), json={"user": {"name": "Jane Doe", "email": "Jane@Example.com"}}, timeout=5
    )
    user_id = created.json()["user"]["id"]

    shown = admin_api.get(url(f"/api/v2/users/{user_id}.json"), timeout=5).json()["user"]
    found = admin_api.get(url("/api/v2/users/search.json"), params={"query": "jane@example.com"}, timeout=5).json()
    prefixed = admin_api.get(url("/api/v2/users/search"), params={"query": "email:JANE@example.com"}, timeout=5).json()
    missing = admin_api.get(url("/api/v2/users/search.json"), params={"query": "nobody@example.com"}, timeout=5).json()

    assert created.status_code == 201
    assert shown["email"] == "jane@example.com"
    assert [u["id"] for u in found["users"]] == [user_id]
    assert [u["id"] for u in prefixed["users"]] == [user_id]
    assert missing == {"users": [], "next_page": None, "previous_page": None, "count": 0}


def test_an_unknown_user_is_record_not_found(admin_api):
    assert admin_api.get(url("/api/v2/users/1.json"), timeout=5).status_code == 404


# Tickets and internal notes --------------------------------------------------------------------------


def test_an_internal_note_is_added_as_a_private_comment_with_an_audit(admin_api, zendesk):
    org = create_org(admin_api, "Ticket Ltd")
    ticket = create_ticket(admin_api, org["id"])

    answer = admin_api.put(
        url(f"/api/v2/tickets/{ticket['id']}.json"),
        json={"ticket": {"comment": {"body": "Invoice 42 paid", "public": False}}},
        timeout=5,
    )

    assert answer.status_code == 200
    audit = answer.json()["audit"]
    comment = audit["events"][0]
    assert comment["type"] == "Comment"
    assert comment["public"] is False
    assert comment["body"] == "Invoice 42 paid"
    assert comment["author_id"] == zendesk.account("acme").admin.id
    assert audit["ticket_id"] == ticket["id"]
    assert answer.headers["zendesk-rate-limit-tickets-update"] == "total=30; remaining=29; resets=600"
    comments = admin_api.get(url(f"/api/v2/tickets/{ticket['id']}/comments.json"), timeout=5).json()["comments"]
    assert [c["public"] for c in comments] == [True, False]


def test_a_comment_without_public_inherits_the_privacy_of_the_first_comment(admin_api):
    private_ticket = create_ticket(admin_api, public=False)

    answer = admin_api.put(
        url(f"/api/v2/tickets/{private_ticket['id']}.json"), json={"ticket": {"comment": {"body": "x"}}}, timeout=5
    )
    public_ticket = create_ticket(admin_api)
    other = admin_api.put(
        url(f"/api/v2/tickets/{public_ticket['id']}.json"), json={"ticket": {"comment": {"body": "y"}}}, timeout=5
    )

    assert answer.json()["audit"]["events"][0]["public"] is False
    assert other.json()["audit"]["events"][0]["public"] is True


def test_a_closed_ticket_refuses_updates_with_422(admin_api, zendesk):
    ticket = create_ticket(admin_api)
    zendesk.account("acme").tickets[ticket["id"]].status = "closed"

    answer = admin_api.put(
        url(f"/api/v2/tickets/{ticket['id']}.json"),
        json={"ticket": {"comment": {"body": "late note", "public": False}}},
        timeout=5,
    )

    assert answer.status_code == 422
    assert answer.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"status": [{"description": "Status: closed prevents ticket update"}]},
    }


def test_tickets_are_shown_and_listed_by_organization(admin_api):
    org = create_org(admin_api, "Busy Ltd")
    other = create_org(admin_api, "Quiet Ltd")
    first = create_ticket(admin_api, org["id"])
    second = create_ticket(admin_api, org["id"])
    create_ticket(admin_api, other["id"])

    listed = admin_api.get(url(f"/api/v2/organizations/{org['id']}/tickets.json"), timeout=5).json()
    by_cursor = admin_api.get(
        url(f"/api/v2/organizations/{org['id']}/tickets.json"), params={"page[size]": 1}, timeout=5
    ).json()
    shown = admin_api.get(url(f"/api/v2/tickets/{first['id']}.json"), timeout=5).json()["ticket"]

    assert [t["id"] for t in listed["tickets"]] == [first["id"], second["id"]]
    assert by_cursor["meta"]["has_more"] is True
    assert shown["organization_id"] == org["id"]
    assert shown["status"] == "new"


def test_a_ticket_takes_only_so_many_updates_in_its_window(admin_api, zendesk):
    zendesk.config["ticket_update_limit"] = 2
    ticket = create_ticket(admin_api)
    note = {"ticket": {"comment": {"body": "n", "public": False}}}

    answers = [admin_api.put(url(f"/api/v2/tickets/{ticket['id']}.json"), json=note, timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {"errors": [{"code": "TooManyRequests", "title": "Too many requests to update"}]}
    assert int(answers[2].headers["Retry-After"]) > 0


# Malformed requests ------------------------------------------------------------------------------------


def test_a_missing_envelope_is_a_400_invalid_endpoint(admin_api):
    answer = admin_api.post(url("/api/v2/organizations.json"), json={"name": "No Envelope"}, timeout=5)

    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidEndpoint"


def test_malformed_values_are_validation_errors_not_emulator_failures(admin_api):
    org = create_org(admin_api, "Strict Ltd")
    ticket = create_ticket(admin_api)

    domains = admin_api.put(
        url(f"/api/v2/organizations/{org['id']}.json"), json={"organization": {"domain_names": "x.example"}}, timeout=5
    )
    comment = admin_api.put(url(f"/api/v2/tickets/{ticket['id']}.json"), json={"ticket": {"comment": "hi"}}, timeout=5)
    requester = admin_api.post(
        url("/api/v2/tickets.json"), json={"ticket": {"comment": {"body": "x"}, "requester_id": "abc"}}, timeout=5
    )
    user_org = admin_api.post(
        url("/api/v2/users.json"), json={"user": {"name": "X", "organization_id": "nope"}}, timeout=5
    )
    odd_id = admin_api.get(url("/api/v2/tickets/0.json"), timeout=5)

    assert [domains.status_code, comment.status_code, requester.status_code, user_org.status_code] == [422] * 4
    assert odd_id.status_code == 404


# Cursor-based incremental exports (tickets, users) -------------------------------------------------------


def test_the_ticket_export_pages_by_cursor_and_resumes_from_its_after_cursor(admin_api, sandbox):
    start = int(sandbox.clock.now())
    first = create_ticket(admin_api)
    sandbox.clock.advance(1)
    second = create_ticket(admin_api)
    sandbox.clock.advance(120)

    page_one = admin_api.get(
        url("/api/v2/incremental/tickets/cursor.json"), params={"start_time": start, "per_page": 1}, timeout=5
    ).json()
    page_two = admin_api.get(page_one["after_url"] + "&per_page=1", timeout=5).json()
    caught_up = admin_api.get(page_two["after_url"], timeout=5).json()
    admin_api.put(
        url(f"/api/v2/tickets/{first['id']}.json"),
        json={"ticket": {"comment": {"body": "n", "public": False}}},
        timeout=5,
    )
    later = admin_api.get(
        url("/api/v2/incremental/tickets/cursor"), params={"cursor": caught_up["after_cursor"]}, timeout=5
    ).json()

    assert [t["id"] for t in page_one["tickets"]] == [first["id"]]
    assert page_one["end_of_stream"] is False
    assert [t["id"] for t in page_two["tickets"]] == [second["id"]]
    assert page_two["end_of_stream"] is True
    assert caught_up["tickets"] == []
    assert caught_up["after_cursor"] == page_two["after_cursor"]
    assert [t["id"] for t in later["tickets"]] == [first["id"]]
    assert set(page_one) == {"tickets", "after_url", "after_cursor", "before_url", "before_cursor", "end_of_stream"}


def test_the_user_export_starts_from_start_time(admin_api, sandbox, zendesk):
    sandbox.clock.advance(10)
    start = int(sandbox.clock.now())
    admin_api.post(url("/api/v2/users.json"), json={"user": {"name": "New", "email": "new@example.com"}}, timeout=5)
    sandbox.clock.advance(120)

    answer = admin_api.get(url("/api/v2/incremental/users/cursor.json"), params={"start_time": start}, timeout=5).json()

    assert [u["email"] for u in answer["users"]] == ["new@example.com"]
    assert answer["end_of_stream"] is True


def test_a_cursor_export_needs_a_start_time_or_a_valid_cursor(admin_api):
    missing = admin_api.get(url("/api/v2/incremental/users/cursor.json"), timeout=5)
    garbled = admin_api.get(url("/api/v2/incremental/users/cursor.json"), params={"cursor": "!!"}, timeout=5)

    assert missing.status_code == 400
    assert garbled.status_code == 400
