"""Upgrading: what the links used to keep about writes (fingerprints, sections, notes) moves to the ledger."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = ("syncs", "0005_fit_check"), ("syncs", "0006_write_ledger")


@pytest.mark.django_db(transaction=True)
def test_bookkeeping_links_become_ledger_rows_and_identity_links_stay():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Tenant, Connection = old.get_model("connections", "Tenant"), old.get_model("connections", "Connection")
    Integration, RecordLink = old.get_model("connections", "Integration"), old.get_model("syncs", "RecordLink")
    tenant = Tenant.objects.create(name="T", slug="t")
    source = Connection.objects.create(tenant=tenant, provider="freshbooks", label="fb")
    target = Connection.objects.create(tenant=tenant, provider="zendesk", label="zd")
    integration = Integration.objects.create(tenant=tenant, kind="freshbooks_zendesk", source=source, target=target)
    rows = [
        ("client", "1", "organization", "77", "fp-client"),
        ("client", "1", "section:billing", "77", "fp-section"),
        ("client", "1", "client_name", "77", "fp-name"),
        ("invoice", "5", "organization", "77", "fp-invoice"),
        ("invoice", "5", "note:900", "900", "pending:v2"),
        ("invoice", "6", "note:900", "900", ""),
    ]
    for source_type, source_id, target_type, target_id, fingerprint in rows:
        RecordLink.objects.create(
            tenant=tenant,
            integration=integration,
            source_type=source_type,
            source_id=source_id,
            target_type=target_type,
            target_id=target_id,
            fingerprint=fingerprint,
            method="exact",
        )

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    new = executor.loader.project_state([AFTER]).apps
    links = new.get_model("syncs", "RecordLink").objects.values_list("source_type", "target_type", "target_id")
    assert list(links) == [("client", "organization", "77")]
    ledger = {
        (r.source_type, r.source_id, r.part): (r.target_type, r.fingerprint, r.state)
        for r in new.get_model("syncs", "WriteLedger").objects.all()
    }
    assert ledger == {
        ("client", "1", "organization"): ("organization", "fp-client", "written"),
        ("client", "1", "section:billing"): ("organization", "fp-section", "written"),
        ("client", "1", "name"): ("organization", "fp-name", "written"),
        ("invoice", "5", "organization"): ("organization", "fp-invoice", "written"),
        ("invoice", "5", "note:900"): ("ticket", "v2", "pending"),
    }
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
