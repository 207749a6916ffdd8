"""The pages' queries use the indexes made for them (PostgreSQL: the plans are what production runs)."""

import pytest
from django.db import connection as db
from django_scopes import scopes_disabled

from syncs.ingest.webhooks import deliveries
from syncs.models import InboundEvent, RecordLink
from syncs.review.views import links_of
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.skipif(
    db.vendor != "postgresql", reason="query plans are PostgreSQL's (CI runs the suite on PostgreSQL too)"
)


def plan(queryset) -> str:
    """The plan once the table's statistics are fresh, with sequential scans priced out: what matters is
    which index serves the query, not whether a small test table is read whole."""
    table = queryset.model._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.fixture
def links(tenant_a, tenant_b):
    with scopes_disabled():
        mine, theirs = IntegrationFactory(tenant=tenant_a), IntegrationFactory(tenant=tenant_b)
        RecordLink.objects.bulk_create(
            RecordLink(
                tenant=owner.tenant,
                integration=owner,
                source_type="client",
                source_id=f"{owner.pk}-{n}",
                target_type="organization",
                target_id=f"{owner.pk}-org-{n}",
                method="created",
            )
            for owner in (mine, theirs)
            for n in range(2000)
        )
    return mine


def test_the_links_page_finds_a_record_by_either_id_through_the_tenant_indexes(links):
    with scopes_disabled():
        found = plan(links_of(links.tenant, f"{links.pk}-7")[:50])
    assert "link_tenant_source_id" in found and "link_tenant_target_id" in found, found


def test_the_links_page_lists_a_tenants_latest_links_from_its_index(links):
    with scopes_disabled():
        found = plan(links_of(links.tenant)[:50])
    assert "link_tenant_updated" in found and "Sort" not in found.split("->")[0], found


def test_the_connection_page_reads_its_latest_deliveries_from_their_index(tenant_a):
    with scopes_disabled():
        other, busy = ConnectionFactory(tenant=tenant_a), ConnectionFactory(tenant=tenant_a)
        InboundEvent.objects.bulk_create(
            InboundEvent(
                tenant=tenant_a,
                connection=owner,
                provider="testsource",
                source=InboundEvent.Source.WEBHOOK if n % 3 else InboundEvent.Source.POLL,
                event_name="thing.update",
                object_id=str(n),
                dedupe_key=f"k{n}",
            )
            for owner in (other, busy)
            for n in range(300 if owner is busy else 3000)  # one connection among many: the realistic case
        )
        recent = plan(deliveries(busy)[:10])
    assert "event_connection_deliveries" in recent and "Sort" not in recent, recent
