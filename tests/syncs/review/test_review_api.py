"""The review queue's API: the same decisions as the page, for the caller's tenant only."""

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from audit.models import AuditEvent
from syncs import review
from syncs.models import RecordLink, SyncJob
from tests.helpers.review import integration_of, mirrored, open_item


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


@pytest.fixture
def item_a(tenant_a):
    integration = integration_of(tenant_a)
    mirrored(integration, 10, "Acme Corporation Holdings")
    return open_item(integration)


@pytest.fixture
def item_b(tenant_b):
    integration = integration_of(tenant_b)
    mirrored(integration, 20, "Globex Corporation")
    return open_item(integration, "Globex", candidates=(("20", "Globex Corporation", 80.0),))


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_list_shows_the_tenants_open_items_only(agent_a, item_a, item_b):
    results = api_as(agent_a).get("/api/v1/review-items/").json()["results"]
    assert [r["uuid"] for r in results] == [str(item_a.uuid)]
    assert results[0]["candidates"][0]["name"] == "Acme Corporation Holdings"


def test_an_agent_links_through_the_api(agent_a, item_a):
    answer = api_as(agent_a).post(f"/api/v1/review-items/{item_a.uuid}/link/", {"record_id": "10"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "linked"
    assert answer.json()["decided_by"] == agent_a.email
    with scopes_disabled():
        assert RecordLink.objects.get().method == "manual"
        assert AuditEvent.objects.get(kind="review.linked").actor == agent_a
        assert SyncJob.objects.get().status == "pending"


def test_a_decided_item_answers_conflict_and_a_bad_record_is_refused(agent_a, item_a):
    api = api_as(agent_a)
    assert api.post(f"/api/v1/review-items/{item_a.uuid}/link/", {"record_id": "999"}).status_code == 400
    assert api.post(f"/api/v1/review-items/{item_a.uuid}/create-new/").status_code == 200
    assert api.post(f"/api/v1/review-items/{item_a.uuid}/dismiss/").status_code == 409
    assert api.get("/api/v1/review-items/?status=created_new").json()["results"][0]["uuid"] == str(item_a.uuid)


@pytest.mark.parametrize("action", ["", "link/", "create-new/", "dismiss/"])
def test_another_tenants_item_is_not_found(owner_a, item_b, action):
    api = api_as(owner_a)
    url = f"/api/v1/review-items/{item_b.uuid}/{action}"
    answer = api.post(url, {"record_id": "20"}) if action else api.get(url)
    assert answer.status_code == 404
    with scopes_disabled():
        assert not RecordLink.objects.exists()


def test_strangers_get_nothing(item_a, outsider):
    assert APIClient().get("/api/v1/review-items/").status_code in (401, 403)
    assert api_as(outsider).post(f"/api/v1/review-items/{item_a.uuid}/dismiss/").status_code == 403


@pytest.mark.parametrize("body", [None, [None], "10", {"record_id": 10}, {"record_id": ""}, {}])
def test_a_link_body_that_is_not_a_record_id_is_a_400(agent_a, item_a, body):
    answer = api_as(agent_a).post(f"/api/v1/review-items/{item_a.uuid}/link/", body, format="json")
    assert answer.status_code == 400
    with scopes_disabled():
        assert not RecordLink.objects.exists()
