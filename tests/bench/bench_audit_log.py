"""Benchmark: the audit log's pages with many events. A script, not a test: it prints, never asserts.

    .venv/bin/python -m tests.bench.bench_audit_log                  # 20,000 events in a scratch SQLite file
    createdb -h 127.0.0.1 -U postgres mlc_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlc_bench \
        .venv/bin/python -m tests.bench.bench_audit_log --size 1000000

It migrates the database it is given (a throwaway one: never point it at real data), fills it with `--size`
audit events (once: a later run reuses them unless `--rebuild`), then renders the log's first page, the next
and a deep page, each filter, the htmx "Load more" partial, the API and an event's page through the Django
test client, logged in as an owner, and prints the median and slowest of `--repeat` runs. `--explain` prints
the query plans as well. Nine tenths of the events belong to the measured tenant, a tenth to a second and
0.2 % to a small third one, spread over 120 days; one of the measured tenant's connections is quiet (0.03 %
of its events).
"""

import argparse
import atexit
import datetime
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("READ_DOT_ENV", "0")
if "DATABASE_URL" not in os.environ:
    SCRATCH = tempfile.mkdtemp(prefix="bench-audit-")
    atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from audit.models import AuditEvent  # noqa: E402
from audit.queries import after, filter_events, page_of, tenant_events  # noqa: E402
from connections.models import Connection, Integration, Membership, Tenant  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

SPAN = datetime.timedelta(days=120)
RECORDS = 50_000
# (kind, level, share of events)
KINDS = [
    ("api.call", "info", 0.52),
    ("api.call", "warning", 0.03),
    ("api.call", "error", 0.005),
    ("webhook.received", "info", 0.15),
    ("webhook.rejected", "warning", 0.005),
    ("transform.mapped", "info", 0.10),
    ("match.decided", "info", 0.06),
    ("match.uncertain", "warning", 0.01),
    ("job.succeeded", "info", 0.09),
    ("job.failed", "error", 0.005),
    ("token.refreshed", "info", 0.015),
    ("user.login", "info", 0.005),
]
CUSTOMERS = ["Acme Corporation", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises", "Hooli"]


def tenant_with_people(slug):
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    owner = UserFactory(username=f"owner@{slug}.example")
    Membership.objects.get_or_create(tenant=tenant, user=owner, defaults={"role": "owner"})
    connections = [
        Connection.objects.get_or_create(tenant=tenant, label=f"{provider} {n}", defaults={"provider": provider})[0]
        for provider, n in [("freshbooks", 1), ("freshbooks", 2), ("zendesk", 1), ("zendesk", 2), ("zendesk", 3)]
    ]
    integrations = [
        Integration.objects.get_or_create(
            tenant=tenant, kind="freshbooks_zendesk", source=connections[n], target=connections[2 + n]
        )[0]
        for n in (0, 1)
    ]
    return tenant, owner, connections, integrations


def event_rows(size, tenants, rng):
    weights = [share for *_, share in KINDS]
    start = timezone.now() - SPAN
    step = SPAN / size
    for i in range(size):
        draw = rng.random()
        tenant, _, connections, integrations = tenants[0 if draw < 0.898 else 1 if draw < 0.998 else 2]
        kind, level, _ = rng.choices(KINDS, weights)[0]
        n = rng.randrange(len(integrations))
        integration, source, target = integrations[n], connections[n], connections[2 + n]
        record = rng.randrange(RECORDS)
        customer = f"{rng.choice(CUSTOMERS)} {record % 997}"
        on_target = kind.startswith(("api.", "match.")) and rng.random() < 0.5
        message = {
            "api.call": f"GET /api/v2/organizations/{record}.json: HTTP {200 if level == 'info' else 429} in "
            f"{rng.randrange(40, 900)} ms",
            "webhook.received": f"invoice.update for invoice {record} of {customer}",
            "webhook.rejected": "Rejected a webhook: the signature does not match",
            "transform.mapped": f"Mapped invoice {record} of {customer} to a billing summary",
            "match.decided": f"Linked {customer} to organization {record + 900000} (exact name)",
            "match.uncertain": f"{customer}: two candidates above the threshold, waiting for review",
            "job.succeeded": f"Synced invoice {record} of {customer}",
            "job.failed": f"Invoice {record} of {customer} failed: 422 validation error",
            "token.refreshed": "Refreshed the access token",
            "user.login": "owner logged in",
        }[kind]
        data = {
            "method": "GET",
            "url": f"https://acme.zendesk.com/api/v2/organizations/{record}.json",
            "status": 200,
            "duration_ms": rng.randrange(40, 900),
            "response_body": {"organization": {"id": record, "name": customer, "notes": "x" * rng.randrange(200)}},
        }
        yield AuditEvent(
            uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            tenant=tenant,
            created_at=start + step * i,
            kind=kind,
            level=level,
            message=message,
            connection=connections[4] if rng.random() < 0.0003 else target if on_target else source,
            integration=None if kind.startswith(("token.", "user.")) else integration,
            source_ref=None if on_target or kind.startswith(("token.", "user.")) else f"invoice:{record}",
            target_ref=f"organization:{record + 900000}" if on_target else None,
            pinned=kind == "job.failed",
            data=data,
        )


def fill(size, tenants):
    rng = random.Random(42)
    started = time.monotonic()
    rows = event_rows(size, tenants, rng)
    written = 0
    if db.vendor == "postgresql":
        columns = [f.column for f in AuditEvent._meta.concrete_fields if f.column != "id"]
        with (
            db.cursor() as cursor,
            cursor.cursor.copy(f"COPY {AuditEvent._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for event in rows:
                copy.write_row([json.dumps(event.data) if c == "data" else getattr(event, c) for c in columns])
                written += 1
        with db.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {AuditEvent._meta.db_table}")
    else:
        batch = []
        for event in rows:
            batch.append(event)
            if len(batch) == 5000:
                written += len(AuditEvent.objects.bulk_create(batch))
                batch = []
        written += len(AuditEvent.objects.bulk_create(batch))
    print(f"Wrote {written} audit events in {time.monotonic() - started:.1f} s")


def timed(client, url, repeat, **headers):
    client.get(url, **headers)  # warm caches and connections
    times, status, size = [], None, 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        status, size = response.status_code, len(response.content)
    return statistics.median(times), max(times), status, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="audit events to write (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (default 5)")
    parser.add_argument("--rebuild", action="store_true", help="delete the events and write them again")
    parser.add_argument("--explain", action="store_true", help="print the query plan of each filtered page")
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    with scopes_disabled():
        slugs = ["bench-a", "bench-b", "bench-c"]
        tenants = [tenant_with_people(slug) for slug in slugs]
        existing = AuditEvent.objects.filter(tenant__slug__in=slugs).count()
        if options.rebuild or existing != options.size:
            AuditEvent.objects.filter(tenant__slug__in=slugs).delete()
            fill(options.size, tenants)
        else:
            print(f"Reusing {existing} audit events")
        tenant, owner, connections, integrations = tenants[0]
        print(f"{AuditEvent.objects.filter(tenant=tenant).count()} of them in the measured tenant ({db.vendor})")

    with scope(tenant=tenant):
        events = tenant_events(tenant)
        second = page_of(events).next_cursor
        deep = page_of(events.filter(created_at__lt=timezone.now() - datetime.timedelta(days=100))).next_cursor
        sample = events.filter(source_ref__isnull=False).order_by("-created_at")[1000]
        day = (timezone.now() - datetime.timedelta(days=30)).date()
    cases = [
        ("first page", ""),
        ("second page (cursor)", f"cursor={second}"),
        ("deep page, 100 days back (cursor)", f"cursor={deep}"),
        ("connection", f"connection={connections[2].uuid}"),
        ("integration", f"integration={integrations[1].uuid}"),
        ("quiet connection", f"connection={connections[4].uuid}"),
        ("level=error", "level=error"),
        ("kind=api. (common prefix)", "kind=api."),
        ("kind=token. (rare prefix)", "kind=token."),
        ("kind=webhook.rejected (rare kind)", "kind=webhook.rejected"),
        ("record id (type:id)", f"record={sample.source_ref}"),
        ("record id (bare id, any type)", f"record={sample.source_ref.split(':')[-1]}"),
        ("one day", f"since={day}&until={day}"),
        ("integration + error + one day", f"integration={integrations[0].uuid}&level=error&since={day}&until={day}"),
        ("text, common (invoice)", "q=invoice"),
        ("text, rare (Hooli 42)", "q=Hooli+42"),
        ("text, absent", "q=no+such+words"),
        ("text, absent, one day", f"q=no+such+words&since={day}&until={day}"),
    ]
    client = Client()
    client.force_login(owner)
    print(f"\n{'page':44} {'median ms':>10} {'max ms':>8}  status")
    for label, query in cases:
        median, slowest, status, _ = timed(client, f"/audit/?{query}", options.repeat)
        print(f"{label:44} {median:10.1f} {slowest:8.1f}  {status}")
    extra = [
        ("htmx Load more (partial)", f"/audit/?cursor={second}", {"HTTP_HX_REQUEST": "true"}),
        ("API first page", "/api/v1/audit-events/", {}),
        ("API level=error + record", f"/api/v1/audit-events/?level=info&record={sample.source_ref}", {}),
        ("event detail", f"/audit/{sample.uuid}/", {}),
    ]
    for label, url, headers in extra:
        median, slowest, status, _ = timed(client, url, options.repeat, **headers)
        print(f"{label:44} {median:10.1f} {slowest:8.1f}  {status}")
    small_tenant, small_owner, *_ = tenants[2]
    small = Client()
    small.force_login(small_owner)
    with scopes_disabled():
        print(f"\nA small tenant ({AuditEvent.objects.filter(tenant=small_tenant).count()} events)")
    for label, query in [("first page", ""), ("level=error", "level=error"), ("text, absent", "q=no+such+words")]:
        median, slowest, status, _ = timed(small, f"/audit/?{query}", options.repeat)
        print(f"{label:44} {median:10.1f} {slowest:8.1f}  {status}")

    if options.explain:
        from urllib.parse import parse_qsl

        from audit.queries import AuditFilterForm

        with scope(tenant=tenant):
            for label, query in cases:
                form = AuditFilterForm(dict(parse_qsl(query)), tenant=tenant)
                assert form.is_valid(), form.errors
                queryset = after(filter_events(tenant_events(tenant), **form.cleaned_data), form.cleaned_data["cursor"])
                print(f"\n== {label}\n{queryset[:51].explain(analyze=db.vendor == 'postgresql')}")


if __name__ == "__main__":
    main()
