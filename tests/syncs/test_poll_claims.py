"""One poll at a time per integration: a poll is claimed when queued, and its claim lapses if its worker dies."""

from datetime import timedelta

import pytest
from django.conf import settings
from django_scopes import scopes_disabled

from connections.models import Integration
from syncs import polling, tasks
from tests.helpers.sandboxes import new_client


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued by the schedule, kept instead of run inline, so a test decides when (and whether) they run."""
    kept = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kwargs: kept.append((func, args)))
    return kept


@pytest.fixture
def every_minute(setup):
    setup.poll_interval = timedelta(minutes=1)
    setup.save()
    return setup


def polls(queued):
    return [args for func, args in queued if func == "syncs.tasks.poll_integration"]


def source_reads(sandbox):
    return [e for e in sandbox["freshbooks"].journal.entries(kind="request") if "/users/clients" in e.url]


def test_a_poll_still_running_is_not_queued_again_when_its_interval_passes(every_minute, queued, clock, sandbox):
    assert tasks.poll_due() == 1
    clock.advance(61)  # the first poll is slow: it has not finished a minute later
    assert tasks.poll_due() == 0
    assert len(polls(queued)) == 1

    new_client(sandbox)
    [args] = polls(queued)
    assert tasks.poll_integration(*args) == 1
    clock.advance(61)
    assert tasks.poll_due() == 1, "once it is done, the next one is queued"


def test_a_claim_left_by_a_killed_worker_lapses_and_its_late_task_then_does_nothing(
    every_minute, queued, clock, sandbox
):
    tasks.poll_due()
    clock.advance(settings.POLL_CLAIM_SECONDS - 1)
    assert tasks.poll_due() == 0
    clock.advance(2)
    assert tasks.poll_due() == 1, "the killed worker's claim lapsed: polling goes on"
    first, second = polls(queued)
    assert tasks.poll_integration(*first) == 0 and source_reads(sandbox) == [], "superseded: it reads nothing"
    new_client(sandbox)
    assert tasks.poll_integration(*second) == 1
    every_minute.refresh_from_db()
    assert every_minute.poll_claim == "" and every_minute.last_polled_at is not None


def test_a_poll_that_fails_lets_go_of_its_claim(every_minute, queued, clock, monkeypatch):
    tasks.poll_due()
    [args] = polls(queued)
    monkeypatch.setattr(polling, "run", lambda *a, **k: {}["the source answered nonsense"])
    with pytest.raises(KeyError):
        tasks.poll_integration(*args)
    assert tasks.poll_due() == 1, "due again at once, not after the claim would have lapsed"


def test_a_backfill_takes_over_from_a_poll_and_the_poll_then_leaves_the_watermark(every_minute, queued, sandbox):
    tasks.poll_due()
    [poll_args] = polls(queued)
    new_client(sandbox)
    assert tasks.poll_integration(every_minute.pk, True) == 1  # enabling again while the poll waited
    every_minute.refresh_from_db()
    watermark = every_minute.poll_watermark
    assert every_minute.backfill["status"] == "done" and every_minute.poll_claim == ""
    assert tasks.poll_integration(*poll_args) == 0
    every_minute.refresh_from_db()
    assert every_minute.poll_watermark == watermark


def test_a_backfill_is_not_started_over_another_backfill(every_minute):
    with scopes_disabled():
        running = polling.hold(every_minute, None, backfill=True)
    assert running.startswith("backfill:")
    assert tasks.poll_integration(every_minute.pk, True) == 0
    assert polling.hold(every_minute, None) is None, "nor a poll over it"


def test_a_page_saving_an_integration_it_read_earlier_keeps_a_claim_taken_since(every_minute, queued):
    with scopes_disabled():
        read_earlier = Integration.objects.get(pk=every_minute.pk)
    tasks.poll_due()
    read_earlier.options = {"note": "changed on a page"}
    read_earlier.save()
    every_minute.refresh_from_db()
    assert every_minute.poll_claim.startswith("poll:") and every_minute.options == {"note": "changed on a page"}
    assert tasks.poll_due() == 0


def test_a_poll_claim_outlives_the_task_timeout():
    assert settings.Q_CLUSTER["timeout"] < settings.POLL_CLAIM_SECONDS
