"""The review queue page: one-click decisions with and without htmx, for agents and admins of the tenant only."""

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from syncs import review
from syncs.models import RecordLink, ReviewItem, SyncJob
from tests.factories import MembershipFactory
from tests.helpers.review import integration_of, mirrored, open_item

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


@pytest.fixture
def integration_a(tenant_a):
    integration = integration_of(tenant_a)
    mirrored(integration, 10, "Acme Corporation Holdings")
    mirrored(integration, 11, "Acme Rockets", external_id="fb-9")
    return integration


@pytest.fixture
def item_a(integration_a):
    return open_item(integration_a)


@pytest.fixture
def item_b(tenant_b):
    integration = integration_of(tenant_b)
    mirrored(integration, 20, "Globex Corporation")
    return open_item(integration, "Globex", candidates=(("20", "Globex Corporation", 80.0),))


@pytest.fixture
def agent_client(client, agent_a):
    client.force_login(agent_a)
    return client


def fresh(item):
    with scopes_disabled():
        return ReviewItem.objects.get(pk=item.pk)


def jobs(item):
    with scopes_disabled():
        return list(SyncJob.objects.filter(integration=item.integration).values_list("status", flat=True))


def test_the_queue_shows_each_source_beside_its_candidates_scores_and_differences(agent_client, item_a, item_b):
    page = agent_client.get("/review/").content.decode()
    assert "Acme Corp" in page and "Acme Corporation Holdings" in page and "72.0" in page
    assert "differs: name (word x)" in page and "acme.example" in page
    assert "city: Omaha" in page and "domains: a.example" in page
    assert "Globex" not in page  # another tenant's item
    assert f'id="item-{item_a.uuid}"' in page and 'hx-target="closest tr"' in page


def test_the_navigation_counts_open_items(agent_client, item_a, item_b):
    page = agent_client.get("/").content.decode()
    assert 'id="review-count"' in page and ">1</span>" in page
    fragment = agent_client.get("/review/count/", **HTMX).content.decode()
    assert fragment.strip().startswith('<span id="review-count"') and ">1</span>" in fragment


def test_htmx_gets_only_the_rows(agent_client, item_a):
    fragment = agent_client.get("/review/", **HTMX).content.decode()
    assert "<html" not in fragment and f'id="item-{item_a.uuid}"' in fragment


def test_link_without_javascript_redirects_back_with_a_message(agent_client, agent_a, item_a):
    response = agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "10"})
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert fresh(item_a).status == "linked" and fresh(item_a).decided_by == agent_a
    with scopes_disabled():
        assert RecordLink.objects.get().target_id == "10"
        assert AuditEvent.objects.get(kind="review.linked").actor == agent_a
    assert jobs(item_a) == ["pending"]
    assert "is linked to organization 10" in agent_client.get("/review/").content.decode()
    assert "/review/links/?record=c1" in agent_client.get(f"/review/{item_a.uuid}/").content.decode()


def test_link_with_htmx_swaps_the_row_and_updates_the_counter(agent_client, item_a):
    response = agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "10"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.strip().startswith(f'<tr id="item-{item_a.uuid}">')
    assert "linked to organization 10" in body and "<html" not in body
    assert "queue-changed" in response["HX-Trigger"]


def test_create_new_and_not_a_match_are_one_click_each(agent_client, integration_a):
    first, second = open_item(integration_a, source_id="c1"), open_item(integration_a, "Beta", source_id="c2")
    assert agent_client.post(f"/review/{first.uuid}/create/", **HTMX).status_code == 200
    assert agent_client.post(f"/review/{second.uuid}/dismiss/").status_code == 302
    assert (fresh(first).status, fresh(second).status) == ("created_new", "dismissed")
    with scopes_disabled():
        kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"review.created_new", "review.dismissed"} <= kinds


def test_a_second_decision_says_it_was_already_made(agent_client, item_a):
    agent_client.post(f"/review/{item_a.uuid}/dismiss/")
    response = agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "10"}, **HTMX)
    assert "already decided" in response.content.decode() and fresh(item_a).status == "dismissed"


def test_linking_to_a_record_nobody_knows_is_refused(agent_client, item_a):
    response = agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "999"})
    assert response.status_code == 302 and fresh(item_a).status == "open"
    assert agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "999"}, **HTMX).status_code == 400


def test_search_finds_any_mirrored_record_with_htmx_and_without(agent_client, item_a):
    fragment = agent_client.get(f"/review/{item_a.uuid}/?q=rockets", **HTMX).content.decode()
    assert "Acme Rockets" in fragment and "<html" not in fragment and 'name="record_id" value="11"' in fragment
    page = agent_client.get(f"/review/{item_a.uuid}/?q=rockets").content.decode()
    assert "<html" in page and "Acme Rockets" in page
    agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "11"})
    assert fresh(item_a).linked_record_id == "11"


def test_the_links_page_shows_a_records_links_and_undoes_a_manual_one(agent_client, agent_a, item_a):
    agent_client.post(f"/review/{item_a.uuid}/link/", {"record_id": "10"})
    page = agent_client.get("/review/links/?record=c1").content.decode()
    assert "organization 10" in page and "Undo" in page
    with scopes_disabled():
        record_link = RecordLink.objects.get()
    response = agent_client.post(f"/review/links/{record_link.uuid}/undo/")
    assert response.status_code == 302 and response["Location"] == "/review/links/?record=c1"
    with scopes_disabled():
        assert not RecordLink.objects.exists()
        assert AuditEvent.objects.get(kind="link.undone").actor == agent_a


def test_anonymous_visitors_are_sent_to_log_in(client, item_a):
    for response in (client.get("/review/"), client.post(f"/review/{item_a.uuid}/link/", {"record_id": "10"})):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert fresh(item_a).status == "open"


def test_admins_decide_too(tenant_a, item_a):
    with scopes_disabled():
        admin = MembershipFactory(tenant=tenant_a, role="admin").user
    browser = Client()
    browser.force_login(admin)
    assert browser.post(f"/review/{item_a.uuid}/dismiss/").status_code == 302
    assert fresh(item_a).status == "dismissed"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/review/{item}/"),
        ("get", "/review/{item}/?q=globex"),
        ("post", "/review/{item}/link/"),
        ("post", "/review/{item}/create/"),
        ("post", "/review/{item}/dismiss/"),
        ("post", "/review/links/{link}/undo/"),
        ("post", "/review/mirror/{integration}/load/"),
    ],
)
def test_another_tenants_items_and_links_are_not_found(client_a, item_b, method, path):
    with scopes_disabled():
        record_link = RecordLink.objects.create(
            tenant=item_b.tenant,
            integration=item_b.integration,
            source_type="client",
            source_id="c9",
            target_type="organization",
            target_id="20",
            method="manual",
        )
    url = path.format(item=item_b.uuid, link=record_link.uuid, integration=item_b.integration.uuid)
    response = getattr(client_a, method)(url, {"record_id": "20"} if method == "post" else None)
    assert response.status_code == 404
    assert fresh(item_b).status == "open"
    with scopes_disabled():
        assert RecordLink.objects.filter(pk=record_link.pk).exists()


def test_an_agent_cannot_reload_the_mirror_but_an_owner_can(agent_client, owner_a, integration_a, monkeypatch):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: calls.append(args))
    assert agent_client.post(f"/review/mirror/{integration_a.uuid}/load/").status_code == 403
    owner = Client()
    owner.force_login(owner_a)
    assert owner.post(f"/review/mirror/{integration_a.uuid}/load/").status_code == 302
    assert calls == [("syncs.tasks.load_mirror", integration_a.target_id)]


def test_the_queue_says_so_when_there_is_nothing_to_review(agent_client, integration_a):
    page = agent_client.get("/review/").content.decode()
    assert "Nothing to review" in page and 'id="review-count"' in page


def test_a_decision_from_the_page_lets_the_waiting_job_run(agent_client, item_a):
    agent_client.post(f"/review/{item_a.uuid}/create/")
    with scopes_disabled():
        job = SyncJob.objects.get(integration=item_a.integration)
    assert job.status == "pending" and job.next_attempt_at is not None
    with scope(tenant=item_a.tenant):
        assert review.match_or_review(
            _ctx(item_a.integration), source_type="client", source_id="c1", name="Acme Corp", record_type="organization"
        ) == (None, "created")


def _ctx(integration):
    from syncs.engine import Context

    return Context(None, integration)
