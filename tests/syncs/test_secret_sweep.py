"""Every secret value of every connection, searched for everywhere a person or a log could read it.

For each flow that exists, a whole journey through the emulators (connected, webhooks registered, a record
synced, a job replayed, both sides disconnected), then a sweep: every audit event, inbound event, log line,
page and API answer is searched for every secret the connections held (tokens, client secrets, API tokens,
each FreshBooks callback verifier) and the emulators issued. Masking is by value, so a secret under a key
nobody thought to name is caught too.
"""

import json
import logging

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from audit.models import AuditEvent
from connections.credentials.views import disconnect
from connections.models import Connection
from syncs import engine
from syncs.models import InboundEvent, SyncJob
from tests.helpers.billing import fb_client, fb_invoice
from tests.helpers.figures import report

FLOWS = ("fbzd", "fbsf", "fbzu")


def held(connection) -> set[str]:
    return set(connection.secret_values())


def issued(sandbox) -> set[str]:
    """What the emulators handed out: every token and every client secret of the sandbox apps."""
    found = set()
    for emulator in sandbox.emulators.values():
        oauth = getattr(emulator, "oauth", None)
        if oauth is not None:
            found |= {*getattr(oauth, "access_tokens", ()), *getattr(oauth, "refresh_tokens", ())}
            found |= {c.client_secret for c in getattr(oauth, "clients", {}).values() if c.client_secret}
    for account in sandbox["freshbooks"].state["accounts"].values():
        found |= {c["verifier"] for c in account["callback"].values() if c.get("verifier")}
    return {s for s in found if len(s) >= 8}


def pages(client, integration) -> list[str]:
    urls = ["/", "/connections/", "/integrations/", "/audit/", "/failures/", "/jobs/", "/review/"]
    urls += [f"/connections/{c.uuid}/" for c in (integration.source, integration.target)]
    urls.append(f"/integrations/{integration.uuid}/")
    with scopes_disabled():
        urls += [f"/jobs/{job.uuid}/" for job in SyncJob.objects.filter(integration=integration)]
        urls += [f"/audit/{event.uuid}/" for event in AuditEvent.objects.filter(tenant=integration.tenant)[:200]]
    return [client.get(url).content.decode() for url in urls]


def api_answers(integration) -> list[str]:
    api = APIClient()
    with scopes_disabled():
        api.force_authenticate(integration.tenant.memberships.first().user)
    urls = ["/api/v1/connections/", "/api/v1/integrations/", "/api/v1/audit-events/?page_size=500", "/api/v1/jobs/"]
    urls += [f"/api/v1/connections/{c.uuid}/" for c in (integration.source, integration.target)]
    return [api.get(url).content.decode() for url in urls]


@pytest.mark.security
@pytest.mark.parametrize("flow", FLOWS)
def test_no_secret_of_any_connection_is_readable_anywhere_after_a_whole_journey(
    request, flow, sandbox, client_a, flush, caplog
):
    caplog.set_level(logging.DEBUG)
    integration = request.getfixturevalue(flow)
    if flow == "fbzd":
        from tests.helpers.billing import mirror, zendesk_customer

        zendesk_customer(sandbox, "Acme Corporation")
        mirror(integration)
    invoice = fb_invoice(sandbox, fb_client(sandbox, "Acme Corp"), "120.00")
    flush()
    with scopes_disabled():
        job = SyncJob.objects.filter(integration=integration, source_id=str(invoice["id"])).first()
        assert job is not None and job.status == "succeeded", job and job.last_error_message
    engine.replay(job)
    flush()
    secrets = held(integration.source) | held(integration.target) | issued(sandbox)
    assert any("verifier" not in s for s in secrets) and len(secrets) >= 4
    with scopes_disabled():
        owner = integration.tenant.memberships.first().user
        for connection in (integration.source, integration.target):
            disconnect(Connection.objects.get(pk=connection.pk), owner)

    leaks = []
    with scopes_disabled():
        places = {
            "audit events": json.dumps(list(AuditEvent.objects.values("message", "data")), default=str),
            "inbound events": json.dumps(list(InboundEvent.objects.values("body", "headers")), default=str),
        }
    places["logs"] = caplog.text
    places.update({f"page {n}": text for n, text in enumerate(pages(client_a, integration))})
    places.update({f"api {n}": text for n, text in enumerate(api_answers(integration))})
    for place, text in places.items():
        leaks += [(place, secret[:6]) for secret in secrets if secret in text]
    size = sum(len(text) for text in places.values())
    searched = f"{len(secrets)} values searched in {len(places)} places ({size:,} characters)"
    report(f"secrets sweep {flow}: {searched}: {len(leaks)} found")
    assert leaks == [], f"secret values readable: {leaks}"


def test_verifiers_recorded_before_the_fix_are_masked_by_the_migration(tenant_a):
    from importlib import import_module

    from django.apps import apps

    with scopes_disabled():
        event = AuditEvent.objects.create(
            tenant=tenant_a,
            kind="api.call",
            message="PUT callback",
            data={"request_body": {"callback": {"verifier": "v3rifier-in-plain-text"}}},
        )
    import_module("audit.migrations.0005_mask_recorded_verifiers").mask_verifiers(apps, None)
    event.refresh_from_db()
    assert event.data == {"request_body": {"callback": {"verifier": "[redacted]"}}}


def test_a_secret_under_a_name_nobody_guessed_is_masked_by_value_in_events_and_logs(sandbox, tenant_a, caplog):
    import audit
    from tests.helpers.sandboxes import zendesk_connection

    connection = zendesk_connection(sandbox, tenant_a)
    token = max(connection.secret_values(), key=len)
    with scopes_disabled():
        recorded = audit.record(
            "test.leak", tenant=tenant_a, connection=connection, message=f"echo {token}", data={"x": [token]}
        )
    assert token not in recorded.message and token not in json.dumps(recorded.data)
    with audit.masking(connection):
        logging.getLogger("test").warning("provider said %s", token)
    assert token not in caplog.text and "[redacted]" in caplog.text
