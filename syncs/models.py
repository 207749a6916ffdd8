"""What arrives from providers, and the work it causes.

`InboundEvent` is stored before a webhook is acknowledged (and by polling), once per dedupe key, so a change
is never lost and a duplicate delivery never causes a second round of work.
"""

import uuid

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
    object_id = models.CharField(max_length=100, blank=True, db_index=True)
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
        ]

    def __str__(self):
        return f"{self.provider} {self.event_name} {self.object_id}"
