"""Zendesk's general search in the emulator: the query syntax, the index lag, sorting and the paging limits."""

import pytest

from tests.providers.zendesk.helpers import create_org, create_ticket, url


@pytest.fixture
def search(admin_api):
    def run(query: str, **params) -> dict:
        answer = admin_api.get(url("/api/v2/search.json"), params={"query": query, **params}, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()

    return run


@pytest.fixture
def indexed(zendesk, sandbox):
    """Waits out the search index lag, so what was written so far can be found."""
    return lambda: sandbox.clock.advance(zendesk.config["search_index_lag_seconds"])


def names(answer: dict) -> list[str]:
    return sorted(result.get("name") or result.get("subject") for result in answer["results"])


def create_user(api, name: str, email: str | None = None, **fields) -> dict:
    answer = api.post(url("/api/v2/users.json"), json={"user": {"name": name, "email": email, **fields}}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["user"]


def set_status(api, ticket: dict, status: str) -> None:
    answer = api.put(url(f"/api/v2/tickets/{ticket['id']}.json"), json={"ticket": {"status": status}}, timeout=5)
    assert answer.status_code == 200, answer.text


def test_an_organization_is_found_by_a_quoted_name_once_indexed(admin_api, search, indexed):
    create_org(admin_api, "Acme Ltd")
    create_org(admin_api, "Acme Ltd Europe")
    create_org(admin_api, "Acme Limited")

    before = search('type:organization name:"Acme Ltd"')
    indexed()
    after = search('type:organization name:"acme ltd"')

    assert before["results"] == [] and before["count"] == 0
    assert names(after) == ["Acme Ltd", "Acme Ltd Europe"]  # a phrase, not an exact name
    assert after["count"] == 2
    assert {result["result_type"] for result in after["results"]} == {"organization"}


def test_words_match_whole_words_and_word_prefixes_never_inner_parts(admin_api, search, indexed):
    for name in ("Top Ten Trucking", "Tip-Top Mops", "Desktop Solutions", "One-Stop Publishing", "Toppings Inc"):
        create_org(admin_api, name)
    indexed()

    assert names(search("type:organization top")) == ["Tip-Top Mops", "Top Ten Trucking", "Toppings Inc"]
    assert names(search("type:organization name:desk*")) == ["Desktop Solutions"]
    assert names(search("type:organization -name:top")) == ["Desktop Solutions", "One-Stop Publishing"]


def test_a_change_shows_in_search_only_after_the_lag_and_a_deletion_too(admin_api, search, indexed):
    org = create_org(admin_api, "Old Name")
    indexed()
    renamed = {"organization": {"name": "New Name"}}
    admin_api.put(url(f"/api/v2/organizations/{org['id']}.json"), json=renamed, timeout=5)

    assert names(search("type:organization name:old")) == ["Old Name"]
    assert search("type:organization name:new")["results"] == []
    indexed()
    assert names(search("type:organization name:new")) == ["New Name"]
    assert search("type:organization name:old")["results"] == []

    admin_api.delete(url(f"/api/v2/organizations/{org['id']}.json"), timeout=5)
    assert names(search("type:organization name:new")) == ["New Name"]
    indexed()
    assert search("type:organization name:new")["results"] == []


def test_the_lag_is_a_setting(admin_api, zendesk, search):
    zendesk.config["search_index_lag_seconds"] = 0
    create_org(admin_api, "Instant")

    assert names(search("type:organization instant")) == ["Instant"]


def test_unsolved_tickets_of_an_organization(admin_api, search, indexed):
    acme, other = create_org(admin_api, "Acme"), create_org(admin_api, "Other")
    tickets = {status: create_ticket(admin_api, acme["id"], body=status) for status in ("new", "open", "pending")}
    for status in ("hold", "solved"):
        tickets[status] = create_ticket(admin_api, acme["id"], body=status)
        set_status(admin_api, tickets[status], status)
    set_status(admin_api, tickets["open"], "open")
    create_ticket(admin_api, other["id"])
    indexed()

    unsolved = search(f"type:ticket organization:{acme['id']} status<solved")
    open_ = search("type:ticket status:open")
    by_name = search('type:ticket organization:"Acme" status>=solved')

    unsolved_ids = sorted(tickets[status]["id"] for status in ("new", "open", "pending", "hold"))
    assert sorted(r["id"] for r in unsolved["results"]) == unsolved_ids
    assert [r["id"] for r in open_["results"]] == [tickets["open"]["id"]]
    assert [r["id"] for r in by_name["results"]] == [tickets["solved"]["id"]]
    assert {r["result_type"] for r in unsolved["results"]} == {"ticket"}


def test_a_keyword_given_twice_matches_either_value_unless_set_to_all(admin_api, zendesk, search, indexed):
    ticket = create_ticket(admin_api)
    set_status(admin_api, ticket, "pending")
    create_ticket(admin_api)
    indexed()

    assert [r["id"] for r in search("type:ticket status:pending status:hold")["results"]] == [ticket["id"]]
    zendesk.config["search_repeated_keyword"] = "all"
    assert search("type:ticket status:pending status:hold")["results"] == []


def test_users_by_email_case_insensitively_and_tickets_by_requester(admin_api, search, indexed):
    jane = create_user(admin_api, "Jane Doe", "jane@example.com", tags=["vip"])
    create_user(admin_api, "Jo Bloggs", "jo@example.com")
    answer = admin_api.post(
        url("/api/v2/tickets.json"),
        json={"ticket": {"subject": "Invoice", "comment": {"body": "Help"}, "requester_id": jane["id"]}},
        timeout=5,
    )
    indexed()

    assert [r["id"] for r in search("type:user email:JANE@example.com")["results"]] == [jane["id"]]
    assert [r["id"] for r in search("type:user tags:vip")["results"]] == [jane["id"]]
    assert search("type:user email:jane@example")["results"] == []
    requested = search("type:ticket requester:jane@example.com")["results"]
    assert [r["id"] for r in requested] == [answer.json()["ticket"]["id"]]


def test_without_a_type_every_kind_is_searched_and_a_number_finds_its_ticket(admin_api, search, indexed):
    create_org(admin_api, "Globex")
    create_user(admin_api, "Globex Buyer", "buyer@globex.example")
    ticket = create_ticket(admin_api, body="Globex order")
    indexed()

    kinds = sorted(r["result_type"] for r in search("globex")["results"])
    by_id = search(str(ticket["id"]))["results"]

    assert kinds == ["organization", "ticket", "user"]
    assert [(r["result_type"], r["id"]) for r in by_id] == [("ticket", ticket["id"])]


def test_dates_compare_by_day_or_by_moment(admin_api, sandbox, search, indexed):
    create_org(admin_api, "Early")  # 2026-01-01
    sandbox.clock.advance(2 * 86400)
    create_org(admin_api, "Late")  # 2026-01-03
    indexed()

    assert names(search("type:organization created<2026-01-02")) == ["Early"]
    assert names(search("type:organization created>2026-01-02")) == ["Late"]
    assert names(search("type:organization created:2026-01-03")) == ["Late"]
    assert names(search("type:organization created>=2026-01-01T00:00:00Z")) == ["Early", "Late"]
    assert search("type:organization created>2026-13-01")["results"] == []


def test_none_finds_records_without_a_value(admin_api, zendesk, search, indexed):
    assigned = create_ticket(admin_api, body="assigned")
    admin_api.put(
        url(f"/api/v2/tickets/{assigned['id']}.json"),
        json={"ticket": {"assignee_id": zendesk.account("acme").admin.id}},
        timeout=5,
    )
    unassigned = create_ticket(admin_api, body="unassigned")
    indexed()

    assert [r["id"] for r in search("type:ticket assignee:none")["results"]] == [unassigned["id"]]
    assert [r["id"] for r in search("type:ticket -assignee:none")["results"]] == [assigned["id"]]


def test_sorting_by_parameter_or_in_the_query(admin_api, sandbox, search, indexed):
    for name in ("First", "Second", "Third"):
        create_org(admin_api, name)
        sandbox.clock.advance(10)
    indexed()

    def order(query, **params):
        return [r["name"] for r in search(query, **params)["results"]]

    assert order("type:organization", sort_by="created_at") == ["Third", "Second", "First"]  # desc by default
    assert order("type:organization", sort_by="created_at", sort_order="asc") == ["First", "Second", "Third"]
    assert order("type:organization order_by:created sort:asc") == ["First", "Second", "Third"]
    assert order("type:organization") == ["Third", "Second", "First"]  # config["search_relevance_sort"]


def test_offset_pages_link_to_each_other_with_the_query(admin_api, search, indexed):
    for n in range(5):
        create_org(admin_api, f"Paged {n}")
    indexed()

    first = search("type:organization paged", per_page=2)
    second = search("type:organization paged", per_page=2, page=2)
    last = search("type:organization paged", per_page=2, page=3)

    assert (len(first["results"]), first["count"], first["previous_page"]) == (2, 5, None)
    assert first["next_page"].startswith("https://acme.zendesk.com/api/v2/search.json?query=")
    assert "page=2" in first["next_page"] and "per_page=2" in first["next_page"]
    assert "page=1" in second["previous_page"]
    assert (len(last["results"]), last["next_page"]) == (1, None)
    assert len({r["id"] for page in (first, second, last) for r in page["results"]}) == 5


def test_at_most_1000_results_reachable_a_page_past_them_is_422(admin_api, zendesk, indexed):
    account = zendesk.account("acme")
    for n in range(1001):
        account.create_organization({"name": f"Bulk {n}"})
    indexed()

    def page(number):
        return admin_api.get(
            url("/api/v2/search.json"), params={"query": "type:organization bulk", "page": number}, timeout=5
        )

    tenth, eleventh = page(10), page(11)

    assert tenth.status_code == 200
    assert (len(tenth.json()["results"]), tenth.json()["count"]) == (100, 1001)
    assert tenth.json()["next_page"] is not None  # it offers the page it then refuses
    assert eleventh.status_code == 422
    assert eleventh.json()["error"] == "invalid"


def test_cursor_parameters_and_a_missing_query_are_refused(admin_api):
    cursor = admin_api.get(url("/api/v2/search"), params={"query": "type:user", "page[size]": 10}, timeout=5)
    missing = admin_api.get(url("/api/v2/search.json"), timeout=5)

    assert cursor.status_code == 400
    assert cursor.json()["error"]["title"] == "Invalid attribute"
    assert missing.status_code == 400


def test_per_page_is_capped_at_100(admin_api, zendesk, search, indexed):
    account = zendesk.account("acme")
    for n in range(101):
        account.create_organization({"name": f"Many {n}"})
    indexed()

    answer = search("type:organization many", per_page=500)

    assert (len(answer["results"]), answer["count"]) == (100, 101)


def test_count_answers_the_number_of_matches(admin_api, search, indexed):
    create_org(admin_api, "Counted One")
    create_org(admin_api, "Counted Two")
    indexed()

    answer = admin_api.get(url("/api/v2/search/count.json"), params={"query": "type:organization counted"}, timeout=5)

    assert answer.json() == {"count": 2}
