"""FreshBooks <-> Zendesk end to end: both emulators, driven by their signed webhooks and their APIs only."""

import pytest
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from syncs import engine, polling, review
from syncs.models import RecordLink, ReviewItem, SyncJob
from tests.factories import MembershipFactory
from tests.helpers.billing import (
    fb_client,
    fb_invoice,
    mirror,
    notes,
    public_comments,
    requests_to,
    zendesk_account,
    zendesk_customer,
)
from tests.helpers.sandboxes import ACCOUNT, drain, organizations


@pytest.fixture
def acme(sandbox, fbzd, flush):
    """The seed's example: Acme Corp in FreshBooks (Acme Corporation in Zendesk), three invoices, one paid."""
    org, person, [ticket] = zendesk_customer(sandbox, "Acme Corporation")
    zendesk_customer(sandbox, "Globex Industries")
    mirror(fbzd)
    customer = fb_client(sandbox, "Acme Corp", p_street="1 Main St", p_city="Springfield")
    invoices = [
        fb_invoice(sandbox, customer, "1200.00", days_ago=60, due_in=30),
        fb_invoice(sandbox, customer, "450.00", days_ago=20, due_in=30),
        fb_invoice(sandbox, customer, "300.00", days_ago=2, due_in=30),
    ]
    sandbox["freshbooks"].create(ACCOUNT, "payment", {"invoiceid": invoices[0]["id"], "amount": "1200.00"})
    flush()
    return {"org": org, "person": person, "ticket": ticket, "client": customer, "invoices": invoices}


def test_the_seed_example_a_new_ticket_shows_the_last_three_invoices_payment_status_and_balance(sandbox, acme, flush):
    account = zendesk_account(sandbox)
    new = account.create_ticket(
        {"subject": "When is our next invoice due?", "comment": {"body": "Hi"}, "requester_id": acme["person"].id}
    )
    flush()
    [note] = notes(sandbox, new)
    numbers = [i["invoice_number"] for i in acme["invoices"]]
    assert all(number in note for number in numbers), note
    assert "Outstanding balance: USD 750.00" in note
    assert "Payment status: unpaid" in note
    assert "Last payment: USD 1,200.00" in note
    assert public_comments(sandbox, new) == ["Hi"], "the customer sees nothing of it"


def test_invoices_keep_a_rewritten_summary_and_fields_on_the_organization(sandbox, acme, fbzd):
    org = zendesk_account(sandbox).organization(acme["org"].id)
    assert org.notes.count("=== FreshBooks billing") == 1
    assert "Outstanding balance: USD 750.00" in org.notes
    assert all(i["invoice_number"] in org.notes for i in acme["invoices"])
    assert org.organization_fields["freshbooks_outstanding"] == 750.0
    assert org.organization_fields["freshbooks_payment_status"] == "unpaid"
    assert org.organization_fields["freshbooks_next_due"] == acme["invoices"][1]["due_date"]
    assert "Email: ap@example.com" in org.details and "Springfield" in org.details
    link = RecordLink.objects.get(integration=fbzd, source_type="client", target_type="organization")
    assert link.target_id == str(acme["org"].id)


def test_each_invoice_adds_one_internal_note_to_the_open_tickets(sandbox, acme):
    ticket_notes = notes(sandbox, acme["ticket"])
    assert len(ticket_notes) == 3
    for invoice in acme["invoices"]:
        [note] = [n for n in ticket_notes if f"freshbooks:invoice:{invoice['id']} " in n]
        assert f"FreshBooks invoice {invoice['invoice_number']}" in note
    paid = next(n for n in ticket_notes if f"invoice:{acme['invoices'][0]['id']} " in n)
    assert "Status: paid" in paid and "Outstanding: USD 0.00" in paid


def test_a_name_that_differs_from_its_organizations_is_linked_with_a_warning(acme, fbzd):
    [warning] = AuditEvent.objects.filter(kind="match.names_differ")
    assert warning.level == "warning" and "Acme Corporation" in warning.message


def test_replays_and_duplicate_events_add_no_second_note(sandbox, acme, fbzd, flush, clock):
    before_notes = notes(sandbox, acme["ticket"])
    writes = [e for e in requests_to(sandbox, "zendesk") if e.method in ("PUT", "POST")]
    for job in list(SyncJob.objects.filter(status="succeeded")):
        engine.replay(job)
    drain(clock, rounds=500)
    clock.advance(600)  # past the webhook dedupe window: FreshBooks sends the same events again
    for invoice in acme["invoices"]:
        sandbox["freshbooks"].emit(ACCOUNT, "invoice.update", invoice["id"])
    flush()
    assert notes(sandbox, acme["ticket"]) == before_notes
    assert [e for e in requests_to(sandbox, "zendesk") if e.method in ("PUT", "POST")] == writes


def test_a_changed_invoice_gets_a_new_note_and_the_summary_is_rewritten_not_appended(sandbox, acme, flush):
    invoice = acme["invoices"][1]
    sandbox["freshbooks"].create(ACCOUNT, "payment", {"invoiceid": invoice["id"], "amount": "450.00"})
    flush()
    ticket_notes = [n for n in notes(sandbox, acme["ticket"]) if f"invoice:{invoice['id']} " in n]
    assert len(ticket_notes) == 2 and "Status: paid" in ticket_notes[1]
    org = zendesk_account(sandbox).organization(acme["org"].id)
    assert org.notes.count("=== FreshBooks billing") == 1
    assert "Outstanding balance: USD 300.00" in org.notes and "Last payment: USD 450.00" in org.notes


def test_api_calls_per_invoice_event_stay_few(sandbox, acme, flush):
    fb_since = len(sandbox["freshbooks"].journal.entries(kind="request"))
    zd_since = len(sandbox["zendesk"].journal.entries(kind="request"))
    fb_invoice(sandbox, acme["client"], "99.00")
    flush()
    freshbooks_calls = [f"{e.method} {e.url.split('?')[0]}" for e in requests_to(sandbox, "freshbooks", fb_since)]
    zendesk_calls = [f"{e.method} {e.url.split('?')[0]}" for e in requests_to(sandbox, "zendesk", zd_since)]
    assert len(freshbooks_calls) == 3, freshbooks_calls  # the invoice, the client's invoices, its payments
    assert len(zendesk_calls) == 4, zendesk_calls  # the organization, its update, its tickets, one note


def test_a_fuzzy_match_goes_to_review_and_once_linked_the_pending_notes_appear(
    sandbox,
    fbzd,
    flush,
    tenant_a,
    django_capture_on_commit_callbacks,
    clock,
):
    org, _person, [ticket] = zendesk_customer(sandbox, "Globex Industries")
    mirror(fbzd)
    customer = fb_client(sandbox, "Globex Industrial")
    invoice = fb_invoice(sandbox, customer, "500.00")
    flush()
    assert notes(sandbox, ticket) == []
    [item] = ReviewItem.objects.filter(status="open", source_type="client")
    assert item.candidates[0]["record_id"] == str(org.id)
    assert SyncJob.objects.filter(source_type="invoice", status="waiting_review").count() == 1
    with scopes_disabled():
        person = MembershipFactory(tenant=tenant_a, role="agent").user
    with django_capture_on_commit_callbacks(execute=True):
        review.link(item, str(org.id), person)
    drain(clock, rounds=500)
    [note] = notes(sandbox, ticket)
    assert invoice["invoice_number"] in note
    assert "Outstanding balance: USD 500.00" in zendesk_account(sandbox).organization(org.id).notes


def test_a_zendesk_429_storm_and_a_freshbooks_token_expiry_mid_backfill_end_with_every_note_once(
    sandbox,
    fbzd,
    clock,
):
    customers = []
    for n in range(4):
        org, _person, [ticket] = zendesk_customer(sandbox, f"Customer {n} Holdings")
        customer = fb_client(sandbox, f"Customer {n} Holdings")
        invoices = [fb_invoice(sandbox, customer, 100 * (k + 1), days_ago=10 - k) for k in range(2)]
        customers.append((org, ticket, invoices))
    sandbox["freshbooks"].outbox.reset()  # history from before the integration: only the backfill finds it
    mirror(fbzd)
    polling.run(fbzd, backfill=True)
    zendesk = sandbox["zendesk"]
    zendesk.faults.update({"rate_limit_seconds": 90, "retry_after": 30}, zendesk.clock.now())
    for _ in range(6):
        job = SyncJob.objects.filter(status="pending").order_by("next_attempt_at").first()
        engine.run(job.pk)
    sandbox["freshbooks"].oauth.expire()  # every access token the app holds stops working
    drain(clock, rounds=2000)
    assert any(e.status == 429 for e in zendesk.journal.entries(kind="request"))
    assert SyncJob.objects.exclude(status="succeeded").count() == 0
    for org, ticket, invoices in customers:
        ticket_notes = notes(sandbox, ticket)
        assert len(ticket_notes) == 2, ticket_notes
        assert {i["invoice_number"] for i in invoices} == {
            i["invoice_number"] for i in invoices if any(i["invoice_number"] in n for n in ticket_notes)
        }
        assert zendesk_account(sandbox).organization(org.id).notes.count("=== FreshBooks billing") == 1


def test_expenses_of_a_client_post_like_invoices_and_those_without_one_are_skipped(sandbox, acme, flush):
    freshbooks = sandbox["freshbooks"]
    freshbooks.create(
        ACCOUNT, "expense", {"vendor": "Office Supplies Co", "amount": "54.00", "categoryid": 7, "notes": "Paper"}
    )
    freshbooks.create(
        ACCOUNT, "expense", {"vendor": "Train Co", "amount": "80.00", "clientid": acme["client"]["id"], "categoryid": 3}
    )
    flush()
    [expense_note] = [n for n in notes(sandbox, acme["ticket"]) if "expense" in n]
    assert "USD 80.00" in expense_note and "Train Co" in expense_note and "category #3" in expense_note
    org = zendesk_account(sandbox).organization(acme["org"].id)
    assert "=== FreshBooks expenses" in org.notes and "Train Co" in org.notes
    assert "Office Supplies Co" not in org.notes
    [skipped] = AuditEvent.objects.filter(kind="job.skipped", message__contains="has no client")
    assert "Office Supplies Co" in skipped.message


def test_an_expense_tagged_only_with_a_project_posts_to_the_projects_client(sandbox, acme, flush):
    freshbooks = sandbox["freshbooks"]
    project = freshbooks.create(ACCOUNT, "project", {"title": "Website redesign", "client_id": acme["client"]["id"]})
    internal = freshbooks.create(ACCOUNT, "project", {"title": "Office move"})
    freshbooks.create(
        ACCOUNT,
        "expense",
        {"vendor": "Stock Photos Ltd", "amount": "120.00", "projectid": project["id"], "categoryid": 5},
    )
    freshbooks.create(ACCOUNT, "expense", {"vendor": "Movers Inc", "amount": "900.00", "projectid": internal["id"]})
    flush()
    [expense_note] = [n for n in notes(sandbox, acme["ticket"]) if "expense" in n]
    assert "USD 120.00" in expense_note and "Stock Photos Ltd" in expense_note
    assert not [n for n in notes(sandbox, acme["ticket"]) if "Movers Inc" in n]
    [skipped] = AuditEvent.objects.filter(kind="job.skipped", message__contains="Movers Inc")
    assert "tagged with project Office move, which belongs to no client" in skipped.message
    reads = [e.url for e in requests_to(sandbox, "freshbooks") if "/projects/business/" in e.url]
    assert len(reads) == 2, "one read of each expense's project"


def test_client_changes_update_the_organization_and_a_colliding_name_goes_to_review(sandbox, acme, flush, clock):
    freshbooks = sandbox["freshbooks"]
    clock.advance(400)  # FreshBooks deliveries carry no id: the same event within five minutes is one delivery
    freshbooks.update(
        ACCOUNT, "client", acme["client"]["id"], {"email": "billing@acme.example", "p_city": "Shelbyville"}
    )
    flush()
    org = zendesk_account(sandbox).organization(acme["org"].id)
    assert org.name == "Acme Corporation", "linking renames nothing; only a rename in FreshBooks does"
    assert "billing@acme.example" in org.details and "Shelbyville" in org.details
    clock.advance(400)
    freshbooks.update(ACCOUNT, "client", acme["client"]["id"], {"organization": "Acme Holdings"})
    flush()
    assert zendesk_account(sandbox).organization(acme["org"].id).name == "Acme Holdings"
    clock.advance(400)
    freshbooks.update(ACCOUNT, "client", acme["client"]["id"], {"organization": "Globex Industries"})
    flush()
    org = zendesk_account(sandbox).organization(acme["org"].id)
    assert org.name == "Acme Holdings"
    assert "billing@acme.example" in org.details
    [item] = ReviewItem.objects.filter(status="open", source_type="client")
    assert "collides" in item.reason
    assert SyncJob.objects.filter(status="failed").count() == 0
    refused = [e for e in requests_to(sandbox, "zendesk") if e.status == 422]
    assert len(refused) == 1, "one refusal, no loop"


def collide(sandbox, acme, flush, clock, name="Globex Industries"):
    """FreshBooks renames Acme Corp to a name another Zendesk organization has; the item a person decides."""
    clock.advance(400)
    sandbox["freshbooks"].update(ACCOUNT, "client", acme["client"]["id"], {"organization": name})
    flush()
    [item] = ReviewItem.objects.filter(status="open", source_type="client")
    job = SyncJob.objects.filter(source_type="client").latest("pk")
    assert job.status == "waiting_review" and "waits for a person" in job.last_error_message
    with scopes_disabled():
        person = MembershipFactory(tenant=item.tenant, role="admin").user
    return item, person


def test_a_rename_kept_by_a_person_is_applied_at_once_when_the_name_is_free(sandbox, acme, flush, clock):
    item, person = collide(sandbox, acme, flush, clock)
    zendesk = zendesk_account(sandbox)
    globex = next(o for o in organizations(sandbox) if o.name == "Globex Industries")
    zendesk.update_organization(globex.id, {"name": "Globex (old)"})  # the person frees the name first
    review.link(item, str(acme["org"].id), person)  # "keep Acme's organization"
    flush()  # no FreshBooks change: the decision alone runs the waiting job
    assert zendesk.organization(acme["org"].id).name == "Globex Industries"
    assert not SyncJob.objects.exclude(status="succeeded").exists()
    assert not ReviewItem.objects.filter(status="open").exists()


def test_a_rename_kept_while_the_name_is_taken_is_left_as_decided_and_asked_no_more(sandbox, acme, flush, clock):
    item, person = collide(sandbox, acme, flush, clock)
    review.link(item, str(acme["org"].id), person)
    flush()
    zendesk = zendesk_account(sandbox)
    assert zendesk.organization(acme["org"].id).name == "Acme Corporation"
    left = AuditEvent.objects.get(kind="match.rename_left")
    assert "keeps its name" in left.message
    assert not SyncJob.objects.exclude(status="succeeded").exists()
    clock.advance(400)
    sandbox["freshbooks"].update(ACCOUNT, "client", acme["client"]["id"], {"p_city": "Ogdenville"})
    flush()
    assert not ReviewItem.objects.filter(status="open").exists(), "the decision stands for this name"
    assert "Ogdenville" in zendesk.organization(acme["org"].id).details


def test_a_client_decided_to_be_the_other_organization_moves_there_at_once(sandbox, acme, flush, clock):
    item, person = collide(sandbox, acme, flush, clock)
    globex = next(o for o in organizations(sandbox) if o.name == "Globex Industries")
    review.link(item, str(globex.id), person)
    flush()
    link = RecordLink.objects.get(integration=item.integration, source_type="client", target_type="organization")
    assert link.target_id == str(globex.id) and link.method == "manual"
    assert "Springfield" in zendesk_account(sandbox).organization(globex.id).details, "its details moved there"
    assert not SyncJob.objects.exclude(status="succeeded").exists()


def test_a_new_zendesk_organization_like_an_existing_client_is_flagged_as_a_possible_duplicate(sandbox, fbzd, flush):
    fb_client(sandbox, "Smith & Sons")
    flush()
    zendesk_account(sandbox).create_organization({"name": "Smith and Sons Ltd"})
    flush()
    [item] = ReviewItem.objects.filter(kind="possible_duplicate")
    assert item.source_summary["name"] == "Smith and Sons Ltd"
    assert item.candidates[0]["name"] == "Smith & Sons"
    zendesk_account(sandbox).create_organization({"name": "Initech"})
    flush()
    assert ReviewItem.objects.filter(kind="possible_duplicate").count() == 1


def test_a_ticket_from_an_unlinked_organization_gets_no_note(sandbox, fbzd, flush):
    _org, person, _tickets = zendesk_customer(sandbox, "Unknown Co", tickets=0)
    ticket = zendesk_account(sandbox).create_ticket(
        {"subject": "Hi", "comment": {"body": "Hello"}, "requester_id": person.id}
    )
    flush()
    assert notes(sandbox, ticket) == []
    assert AuditEvent.objects.filter(kind="job.skipped", message__contains="not linked").exists()


def test_the_demo_company_backfills_into_notes_warnings_and_review_items(sandbox, fbzd, clock, monkeypatch):
    """`seed_sandbox`'s company, processed as enabling the integration does: mirror, then the backlog."""
    import json

    from django.core.management import call_command

    from connections.management.commands import seed_sandbox
    from connections.sandbox.base import Request
    from syncs import tasks

    def control(self, method, slug, action, body=None):
        answer = sandbox[slug].handle_control(
            Request(method, action, "", {"Content-Type": "application/json"}, json.dumps(body or {}).encode())
        )
        assert answer.status < 400, answer.body
        return json.loads(answer.body)

    monkeypatch.setattr(seed_sandbox.Command, "control", control)
    monkeypatch.setattr(seed_sandbox.Command, "wait_for_sandbox", lambda self, wait: None)
    call_command("seed_sandbox")
    sandbox["freshbooks"].outbox.reset()
    zendesk_account(sandbox).drain_events()
    tasks.poll_integration(fbzd.pk, backfill=True)
    drain(clock, rounds=3000)
    account = zendesk_account(sandbox)
    orgs = {o.name: o for o in account.organizations.values()}
    assert "Outstanding balance" in orgs["Acme Corporation"].notes
    assert "Outstanding balance" in orgs["Smith and Sons Ltd"].notes
    assert AuditEvent.objects.filter(kind="match.names_differ", message__contains="Acme Corporation").exists()
    open_items = {i.source_summary["name"] for i in ReviewItem.objects.filter(status="open")}
    assert {"Globex Industrial", "Gringotts Advisory", "Oceanic Travel", "Blue Sun Trading"} <= open_items
    assert orgs["Globex Industries"].notes is None, "nothing is written before a person decides"
    linked = [o for o in orgs.values() if o.notes]
    assert len(linked) == len(orgs) - 1
    for org in linked:
        for ticket in account.tickets_of_organization(org.id):
            ticket_notes = [c.body for c in ticket.comments if not c.public]
            assert len([n for n in ticket_notes if "FreshBooks invoice" in n]) == 3, (org.name, ticket_notes)
    assert SyncJob.objects.filter(status="failed").count() == 0


def test_a_dry_run_of_an_invoice_says_what_it_would_write_and_writes_nothing(sandbox, fbzd, flush, clock):
    zendesk_customer(sandbox, "Initech")
    mirror(fbzd)
    fbzd.enabled = False
    fbzd.save()
    invoice = fb_invoice(sandbox, fb_client(sandbox, "Initech"), "250.00")
    flush()
    fbzd.enabled = True
    fbzd.save()
    job = SyncJob.objects.create(
        tenant=fbzd.tenant,
        integration=fbzd,
        trigger="manual",
        status="failed",
        source_type="invoice",
        source_id=str(invoice["id"]),
    )
    dry = engine.replay(job, dry_run=True)
    writes = [e for e in requests_to(sandbox, "zendesk") if e.method in ("PUT", "POST")]
    drain(clock, rounds=50)
    dry.refresh_from_db()
    assert dry.result["outcome"] == "dry run" and "USD 250.00" in dry.result["payload"]["section"]["text"]
    assert [e for e in requests_to(sandbox, "zendesk") if e.method in ("PUT", "POST")] == writes
    assert not RecordLink.objects.filter(integration=fbzd, source_type="client").exists()


def test_create_new_makes_one_organization_and_the_invoices_notes_follow(
    sandbox,
    fbzd,
    flush,
    tenant_a,
    django_capture_on_commit_callbacks,
    clock,
):
    mirror(fbzd)
    customer = fb_client(sandbox, "Oceanic Travel")
    sandbox["freshbooks"].outbox.reset()  # only the invoice's event arrives: its job asks about the client
    invoice = fb_invoice(sandbox, customer, "640.00")
    flush()
    [item] = ReviewItem.objects.filter(status="open", source_type="client")
    with scopes_disabled():
        person = MembershipFactory(tenant=tenant_a, role="admin").user
    with django_capture_on_commit_callbacks(execute=True):
        review.create_new(item, person)
    drain(clock, rounds=500)
    flush()
    [org] = [o for o in zendesk_account(sandbox).organizations.values() if o.name == "Oceanic Travel"]
    assert org.external_id == f"freshbooks:client:{customer['id']}"
    assert invoice["invoice_number"] in org.notes
    assert SyncJob.objects.exclude(status="succeeded").count() == 0


def test_an_organization_carrying_another_clients_id_is_never_linked_by_its_name(sandbox, fbzd, flush):
    """The external-id guard: two FreshBooks clients of one name must not share one organization."""
    account = zendesk_account(sandbox)
    taken = account.create_organization({"name": "Soylent Foods", "external_id": "freshbooks:client:999999"})
    account.drain_events()
    mirror(fbzd)
    customer = fb_client(sandbox, "Soylent Foods")
    fb_invoice(sandbox, customer, "40.00")
    flush()
    item = ReviewItem.objects.get(integration=fbzd, source_id=str(customer["id"]), status="open")
    assert "linked to another record" in item.reason
    assert not RecordLink.objects.filter(integration=fbzd, target_id=str(taken.id)).exists()


def test_a_client_with_150_invoices_gets_the_balance_of_all_of_them(sandbox, fbzd, flush):
    org, _person, _tickets = zendesk_customer(sandbox, "Initech")
    mirror(fbzd)
    customer = fb_client(sandbox, "Initech")
    invoices = [fb_invoice(sandbox, customer, "10.00", days_ago=150 - n) for n in range(150)]
    sandbox["freshbooks"].outbox.deliveries.clear()  # years of invoices: their webhooks are long gone
    sandbox["freshbooks"].create(ACCOUNT, "payment", {"invoiceid": invoices[0]["id"], "amount": "10.00"})
    flush()  # the payment's job reads the client's billing: two pages of invoices
    org = zendesk_account(sandbox).organization(org.id)
    assert org.organization_fields["freshbooks_outstanding"] == 1490.0, "149 unpaid invoices of 10.00"
    assert "Outstanding balance: USD 1,490.00" in org.notes


def test_a_connection_made_before_projects_were_asked_for_is_told_to_reconnect(sandbox, acme, fbzd, flush):
    from connections import registry
    from connections.sandbox.oauth import Grant

    freshbooks = sandbox["freshbooks"]
    older = [s for s in registry.provider("freshbooks").scopes if s != "user:projects:read"]
    issued = freshbooks.oauth.issue_tokens(Grant("sandbox-freshbooks-client", " ".join(older), {"identity_id": 1}))
    fbzd.source.access_token, fbzd.source.refresh_token = issued.access.value, issued.refresh.value
    fbzd.source.save()
    project = freshbooks.create(ACCOUNT, "project", {"title": "Audit", "client_id": acme["client"]["id"]})
    freshbooks.create(ACCOUNT, "expense", {"vendor": "Archive Co", "amount": "40.00", "projectid": project["id"]})
    flush()
    failed = SyncJob.objects.get(source_type="expense", status="failed")
    assert failed.last_error_type == "SetupMissing" and "reconnect FreshBooks" in failed.last_error_message
    fbzd.source.refresh_from_db()
    assert fbzd.source.status == "active", "the connection still works for everything else"
