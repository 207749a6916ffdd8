"""The audit log page and an event's page: filters, keyset pages, htmx partials, redaction, tenancy, roles."""

import base64
import datetime
import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

import audit
from audit.models import AuditEvent
from audit.queries import decode_cursor, encode_cursor
from audit.redaction import MASK
from tests.factories import UserFactory


def rows(response):
    """The event uuids listed, in order."""
    return re.findall(r'<tr id="event-([0-9a-f-]{36})"', response.content.decode())


def test_the_log_lists_the_tenants_events_newest_first(client_a, tenant_a, tenant_b, make_event):
    old = make_event(tenant_a, hours_ago=3, message="older")
    new = make_event(tenant_a, hours_ago=1, message="newer")
    make_event(tenant_b, hours_ago=2, message="Globex's own")
    response = client_a.get("/audit/")
    assert rows(response) == [str(new.uuid), str(old.uuid)]
    assert "Globex&#x27;s own" not in response.content.decode()


def test_an_empty_log_says_what_will_appear(client_a):
    assert "No events yet" in client_a.get("/audit/").content.decode()


def test_load_more_continues_after_the_last_event_shown(client_a, tenant_a, make_event):
    events = [make_event(tenant_a, hours_ago=hours, message=f"event {hours}") for hours in range(1, 8)]
    first = client_a.get("/audit/?page_size=3")
    assert rows(first) == [str(e.uuid) for e in events[:3]]
    next_url = first.context["next_query"]
    assert "page_size=3" in next_url
    second = client_a.get(f"/audit/?{next_url}")
    assert rows(second) == [str(e.uuid) for e in events[3:6]]
    third = client_a.get(f"/audit/?{second.context['next_query']}")
    assert rows(third) == [str(events[6].uuid)]
    assert third.context["page"].next_cursor is None
    assert "Load more" not in third.content.decode()
    assert "Back to the newest events" in third.content.decode()


def test_events_of_the_same_moment_are_neither_skipped_nor_repeated(client_a, tenant_a, make_event):
    events = [make_event(tenant_a, hours_ago=1) for _ in range(5)]
    with scopes_disabled():
        moment = events[0].created_at
        AuditEvent.objects.filter(tenant=tenant_a).update(created_at=moment)
    seen, query = [], "page_size=2"
    while query is not None:
        response = client_a.get(f"/audit/?{query}")
        seen += rows(response)
        query = response.context["next_query"] or None
    assert sorted(seen) == sorted(str(e.uuid) for e in events)
    assert len(seen) == 5


def test_the_cursor_is_opaque_and_holds_no_primary_key(tenant_a, make_event):
    event = make_event(tenant_a)
    cursor = encode_cursor(event)
    plain = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    assert plain == f"{event.created_at.isoformat()}|{event.uuid.hex}"
    assert decode_cursor(cursor) == (event.created_at, event.uuid)


def test_a_cursor_that_was_not_handed_out_is_an_error_not_a_crash(client_a, tenant_a, make_event):
    make_event(tenant_a)
    response = client_a.get("/audit/?cursor=not-a-cursor")
    assert response.status_code == 200
    assert "not one the audit log handed out" in response.content.decode()
    assert rows(response) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=api.", ["api call", "api error"]),
        ("kind=webhook.received", ["webhook"]),
        ("level=error", ["api error"]),
        ("q=ACME+corp", ["webhook"]),
        ("record=inv-42", ["webhook", "api error"]),
        ("record=org-7", ["api call"]),
    ],
)
def test_filters(client_a, tenant_a, make_event, query, expected):
    make_event(tenant_a, hours_ago=1, kind="api.call", data={"tag": "api call"}, target_ref="org-7")
    make_event(tenant_a, hours_ago=2, kind="webhook.received", message="Invoice for Acme Corp", source_ref="inv-42")
    make_event(tenant_a, hours_ago=3, kind="api.call", level="error", data={"tag": "api error"}, source_ref="inv-42")
    make_event(tenant_a, hours_ago=4, kind="user.login", message="someone logged in")
    response = client_a.get(f"/audit/?{query}")
    with scopes_disabled():
        tags = [
            AuditEvent.objects.get(uuid=uuid).data.get("tag") or AuditEvent.objects.get(uuid=uuid).kind.split(".")[0]
            for uuid in rows(response)
        ]
    assert tags == expected


def test_connection_and_integration_filters(
    client_a, tenant_a, make_event, connection_a, other_connection_a, integration_a
):
    on_source = make_event(tenant_a, hours_ago=1, connection=connection_a, integration=integration_a)
    on_target = make_event(tenant_a, hours_ago=2, connection=other_connection_a)
    make_event(tenant_a, hours_ago=3)
    assert rows(client_a.get(f"/audit/?connection={connection_a.uuid}")) == [str(on_source.uuid)]
    assert rows(client_a.get(f"/audit/?connection={other_connection_a.uuid}")) == [str(on_target.uuid)]
    assert rows(client_a.get(f"/audit/?integration={integration_a.uuid}")) == [str(on_source.uuid)]


def test_another_tenants_connection_is_not_a_filter(client_a, tenant_a, tenant_b, make_event, connection_b):
    make_event(tenant_b, connection=connection_b, message="Globex's")
    response = client_a.get(f"/audit/?connection={connection_b.uuid}")
    assert response.status_code == 200
    assert rows(response) == []
    assert "Select a valid choice" in response.content.decode()


def test_a_date_range_includes_the_whole_last_day(client_a, tenant_a, make_event):
    moments = ["2026-03-01T23:59:59", "2026-03-02T00:00:00", "2026-03-02T23:59:59", "2026-03-03T00:00:00"]
    events = [make_event(tenant_a, at=datetime.datetime.fromisoformat(m).replace(tzinfo=datetime.UTC)) for m in moments]
    assert rows(client_a.get("/audit/?since=2026-03-02&until=2026-03-02")) == [str(events[2].uuid), str(events[1].uuid)]
    assert rows(client_a.get("/audit/?since=2026-03-02&until=2026-03-02T12:00")) == [str(events[1].uuid)]
    assert rows(client_a.get("/audit/?since=2026-03-02T12:00:00Z")) == [str(events[3].uuid), str(events[2].uuid)]


def test_a_range_that_ends_before_it_starts_is_refused(client_a):
    response = client_a.get("/audit/?since=2026-11-10&until=2026-11-01")
    assert "before its start" in response.content.decode()


def test_the_filters_are_a_permalink(client_a, tenant_a, make_event):
    make_event(tenant_a, kind="api.call", level="error")
    page = client_a.get("/audit/?kind=api.&level=error&q=&record=").content.decode()
    assert 'method="get"' in page
    assert 'value="api."' in page
    assert '<option value="error" selected>' in page
    assert "Clear filters" in page


def test_htmx_gets_only_the_rows_and_browsers_the_whole_page(client_a, tenant_a, make_event):
    event = make_event(tenant_a)
    partial = client_a.get("/audit/", HTTP_HX_REQUEST="true")
    full = client_a.get("/audit/")
    assert rows(partial) == rows(full) == [str(event.uuid)]
    assert "<html" not in partial.content.decode()
    assert "<form" not in partial.content.decode()
    assert "<html" in full.content.decode()
    assert "HX-Request" in partial["Vary"]
    assert "HX-Request" in full["Vary"]


def test_filtering_with_htmx_puts_the_permalink_in_the_address_bar(client_a, tenant_a, make_event):
    make_event(tenant_a, level="error")
    response = client_a.get(
        "/audit/?connection=&kind=api.&level=error&q=", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-rows"
    )
    assert response["HX-Push-Url"] == "/audit/?kind=api.&level=error"
    load_more = client_a.get("/audit/?level=error", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="load-more")
    assert load_more.status_code == 200
    assert "HX-Push-Url" not in load_more


def test_load_more_works_without_javascript_and_with_htmx(client_a, tenant_a, make_event):
    for hours in range(3):
        make_event(tenant_a, hours_ago=hours)
    page = client_a.get("/audit/?page_size=2").content.decode()
    link = page.split('id="load-more"')[1]
    assert 'href="/audit/?page_size=2&amp;cursor=' in link
    assert 'hx-get="/audit/?page_size=2&amp;cursor=' in link
    assert 'hx-target="closest tr"' in link
    form = page.split('class="filters"')[1].split(">", 1)[0]
    assert 'action="/audit/"' in page.split('class="filters"')[0].rsplit("<form", 1)[1]
    assert 'hx-get="/audit/"' in form
    assert 'hx-target="#audit-rows"' in form


def test_a_history_restore_gets_the_whole_page(client_a):
    response = client_a.get("/audit/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_the_event_page_shows_pretty_redacted_data_and_links(client_a, tenant_a, connection_a, integration_a):
    event = audit.record(
        "api.call",
        tenant=tenant_a,
        connection=connection_a,
        integration=integration_a,
        message="POST /token",
        data={"body": {"name": "Acme", "id": 7}},
        source_ref="inv-42",
    )
    with scopes_disabled():
        # Written before redaction knew this key: the page masks it all the same.
        AuditEvent.objects.filter(pk=event.pk).update(data={"body": {"name": "Acme"}, "refresh_token": "r-123"})
    page = client_a.get(f"/audit/{event.uuid}/").content.decode()
    assert "r-123" not in page
    assert MASK in page
    assert "\n  &quot;body&quot;: {\n    &quot;name&quot;: &quot;Acme&quot;" in page
    assert f'href="/connections/{connection_a.uuid}/"' in page
    assert f'href="/integrations/{integration_a.uuid}/"' in page
    assert f'href="/audit/?connection={connection_a.uuid}"' in page
    assert 'href="/audit/?record=inv-42"' in page


def test_every_row_links_to_its_event(client_a, tenant_a, make_event):
    event = make_event(tenant_a)
    assert f'href="/audit/{event.uuid}/"' in client_a.get("/audit/").content.decode()


def test_another_tenants_event_is_a_404(client_a, tenant_b, make_event):
    event = make_event(tenant_b, message="Globex's")
    assert client_a.get(f"/audit/{event.uuid}/").status_code == 404


def test_an_unknown_event_is_a_404(client_a):
    assert client_a.get("/audit/00000000-0000-4000-8000-000000000000/").status_code == 404


@pytest.mark.parametrize("role", ["owner", "admin", "agent"])
def test_every_member_may_read_the_log_and_its_events(tenant_a, make_event, role):
    from tests.factories import MembershipFactory

    with scopes_disabled():
        user = MembershipFactory(tenant=tenant_a, role=role).user
    event = make_event(tenant_a)
    browser = Client()
    browser.force_login(user)
    assert browser.get("/audit/").status_code == 200
    assert browser.get(f"/audit/{event.uuid}/").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(db, tenant_a, make_event):
    event = make_event(tenant_a)
    for path in ("/audit/", f"/audit/{event.uuid}/", "/audit/?level=error"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_a_user_without_a_workspace_is_refused(db, tenant_a, make_event):
    event = make_event(tenant_a)
    browser = Client()
    browser.force_login(UserFactory())
    assert browser.get("/audit/").status_code == 403
    assert browser.get(f"/audit/{event.uuid}/").status_code == 403


def test_htmx_with_filters_that_cannot_be_used_gets_a_row_saying_why(client_a, tenant_a, make_event):
    make_event(tenant_a)
    response = client_a.get("/audit/?level=fatal", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "These filters cannot be used" in response.content.decode()
    assert rows(response) == []
