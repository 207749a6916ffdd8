"""Retention: prune_audit deletes old events in batches, keeps recent and pinned ones, and runs daily."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_scopes import scopes_disabled

import audit
from audit.models import AuditEvent
from audit.retention import parse_age


def run(*args):
    out = StringIO()
    call_command("prune_audit", *args, stdout=out)
    return out.getvalue()


def remaining():
    with scopes_disabled():
        return sorted(AuditEvent.objects.values_list("message", flat=True))


@pytest.mark.parametrize(
    ("text", "age"),
    [("90d", datetime.timedelta(days=90)), ("12h", datetime.timedelta(hours=12)), ("2W", datetime.timedelta(weeks=2))],
)
def test_ages_read_as_hours_days_or_weeks(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["", "90", "d", "0d", "1y", "-3d", "1.5d"])
def test_other_ages_are_refused(text):
    with pytest.raises(ValueError, match="not an age"):
        parse_age(text)


def test_prune_deletes_old_events_of_every_tenant_and_keeps_recent_and_pinned_ones(tenant_a, tenant_b, make_event):
    make_event(tenant_a, hours_ago=24 * 91, message="old a")
    make_event(tenant_b, hours_ago=24 * 100, message="old b")
    make_event(tenant_a, hours_ago=24 * 200, message="old but pinned", pinned=True)
    make_event(tenant_a, hours_ago=24 * 89, message="recent a")
    out = run("--older-than", "90d")
    assert "Deleted 2 audit events" in out
    assert remaining() == ["old but pinned", "recent a"]


def test_prune_works_through_a_backlog_in_batches(tenant_a, make_event):
    for n in range(7):
        make_event(tenant_a, hours_ago=48 + n, message=f"old {n}")
    make_event(tenant_a, hours_ago=1, message="recent")
    assert "Deleted 7 audit events" in run("--older-than", "1d", "--batch-size", "3")
    assert remaining() == ["recent"]


def test_the_default_age_is_the_retention_setting(tenant_a, make_event):
    make_event(tenant_a, hours_ago=24 * 11, message="eleven days")
    make_event(tenant_a, hours_ago=24 * 9, message="nine days")
    with override_settings(AUDIT_RETENTION_DAYS=10):
        run()
    assert remaining() == ["nine days"]


def test_a_dry_run_counts_and_deletes_nothing(tenant_a, make_event):
    make_event(tenant_a, hours_ago=24 * 100, message="old")
    assert "Would delete 1 audit events" in run("--older-than", "90d", "--dry-run")
    assert remaining() == ["old"]


@pytest.mark.parametrize("args", [["--older-than", "soon"], ["--batch-size", "0"]])
def test_bad_arguments_are_refused(db, args):
    with pytest.raises(CommandError):
        run(*args)


def test_record_can_pin_an_event_and_name_its_records(tenant_a):
    event = audit.record(
        "job.failed", tenant=tenant_a, message="m", pinned=True, source_ref=4412, target_ref="", level="error"
    )
    assert (event.pinned, event.source_ref, event.target_ref) == (True, "4412", None)


def test_the_daily_task_prunes(tenant_a, make_event):
    from audit.tasks import prune

    make_event(tenant_a, hours_ago=24 * 365, message="last year")
    make_event(tenant_a, hours_ago=1, message="today")
    assert prune() == 1
    assert remaining() == ["today"]


def test_setup_schedules_runs_the_prune_daily(db):
    from django_q.models import Schedule

    call_command("setup_schedules", stdout=StringIO())
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(name="prune-audit")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "audit.tasks.prune",
        Schedule.MINUTES,
        24 * 60,
        -1,
    )
