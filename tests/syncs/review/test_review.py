"""Matching in a flow and the review decisions: links when sure, a person when not, and jobs that wait."""

import pytest
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from syncs import engine, review
from syncs.flows.base import NeedsReview
from syncs.matching import normalise_name
from syncs.models import MatchAlias, RecordLink, RemoteRecord, ReviewItem, SyncJob
from tests.factories import MembershipFactory
from tests.helpers.sandboxes import drain, event_for, new_client, organizations
from tests.syncs.sample_flow import ClientsToOrganizations


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


def mirror(integration, remote_id, name, emails=(), external_id=None):
    row, _ = RemoteRecord.objects.update_or_create(
        connection=integration.target,
        record_type="organization",
        remote_id=str(remote_id),
        defaults={
            "tenant": integration.tenant,
            "name": name,
            "normalised_name": normalise_name(name),
            "emails": list(emails),
            "external_id": external_id,
        },
    )
    return row


# A possible duplicate is a new organization that looks like an existing client.
CLIENT_VS_ORGANIZATION = {"record_type": "organization", "source_type": "client"}


def context(integration, source_id="1"):
    job = SyncJob.objects.create(
        tenant=integration.tenant, integration=integration, trigger="manual", source_type="client", source_id=source_id
    )
    return engine.Context(job, integration)


def match(integration, name, source_id="1", **kwargs):
    return review.match_or_review(
        context(integration, source_id),
        source_type="client",
        source_id=source_id,
        name=name,
        **{"record_type": "organization", **kwargs},
    )


@pytest.fixture
def person(setup):
    with scopes_disabled():
        return MembershipFactory(tenant=setup.tenant, role="agent").user


def test_an_exact_name_links_without_a_person(setup):
    mirror(setup, 10, "Initech")
    assert match(setup, "Initech") == ("10", "exact")


def test_names_that_differ_only_in_legal_suffix_are_the_same(setup):
    mirror(setup, 10, "ACME Corporation")
    mirror(setup, 11, "Acme Industries")
    assert match(setup, "Acme Corp") == ("10", "exact")


def test_a_confident_fuzzy_match_links_with_a_warning_in_the_audit_log(setup):
    mirror(setup, 10, "Pinecrest Dental Group")
    assert match(setup, "Pine Crest Dental Group") == ("10", "fuzzy")
    warning = AuditEvent.objects.get(kind="match.fuzzy_linked")
    assert warning.level == "warning" and warning.target_ref == "organization:10"


def test_an_uncertain_match_opens_a_review_item_with_its_candidates(setup):
    mirror(setup, 10, "First National Bank of Chicago")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "First National Bank of Omaha", emails=["ap@fnbo.example"])
    item = raised.value.review_item
    assert item.status == "open" and item.kind == "match" and item.name == "First National Bank of Omaha"
    assert item.source_summary["emails"] == ["ap@fnbo.example"]
    [candidate] = item.candidates
    assert candidate["record_id"] == "10" and candidate["score"] >= 60 and "omaha" in candidate["why"]


def test_two_equally_good_candidates_are_ambiguous_and_never_linked(setup):
    mirror(setup, 10, "Acme Inc")
    mirror(setup, 11, "ACME LLC")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Acme Corp")
    assert {c["record_id"] for c in raised.value.review_item.candidates} == {"10", "11"}


def test_with_no_candidate_near_enough_the_item_still_shows_the_nearest(setup):
    mirror(setup, 10, "Umbrella")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Vandelay Industries")
    [nearest] = raised.value.review_item.candidates
    assert nearest["name"] == "Umbrella" and nearest["score"] < 50, "a person never has to search for it"


def test_asking_twice_reuses_the_open_item(setup):
    mirror(setup, 10, "Initrode")
    for _ in range(2):
        with pytest.raises(NeedsReview):
            match(setup, "Initech")
    assert ReviewItem.objects.filter(status="open").count() == 1
    assert AuditEvent.objects.filter(kind="review.opened").count() == 1


def test_thresholds_come_from_the_integration(setup):
    mirror(setup, 10, "Museum of Modern Art")
    assert match(setup, "Museum Modern Art", source_id="1") == ("10", "fuzzy")  # 93.8
    setup.options = {"auto_link": 95}
    setup.save()
    with pytest.raises(NeedsReview):
        match(setup, "Museum Modern Art", source_id="2")


def test_a_manual_link_wins_over_a_later_exact_name_match_elsewhere(setup, person):
    mirror(setup, 10, "Globex Holdings")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Globex")
    review.link(raised.value.review_item, "10", person)
    mirror(setup, 11, "Globex")  # created later on the target, an exact name
    assert match(setup, "Globex") == ("10", "manual")


def test_an_alias_is_reused_for_another_record_of_the_same_name(setup, person):
    mirror(setup, 10, "International Business Machines")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "IBM", source_id="1")
    review.link(raised.value.review_item, "10", person)
    assert MatchAlias.objects.get().source_name == "IBM"
    assert match(setup, "I.B.M.", source_id="2") == ("10", "manual")


def test_the_index_sees_records_mirrored_after_it_was_built(setup):
    mirror(setup, 10, "Initech")
    assert match(setup, "Initech") == ("10", "exact")
    mirror(setup, 11, "Vandelay Industries")
    row = mirror(setup, 10, "Initech")
    row.deleted = True
    row.save()
    assert match(setup, "Vandelay Industries") == ("11", "exact")
    with pytest.raises(NeedsReview):
        match(setup, "Initech")


def test_create_new_makes_the_job_create_the_record(setup, person):
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Brand New Co")
    review.create_new(raised.value.review_item, person)
    assert match(setup, "Brand New Co") == (None, "created")


def test_a_dismissed_candidate_is_never_linked_automatically(setup, person):
    mirror(setup, 10, "Initech")
    mirror(setup, 11, "Initech")  # ambiguous
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Initech")
    review.dismiss(raised.value.review_item, person)
    row = RemoteRecord.objects.get(remote_id="11")
    row.deleted = True
    row.save()
    with pytest.raises(NeedsReview) as again:
        match(setup, "Initech")
    assert again.value.review_item.pk != raised.value.review_item.pk


def test_a_decision_is_made_once(setup, person):
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Brand New Co")
    item = raised.value.review_item
    review.create_new(item, person)
    with pytest.raises(review.AlreadyDecided):
        review.dismiss(ReviewItem.objects.get(pk=item.pk), person)


def test_linking_to_an_unknown_record_is_refused(setup, person):
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Brand New Co")
    with pytest.raises(ValueError):
        review.link(raised.value.review_item, "999", person)
    assert ReviewItem.objects.get().status == "open"


def test_every_decision_is_audited_with_the_person(setup, person):
    mirror(setup, 10, "Initrode")
    for source_id, decide in (
        ("1", lambda i: review.link(i, "10", person)),
        ("2", review.create_new),
        ("3", review.dismiss),
    ):
        with pytest.raises(NeedsReview) as raised:
            match(setup, f"Initech {source_id}", source_id=source_id)
        item = raised.value.review_item
        decide(item) if source_id == "1" else decide(item, person)
    kinds = dict(
        AuditEvent.objects.filter(kind__startswith="review.").exclude(kind="review.opened").values_list("kind", "actor")
    )
    assert kinds == {"review.linked": person.pk, "review.created_new": person.pk, "review.dismissed": person.pk}


def test_undoing_a_manual_link_is_audited_and_forgets_the_alias(setup, person):
    mirror(setup, 10, "Globex Holdings")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Globex")
    record_link = review.link(raised.value.review_item, "10", person)
    review.undo_link(record_link, person)
    review.invalidate(setup)  # on commit in real life
    assert not RecordLink.objects.exists() and not MatchAlias.objects.exists()
    assert AuditEvent.objects.get(kind="link.undone").actor == person
    with pytest.raises(NeedsReview):
        match(setup, "Globex")


def test_undoing_a_link_queues_a_job_that_matches_the_record_afresh(setup, person):
    mirror(setup, 10, "Globex Holdings")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Globex")
    SyncJob.objects.all().delete()
    job = review.undo_link(review.link(raised.value.review_item, "10", person), person)
    assert (job.source_type, job.source_id, job.status, job.trigger) == ("client", "1", "pending", "manual")
    assert (
        review.undo_link(
            review.link(
                ReviewItem.objects.create(
                    tenant=setup.tenant,
                    integration=setup,
                    source_type="client",
                    source_id="1",
                    source_summary={"name": "Globex"},
                    candidates=[{"record_id": "10", "name": "Globex Holdings"}],
                ),
                "10",
                person,
            ),
            person,
        )
        is None
    )  # one queued job is enough


def test_undoing_a_possible_duplicate_link_forgets_its_alias(setup, person):
    item = review.possible_duplicate(
        context(setup),
        **CLIENT_VS_ORGANIZATION,
        record_id="77",
        name="Acme Corporation",
        candidates=[("5", "Acme Corp", [], None)],
    )
    record_link = review.link(item, "5", person)
    assert MatchAlias.objects.get().source_name == "Acme Corp"
    review.undo_link(record_link, person)
    assert not MatchAlias.objects.exists()


def test_a_possible_duplicate_opens_an_item_and_linking_it_links_the_source_client(setup, person):
    item = review.possible_duplicate(
        context(setup),
        **CLIENT_VS_ORGANIZATION,
        record_id="77",
        name="Acme Corporation",
        candidates=[("5", "Acme Corp", ["ap@acme.example"], None), ("6", "Umbrella", [], None)],
    )
    assert item.kind == "possible_duplicate" and [c["record_id"] for c in item.candidates] == ["5"]
    mirror(setup, 77, "Acme Corporation")
    record_link = review.link(item, "5", person)
    assert (record_link.source_id, record_link.target_id, record_link.method) == ("5", "77", "manual")


def test_a_possible_duplicate_of_a_client_linked_elsewhere_says_so(setup):
    RecordLink.objects.create(
        tenant=setup.tenant,
        integration=setup,
        source_type="client",
        source_id="5",
        target_type="organization",
        target_id="70",
        method="created",
    )
    item = review.possible_duplicate(
        context(setup),
        **CLIENT_VS_ORGANIZATION,
        record_id="77",
        name="Acme Corporation",
        candidates=[("5", "Acme Corp", [], None)],
    )
    assert "already linked to organization 70" in item.candidates[0]["differs"]


def test_linking_a_possible_duplicate_answers_the_clients_open_match_too(setup, person):
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Acme Corp", source_id="5")  # nothing mirrored yet: a person must decide
    duplicate = review.possible_duplicate(
        context(setup),
        **CLIENT_VS_ORGANIZATION,
        record_id="77",
        name="Acme Corporation",
        candidates=[("5", "Acme Corp", [], None)],
    )
    review.link(duplicate, "5", person)
    answered = ReviewItem.objects.get(pk=raised.value.review_item.pk)
    assert (answered.status, answered.linked_record_id, answered.decided_by) == ("linked", "77", person)
    assert match(setup, "Acme Corp", source_id="5") == ("77", "manual")


def test_nothing_alike_opens_no_possible_duplicate(setup):
    assert (
        review.possible_duplicate(
            context(setup), **CLIENT_VS_ORGANIZATION, record_id="77", name="Acme", candidates=[("6", "Umbrella")]
        )
        is None
    )


class MatchingFlow(ClientsToOrganizations):
    def find_target(self, ctx, record, mapped):
        return review.match_or_review(
            ctx,
            source_type="client",
            source_id=record["id"],
            name=mapped.payload["name"],
            record_type="organization",
            emails=[record.get("email")],
        )


MATCHING_FLOW = MatchingFlow()


@pytest.fixture
def matching_flow(setup, monkeypatch):
    from connections.registry import FLOWS

    monkeypatch.setitem(FLOWS, setup.kind, "tests.syncs.review.test_review.MATCHING_FLOW")
    return setup


def test_a_review_decision_releases_the_waiting_jobs(matching_flow, sandbox, clock, person):
    integration = matching_flow
    org = sandbox["zendesk"].account("acme").create_organization({"name": "Acme Corporation Holdings"})
    mirror(integration, org.id, org.name)
    client = new_client(sandbox, "Acme Corp")
    [job] = engine.jobs_for_event(event_for(integration, client["id"]))
    assert engine.run(job.pk) == "waiting_review"
    item = ReviewItem.objects.get(status="open")
    assert item.source_id == str(client["id"])
    review.link(item, str(org.id), person)
    job.refresh_from_db()
    assert job.status == "pending"
    drain(clock)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["outcome"] == "updated"
    assert len(organizations(sandbox)) == 1
    assert RecordLink.objects.get().method == "manual"


def test_dismissing_finishes_the_waiting_jobs_without_writing(matching_flow, sandbox, clock, person):
    integration = matching_flow
    client = new_client(sandbox, "Acme Corp")
    [job] = engine.jobs_for_event(event_for(integration, client["id"]))
    assert engine.run(job.pk) == "waiting_review"
    review.dismiss(ReviewItem.objects.get(), person)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["outcome"] == "skipped"
    assert organizations(sandbox) == []


def test_create_new_lets_the_job_create_the_organization(matching_flow, sandbox, clock, person):
    integration = matching_flow
    client = new_client(sandbox, "Acme Corp")
    [job] = engine.jobs_for_event(event_for(integration, client["id"]))
    engine.run(job.pk)
    review.create_new(ReviewItem.objects.get(), person)
    drain(clock)
    [org] = organizations(sandbox)
    assert org.name == "Acme Corp" and RecordLink.objects.get().method == "created"


def test_jobs_of_dependent_records_are_released_too(setup, person):
    with pytest.raises(NeedsReview) as raised:
        match(setup, "Brand New Co", source_id="5")
    invoice_job = SyncJob.objects.create(
        tenant=setup.tenant,
        integration=setup,
        trigger="webhook",
        source_type="invoice",
        source_id="900",
        status="waiting_review",
        result={"waiting_for": "client:5"},
    )
    review.create_new(raised.value.review_item, person)
    invoice_job.refresh_from_db()
    assert invoice_job.status == "pending"


def test_the_index_is_built_once_and_kept_fresh_not_rebuilt_per_call(setup, monkeypatch):
    builds = []
    from syncs.review import index

    original = index._build
    monkeypatch.setattr(index, "_build", lambda *args: builds.append(args) or original(*args))
    mirror(setup, 10, "Initech")
    for source_id in ("1", "2", "3"):
        assert match(setup, "Initech", source_id=source_id) == ("10", "exact")
    mirror(setup, 11, "Hooli")
    assert match(setup, "Hooli", source_id="4") == ("11", "exact")
    assert len(builds) == 1
    review.invalidate(setup)  # an alias was removed somewhere: every process rebuilds once
    match(setup, "Hooli", source_id="5")
    assert len(builds) == 2


def test_the_queue_says_in_words_why_a_person_is_asked(setup, client_a):
    mirror(setup, 10, "South North Partners")
    with pytest.raises(NeedsReview) as raised:
        match(setup, "North South Partners")
    assert raised.value.review_item.reason == "same words in another order"
    queue = client_a.get("/review/").content.decode()
    assert "North South Partners" in queue and "same words in another order" in queue
