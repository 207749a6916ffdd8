"""The audit trail: append-only events from which any record's story, and any failure, can be read."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import StrIndex, Substr
from django.utils import timezone
from django_scopes import ScopedManager


def bare_id(field: str):
    """The id part of a "type:id" reference (all of it when there is no type), as a database expression."""
    return Substr(field, StrIndex(field, Value(":")) + 1)


class AuditEvent(models.Model):
    """One thing that happened in a tenant: a webhook, an API call, a match decision, a user's action.

    Append-only: saving an existing event raises. The one sanctioned change is `pinned`, flipped with a
    queryset `update()`: the sync engine pins the events that carry a failed job's payloads, so that
    `prune_audit` keeps them until the job is resolved (replayed or dismissed), and unpins them then.

    `source_ref` and `target_ref` hold the provider's own id of the record the event concerns on the source
    and the target system (an invoice id, an organization id), so that "this record's
    story" is an indexed lookup rather than a search through `data`. The sync engine writes them as
    "type:id" ("client:100001"); `bare_id()` is the id after the type, indexed too, so that a search for a bare
    "100001" finds the record as well (see audit.queries.filter_events).

    `job` and `event` tie an event to the SyncJob and the InboundEvent it belongs to: a job's timeline is
    one indexed range.
    """

    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: every index below starts with the tenant.
    tenant = models.ForeignKey(
        "connections.Tenant", on_delete=models.CASCADE, related_name="audit_events", db_index=False
    )
    # A default rather than auto_now_add, so imports and benchmarks can write past events in bulk.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # Dotted, stable names: "user.tenant_switched", "api_token.issued", "webhook.received", "api.call", ...
    kind = models.CharField(max_length=60, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    message = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Indexed below together with the time, which also serves the foreign keys.
    connection = models.ForeignKey(
        "connections.Connection", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    integration = models.ForeignKey(
        "connections.Integration", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    source_ref = models.CharField(max_length=200, null=True, blank=True)
    target_ref = models.CharField(max_length=200, null=True, blank=True)
    job = models.ForeignKey(
        "syncs.SyncJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events", db_index=False
    )
    event = models.ForeignKey(
        "syncs.InboundEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    # Kept by prune_audit whatever its age (see the class docstring).
    pinned = models.BooleanField(default=False)
    # Always redacted before it is stored (see audit.record).
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["-created_at", "-uuid"]
        # Every list query is one tenant's events, newest first, keyset-paginated on (created_at, uuid); the
        # indexes let a page filtered on a rare value (a small tenant, errors, a quiet connection, one record)
        # be an index range rather than a walk through the whole table. A connection or an integration
        # implies its tenant, so their indexes lead with it and double as the foreign keys' indexes. The
        # text filter has a trigram index on PostgreSQL (migration 0003). Measured in tests/bench.
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-uuid"], name="audit_tenant_time"),
            models.Index(fields=["tenant", "level", "-created_at"], name="audit_tenant_level"),
            models.Index(fields=["connection", "-created_at"], name="audit_connection_time"),
            models.Index(fields=["integration", "-created_at"], name="audit_integration_time"),
            models.Index(
                fields=["tenant", "source_ref"], name="audit_tenant_source_ref", condition=Q(source_ref__isnull=False)
            ),
            models.Index(
                fields=["tenant", "target_ref"], name="audit_tenant_target_ref", condition=Q(target_ref__isnull=False)
            ),
            # Not partial: PostgreSQL estimates rows from an expression index's statistics only when it is
            # whole, and without them it walks the log by time instead (measured: 0.8 s against 1 ms).
            models.Index(F("tenant"), bare_id("source_ref"), name="audit_tenant_source_id"),
            models.Index(F("tenant"), bare_id("target_ref"), name="audit_tenant_target_id"),
            models.Index(fields=["job", "created_at"], name="audit_job_time"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)
