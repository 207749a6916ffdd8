"""What arrives from providers, and the work it causes.

`InboundEvent` is stored before a webhook is acknowledged (and by polling), once per dedupe key, so a change
is never lost and a duplicate delivery never causes a second round of work.
"""

import uuid

from django.conf import settings
from django.db import models
from django_scopes import ScopedManager


class InboundEvent(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # stored, waiting to be turned into jobs
        PROCESSED = "processed", "Processed"  # jobs created for every listening integration
        IGNORED = "ignored", "Ignored"  # an event name no flow handles: kept, answered 2xx, nothing done

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        POLL = "poll", "Polling"
        BACKFILL = "backfill", "Backfill"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="inbound_events")
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="inbound_events")
    provider = models.CharField(max_length=40)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEBHOOK)
    event_name = models.CharField(max_length=100)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    # The provider's event id where there is one, else a hash of the meaningful fields (see each provider's
    # webhooks.py): unique per connection, so a redelivery is recognised and stored nowhere.
    dedupe_key = models.CharField(max_length=128)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    duplicates = models.PositiveIntegerField(default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "dedupe_key"], name="one_event_per_dedupe_key")]
        indexes = [
            models.Index(fields=["tenant", "-received_at"]),
            models.Index(fields=["status", "received_at"]),
            # A connection's recent deliveries and its last day's counts (the connection page's webhook panel).
            models.Index(fields=["connection", "source", "-received_at", "-id"], name="event_connection_deliveries"),
        ]

    def __str__(self):
        return f"{self.provider} {self.event_name} {self.object_id}"


class SyncJob(models.Model):
    """One unit of work: bring one source record's current state to the target. The database is the queue."""

    class Trigger(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        POLL = "poll", "Polling"
        BACKFILL = "backfill", "Backfill"
        REPLAY = "replay", "Replay"
        MANUAL = "manual", "Manual"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        WAITING_REVIEW = "waiting_review", "Waiting for review"
        PARKED = "parked", "Parked"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="sync_jobs")
    integration = models.ForeignKey("connections.Integration", on_delete=models.CASCADE, related_name="jobs")
    event = models.ForeignKey(InboundEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    dry_run = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error_type = models.CharField(max_length=60, blank=True)
    last_error_message = models.TextField(blank=True)
    # What was (or, for a dry run, would be) written: target, payload, outcome.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["integration", "source_type", "source_id", "status"]),
            models.Index(fields=["tenant", "status", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.integration_id}:{self.source_type}:{self.source_id} ({self.status})"


class RecordLink(models.Model):
    """Identity: this source record is that target record (a client is that organization, that Account).

    What was written there, part by part, is the `WriteLedger`'s; a link says only who is who and how we know
    (matched, created, or a person's decision, which always wins).
    """

    class Method(models.TextChoices):
        EXACT = "exact", "Exact match"
        FUZZY = "fuzzy", "Fuzzy match"
        MANUAL = "manual", "Linked by a person"
        CREATED = "created", "Created by ml-connector"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="record_links")
    integration = models.ForeignKey("connections.Integration", on_delete=models.CASCADE, related_name="links")
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=100)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=100)
    method = models.CharField(max_length=10, choices=Method.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "source_type", "source_id", "target_type"],
                name="one_link_per_source_and_target_type",
            )
        ]
        indexes = [
            models.Index(fields=["integration", "target_type", "target_id"]),
            # The links page: a tenant's links by a record's id on either side, else its latest links.
            models.Index(fields=["tenant", "source_id"], name="link_tenant_source_id"),
            models.Index(fields=["tenant", "target_id"], name="link_tenant_target_id"),
            models.Index(fields=["tenant", "-updated_at"], name="link_tenant_updated"),
        ]

    def __str__(self):
        return f"{self.source_type}:{self.source_id} -> {self.target_type}:{self.target_id} ({self.method})"


class WriteLedger(models.Model):
    """What was last written for one part of a source record's write plan, and whether it surely landed.

    A write plan is the ordered parts a source record becomes (an Account, then an Opportunity; a managed
    section, then a note on each open ticket). Each part's row holds the fingerprint of the payload last
    written and the target it went to: an unchanged part costs no call, and a retry after a crash resumes at
    the part that did not land. A row is `pending` from just before the call until the answer is in, so a
    pending row means "maybe written": the writer looks before it writes again (or lets the target's own
    idempotency decide).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Being written"
        WRITTEN = "written", "Written"

    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="ledger_rows")
    integration = models.ForeignKey("connections.Integration", on_delete=models.CASCADE, related_name="ledger")
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=100)
    # The part's name within the plan ("account", "opportunity", "section:billing", "note:123").
    part = models.CharField(max_length=100)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=100, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WRITTEN)
    # When this payload was first attempted: a retry of the same payload keeps it, so a writer can tell an
    # attempt older than the target's idempotency window (Zuora keeps keys 24 hours) and look before writing.
    attempted_at = models.DateTimeField(null=True, blank=True)
    # Names this attempt: idempotency keys are derived from it, so a retry of the attempt keeps its key and an
    # attempt after a refusal gets a new one (Zuora keeps failed answers under their keys too).
    attempt = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "source_type", "source_id", "part"], name="one_ledger_row_per_part"
            )
        ]

    def __str__(self):
        return f"{self.source_type}:{self.source_id} {self.part} -> {self.target_type}:{self.target_id} ({self.state})"

    def holds(self, fingerprint: str, target_id=None) -> bool:
        """Surely written with exactly this payload (and, when given, to this target)."""
        same_target = target_id is None or self.target_id == str(target_id)
        return self.state == self.State.WRITTEN and self.fingerprint == fingerprint and same_target


class RemoteRecord(models.Model):
    """A record of a connected system as we last saw it (the mirror), so matching costs no API call.

    Filled by a paged full load when an integration is enabled, kept fresh by the system's webhooks and by
    periodic polling. A record deleted over there stays as a row with `deleted` set, so a process holding a
    match index learns of the deletion from rows changed since it last looked.
    """

    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="remote_records")
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="remote_records")
    record_type = models.CharField(max_length=60)
    remote_id = models.CharField(max_length=100)
    name = models.CharField(max_length=500, blank=True)
    normalised_name = models.CharField(max_length=500, blank=True)
    emails = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=255, blank=True, null=True)
    # A few fields shown to people deciding a match (domains, notes, address): not the whole record.
    summary = models.JSONField(default=dict, blank=True)
    deleted = models.BooleanField(default=False)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["name", "remote_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "record_type", "remote_id"], name="one_mirror_row_per_record")
        ]
        indexes = [
            models.Index(fields=["connection", "record_type", "normalised_name"]),
            models.Index(fields=["connection", "record_type", "updated_at"]),
            # The rows of deleted records, oldest first, for syncs.retention; small, as such rows are few.
            models.Index(fields=["updated_at", "id"], condition=models.Q(deleted=True), name="mirror_tombstones"),
        ]

    def __str__(self):
        return f"{self.record_type} {self.remote_id}: {self.name}"


class ReviewItem(models.Model):
    """A match a person decides: which target record a source record is (kind "match"), or whether a new
    target record is a customer the source already has (kind "possible_duplicate").

    `candidates` are [{record_id, name, score, why, agrees, differs}], best first. While an item is open, the
    jobs that need its answer wait in `waiting_review`; a decision releases them.
    """

    class Kind(models.TextChoices):
        MATCH = "match", "Which record is this?"
        POSSIBLE_DUPLICATE = "possible_duplicate", "Possible duplicate"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LINKED = "linked", "Linked"
        CREATED_NEW = "created_new", "Create new"
        DISMISSED = "dismissed", "Not a match"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="review_items")
    integration = models.ForeignKey("connections.Integration", on_delete=models.CASCADE, related_name="review_items")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MATCH)
    # For a match: the source record and the target type sought. For a possible duplicate: the new target
    # record (source_type/source_id) and the source type its candidates are (candidate_type).
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=100)
    source_summary = models.JSONField(default=dict, blank=True)  # {"name", "emails", "external_id", ...}
    target_type = models.CharField(max_length=60, default="organization")
    candidate_type = models.CharField(max_length=60, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    linked_record_id = models.CharField(max_length=100, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_decisions"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "source_type", "source_id", "kind"],
                condition=models.Q(status="open"),
                name="one_open_review_item_per_record",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"]),
            models.Index(fields=["integration", "source_type", "source_id"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.source_type}:{self.source_id} ({self.status})"

    @property
    def name(self) -> str:
        return self.source_summary.get("name", "")


class MatchAlias(models.Model):
    """A source name a person linked to a target record: future matching finds that record by this name."""

    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="match_aliases")
    integration = models.ForeignKey("connections.Integration", on_delete=models.CASCADE, related_name="aliases")
    source_name = models.CharField(max_length=500)
    normalised_name = models.CharField(max_length=500)
    target_type = models.CharField(max_length=60, default="organization")
    target_id = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "normalised_name", "target_type", "target_id"],
                name="one_alias_per_name_and_record",
            )
        ]

    def __str__(self):
        return f"{self.source_name} -> {self.target_type}:{self.target_id}"


class MirrorState(models.Model):
    """How far the mirror of one connection's records of one type is: the last full load, and where
    polling resumes (`watermark`, the provider's own clock)."""

    class Status(models.TextChoices):
        EMPTY = "empty", "Not loaded"
        LOADING = "loading", "Loading"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="mirror_states")
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="mirror_states")
    record_type = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.EMPTY)
    loaded = models.PositiveIntegerField(default=0)  # records read by the current or last full load
    loaded_at = models.DateTimeField(null=True, blank=True)
    watermark = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "record_type"], name="one_mirror_state_per_record_type")
        ]

    def __str__(self):
        return f"{self.connection_id} {self.record_type}: {self.status}"


class FitCheck(models.Model):
    """ "Ping your real systems, and see if we fit": how every source customer would match, written nowhere.

    Runs in the background for an integration (typically not enabled yet); `progress` is
    {"step", "steps", "label", "done", "total"} while it runs, `report` the outcome (see syncs.fitcheck).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("connections.Tenant", on_delete=models.CASCADE, related_name="fit_checks")
    integration = models.ForeignKey("connections.Integration", on_delete=models.CASCADE, related_name="fit_checks")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Fit check of {self.integration_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
