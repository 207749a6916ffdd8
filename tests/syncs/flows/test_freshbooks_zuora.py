"""FreshBooks -> Zuora end to end: FreshBooks' signed webhooks in, the Zuora emulator's REST API out."""

from datetime import timedelta

from connections.models import Connection
from syncs import engine, polling
from syncs.models import ReviewItem, SyncJob
from tests.helpers.billing import fb_client, fb_invoice, requests_to
from tests.helpers.sandboxes import ACCOUNT, drain


def tenant(sandbox):
    return sandbox["zuora"].tenant("us-sandbox-2")


def mark(sandbox, slug):
    return len(sandbox[slug].journal.entries(kind="request"))


def api_calls(sandbox, slug, since=0):
    return [e for e in requests_to(sandbox, slug, since) if "/oauth/token" not in e.url]


def pay(sandbox, invoice, amount):
    return sandbox["freshbooks"].create(ACCOUNT, "payment", {"invoiceid": invoice["id"], "amount": amount})


def test_the_seed_example_an_invoice_appears_as_the_clients_account_and_a_posted_invoice(sandbox, fbzu, flush):
    customer = fb_client(sandbox, "Acme Corp", fname="Ann", lname="Lee")
    invoice = fb_invoice(sandbox, customer, "1200.00", due_in=30)
    flush()
    [account] = tenant(sandbox).accounts.values()
    assert account["custom"]["FreshBooksClientId__c"] == str(customer["id"]) and account["name"] == "Acme Corp"
    assert account["paymentTerm"] == "Net 30" and account["autoPay"] is False and account["crmId"] is None
    assert account["billToContact"]["workEmail"] == "ap@example.com"
    [zi] = tenant(sandbox).invoices.values()
    assert zi["status"] == "Posted" and zi["amount"] == 1200.0 and zi["dueDate"] == invoice["due_date"]
    assert zi["invoiceNumber"] == f"FB-{invoice['invoice_number']}"
    assert zi["custom"]["FreshBooksInvoiceId__c"] == str(invoice["id"])

    second = fb_invoice(sandbox, customer, "80.00")
    flush()
    assert len(tenant(sandbox).accounts) == 1, "the second invoice reuses the Account"
    assert {i["amount"] for i in tenant(sandbox).invoices.values()} == {1200.0, 80.0}
    assert second


def test_a_payment_is_applied_to_its_invoice_in_one_post(sandbox, fbzu, flush):
    customer = fb_client(sandbox, "Initech")
    invoice = fb_invoice(sandbox, customer, "500.00")
    flush()
    pay(sandbox, invoice, "200.00")
    flush()
    [payment] = tenant(sandbox).payments.values()
    [zi] = tenant(sandbox).invoices.values()
    assert payment["type"] == "External" and payment["appliedAmount"] == 200.0
    assert zi["balance"] == 300.0


def test_calls_per_event_in_steady_state(sandbox, fbzu, flush):
    customer = fb_client(sandbox, "Hooli Cloud")
    fb_invoice(sandbox, customer, "10.00")
    flush()
    fb, zu = mark(sandbox, "freshbooks"), mark(sandbox, "zuora")
    invoice = fb_invoice(sandbox, customer, "20.00")
    flush()
    assert (len(requests_to(sandbox, "freshbooks", fb)), len(api_calls(sandbox, "zuora", zu))) == (1, 1)
    fb, zu = mark(sandbox, "freshbooks"), mark(sandbox, "zuora")
    pay(sandbox, invoice, "20.00")
    flush()
    fb_calls, zu_calls = len(requests_to(sandbox, "freshbooks", fb)), len(api_calls(sandbox, "zuora", zu))
    assert zu_calls == 1, "the payment POST alone"
    # The payment's job reads the payment only; FreshBooks' own invoice update after it reads the invoice and
    # finds nothing changed in what Zuora holds.
    assert fb_calls == 2


def test_an_answer_lost_after_zuora_created_the_invoice_then_a_retry_creates_one_invoice(sandbox, fbzu, flush, clock):
    customer = fb_client(sandbox, "Umbrella Health")
    fb_invoice(sandbox, customer, "10.00")
    flush()
    tenant(sandbox).lose_answers = 1
    fb_invoice(sandbox, customer, "75.00")
    flush()
    assert len(tenant(sandbox).invoices) == 2, "Zuora created it once; the retry got its first answer back"
    assert not SyncJob.objects.exclude(status="succeeded").exists()


def test_a_replay_two_days_later_creates_nothing_new(sandbox, fbzu, flush, clock):
    customer = fb_client(sandbox, "Stark Analytics")
    fb_invoice(sandbox, customer, "10.00")
    flush()
    job = SyncJob.objects.filter(source_type="invoice", status="succeeded").first()
    clock.advance(timedelta(days=2).total_seconds())
    before = mark(sandbox, "zuora")
    engine.replay(job)
    flush()
    assert len(tenant(sandbox).invoices) == 1 and len(tenant(sandbox).accounts) == 1
    writes = [e for e in api_calls(sandbox, "zuora", before) if e.method in ("POST", "PUT")]
    assert writes == []


def test_a_write_first_tried_longer_ago_than_zuoras_key_window_looks_before_it_creates(
    sandbox, fbzu, flush, clock, django_capture_on_commit_callbacks
):
    customer = fb_client(sandbox, "Wayne Logistics")
    fb_invoice(sandbox, customer, "10.00")
    flush()
    tenant(sandbox).lose_answers = 1
    invoice = fb_invoice(sandbox, customer, "33.00")
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.deliver()  # the webhook in; the job's POST is done by Zuora, its answer lost
    with_lost_answer = SyncJob.objects.filter(status="pending").count()
    assert len(tenant(sandbox).invoices) == 2 and with_lost_answer >= 1
    clock.advance(timedelta(hours=25).total_seconds())  # Zuora forgot the key meanwhile
    tenant(sandbox).keys.clear()
    flush()
    assert len(tenant(sandbox).invoices) == 2, "found by its FreshBooks id, not created again"
    assert SyncJob.objects.get(source_type="invoice", source_id=str(invoice["id"])).status == "succeeded"


def test_a_name_alone_never_attaches_an_invoice_to_a_billing_account(sandbox, fbzu, flush):
    control = sandbox["zuora"]
    control.tenant("us-sandbox-2").create_account(
        {
            "name": "Vandelay Imports",
            "currency": "USD",
            "billCycleDay": 1,
            "billToContact": {"firstName": "Art", "lastName": "Vandelay", "workEmail": "art@vandelay.example"},
        }
    )
    customer = fb_client(sandbox, "Vandelay Imports", email="ap@vandelay.example")
    fb_invoice(sandbox, customer, "90.00")
    flush()
    item = ReviewItem.objects.get(integration=fbzu, status="open")
    assert "a name alone is not enough" in item.reason
    assert len(tenant(sandbox).invoices) == 0


def test_a_near_name_goes_to_a_person_and_the_invoice_follows_the_decision(sandbox, fbzu, flush, tenant_a):
    from django_scopes import scopes_disabled

    from syncs import review
    from syncs.models import RecordLink
    from tests.factories import MembershipFactory

    existing = tenant(sandbox).create_account(
        {
            "name": "Umbrella Health Group",
            "currency": "USD",
            "billCycleDay": 1,
            "billToContact": {"firstName": "Ada", "lastName": "Wong", "workEmail": "billing@umbrella.example"},
        }
    )
    customer = fb_client(sandbox, "Umbrella Health", email="ap@umbrella-health.example")
    fb_invoice(sandbox, customer, "99.00")
    flush()
    item = ReviewItem.objects.get(integration=fbzu, status="open")
    assert [c["record_id"] for c in item.candidates] == [existing["id"]]
    assert tenant(sandbox).invoices == {}, "nothing is billed before a person decides"
    with scopes_disabled():
        person = MembershipFactory(tenant=tenant_a, role="admin").user
    review.link(item, existing["id"], person)
    flush()
    assert len(tenant(sandbox).accounts) == 1
    assert existing["custom"]["FreshBooksClientId__c"] == str(customer["id"])
    assert existing["name"] == "Umbrella Health Group", "billing's own name is kept"
    [zi] = tenant(sandbox).invoices.values()
    assert zi["accountId"] == existing["id"] and zi["amount"] == 99.0
    assert RecordLink.objects.get(integration=fbzu, source_id=str(customer["id"])).method == "manual"
    fb_invoice(sandbox, customer, "11.00")
    flush()
    assert len(tenant(sandbox).invoices) == 2 and not ReviewItem.objects.filter(status="open").exists()


def test_a_bill_to_email_finds_the_account_and_sets_the_id_field_on_it(sandbox, fbzu, flush):
    existing = tenant(sandbox).create_account(
        {
            "name": "Globex Billing",
            "currency": "USD",
            "billCycleDay": 1,
            "billToContact": {"firstName": "Hank", "lastName": "Scorpio", "workEmail": "pay@globex.example"},
        }
    )
    customer = fb_client(sandbox, "Globex Industrial", email="pay@globex.example")
    fb_invoice(sandbox, customer, "15.00")
    flush()
    assert len(tenant(sandbox).accounts) == 1
    assert existing["custom"]["FreshBooksClientId__c"] == str(customer["id"])
    [zi] = tenant(sandbox).invoices.values()
    assert zi["accountId"] == existing["id"]


def test_lock_contention_inside_http_200_is_retried_and_a_refusal_fails_with_zuoras_words(sandbox, fbzu, flush):
    customer = fb_client(sandbox, "Bluth Company")
    tenant(sandbox).lock_contention = 1
    fb_invoice(sandbox, customer, "12.00")
    flush()
    assert len(tenant(sandbox).invoices) == 1 and not SyncJob.objects.exclude(status="succeeded").exists()
    tenant(sandbox).flags["unified_invoicing"] = False
    fb_invoice(sandbox, customer, "13.00")
    flush()
    failed = SyncJob.objects.get(status="failed")
    assert failed.last_error_type == "SetupMissing" and "Unified Invoicing" in failed.last_error_message


def test_a_zuora_track_id_per_job_is_sent_and_shown_on_the_timeline(sandbox, fbzu, flush, client_a):
    fb_invoice(sandbox, fb_client(sandbox, "Pied Piper"), "5.00")
    flush()
    job = SyncJob.objects.get(source_type="invoice")
    sent = [e for e in api_calls(sandbox, "zuora") if e.method == "POST"]
    assert sent and all(e.headers.get("Zuora-Track-Id") == f"mlc-{job.uuid.hex}" for e in sent)
    from audit.models import AuditEvent

    calls = AuditEvent.objects.filter(job=job, kind="api.call", data__method="POST")
    traces = [c.data["trace"] for c in calls if "/v1/" in c.data["url"]]
    assert traces and all(t["Zuora-Track-Id"] == f"mlc-{job.uuid.hex}" and t["Idempotency-Key"] for t in traces)
    assert all("Zuora-Request-Id" in t for t in traces), "the timeline shows what to quote to Zuora support"
    page = client_a.get(f"/jobs/{job.uuid}/").content.decode()
    assert "<summary>Trace</summary>" in page and f"mlc-{job.uuid.hex}" in page and "Zuora-Request-Id" in page


def test_a_change_after_posting_says_what_zuora_allows_and_bills_nothing_twice(sandbox, fbzu, flush):
    from audit.models import AuditEvent

    customer = fb_client(sandbox, "Dunder Mifflin")
    invoice = fb_invoice(sandbox, customer, "300.00")
    flush()
    sandbox["freshbooks"].update(
        ACCOUNT, "invoice", invoice["id"], {"lines": [{"name": "Paper", "qty": 2, "unit_cost": {"amount": "200.00"}}]}
    )
    flush()
    [zi] = tenant(sandbox).invoices.values()
    assert zi["amount"] == 300.0, "a posted invoice's lines stay as Zuora has them"
    said = AuditEvent.objects.get(kind="zuora.invoice_not_amended")
    assert "reverse or cancel it in Zuora and replay this job" in said.message


def test_a_payment_for_an_invoice_zuora_does_not_have_yet_creates_it_first(sandbox, fbzu, flush):
    customer = fb_client(sandbox, "Tyrell Robotics")
    tenant(sandbox).flags["unified_invoicing"] = False  # the invoice's own job fails meanwhile
    invoice = fb_invoice(sandbox, customer, "64.00")
    flush()
    assert tenant(sandbox).invoices == {}
    tenant(sandbox).flags["unified_invoicing"] = True
    pay(sandbox, invoice, "64.00")
    flush()
    [zi] = tenant(sandbox).invoices.values()
    [payment] = tenant(sandbox).payments.values()
    assert payment["invoices"] == [{"invoiceId": zi["id"], "amount": 64.0}] and zi["balance"] == 0.0


def test_a_payment_first_tried_longer_ago_than_the_key_window_is_looked_up_not_made_twice(
    sandbox, fbzu, flush, clock, django_capture_on_commit_callbacks
):
    customer = fb_client(sandbox, "Soylent Foods")
    invoice = fb_invoice(sandbox, customer, "50.00")
    flush()
    tenant(sandbox).lose_answers = 1
    pay(sandbox, invoice, "20.00")
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.deliver()  # Zuora applies the payment; its answer is lost
    assert len(tenant(sandbox).payments) == 1
    clock.advance(timedelta(hours=25).total_seconds())
    tenant(sandbox).keys.clear()
    flush()
    assert len(tenant(sandbox).payments) == 1, "found by its referenceId, not applied twice"
    assert not SyncJob.objects.exclude(status="succeeded").exists()


def test_a_backfill_brings_existing_invoices_and_payments_each_once(sandbox, fbzu, clock):
    customers = [fb_client(sandbox, name) for name in ("Northwind Traders", "Contoso Pharmaceuticals")]
    invoices = [fb_invoice(sandbox, customers[n % 2], f"{100 + n}.00") for n in range(30)]
    for invoice in invoices[:10]:
        pay(sandbox, invoice, invoice["amount"]["amount"])
    seen = polling.run(fbzu, backfill=True)
    assert seen >= 42, "clients, invoices and payments are all read"
    drain(clock, rounds=1000)
    assert len(tenant(sandbox).accounts) == 2 and len(tenant(sandbox).invoices) == 30
    assert len(tenant(sandbox).payments) == 10
    paid = [i for i in tenant(sandbox).invoices.values() if i["balance"] == 0]
    assert len(paid) == 10 and all(i["status"] == "Posted" for i in tenant(sandbox).invoices.values())
    polling.run(fbzu, backfill=True)  # enabling again reads everything again: nothing is written twice
    drain(clock, rounds=1000)
    assert (len(tenant(sandbox).invoices), len(tenant(sandbox).payments)) == (30, 10)


def test_a_429_storm_and_an_expired_token_mid_backfill_end_with_everything_written_once(sandbox, fbzu, clock):
    customers = [fb_client(sandbox, f"Storm {n}") for n in range(2)]
    invoices = [fb_invoice(sandbox, customers[n % 2], f"{20 + n}.00") for n in range(24)]
    for invoice in invoices[:6]:
        pay(sandbox, invoice, "5.00")
    polling.run(fbzu, backfill=True)
    emulator = sandbox["zuora"]
    emulator.faults.update({"rate_limit_seconds": 30, "retry_after": 30}, sandbox.clock.now())
    for job in SyncJob.objects.filter(status="pending")[:5]:
        engine.run(job.pk)  # each meets the storm and waits
    assert SyncJob.objects.filter(last_error_type="RateLimited").exists()
    emulator.oauth.expire()
    drain(clock, rounds=3000)
    assert len(tenant(sandbox).invoices) == 24 and len(tenant(sandbox).accounts) == 2
    assert len(tenant(sandbox).payments) == 6
    assert not SyncJob.objects.exclude(status="succeeded").exists()
    fbzu.target.refresh_from_db()
    assert fbzu.target.status == Connection.Status.ACTIVE


def test_a_change_to_an_invoice_unposted_in_zuora_amends_its_lines_and_posts_it_again(sandbox, fbzu, flush):
    from audit.models import AuditEvent

    customer = fb_client(sandbox, "Prestige Worldwide")
    invoice = fb_invoice(sandbox, customer, "300.00", due_in=30)
    flush()
    [zi] = tenant(sandbox).invoices.values()
    tenant(sandbox).unpost(zi["id"])  # a billing person opens it to correct it
    first_due, before = zi["dueDate"], mark(sandbox, "zuora")
    sandbox["freshbooks"].update(
        ACCOUNT,
        "invoice",
        invoice["id"],
        {"lines": [{"name": "Paper", "qty": 2, "unit_cost": {"amount": "200.00"}}], "due_offset_days": 60},
    )
    flush()
    [zi] = tenant(sandbox).invoices.values()
    assert zi["status"] == "Posted" and zi["amount"] == 400.0 and zi["balance"] == 400.0
    assert [(i["chargeName"], i["quantity"]) for i in zi["items"]] == [("Paper", 2.0)]
    assert zi["dueDate"] != first_due and zi["dueDate"] == invoice["due_date"], "the new terms' due date"
    calls = [(e.method, e.url.split("/v1/")[-1]) for e in api_calls(sandbox, "zuora", before)]
    assert calls == [("GET", f"invoices/{zi['id']}"), ("PUT", f"invoices/{zi['id']}"), ("POST", "invoices/bulk-post")]
    assert AuditEvent.objects.filter(kind="zuora.invoice_amended").count() == 1
    assert not AuditEvent.objects.filter(kind="zuora.invoice_not_amended").exists()
    assert len(tenant(sandbox).invoices) == 1


def test_a_posted_invoice_that_already_holds_freshbooks_total_is_left_without_a_warning(sandbox, fbzu, flush):
    from audit.models import AuditEvent

    customer = fb_client(sandbox, "Sterling Cooper")
    invoice = fb_invoice(sandbox, customer, "120.00")
    flush()
    sandbox["freshbooks"].update(ACCOUNT, "invoice", invoice["id"], {"notes": "thank you"})
    flush()
    assert not AuditEvent.objects.filter(kind="zuora.invoice_not_amended").exists()
    assert not SyncJob.objects.exclude(status="succeeded").exists()


def test_a_missing_custom_field_is_named_by_the_fit_check_the_connection_test_and_the_failed_job(
    sandbox, fbzu, client_a, flush
):
    from syncs import fitcheck

    tenant(sandbox).custom_fields["Account"].discard("FreshBooksClientId__c")
    check = fitcheck.run(fitcheck.start(fbzu))
    setup = " ".join(check.report["setup"])
    assert "Account has no custom field FreshBooksClientId__c" in setup and "Indexed" in setup
    assert "Invoice" not in setup, "the invoice's field is there"
    client_a.post(f"/connections/{fbzu.target.uuid}/test/")
    fbzu.target.refresh_from_db()
    assert fbzu.target.last_ping_ok is False and "not set up yet" in fbzu.target.settings["last_ping_message"]
    page = client_a.get(f"/connections/{fbzu.target.uuid}/").content.decode()
    assert "FreshBooksClientId__c" in page

    fb_invoice(sandbox, fb_client(sandbox, "Cyberdyne Systems"), "40.00")
    flush()
    failed = SyncJob.objects.get(status="failed")
    assert failed.last_error_type == "SetupMissing"
    assert "Zuora has no custom field FreshBooksClientId__c on Account" in failed.last_error_message
    assert tenant(sandbox).accounts == {} and tenant(sandbox).invoices == {}

    tenant(sandbox).custom_fields["Account"].add("FreshBooksClientId__c")  # the customer creates it
    client_a.post(f"/connections/{fbzu.target.uuid}/test/")
    fbzu.target.refresh_from_db()
    assert fbzu.target.last_ping_ok is True
    engine.replay(failed)
    flush()
    assert len(tenant(sandbox).invoices) == 1


def test_a_poll_bills_what_no_webhook_announced_and_the_late_webhook_adds_nothing(sandbox, fbzu, flush, clock):
    from audit.models import AuditEvent
    from syncs.models import InboundEvent

    customer = fb_client(sandbox, "Massive Dynamic")
    invoice = fb_invoice(sandbox, customer, "250.00")  # its webhook is owed but not sent yet
    fbzu.poll_interval = timedelta(minutes=15)
    fbzu.save()
    assert polling.due_integrations() == [fbzu.pk]
    polling.run(fbzu)
    drain(clock, rounds=200)
    [zi] = tenant(sandbox).invoices.values()
    assert zi["custom"]["FreshBooksInvoiceId__c"] == str(invoice["id"]) and zi["status"] == "Posted"
    flush()  # the webhooks arrive late
    assert len(tenant(sandbox).invoices) == 1 and len(tenant(sandbox).accounts) == 1
    sources = set(InboundEvent.objects.filter(object_id=str(invoice["id"])).values_list("source", flat=True))
    assert sources == {"poll", "webhook"}, "both ways in, one audit trail"
    jobs = SyncJob.objects.filter(source_type="invoice", source_id=str(invoice["id"]))
    assert {j.status for j in jobs} == {"succeeded"} and jobs.count() == 2
    assert AuditEvent.objects.filter(kind="job.unchanged", job__in=jobs).exists()


def test_an_invoice_zuora_already_has_under_its_freshbooks_id_is_taken_not_created_again(sandbox, fbzu, flush):
    """Two jobs billed one invoice at once (an invoice's and a payment's; seen in the chaos run): one created it,
    the other's create was refused (the number is taken) and its refusal cleared the ledger row. The next job
    must find Zuora's invoice by its FreshBooks id and apply the payment, not fail on the same refusal forever."""
    from syncs.models import WriteLedger

    customer = fb_client(sandbox, "Initech")
    invoice = fb_invoice(sandbox, customer, "500.00")
    flush()
    WriteLedger.objects.filter(source_type="invoice", source_id=str(invoice["id"]), part="invoice").delete()
    pay(sandbox, invoice, "200.00")
    flush()
    assert not SyncJob.objects.filter(status="failed").exists()
    [zi] = tenant(sandbox).invoices.values()
    [payment] = tenant(sandbox).payments.values()
    assert payment["appliedAmount"] == 200.0 and zi["balance"] == 300.0
