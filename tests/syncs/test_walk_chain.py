"""A long walk (a backfill, a poll) is a chain of short tasks with a checkpoint, never one task that django-q2
kills at its timeout; a backfill whose worker was killed goes on from its last page."""

import pytest
from django.conf import settings
from django_scopes import scope

from syncs import polling, tasks
from syncs.models import InboundEvent
from tests.syncs.sample_flow import FLOW


class Pages:
    """Four pages of two records each, counting which pages were read; `die_at` kills the walk there once."""

    def __init__(self, die_at=None):
        self.read, self.die_at = [], die_at

    def __call__(self, ctx, record_type, since, page):
        if page == self.die_at:
            self.die_at = None
            raise SystemExit("the worker was killed")
        self.read.append(page)
        return [{"id": page * 10 + n, "updated": "2026-12-01 10:00:00"} for n in (1, 2)], page < 4


@pytest.fixture
def queued(monkeypatch):
    kept = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kwargs: kept.append((func, args)))
    return kept


def backfilled(integration) -> int:
    with scope(tenant=integration.tenant):
        return InboundEvent.objects.filter(connection=integration.source, source=InboundEvent.Source.BACKFILL).count()


def test_a_walk_past_its_time_budget_goes_on_in_a_new_task_from_the_next_page(setup, queued, monkeypatch):
    pages = Pages()
    monkeypatch.setattr(FLOW, "changes", pages)
    monkeypatch.setattr(settings, "SYNC_TASK_BUDGET_SECONDS", 0)  # spent after every page
    monkeypatch.setattr(tasks.mirror, "source_for", lambda *a: None)
    assert tasks.poll_integration(setup.pk, True) == 2
    stretches = [args for func, args in queued if func == "syncs.tasks.poll_integration"]
    while stretches:
        queued.clear()
        tasks.poll_integration(*stretches.pop())
        stretches = [args for func, args in queued if func == "syncs.tasks.poll_integration"]
    assert pages.read == [1, 2, 3, 4], "each page read once, each by its own task"
    setup.refresh_from_db()
    assert setup.backfill["status"] == "done" and setup.backfill["done"] == 8
    assert setup.poll_claim == "" and setup.poll_watermark is not None
    assert backfilled(setup) == 8


def test_a_backfill_whose_worker_was_killed_resumes_from_its_last_page(setup, queued, clock, monkeypatch):
    pages = Pages(die_at=3)
    monkeypatch.setattr(FLOW, "changes", pages)
    monkeypatch.setattr(tasks.mirror, "source_for", lambda *a: None)
    let_go = polling.let_go
    monkeypatch.setattr(polling, "let_go", lambda *a: None)  # killed: nothing of the task's own cleanup runs
    with pytest.raises(SystemExit):
        tasks.poll_integration(setup.pk, True)
    setup.refresh_from_db()
    assert setup.backfill["status"] == "running" and setup.backfill["page"] == 3
    monkeypatch.setattr(polling, "let_go", let_go)
    clock.advance(settings.POLL_CLAIM_SECONDS + 1)  # the dead worker's claim lapses
    tasks.poll_due()
    [resumed] = [args for func, args in queued if func == "syncs.tasks.poll_integration" and args[1]]
    tasks.poll_integration(*resumed)
    assert pages.read == [1, 2, 3, 4], "pages 1 and 2 were not read again"
    setup.refresh_from_db()
    assert setup.backfill["status"] == "done" and setup.backfill["done"] == 8
