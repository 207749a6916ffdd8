"""Tenants, their members, their connections to external systems, and the integrations between them.

Every tenant-owned model has `objects = ScopedManager(tenant=...)`: a query outside a tenant scope raises
instead of silently reading every tenant's rows (see connections.tenancy).
"""

import json
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django_scopes import ScopedManager

from connections import registry
from connections.credentials.fields import SecretField


class Tenant(models.Model):
    """A customer workspace: the security boundary for every row below."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def unique_slug(cls, name: str) -> str:
        base = slugify(name)[:70] or "tenant"
        slug, n = base, 1
        while cls.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        AGENT = "agent", "Agent"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant")]
        ordering = ["tenant__name"]

    def __str__(self):
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def can_manage(self) -> bool:
        """Owners and admins connect systems, configure integrations and replay; agents do not."""
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


def keep_claims(instance: models.Model, save_kwargs: dict) -> None:
    """A full save of a row read earlier writes every column back: not the claim columns (`CLAIM_FIELDS`),
    which only their own conditional updates write, or it would undo a claim another worker took since."""
    if instance._state.adding or save_kwargs.get("update_fields") is not None or save_kwargs.get("force_insert"):
        return
    save_kwargs["update_fields"] = [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key and field.name not in instance.CLAIM_FIELDS
    ]


class Connection(models.Model):
    """One tenant's authorised link to one external system, with its secrets encrypted at rest."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs reauthorization"
        ERROR = "error", "Error"
        DISABLED = "disabled", "Disabled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=40, choices=registry.provider_choices)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)

    access_token = SecretField()
    refresh_token = SecretField()
    client_secret = SecretField()
    api_token = SecretField()
    webhook_secret = SecretField()

    access_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    # When the tokens were last obtained or refreshed: rotating refresh tokens are renewed at least daily.
    tokens_refreshed_at = models.DateTimeField(null=True, blank=True)
    # A refresh in flight (connections.credentials.tokens): who claimed it and when; the claim lapses after
    # TOKEN_REFRESH_CLAIM_SECONDS. `refresh_lost_at`: an answer was lost after the provider may have acted on
    # it, so the next refusal is not believed at once. A database default too, for the previous release.
    refresh_claim = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    refresh_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    refresh_lost_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where the account lives at its provider (an account id, a subdomain, a company id, an API domain, a
    # region): the keys each provider declares in `address_fields`, validated by its rules.
    addresses = models.JSONField(default=dict, blank=True)
    # Non-secret identifiers such as a client id or an account e-mail.
    settings = models.JSONField(default=dict, blank=True)

    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_ping_ok = models.BooleanField(null=True)
    last_error = models.TextField(blank=True)
    # Which background work put the connection in `error` (connections.failures), so only its own success
    # clears it; empty for errors set by a person's flow (an account still to choose). A database default too:
    # processes still running the previous release insert rows without it.
    error_source = models.CharField(max_length=40, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    SECRET_FIELDS = ("access_token", "refresh_token", "client_secret", "api_token", "webhook_secret")
    CLAIM_FIELDS = ("refresh_claim", "refresh_started_at")

    class Meta:
        ordering = ["provider", "label"]
        indexes = [models.Index(fields=["tenant", "provider"])]

    def __str__(self):
        return f"{self.provider_name}: {self.label}"

    def save(self, *args, **kwargs):
        keep_claims(self, kwargs)
        super().save(*args, **kwargs)

    @property
    def provider_name(self) -> str:
        provider = registry.find_provider(self.provider)
        return provider.name if provider else self.provider

    def clean(self):
        provider = registry.find_provider(self.provider)
        if provider is None:
            raise ValidationError({"provider": f"Unknown provider {self.provider!r}."})
        provider.validate_addresses(self.addresses, require=self.status == self.Status.ACTIVE)

    def secret_values(self) -> frozenset[str]:
        """Every secret this connection holds, as text (each verifier of a JSON map too), so the audit trail
        and the logs mask them wherever they appear; values under 8 characters would mask ordinary words."""
        values = set()
        for name in self.SECRET_FIELDS:
            value = getattr(self, name, None)
            if not value:
                continue
            values.add(str(value))
            try:
                parsed = json.loads(value)
            except (TypeError, ValueError):
                continue
            if isinstance(parsed, dict):
                values |= {str(v) for v in parsed.values() if v}
        return frozenset(v for v in values if len(v) >= 8)

    @property
    def has_secrets(self) -> dict[str, bool]:
        """Which secrets are set, for display: never their values."""
        return {name: bool(getattr(self, name)) for name in self.SECRET_FIELDS}

    @property
    def secrets_set(self) -> list[str]:
        """Human names of the secrets that are set ("access token", ...)."""
        return [name.replace("_", " ") for name, is_set in self.has_secrets.items() if is_set]


class Integration(models.Model):
    """A flow (one of connections.registry.FLOWS) between two connections of the same tenant."""

    # What the integration page offers (seconds; "" is off). The API takes any interval of a minute or more.
    POLL_SCHEDULES = [
        ("", "Off: webhooks only"),
        ("300", "Every 5 minutes"),
        ("900", "Every 15 minutes"),
        ("3600", "Every hour"),
        ("21600", "Every 6 hours"),
        ("86400", "Once a day"),
    ]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=60, choices=registry.flow_choices)
    source = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="source_integrations")
    target = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="target_integrations")
    enabled = models.BooleanField(default=False)
    options = models.JSONField(default=dict, blank=True)
    poll_interval = models.DurationField(
        null=True, blank=True, help_text="How often to poll the source for missed changes; empty turns polling off."
    )
    # Polling resumes from here (the start of the last complete poll); windows overlap, dedupe absorbs it.
    poll_watermark = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # The poll or backfill running now (syncs.polling): its claim, and when the claim lapses if its worker died.
    poll_claim = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    poll_claim_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Progress of the backfill that enabling runs first: {"status", "done", "page", "started_at", ...}.
    backfill = models.JSONField(default=dict, blank=True)
    # Archived: off and out of the lists, its jobs, links, review items and audit trail kept; it can be
    # restored. Only an owner deletes one for good, once archived and with its uuid as confirmation.
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    CLAIM_FIELDS = ("poll_claim", "poll_claim_expires_at")

    class Meta:
        ordering = ["kind"]

    def __str__(self):
        return f"{self.kind_name} ({self.source.label} -> {self.target.label})"

    def save(self, *args, **kwargs):
        # The same-tenant rule is a security boundary, so it holds even where clean() was not called.
        for connection in (self.source, self.target):
            if connection.tenant_id != self.tenant_id:
                raise ValidationError("An integration can only join connections of its own workspace.")
        keep_claims(self, kwargs)
        super().save(*args, **kwargs)

    def archive(self) -> None:
        """Off and out of the lists; nothing of its history goes. Waiting jobs park, as for any switched off."""
        self.enabled = False
        self.archived_at = self.archived_at or timezone.now()
        self.save(update_fields=["enabled", "archived_at", "updated_at"])

    @property
    def poll_schedule(self) -> str:
        """ "Every 15 minutes", "Off: webhooks only": how people read the polling interval."""
        if self.poll_interval is None:
            return self.POLL_SCHEDULES[0][1]
        seconds = int(self.poll_interval.total_seconds())
        for value, label in self.POLL_SCHEDULES:
            if value == str(seconds):
                return label
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds % size == 0:
                count = seconds // size
                return f"Every {count} {unit}{'s' if count != 1 else ''}"
        return f"Every {seconds} seconds"

    @property
    def kind_name(self) -> str:
        flow = registry.flow(self.kind)
        return flow.name if flow else self.kind

    @property
    def flow(self):
        """The flow this integration runs (None when its kind is no longer installed)."""
        return registry.flow(self.kind)

    def clean(self):
        errors = {}
        flow = self.flow
        if flow is None:
            errors["kind"] = f"Unknown integration kind {self.kind!r}."
        for side in ("source", "target"):
            connection = getattr(self, side, None) if getattr(self, f"{side}_id", None) else None
            if connection is not None and connection.tenant_id != self.tenant_id:
                errors[side] = "This connection belongs to another workspace."
        if self.source_id and self.source_id == self.target_id:
            errors["target"] = "Source and target must be different connections."
        if flow is not None and not errors:
            if self.source.provider != flow.source_provider:
                errors["source"] = f"{flow.name} reads from a {flow.source_provider} connection."
            if self.target.provider != flow.target_provider:
                errors["target"] = f"{flow.name} writes to a {flow.target_provider} connection."
        if self.poll_interval is not None and self.poll_interval.total_seconds() < 60:
            errors["poll_interval"] = "Poll at most once a minute."
        if self.archived_at is not None and self.enabled:
            errors["enabled"] = "This integration is archived: restore it before enabling it."
        if errors:
            raise ValidationError(errors)


class Profile(models.Model):
    """Per-user account state. Only sign-ups get one unverified: invitees prove their address by the link."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Profile of {self.user}"


class Invitation(models.Model):
    """An e-mailed offer to join a tenant with a role. The link carries a signed key whose hash is stored."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=10,
        choices=[(Membership.Role.ADMIN, "Admin"), (Membership.Role.AGENT, "Agent")],
        default=Membership.Role.AGENT,
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation of {self.email} to {self.tenant} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the key is stored; the key is shown once, at creation."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The key's first characters, to tell tokens apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user}"


class ThrottleCounter(models.Model):
    """A fixed-window counter for the throttles when the cache is the database (with Redis, INCR is used).

    The window's index is part of `key`, so a window lasts exactly as long as its name says whatever the
    cache does with expiries; `count` is bumped with one UPDATE, atomic across processes."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
