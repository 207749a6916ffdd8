"""Review items as the queue shows them: an integration of a tenant, mirrored candidates, an open item."""

from django_scopes import scopes_disabled

from syncs.matching import normalise_name
from syncs.models import RemoteRecord, ReviewItem, SyncJob
from tests.factories import ConnectionFactory, IntegrationFactory


def integration_of(tenant):
    with scopes_disabled():
        source = ConnectionFactory(tenant=tenant, label=f"{tenant.name} books")
        target = ConnectionFactory(tenant=tenant, label=f"{tenant.name} desk")
        return IntegrationFactory(tenant=tenant, source=source, target=target)


def mirrored(integration, remote_id, name, external_id=None):
    with scopes_disabled():
        return RemoteRecord.objects.create(
            tenant=integration.tenant,
            connection=integration.target,
            record_type="organization",
            remote_id=str(remote_id),
            name=name,
            normalised_name=normalise_name(name),
            external_id=external_id,
            summary={"domain_names": ["acme.example"]},
        )


def open_item(integration, name="Acme Corp", source_id="c1", candidates=(("10", "Acme Corporation Holdings", 72.0),)):
    with scopes_disabled():
        item = ReviewItem.objects.create(
            tenant=integration.tenant,
            integration=integration,
            source_type="client",
            source_id=source_id,
            source_summary={"name": name, "emails": ["ap@acme.example"], "city": "Omaha", "domains": ["a.example"]},
            candidates=[
                {"record_id": rid, "name": cname, "score": score, "why": "", "agrees": [], "differs": ["name (word x)"]}
                for rid, cname, score in candidates
            ],
            reason="score 72 is below auto-link",
        )
        SyncJob.objects.create(
            tenant=integration.tenant,
            integration=integration,
            trigger="webhook",
            source_type="client",
            source_id=source_id,
            status="waiting_review",
        )
    return item
