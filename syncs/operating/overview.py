"""The dashboard's figures: per integration, is everything flowing? And what needs a person now?

Every figure is a count over an indexed range of the last 24 hours, and each comes with the filtered list
behind it (jobs, failures, the audit log), so a number on the dashboard is always one click from its rows.
The chart is plain SVG geometry computed here; the template draws it, no chart library in the browser.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from connections import registry
from connections.models import Connection, Integration
from syncs.models import InboundEvent, SyncJob
from syncs.operating.jobs import open_failures

HOURS = 24
CHART_WIDTH, CHART_HEIGHT = 240, 60
SHOWN_STATUSES = (
    SyncJob.Status.SUCCEEDED,
    SyncJob.Status.FAILED,
    SyncJob.Status.WAITING_REVIEW,
    SyncJob.Status.PARKED,
    SyncJob.Status.PENDING,
)


def link(name: str, **query) -> str:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


def hour_buckets(now: datetime) -> list[datetime]:
    """The starts of the last 24 hours, oldest first; the last one is the hour now running."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=HOURS - 1 - n) for n in range(HOURS)]


def per_hour(queryset, field_name: str, buckets: list[datetime]) -> list[int]:
    rows = queryset.filter(**{f"{field_name}__gte": buckets[0]}).annotate(hour=TruncHour(field_name))
    counts = {row["hour"]: row["n"] for row in rows.order_by().values("hour").annotate(n=Count("id"))}
    return [counts.get(bucket, 0) for bucket in buckets]


@dataclass
class Chart:
    """Three hourly series over 24 hours as SVG coordinates: events and writes as lines, failures as bars."""

    events: list[int]
    writes: list[int]
    failures: list[int]
    peak: int = 0
    lines: dict = field(default_factory=dict)
    bars: list = field(default_factory=list)

    def __post_init__(self):
        self.peak = max([*self.events, *self.writes, *self.failures, 1])
        step = CHART_WIDTH / HOURS

        def y(value):
            return round(CHART_HEIGHT - 2 - (CHART_HEIGHT - 4) * value / self.peak, 1)

        for name in ("events", "writes"):
            series = getattr(self, name)
            self.lines[name] = " ".join(f"{round(step * n + step / 2, 1)},{y(v)}" for n, v in enumerate(series))
        self.bars = [
            {"x": round(step * n + step * 0.2, 1), "y": y(v), "height": round(CHART_HEIGHT - 2 - y(v), 1)}
            for n, v in enumerate(self.failures)
            if v
        ]

    @property
    def width(self):
        return CHART_WIDTH

    @property
    def height(self):
        return CHART_HEIGHT

    @property
    def bar_width(self):
        return round(CHART_WIDTH / HOURS * 0.6, 1)

    @property
    def summary(self) -> str:
        return (
            f"Last 24 hours: {sum(self.events)} events, {sum(self.writes)} writes, {sum(self.failures)} failures "
            f"(busiest hour {self.peak})."
        )


def webhook_state(connection: Connection) -> str:
    """The connection's webhook registrations in words, as its provider describes them."""
    subscriptions = registry.part(connection.provider, "subscriptions")
    return subscriptions.describe(connection) if subscriptions else "no webhooks"


def connection_health(connection: Connection, since: datetime) -> dict:
    rejected = AuditEvent.objects.filter(
        tenant=connection.tenant, connection=connection, kind="webhook.rejected", created_at__gte=since
    ).count()
    return {
        "connection": connection,
        "webhooks": webhook_state(connection),
        "rejected": rejected,
        "rejected_link": link(
            "audit-log", connection=connection.uuid, kind="webhook.rejected", since=since.strftime("%Y-%m-%d %H:%M")
        ),
    }


def integration_health(integration: Integration, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    since = now - timedelta(hours=HOURS)
    since_text = since.strftime("%Y-%m-%d %H:%M")
    jobs = SyncJob.objects.filter(integration=integration, dry_run=False)
    recent = jobs.filter(created_at__gte=since)
    by_status = dict(recent.order_by().values_list("status").annotate(n=Count("id")))
    events = InboundEvent.objects.filter(
        tenant=integration.tenant,
        connection__in=[integration.source_id, integration.target_id],
        received_at__gte=since,
    )
    trail = AuditEvent.objects.filter(tenant=integration.tenant, integration=integration)
    buckets = hour_buckets(now)
    dates = jobs.aggregate(
        last_success=Max("finished_at", filter=Q(status=SyncJob.Status.SUCCEEDED)),
        oldest_pending=Min("created_at", filter=Q(status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING])),
    )
    counts = [
        {
            "status": status,
            "label": SyncJob.Status(status).label,
            "count": by_status.get(status, 0),
            "link": link("job-list", integration=integration.uuid, status=status, since=since_text),
        }
        for status in SHOWN_STATUSES
    ]
    return {
        "integration": integration,
        "since": since,
        "events": events.count(),
        "events_link": reverse("connection-detail", args=[integration.source.uuid]),
        "jobs": sum(by_status.values()),
        "jobs_link": link("job-list", integration=integration.uuid, since=since_text),
        "counts": counts,
        "open_failures": open_failures(jobs).count(),
        "failures_link": link("failures", integration=integration.uuid),
        "last_success": dates["last_success"],
        "last_success_link": link("job-list", integration=integration.uuid, status=SyncJob.Status.SUCCEEDED),
        "oldest_pending": dates["oldest_pending"],
        "pending_link": link("job-list", integration=integration.uuid, status=SyncJob.Status.PENDING),
        "connections": [connection_health(c, since) for c in (integration.source, integration.target)],
        "chart": Chart(
            events=per_hour(events, "received_at", buckets),
            writes=per_hour(trail.filter(kind="job.written"), "created_at", buckets),
            failures=per_hour(trail.filter(kind="job.failed"), "created_at", buckets),
        ),
    }


def alerts(tenant, healths: list[dict], now: datetime | None = None) -> list[dict]:
    """What needs a person, most urgent first: reconnections, failing connections, rejected webhooks, failing
    jobs."""
    now = now or timezone.now()
    found = []
    for connection in Connection.objects.filter(tenant=tenant, status=Connection.Status.NEEDS_REAUTH):
        found.append(
            {
                "level": "error",
                "text": f"{connection.label} needs to be reconnected; its jobs wait until then.",
                "link": reverse("connection-detail", args=[connection.uuid]),
                "action": "Reconnect",
            }
        )
    # Scheduled work that failed on one connection (connections.failures); read without the secrets, so a row
    # whose secrets cannot be decrypted still gets its alert.
    failing = Connection.objects.filter(tenant=tenant, status=Connection.Status.ERROR).exclude(error_source="")
    for connection in failing.only("uuid", "label", "last_error"):
        found.append(
            {
                "level": "error",
                "text": f"{connection.label}: {connection.last_error}",
                "link": reverse("connection-detail", args=[connection.uuid]),
                "action": "See it",
            }
        )
    since = now - timedelta(hours=HOURS)
    rejected = (
        AuditEvent.objects.filter(tenant=tenant, kind="webhook.rejected", created_at__gte=since)
        .order_by()
        .values("connection")
        .annotate(n=Count("id"))
    )
    labels = {c.pk: c for c in Connection.objects.filter(tenant=tenant).only("uuid", "label")}
    for row in rejected:
        connection = labels.get(row["connection"])
        if connection is None:
            continue
        found.append(
            {
                "level": "warning",
                "text": f"{row['n']} webhook{'s' if row['n'] != 1 else ''} to {connection.label} rejected in the "
                "last 24 hours.",
                "link": link(
                    "audit-log",
                    connection=connection.uuid,
                    kind="webhook.rejected",
                    since=since.strftime("%Y-%m-%d %H:%M"),
                ),
                "action": "See them",
            }
        )
    for health in healths:
        if health["open_failures"]:
            n = health["open_failures"]
            found.append(
                {
                    "level": "warning",
                    "text": f"{n} job{'s' if n != 1 else ''} of {health['integration'].kind_name} failed and "
                    "wait for a replay.",
                    "link": health["failures_link"],
                    "action": "Failures",
                }
            )
    return found


def dashboard(tenant, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    integrations = Integration.objects.filter(tenant=tenant, archived_at__isnull=True).select_related(
        "source", "target"
    )
    healths = [integration_health(i, now) for i in integrations]
    return {"healths": healths, "alerts": alerts(tenant, healths, now)}
