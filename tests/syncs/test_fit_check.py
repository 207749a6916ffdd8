"""The fit check on a seeded pair of sandboxes: the right counts, progress while it runs, and nothing written."""

import pytest
from django.test import Client
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from syncs import fitcheck, review, tasks
from syncs.models import FitCheck, RecordLink, ReviewItem
from tests.factories import IntegrationFactory, MembershipFactory
from tests.helpers.sandboxes import ACCOUNT

CLIENTS = ["Acme Corp", "Pine Crest Dental Group", "Initech", "First National Bank of Omaha", "Vandelay Industries"]
ORGANIZATIONS = [
    "ACME Corporation",
    "Pinecrest Dental Group",
    "Initech Inc",
    "Initech LLC",
    "First National Bank of Chicago",
    "Globex Holdings",
]


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


@pytest.fixture
def seeded(setup, sandbox):
    """Five FreshBooks clients, six Zendesk organizations, and one client a person linked already."""
    setup.enabled = False
    setup.save()
    for name in CLIENTS:
        sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": name, "email": "ap@example.com"})
    globex = sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": "Globex", "email": "ap@globex.example"})
    orgs = {name: sandbox["zendesk"].account("acme").create_organization({"name": name}) for name in ORGANIZATIONS}
    RecordLink.objects.create(
        tenant=setup.tenant,
        integration=setup,
        source_type="client",
        source_id=str(globex["id"]),
        target_type="organization",
        target_id=str(orgs["Globex Holdings"].id),
        method="manual",
    )
    return setup


def writes(sandbox):
    return [
        entry
        for name in ("freshbooks", "zendesk")
        for entry in sandbox[name].journal.entries(kind="request")
        if entry.method in ("POST", "PUT", "DELETE")
    ]


def test_the_fit_check_reports_how_every_client_would_match(seeded, sandbox):
    check = fitcheck.run(fitcheck.start(seeded))
    report = check.report
    assert check.status == "done" and (report["sources"], report["targets"]) == (6, 6)
    assert report["counts"] == {"linked": 1, "exact": 1, "fuzzy": 1, "review": 1, "ambiguous": 1, "none": 1}
    assert (report["would_update"], report["would_wait"], report["likely_new"]) == (3, 3, 1)
    outcome = {c["name"]: c["outcome"] for c in report["customers"]}
    assert outcome["Pine Crest Dental Group"] == "fuzzy" and outcome["Initech"] == "ambiguous"
    fuzzy = next(c for c in report["customers"] if c["outcome"] == "fuzzy")
    assert fuzzy["best"]["name"] == "Pinecrest Dental Group" and fuzzy["best"]["score"] >= 90


def test_the_fit_check_writes_nothing_anywhere(seeded, sandbox):
    links = RecordLink.objects.count()
    fitcheck.run(fitcheck.start(seeded))
    assert writes(sandbox) == []
    assert RecordLink.objects.count() == links and not ReviewItem.objects.exists()


def test_the_report_shows_a_sample_of_the_writes(seeded, sandbox):
    samples = fitcheck.run(fitcheck.start(seeded)).report["samples"]
    actions = {sample["customer"]: sample["action"] for sample in samples}
    assert actions["Acme Corp"] == "update" and actions["Vandelay Industries"].startswith("create")
    acme = next(sample for sample in samples if sample["customer"] == "Acme Corp")
    assert acme["target_type"] == "organization" and acme["payload"]["name"] == "Acme Corp"


def test_progress_is_saved_as_it_runs(seeded, sandbox, monkeypatch):
    seen = []
    original = fitcheck._progress

    def spy(check, step, label, done=0, total=None):
        original(check, step, label, done, total)
        seen.append(FitCheck.objects.get(pk=check.pk).progress)

    monkeypatch.setattr(fitcheck, "_progress", spy)
    tasks.run_fit_check(fitcheck.start(seeded).pk)
    assert [p["step"] for p in seen] == sorted(p["step"] for p in seen) and seen[0]["step"] == 1
    assert seen[-1] == {"step": 3, "steps": 3, "label": "Matching", "done": 6, "total": 6}


def test_re_running_after_a_person_links_counts_the_link(seeded, sandbox):
    first = fitcheck.run(fitcheck.start(seeded)).report
    vandelay = next(c for c in first["customers"] if c["name"] == "Vandelay Industries")
    RecordLink.objects.create(
        tenant=seeded.tenant,
        integration=seeded,
        source_type="client",
        source_id=vandelay["id"],
        target_type="organization",
        target_id=first["customers"][0]["best"]["record_id"],
        method="manual",
    )
    second = fitcheck.run(fitcheck.start(seeded)).report
    assert (second["counts"]["linked"], second["counts"]["none"]) == (2, 0)


# The page and the API ----------------------------------------------------------------------------------


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(setup):
    with scopes_disabled():
        return MembershipFactory(tenant=setup.tenant, role="owner").user


@pytest.fixture
def agent(setup):
    with scopes_disabled():
        return MembershipFactory(tenant=setup.tenant, role="agent").user


def test_the_page_shows_progress_and_polls_until_done(seeded, owner, monkeypatch):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    page = browser(owner)
    assert page.post(f"/integrations/{seeded.uuid}/fit-check/run/").status_code == 302
    running = page.get(f"/integrations/{seeded.uuid}/fit-check/", HTTP_HX_REQUEST="true")
    assert running.status_code == 200 and 'hx-trigger="every 1s"' in running.content.decode()
    assert "<progress" in running.content.decode()
    fitcheck.run(FitCheck.objects.get())
    done = page.get(f"/integrations/{seeded.uuid}/fit-check/", HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and "every 1s" not in done.content.decode()
    full = page.get(f"/integrations/{seeded.uuid}/fit-check/").content.decode()
    assert "<html" in full and "Pinecrest Dental Group" in full and "ambiguous" in full


def test_agents_see_the_fit_check_but_do_not_run_it(seeded, agent):
    page = browser(agent)
    assert page.get(f"/integrations/{seeded.uuid}/fit-check/").status_code == 200
    assert page.post(f"/integrations/{seeded.uuid}/fit-check/run/").status_code == 403
    assert not FitCheck.objects.exists()


def test_another_tenants_integration_is_not_found(seeded, tenant_b, owner_b):
    with scopes_disabled():
        other = IntegrationFactory(tenant=tenant_b)
    page = browser(owner_b)
    assert page.get(f"/integrations/{seeded.uuid}/fit-check/").status_code == 404
    assert page.post(f"/integrations/{seeded.uuid}/fit-check/run/").status_code == 404
    api = APIClient()
    api.force_authenticate(owner_b)
    assert api.post(f"/api/v1/integrations/{seeded.uuid}/fit-check/").status_code == 404
    assert api.get(f"/api/v1/integrations/{other.uuid}/fit-check/").status_code == 404  # none ran yet
    with scopes_disabled():
        assert not FitCheck.objects.exists()


def test_the_api_starts_a_fit_check_and_reads_its_report(seeded, owner, agent, monkeypatch):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    api = APIClient()
    api.force_authenticate(agent)
    assert api.post(f"/api/v1/integrations/{seeded.uuid}/fit-check/").status_code == 403
    api.force_authenticate(owner)
    started = api.post(f"/api/v1/integrations/{seeded.uuid}/fit-check/")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    fitcheck.run(FitCheck.objects.get())
    report = api.get(f"/api/v1/integrations/{seeded.uuid}/fit-check/").json()
    assert report["status"] == "done" and report["report"]["counts"]["exact"] == 1


def test_the_fit_check_says_why_in_words(setup, sandbox, owner):
    """Reordered words go to a person, a transliteration links, and the report says so."""
    setup.enabled = False
    setup.save()
    for name in ("North South Partners", "Mueller Bau"):
        sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": name, "email": "ap@example.com"})
    for name in ("South North Partners", "Müller Bau"):
        sandbox["zendesk"].account("acme").create_organization({"name": name})
    fitcheck.run(fitcheck.start(setup))
    page = browser(owner).get(f"/integrations/{setup.uuid}/fit-check/").content.decode()
    assert "same words in another order" in page
    assert "Mueller Bau = Müller Bau" in page
