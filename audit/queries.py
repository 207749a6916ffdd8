"""Reading the audit log: filters and keyset pagination, shared by the log page and the API.

A page is one tenant's events, newest first, ordered by (created_at, uuid). The cursor names the last
event shown by its position in that order, so the next page is an index range (`WHERE (created_at, uuid) <
cursor`), equally fast on the first page and the ten-thousandth, and stable while new events arrive. The
uuid breaks ties between events of the same microsecond without giving away the integer primary key,
whose growth would tell one tenant how busy the others are.
"""

import base64
import binascii
import datetime
import uuid
from dataclasses import dataclass

from django import forms
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent, bare_id
from connections.models import Connection, Integration

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
FILTER_NAMES = ("connection", "integration", "kind", "level", "since", "until", "record", "q")


class InvalidCursor(ValueError):
    pass


def encode_cursor(event: AuditEvent) -> str:
    position = f"{event.created_at.isoformat()}|{event.uuid.hex}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, event_uuid = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        moment = datetime.datetime.fromisoformat(created_at)
        if timezone.is_naive(moment):
            raise ValueError("naive timestamp")
        return moment, uuid.UUID(event_uuid)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor("This cursor is not one the audit log handed out.") from None


class AuditFilterForm(forms.Form):
    """The audit log's filters, read from the query string by the page and the API alike.

    Connections and integrations are named by uuid and looked up among the tenant's own only. `since` and
    `until` take a date or a date and time; a bare `until` date includes that whole day.
    """

    connection = forms.ModelChoiceField(queryset=Connection.objects.none(), to_field_name="uuid", required=False)
    integration = forms.ModelChoiceField(queryset=Integration.objects.none(), to_field_name="uuid", required=False)
    kind = forms.CharField(
        max_length=60, required=False, help_text='Matches the start of the event kind: "api." or "webhook.received".'
    )
    level = forms.ChoiceField(choices=[("", "Any level"), *AuditEvent.Level.choices], required=False)
    since = forms.DateTimeField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateTimeField(required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    record = forms.CharField(
        max_length=200,
        required=False,
        label="Record id",
        help_text='A source or target record\'s id: "client:100001", or a bare "100001" for that id of any type.',
    )
    q = forms.CharField(max_length=200, required=False, label="Text", help_text="Words in the message.")
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, widget=forms.HiddenInput)

    def __init__(self, data=None, *, tenant, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["connection"].queryset = Connection.objects.filter(tenant=tenant)
        self.fields["integration"].queryset = Integration.objects.filter(tenant=tenant).select_related(
            "source", "target"
        )

    def clean_until(self):
        until = self.cleaned_data.get("until")
        raw = (self.data.get("until") or "").strip()
        if until is not None and len(raw) == len("2026-01-31"):
            until += datetime.timedelta(days=1)
        return until

    def clean_cursor(self):
        cursor = self.cleaned_data.get("cursor") or ""
        if cursor:
            try:
                decode_cursor(cursor)
            except InvalidCursor as exc:
                raise forms.ValidationError(str(exc)) from None
        return cursor

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", "The end of the range is before its start.")
        return cleaned


def filter_events(
    queryset,
    *,
    connection=None,
    integration=None,
    kind="",
    level="",
    since=None,
    until=None,
    record="",
    q="",
    **_ignored,
):
    """Narrow `queryset` by the filters of AuditFilterForm (its cleaned_data can be passed as is)."""
    if connection is not None:
        queryset = queryset.filter(connection=connection)
    if integration is not None:
        queryset = queryset.filter(integration=integration)
    if kind:
        queryset = queryset.filter(kind__startswith=kind)
    if level:
        queryset = queryset.filter(level=level)
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    if record:
        if ":" not in record:
            queryset = queryset.alias(_source_id=bare_id("source_ref"), _target_id=bare_id("target_ref"))
        queryset = queryset.filter(record_filter(record))
    if q:
        queryset = queryset.filter(message__icontains=q)
    return queryset


def record_filter(record: str) -> Q:
    """Events about one record. The engine stores references as "type:id" ("client:100001"): a reference
    with a type matches exactly, a bare id matches that id of any type (and ids stored bare) through the
    indexes on `bare_id()`. Each branch is an index lookup, OR-ed by the planner.
    """
    if ":" in record:
        return Q(source_ref=record) | Q(target_ref=record)
    return Q(_source_id=record) | Q(_target_id=record)


@dataclass
class Page:
    events: list[AuditEvent]
    next_cursor: str | None


def after(queryset, cursor: str = ""):
    """`queryset` newest first, from just after the event the cursor names (all of it without one)."""
    queryset = queryset.order_by("-created_at", "-uuid")
    if not cursor:
        return queryset
    created_at, event_uuid = decode_cursor(cursor)
    # The redundant `created_at <= ...` makes the index range explicit to the planner.
    return queryset.filter(
        Q(created_at__lt=created_at) | Q(created_at=created_at, uuid__lt=event_uuid),
        created_at__lte=created_at,
    )


def page_of(queryset, *, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """One page of `queryset`, newest first, after the event the cursor names."""
    events = list(after(queryset, cursor)[: size + 1])
    more = len(events) > size
    events = events[:size]
    return Page(events=events, next_cursor=encode_cursor(events[-1]) if more else None)


def tenant_events(tenant):
    """The tenant's events with what a list shows about each, before any filter."""
    return AuditEvent.objects.filter(tenant=tenant).select_related("actor", "connection", "integration", "job")


def search(tenant, form: AuditFilterForm) -> Page:
    """The page a valid AuditFilterForm asks for."""
    filters = form.cleaned_data
    return page_of(
        filter_events(tenant_events(tenant), **filters),
        cursor=filters.get("cursor") or "",
        size=filters.get("page_size") or PAGE_SIZE,
    )
