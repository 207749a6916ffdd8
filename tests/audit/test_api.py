"""GET /api/v1/audit-events/: the log page's filters and keyset pages, read-only, for the tenant only."""

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.redaction import MASK
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def api_a(owner_a):
    api = APIClient()
    api.force_authenticate(owner_a)
    return api


def uuids(response):
    return [event["uuid"] for event in response.json()["results"]]


def test_the_list_holds_the_tenants_events_newest_first(api_a, tenant_a, tenant_b, make_event, connection_a):
    old = make_event(tenant_a, hours_ago=2, connection=connection_a, source_ref="inv-1")
    new = make_event(tenant_a, hours_ago=1)
    make_event(tenant_b, hours_ago=1)
    response = api_a.get("/api/v1/audit-events/")
    assert response.status_code == 200
    assert uuids(response) == [str(new.uuid), str(old.uuid)]
    assert response.json()["next"] is None
    described = response.json()["results"][1]
    assert described["connection"] == str(connection_a.uuid)
    assert described["source_ref"] == "inv-1"
    assert described["integration"] is None
    assert described["actor"] is None
    assert "id" not in described


def test_next_links_walk_every_page_once(api_a, tenant_a, make_event):
    events = [make_event(tenant_a, hours_ago=hours) for hours in range(5)]
    seen, url = [], "/api/v1/audit-events/?page_size=2&level=info"
    while url:
        body = api_a.get(url).json()
        seen += [event["uuid"] for event in body["results"]]
        url = body["next"]
        assert url is None or ("level=info" in url and "page_size=2" in url)
    assert seen == [str(e.uuid) for e in events]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("kind=webhook.", [1]), ("level=error", [2]), ("record=inv-9", [1, 2]), ("q=globex", [2])],
)
def test_the_api_filters_like_the_page(api_a, tenant_a, make_event, query, expected):
    events = {
        1: make_event(tenant_a, hours_ago=1, kind="webhook.received", source_ref="inv-9"),
        2: make_event(tenant_a, hours_ago=2, level="error", target_ref="inv-9", message="Globex failed"),
        3: make_event(tenant_a, hours_ago=3),
    }
    assert uuids(api_a.get(f"/api/v1/audit-events/?{query}")) == [str(events[n].uuid) for n in expected]


@pytest.mark.parametrize(
    "query", ["cursor=nonsense", "level=fatal", "since=yesterday", "page_size=1000", "connection=not-a-uuid"]
)
def test_bad_filters_are_a_400_saying_which(api_a, query):
    response = api_a.get(f"/api/v1/audit-events/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_another_tenants_connection_is_a_400_not_a_leak(api_a, tenant_b, make_event, connection_b):
    make_event(tenant_b, connection=connection_b)
    response = api_a.get(f"/api/v1/audit-events/?connection={connection_b.uuid}")
    assert response.status_code == 400
    assert "connection" in response.json()


def test_an_event_is_read_by_uuid_with_its_data_redacted_again(api_a, tenant_a, make_event):
    event = make_event(tenant_a, data={"status": 200})
    with scopes_disabled():
        AuditEvent.objects.filter(pk=event.pk).update(data={"status": 200, "headers": {"Authorization": "Bearer x"}})
    body = api_a.get(f"/api/v1/audit-events/{event.uuid}/").json()
    assert body["uuid"] == str(event.uuid)
    assert body["data"] == {"status": 200, "headers": {"Authorization": MASK}}


def test_another_tenants_event_is_a_404(api_a, tenant_b, make_event):
    event = make_event(tenant_b)
    assert api_a.get(f"/api/v1/audit-events/{event.uuid}/").status_code == 404


@pytest.mark.parametrize("role", ["owner", "admin", "agent"])
def test_every_member_reads_and_nobody_writes(tenant_a, make_event, role):
    with scopes_disabled():
        user = MembershipFactory(tenant=tenant_a, role=role).user
    event = make_event(tenant_a)
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/audit-events/").status_code == 200
    assert api.get(f"/api/v1/audit-events/{event.uuid}/").status_code == 200
    assert api.post("/api/v1/audit-events/", {"kind": "x"}, format="json").status_code == 405
    assert api.delete(f"/api/v1/audit-events/{event.uuid}/").status_code == 405
    assert api.patch(f"/api/v1/audit-events/{event.uuid}/", {"message": "x"}, format="json").status_code == 405


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_strangers_are_refused(tenant_a, make_event, who):
    event = make_event(tenant_a)
    api = APIClient()
    if who == "outsider":
        api.force_authenticate(UserFactory())
    assert api.get("/api/v1/audit-events/").status_code in (401, 403)
    assert api.get(f"/api/v1/audit-events/{event.uuid}/").status_code in (401, 403)


def test_the_schema_documents_the_endpoints_and_their_filters(api_a):
    schema = api_a.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listing = schema["paths"]["/api/v1/audit-events/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "connection",
        "integration",
        "kind",
        "level",
        "since",
        "until",
        "record",
        "q",
        "cursor",
        "page_size",
    }
    assert "/api/v1/audit-events/{uuid}/" in schema["paths"]
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert "next" in str(schema["components"]["schemas"].get(page["$ref"].rsplit("/", 1)[-1], page))
