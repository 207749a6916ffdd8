"""FreshBooks -> Salesforce end to end: FreshBooks' signed webhooks in, the Salesforce emulator's REST API out."""

import pytest
from django_scopes import scopes_disabled

from connections.models import Connection
from syncs import engine, polling, review
from syncs.models import RecordLink, ReviewItem, SyncJob, WriteLedger
from tests.factories import MembershipFactory
from tests.helpers.billing import fb_client, fb_invoice, requests_to
from tests.helpers.sandboxes import ACCOUNT, drain

CLIENT_ID, INVOICE_ID = "FreshBooks_Client_Id__c", "FreshBooks_Invoice_Id__c"


def org(sandbox):
    return sandbox["salesforce"].org("acme")


def records(sandbox, sobject):
    return [r for r in org(sandbox).records[sobject].values() if not r.get("IsDeleted")]


def only(sandbox, sobject, **match):
    found = [r for r in records(sandbox, sobject) if all(str(r.get(k)) == str(v) for k, v in match.items())]
    assert len(found) == 1, f"{len(found)} {sobject} records match {match}"
    return found[0]


def api_calls(sandbox, slug, since=0):
    """Calls to the provider's API since journal entry `since` (token requests are not API calls)."""
    return [e for e in requests_to(sandbox, slug, since) if "/services/oauth2" not in e.url]


def mark(sandbox, slug):
    return len(sandbox[slug].journal.entries(kind="request"))


def create(sandbox, sobject, values):
    """A record someone made in Salesforce (not through the API under test)."""
    salesforce = org(sandbox)
    return salesforce.create(salesforce.sobject(sobject), values, salesforce.admin, trusted=True)


def pay(sandbox, invoice, amount):
    return sandbox["freshbooks"].create(ACCOUNT, "payment", {"invoiceid": invoice["id"], "amount": amount})


@pytest.fixture
def acme(sandbox, fbsf, flush):
    """The seed's example: a client with a sent invoice, synced; the org's won stage renamed."""
    org(sandbox).rename_won_stage("Won - Paid")
    customer = fb_client(sandbox, "Acme Corp", p_street="1 Main St", p_city="Springfield", p_country="United States")
    invoice = fb_invoice(sandbox, customer, "1200.00", due_in=30)
    flush()
    return {"client": customer, "invoice": invoice}


def test_the_seed_example_a_payment_closes_the_opportunity_and_the_account_shows_the_invoice(sandbox, acme, flush):
    account = only(sandbox, "Account", **{CLIENT_ID: acme["client"]["id"]})
    assert account["Name"] == "Acme Corp" and account["BillingCity"] == "Springfield"
    deal = only(sandbox, "Opportunity", **{INVOICE_ID: acme["invoice"]["id"]})
    number = acme["invoice"]["invoice_number"]
    assert number in deal["Name"] and deal["AccountId"] == account["Id"]
    assert deal["StageName"] == "Proposal/Price Quote" and float(deal["Amount"]) == 1200.0
    assert deal["CloseDate"] == acme["invoice"]["due_date"]

    pay(sandbox, acme["invoice"], "1200.00")
    flush()
    deal = only(sandbox, "Opportunity", **{INVOICE_ID: acme["invoice"]["id"]})
    assert deal["StageName"] == "Won - Paid" and deal["IsWon"] is True, "the org's own won stage"
    assert "1200.00 of 1200.00" in deal["Description"]
    deals_of_account = [o["Name"] for o in records(sandbox, "Opportunity") if o["AccountId"] == account["Id"]]
    assert any(number in name for name in deals_of_account), "the Account's Opportunities show the invoice number"


def test_a_partial_payment_updates_the_amount_collected_and_keeps_the_deal_open(sandbox, acme, flush):
    pay(sandbox, acme["invoice"], "200.00")
    flush()
    deal = only(sandbox, "Opportunity", **{INVOICE_ID: acme["invoice"]["id"]})
    assert deal["StageName"] == "Negotiation/Review" and deal["IsClosed"] is False
    assert "200.00 of 1200.00" in deal["Description"]


def test_calls_per_event_in_steady_state_are_at_the_flows_minimum(sandbox, acme, flush, fbsf):
    def calls_for(change):
        fb, sf = mark(sandbox, "freshbooks"), mark(sandbox, "salesforce")
        change()
        flush()
        return len(requests_to(sandbox, "freshbooks", fb)), len(api_calls(sandbox, "salesforce", sf))

    invoice, client = acme["invoice"]["id"], acme["client"]["id"]
    assert calls_for(lambda: sandbox["freshbooks"].update(ACCOUNT, "invoice", invoice, {"due_offset_days": 45})) == (
        1,
        1,
    ), "invoice: fetch, upsert"
    assert calls_for(lambda: sandbox["freshbooks"].update(ACCOUNT, "client", client, {"p_city": "Shelbyville"})) == (
        1,
        1,
    ), "client: fetch, update"
    # The payment's job reads the payment and its invoice and writes once; FreshBooks also sends the invoice's
    # own update, whose job reads the invoice and finds the Opportunity already holding it.
    assert calls_for(lambda: pay(sandbox, acme["invoice"], "100.00")) == (3, 1), "payment: 2 reads, 1 upsert"
    assert calls_for(lambda: sandbox["freshbooks"].update(ACCOUNT, "invoice", invoice, {"notes": "Net 30"})) == (
        1,
        0,
    ), "an invoice change that moves nothing in Salesforce writes nothing"


def test_a_replay_and_a_duplicate_delivery_write_nothing_twice(sandbox, acme, flush, fbsf):
    job = SyncJob.objects.filter(source_type="invoice", status="succeeded").first()
    before = mark(sandbox, "salesforce")
    engine.replay(job)
    flush()
    writes = [e for e in api_calls(sandbox, "salesforce", before) if e.method in ("PATCH", "POST")]
    assert writes == [], "the replay found every part already written"
    assert len(records(sandbox, "Account")) == 1 and len(records(sandbox, "Opportunity")) == 1


def test_a_crash_between_the_account_and_the_opportunity_then_a_replay_ends_with_one_of_each(
    sandbox, fbsf, flush, monkeypatch
):
    from connections.providers.salesforce import client as salesforce

    real = salesforce.upsert

    def crash_on_opportunity(connection, sobject, *args, **kwargs):
        if sobject == "Opportunity":
            raise RuntimeError("the worker died")
        return real(connection, sobject, *args, **kwargs)

    monkeypatch.setattr(salesforce, "upsert", crash_on_opportunity)
    customer = fb_client(sandbox, "Initech")
    invoice = fb_invoice(sandbox, customer, "80.00")
    flush()
    failed = SyncJob.objects.get(source_type="invoice", source_id=str(invoice["id"]))
    assert failed.status == "failed" and len(records(sandbox, "Account")) == 1
    assert records(sandbox, "Opportunity") == []

    monkeypatch.setattr(salesforce, "upsert", real)
    engine.replay(failed)
    flush()
    assert len(records(sandbox, "Account")) == 1 and len(records(sandbox, "Opportunity")) == 1
    ledger = WriteLedger.objects.get(source_type="invoice", source_id=str(invoice["id"]), part="opportunity")
    assert ledger.state == "written"


def test_an_expired_session_is_minted_again_once_and_never_parks_the_connection(sandbox, acme, flush, fbsf):
    minted = sandbox["salesforce"].state["tokens_minted"]
    sandbox["salesforce"].oauth.expire()
    sandbox["freshbooks"].update(ACCOUNT, "invoice", acme["invoice"]["id"], {"due_offset_days": 60})
    flush()
    assert sandbox["salesforce"].state["tokens_minted"] == minted + 1
    fbsf.target.refresh_from_db()
    assert fbsf.target.status == Connection.Status.ACTIVE
    assert not SyncJob.objects.exclude(status="succeeded").exists()


def test_an_existing_account_by_a_near_name_goes_to_review_and_the_writes_follow_the_decision(
    sandbox, fbsf, flush, tenant_a
):
    existing = create(sandbox, "Account", {"Name": "Umbrella Health Group Holdings"})
    from syncs.mirror import load

    load(fbsf.target, "Account")
    customer = fb_client(sandbox, "Umbrella Health")
    fb_invoice(sandbox, customer, "99.00")
    flush()
    item = ReviewItem.objects.get(integration=fbsf, status="open")
    assert records(sandbox, "Opportunity") == [], "nothing is written before a person decides"
    with scopes_disabled():
        person = MembershipFactory(tenant=tenant_a, role="admin").user
    review.link(item, existing["Id"], person)
    flush()
    account = only(sandbox, "Account", Id=existing["Id"])
    assert account[CLIENT_ID] == str(customer["id"])
    assert account["Name"] == "Umbrella Health Group Holdings", "the sales team's name is kept"
    assert only(sandbox, "Opportunity", AccountId=existing["Id"])
    assert RecordLink.objects.get(integration=fbsf, source_id=str(customer["id"])).method == "manual"


def test_a_missing_external_id_field_fails_with_what_to_create(sandbox, fbsf, flush):
    org(sandbox).remove_custom_field("Opportunity", INVOICE_ID)
    customer = fb_client(sandbox, "Hooli Cloud")
    fb_invoice(sandbox, customer, "10.00")
    flush()
    job = SyncJob.objects.get(source_type="invoice")
    assert job.status == "failed" and job.last_error_type == "SetupMissing"
    assert "Create the custom field FreshBooks_Invoice_Id__c on Opportunity" in job.last_error_message


def test_a_backfill_of_invoices_writes_through_collections(sandbox, fbsf, clock, django_capture_on_commit_callbacks):
    known = create(sandbox, "Account", {"Name": "Northwind Traders Inc."})  # the sales team's own
    customers = [fb_client(sandbox, name) for name in ("Northwind Traders", "Contoso Pharmaceuticals", "Fabrikam")]
    for n in range(450):
        fb_invoice(sandbox, customers[n % 3], f"{10 + n}.00")
    before = mark(sandbox, "salesforce")
    polling.run(fbsf, backfill=True)
    with django_capture_on_commit_callbacks(execute=True):
        engine.run_batch(fbsf.pk)
    drain(clock, rounds=3000)
    writes = [e for e in api_calls(sandbox, "salesforce", before) if e.method == "PATCH"]
    assert len(records(sandbox, "Opportunity")) == 450 and len(records(sandbox, "Account")) == 3
    assert only(sandbox, "Account", Id=known["Id"])[CLIENT_ID] == str(customers[0]["id"])
    assert only(sandbox, "Account", Id=known["Id"])["Name"] == "Northwind Traders Inc.", "its name is the sales team's"
    assert len(writes) <= 6, f"{len(writes)} write calls for 450 invoices and 3 clients"


def test_two_accounts_carrying_one_client_id_go_to_a_person_and_nothing_is_guessed(sandbox, fbsf, flush):
    from syncs.mirror import load

    load(fbsf.target, "Account")  # the mirror was read before the duplicates appeared
    salesforce = org(sandbox)
    salesforce.set_custom_field("Account", CLIENT_ID, external_id=True, unique=False)
    customer = fb_client(sandbox, "Vandelay Imports")
    for name in ("Vandelay Imports", "Vandelay Industries"):
        create(sandbox, "Account", {"Name": name, CLIENT_ID: str(customer["id"])})
    flush()
    item = ReviewItem.objects.get(integration=fbsf, source_id=str(customer["id"]), status="open")
    assert len(item.candidates) == 2 and "2 Salesforce Accounts" in item.reason
    assert len(records(sandbox, "Account")) == 2, "no third Account"
    assert SyncJob.objects.get(source_type="client").status == "waiting_review"


def test_the_orgs_daily_allocation_spent_pauses_the_connection_until_usage_falls(
    sandbox, acme, fbsf, clock, django_capture_on_commit_callbacks, client_a
):
    from syncs.engine.pacing import paused_until

    org(sandbox).set_usage(15000)
    sandbox["freshbooks"].update(ACCOUNT, "invoice", acme["invoice"]["id"], {"due_offset_days": 50})
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.deliver()  # the webhook in; its job runs once and meets the 403
    job = SyncJob.objects.filter(source_type="invoice").latest("pk")
    assert job.status == "pending" and job.last_error_type == "RateLimited"
    assert "daily API allocation" in job.last_error_message
    assert paused_until(fbsf.target), "every job of the org waits, not only this one"
    from audit.models import AuditEvent

    alert = AuditEvent.objects.get(kind="connection.paused", connection=fbsf.target)
    assert alert.level == "error" and "daily API allocation" in alert.message
    page = client_a.get(f"/connections/{fbsf.target.uuid}/").content.decode()
    assert "are paused until" in page and "daily API allocation" in page
    org(sandbox).set_usage(100)
    drain(clock, rounds=200)
    job.refresh_from_db()
    assert job.status == "succeeded"
    deal = only(sandbox, "Opportunity", **{INVOICE_ID: acme["invoice"]["id"]})
    assert deal["CloseDate"] == acme["invoice"]["due_date"], "the change waited and then landed"


def test_a_429_storm_and_an_expired_session_mid_backfill_end_with_everything_written_once(sandbox, fbsf, clock):
    customers = [fb_client(sandbox, f"Storm {n}") for n in range(2)]
    for n in range(40):
        fb_invoice(sandbox, customers[n % 2], f"{20 + n}.00")
    polling.run(fbsf, backfill=True)
    emulator = sandbox["salesforce"]
    emulator.faults.update({"rate_limit_seconds": 30, "retry_after": 30}, sandbox.clock.now())
    engine.run_batch(fbsf.pk)
    emulator.oauth.expire()
    drain(clock, rounds=3000)
    assert len(records(sandbox, "Opportunity")) == 40 and len(records(sandbox, "Account")) == 2
    assert not SyncJob.objects.exclude(status="succeeded").exists()
    fbsf.target.refresh_from_db()
    assert fbsf.target.status == Connection.Status.ACTIVE


def test_with_order_management_a_paid_opportunity_is_linked_to_the_accounts_invoice(sandbox, acme, flush):
    org(sandbox).order_management = True
    account = only(sandbox, "Account", **{CLIENT_ID: acme["client"]["id"]})
    sf_invoice = create(
        sandbox, "Invoice", {"BillingAccountId": account["Id"], "TotalAmount": 1200.0, "Status": "Posted"}
    )
    pay(sandbox, acme["invoice"], "1200.00")
    flush()
    deal = only(sandbox, "Opportunity", **{INVOICE_ID: acme["invoice"]["id"]})
    assert f"Salesforce Invoice {sf_invoice['DocumentNumber']} ({sf_invoice['Id']})" in deal["Description"]


def test_without_order_management_the_timeline_says_why_the_opportunity_is_not_linked(sandbox, acme, flush):
    from audit.models import AuditEvent

    pay(sandbox, acme["invoice"], "1200.00")
    flush()
    said = AuditEvent.objects.filter(kind="salesforce.invoice_not_linked").values_list("message", flat=True)
    assert any("not licensed" in message for message in said)
    assert only(sandbox, "Opportunity", **{INVOICE_ID: acme["invoice"]["id"]})["IsWon"] is True


def test_the_integration_page_reads_each_linked_accounts_owner_and_orders(sandbox, acme, fbsf, client_a):
    account = only(sandbox, "Account", **{CLIENT_ID: acme["client"]["id"]})
    create(sandbox, "Order", {"AccountId": account["Id"], "EffectiveDate": "2026-11-30", "Status": "Draft"})
    before = mark(sandbox, "salesforce")
    page = client_a.get(f"/integrations/{fbsf.uuid}/insights/").content.decode()
    assert "Acme Corp" in page and "Draft" in page
    assert org(sandbox).run_as_user()["Name"] in page, "the Account's owner: the integration user that created it"
    assert len(api_calls(sandbox, "salesforce", before)) == 2, "two queries, whatever the number of clients"
    assert [e.method for e in api_calls(sandbox, "salesforce", before)] == ["GET", "GET"], "read only"


def test_another_tenants_integration_insights_are_not_found(fbsf, client, tenant_b):
    from tests.factories import MembershipFactory as Member

    with scopes_disabled():
        outsider = Member(tenant=tenant_b, role="owner").user
    client.force_login(outsider)
    assert client.get(f"/integrations/{fbsf.uuid}/insights/").status_code == 404


def test_the_fit_check_and_the_connection_test_say_what_salesforce_still_needs(sandbox, fbsf, client_a):
    from syncs import fitcheck

    org(sandbox).remove_custom_field("Account", CLIENT_ID)
    fbsf.options = {"stage_sent": "Sent"}
    fbsf.save()
    check = fitcheck.run(fitcheck.start(fbsf))
    setup = " ".join(check.report["setup"])
    assert "Account has no field FreshBooks_Client_Id__c" in setup
    assert "'Sent' is not an active stage" in setup and "Proposal/Price Quote" in setup
    client_a.post(f"/connections/{fbsf.target.uuid}/test/")
    fbsf.target.refresh_from_db()
    assert fbsf.target.last_ping_ok is False
    assert "not set up yet" in fbsf.target.settings["last_ping_message"]
    org(sandbox).set_custom_field("Account", CLIENT_ID, external_id=True, unique=True)  # the customer fixes it
    client_a.post(f"/connections/{fbsf.target.uuid}/test/")
    fbsf.target.refresh_from_db()
    assert fbsf.target.last_ping_ok is True, "Test reads the schema afresh"


def test_a_stage_the_org_does_not_have_fails_the_job_with_salesforces_words_and_what_to_do(sandbox, fbsf, flush):
    fbsf.options = {"stage_sent": "Sent"}
    fbsf.save()
    fb_invoice(sandbox, fb_client(sandbox, "Initech"), "70.00")
    flush()
    job = SyncJob.objects.get(source_type="invoice")
    assert job.status == "failed" and "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in job.last_error_message
    assert "check the stage names on the integration page" in job.last_error_message


def test_an_account_whose_write_is_uncertain_is_written_again_before_the_next_invoices_opportunity(
    sandbox, fbsf, flush, monkeypatch
):
    """The Account's upsert timed out (landed or not, nobody knows) and waits for its retry when the client's
    next invoice comes: that invoice's plan carries the Account again (an upsert, so never a second one)
    rather than an Opportunity pointing at an Account Salesforce may not have, which it refuses for good."""
    from connections.providers.errors import Retryable
    from connections.providers.salesforce import client as salesforce

    real, timed_out = salesforce.upsert, []

    def first_account_times_out(connection, sobject, *args, **kwargs):
        if sobject == "Account" and not timed_out:
            timed_out.append(sobject)
            raise Retryable("POST Account timed out.", provider="salesforce")
        return real(connection, sobject, *args, **kwargs)

    monkeypatch.setattr(salesforce, "upsert", first_account_times_out)
    customer = fb_client(sandbox, "Initech")
    first, second = fb_invoice(sandbox, customer, "80.00"), fb_invoice(sandbox, customer, "90.00")
    flush()
    assert timed_out
    assert not SyncJob.objects.filter(status="failed").exists()
    assert len(records(sandbox, "Account")) == 1
    for invoice in (first, second):
        only(sandbox, "Opportunity", **{INVOICE_ID: invoice["id"]})
