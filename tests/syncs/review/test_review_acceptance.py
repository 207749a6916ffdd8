"""The demo's story, end to end through both emulators: "Acme Corp" in FreshBooks, "Acme Corporation" made by
hand in Zendesk, and a person who resolves the review item in the browser."""

from django_scopes import scopes_disabled

from syncs import review
from syncs.models import RecordLink, RemoteRecord, ReviewItem, SyncJob
from tests.factories import MembershipFactory
from tests.helpers.billing import fb_client, mirror, zendesk_account


def test_a_person_resolves_acme_corp_and_acme_corporation_in_the_browser(fbzd, flush, sandbox, client):
    review.forget_indexes()
    mirror(fbzd)
    acme = fb_client(sandbox, "Acme Corp")
    flush()
    org = zendesk_account(sandbox).create_organization({"name": "Acme Corporation"})
    flush()
    assert RemoteRecord.objects.get(remote_id=str(org.id)).name == "Acme Corporation"  # mirrored from the webhook

    with scopes_disabled():
        agent = MembershipFactory(tenant=fbzd.tenant, role="agent").user
    client.force_login(agent)
    page = client.get("/review/").content.decode()
    assert "Acme Corporation" in page and "Acme Corp" in page
    item = ReviewItem.objects.filter(status="open").order_by("-id").first()
    record_id = str(acme["id"]) if item.kind == "possible_duplicate" else str(org.id)
    response = client.post(f"/review/{item.uuid}/link/", {"record_id": record_id}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "queue-changed" in response["HX-Trigger"]

    flush()
    assert not ReviewItem.objects.filter(status="open").exists()
    link = RecordLink.objects.get(source_type="client", source_id=str(acme["id"]), target_type="organization")
    assert (link.target_id, link.method) == (str(org.id), "manual")
    assert not SyncJob.objects.filter(status="waiting_review").exists()
    assert [o.name for o in zendesk_account(sandbox).organizations.values()] == ["Acme Corporation"]


def test_acme_corp_waits_for_a_person_and_once_linked_to_acme_corporation_its_pending_invoice_note_appears(
    fbzd, flush, sandbox, clock, tenant_a, django_capture_on_commit_callbacks
):
    """Issue 8's story with its own names: the invoice came before the organization existed in Zendesk."""
    from tests.helpers.billing import fb_invoice, notes
    from tests.helpers.sandboxes import drain

    review.forget_indexes()
    mirror(fbzd)
    acme = fb_client(sandbox, "Acme Corp")
    invoice = fb_invoice(sandbox, acme, "300.00")
    flush()
    assert SyncJob.objects.filter(source_type="invoice", status="waiting_review").count() == 1

    account = zendesk_account(sandbox)
    org = account.create_organization({"name": "Acme Corporation"})
    flush()
    person = account.create_user({"name": "Ann", "email": "ann@acme.example", "organization_id": org.id})
    ticket = account.create_ticket(
        {"subject": "When is our next invoice due?", "comment": {"body": "Hi"}, "requester_id": person.id}
    )
    account.drain_events()
    assert notes(sandbox, ticket) == [], "nothing is written to an organization nobody linked"

    item = ReviewItem.objects.get(status="open", source_type="client", source_id=str(acme["id"]))
    with scopes_disabled():
        agent = MembershipFactory(tenant=tenant_a, role="agent").user
    with django_capture_on_commit_callbacks(execute=True):
        review.link(item, str(org.id), agent)
    drain(clock, rounds=500)
    [note] = notes(sandbox, ticket)
    assert invoice["invoice_number"] in note
    assert not ReviewItem.objects.filter(status="open").exists()
