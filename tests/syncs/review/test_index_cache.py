"""A process's match indexes are capped (least recently used go first), and a web search never builds one."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from syncs import review
from syncs.models import RemoteRecord
from syncs.review import index as review_index
from tests.factories import MembershipFactory, TenantFactory
from tests.helpers.review import integration_of, mirrored, open_item


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


@pytest.fixture
def builds(monkeypatch):
    """The indexes built, by integration, in order."""
    built = []
    real = review_index._build

    def counting(integration, *args):
        built.append(integration.pk)
        return real(integration, *args)

    monkeypatch.setattr(review_index, "_build", counting)
    return built


def tenant_with_mirror(name):
    """Two names, mirrored an hour ago (so a refresh finds no change to apply)."""
    tenant = TenantFactory(name=name)
    integration = integration_of(tenant)
    mirrored(integration, 1, f"{name} Holdings")
    mirrored(integration, 2, f"{name} Rockets")
    with scopes_disabled():
        RemoteRecord.objects.filter(tenant=tenant).update(updated_at=timezone.now() - timedelta(hours=1))
    return integration


def use(integration):
    with scope(tenant=integration.tenant):
        return review.index_for(integration, "organization")


def held(*integrations):
    keys = [(i.target.uuid, "organization", i.uuid) for i in integrations]
    return [keys.index(key) for key in review_index.held_indexes()]


@override_settings(MATCH_INDEX_MAX_NAMES=4)  # two indexes of two names each
def test_building_indexes_for_more_tenants_than_the_cap_drops_the_least_recently_used(db, builds):
    a, b, c = tenant_with_mirror("Acme"), tenant_with_mirror("Globex"), tenant_with_mirror("Initech")
    use(a), use(b), use(a)
    assert builds == [a.pk, b.pk] and held(a, b, c) == [1, 0], "b is now the least recently used"
    use(c)
    assert held(a, b, c) == [0, 2], "b was dropped, a and c stay"
    use(a)
    assert builds == [a.pk, b.pk, c.pk], "a was still held"
    use(b)
    assert builds[-1] == b.pk and held(a, b, c) == [0, 1], "b is rebuilt when needed again, c goes"


@override_settings(MATCH_INDEX_MAX_NAMES=1)
def test_the_index_in_use_stays_even_when_it_alone_is_over_the_cap(db, builds):
    a = tenant_with_mirror("Acme")
    assert use(a).get("1") is not None and use(a).get("2") is not None
    assert builds == [a.pk] and held(a) == [0]


@pytest.fixture
def reviewer(client, tenant_a):
    integration = integration_of(tenant_a)
    mirrored(integration, 10, "Acme Corporation Holdings")
    mirrored(integration, 11, "Acme Rockets")
    item = open_item(integration)
    client.force_login(MembershipFactory(tenant=tenant_a, role="agent").user)
    return client, item


def refuse_builds(monkeypatch):
    def refuse(*args):
        raise AssertionError("a web request built a match index")

    monkeypatch.setattr(review_index, "_build", refuse)


def test_a_review_search_request_reads_the_mirror_table_and_builds_no_index(reviewer, monkeypatch):
    client, item = reviewer
    refuse_builds(monkeypatch)
    page = client.get(f"/review/{item.uuid}/?q=rockets", HTTP_HX_REQUEST="true").content.decode()
    assert "Acme Rockets" in page and 'name="record_id" value="11"' in page
    assert "Acme Corporation Holdings" not in page, "it shares no word with the query"
    assert review_index.held_indexes() == []


def test_a_review_search_uses_the_index_the_process_already_holds(reviewer, monkeypatch):
    client, item = reviewer
    with scope(tenant=item.tenant):
        review.index_for(item.integration, "organization")  # a job in this process built it
    refuse_builds(monkeypatch)
    page = client.get(f"/review/{item.uuid}/?q=akme+rokets", HTTP_HX_REQUEST="true").content.decode()
    assert "Acme Rockets" in page, "the index matches misspellings the table's substring steps would miss"
