"""Reading jobs for people: the jobs list and its filters, the failures still open, and one job's timeline.

Shared by the pages (syncs/job_views.py) and the API (syncs/api.py), like audit.queries for the audit log.
Replaying is the engine's (`engine.replay`, `engine.replay_matching`); this module only finds the jobs.
"""

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django import forms
from django.db.models import Count, Exists, OuterRef

from audit.models import AuditEvent
from audit.redaction import redact
from connections.models import Integration
from syncs.models import SyncJob

PAGE_SIZE = 100
OPEN_FAILURE = (SyncJob.Status.FAILED, SyncJob.Status.PARKED)


class JobFilterForm(forms.Form):
    """The jobs list's filters, read from the query string by the pages and the API alike."""

    status = forms.ChoiceField(choices=[("", "Any status"), *SyncJob.Status.choices], required=False)
    integration = forms.ModelChoiceField(queryset=Integration.objects.none(), to_field_name="uuid", required=False)
    trigger = forms.ChoiceField(choices=[("", "Any trigger"), *SyncJob.Trigger.choices], required=False)
    error = forms.CharField(max_length=60, required=False, label="Error type")
    record = forms.CharField(
        max_length=200, required=False, label="Source record", help_text='"client:100001" or a bare "100001".'
    )
    since = forms.DateTimeField(required=False, label="Created since")

    def __init__(self, data=None, *, tenant, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["integration"].queryset = Integration.objects.filter(tenant=tenant).select_related(
            "source", "target"
        )

    def query(self, **changes) -> str:
        """The query string of the non-empty filters, with `changes`: a permalink."""
        from django.http import QueryDict

        query = QueryDict(mutable=True)
        for name in self.fields:
            value = self.data.get(name)
            if value:
                query[name] = value
        for name, value in changes.items():
            if value:
                query[name] = value
            else:
                query.pop(name, None)
        return query.urlencode()


def filter_jobs(queryset, *, status="", integration=None, trigger="", error="", record="", since=None, **_ignored):
    if status:
        queryset = queryset.filter(status=status)
    if integration is not None:
        queryset = queryset.filter(integration=integration)
    if trigger:
        queryset = queryset.filter(trigger=trigger)
    if error:
        queryset = queryset.filter(last_error_type=error)
    if record:
        kind, _, ident = record.partition(":") if ":" in record else ("", "", record)
        queryset = queryset.filter(source_id=ident, **({"source_type": kind} if kind else {}))
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    return queryset


def tenant_jobs(tenant):
    return SyncJob.objects.filter(tenant=tenant).select_related("integration__source", "integration__target", "event")


def open_failures(queryset):
    """Failed and parked jobs that no later job of the same source record has put right (dry runs aside)."""
    later_success = SyncJob.objects.filter(
        integration_id=OuterRef("integration_id"),
        source_type=OuterRef("source_type"),
        source_id=OuterRef("source_id"),
        status=SyncJob.Status.SUCCEEDED,
        dry_run=False,
        pk__gt=OuterRef("pk"),
    )
    return queryset.filter(status__in=OPEN_FAILURE, dry_run=False).exclude(Exists(later_success))


def failure_groups(queryset) -> list[dict]:
    """Open failures counted by integration and error type, the largest group first."""
    rows = (
        queryset.order_by()
        .values("integration", "last_error_type", "status")
        .annotate(count=Count("id"))
        .order_by("-count")
    )
    integrations = {i.pk: i for i in Integration.objects.filter(pk__in={r["integration"] for r in rows})}
    return [{**row, "integration": integrations[row["integration"]]} for row in rows]


# A job's timeline ---------------------------------------------------------------------------------------


def pretty(value) -> str:
    return json.dumps(redact(value), indent=2, sort_keys=True, ensure_ascii=False, default=str)


def inbound_body(event) -> str:
    """The stored body, redacted by key when it is JSON or a form; other text as it came."""
    if not event.body:
        return ""
    try:
        return pretty(json.loads(event.body))
    except ValueError:
        pass
    pairs = parse_qsl(event.body, keep_blank_values=True)
    if pairs and "=" in event.body:
        return pretty(dict(pairs))
    return event.body[:4000]


def mapped_input(value) -> str:
    """A mapping's input: a pointer to the fetched record (see `engine.run.fetched_reference`), or, in events
    written before there were pointers, the record itself."""
    if isinstance(value, dict) and value.get("same_as") == "job.fetched":
        return f"The fetched record above ({value.get('bytes', '?')} bytes, sha256 {str(value.get('sha256'))[:12]}…)"
    return pretty(value)


@dataclass
class Step:
    """One line of a job's timeline: an audit event, with what to show of its data."""

    event: AuditEvent
    title: str
    details: list[tuple[str, str]]  # (label, pretty-printed value)


def describe(event: AuditEvent) -> Step:
    data = redact(event.data or {})
    details = []
    if event.kind.startswith("api."):
        title = "API call"
        for label, key in (("Request", "request_body"), ("Response", "response_body"), ("Trace", "trace")):
            if data.get(key) not in (None, "", {}):
                details.append((label, pretty(data[key])))  # Trace: the ids the provider's support asks for
    elif event.kind == "job.fetched":
        title = "Fetched the source record"
        details.append(("Record", pretty(data.get("record"))))
    elif event.kind == "job.mapped":
        title = "Mapped"
        details += [("Input", mapped_input(data.get("input"))), ("Output", pretty(data.get("output")))]
    elif event.kind == "job.matched":
        title = "Match decision"
    elif event.kind == "job.retry_scheduled":
        title = f"Retry in {data.get('wait_seconds', '?')} s"
    elif event.kind == "job.dry_run":
        title = "Dry run: what would be written"
        details.append(("Would write", pretty(data.get("payload"))))
    else:
        title = event.kind.removeprefix("job.").replace("_", " ").capitalize()
        extra = {k: v for k, v in data.items() if k != "job"}
        if extra:
            details.append(("Data", pretty(extra)))
    return Step(event=event, title=title, details=details)


def timeline(job: SyncJob) -> list[Step]:
    """Every audit event of the job, oldest first (the (job, created_at) index)."""
    events = AuditEvent.objects.filter(tenant=job.tenant, job=job).select_related("connection", "actor")
    return [describe(e) for e in events.order_by("created_at", "id")]
