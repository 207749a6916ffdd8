"""The state of one emulated Zendesk account: organizations, custom organization fields, users, tickets,
webhooks and API tokens, with Zendesk's validation rules and wire shapes.

It is plain Python with no HTTP in it: `emulator.py` turns requests into calls here and the results into
responses. Every rule follows `../shared/providers/zendesk.md`; choices the note marks UNCONFIRMED are
read from the emulator's config (`ZendeskEmulator.DEFAULT_CONFIG`) so a test or the sandbox can flip them,
and the package README lists them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from connections.sandbox.base import Clock

# --------------------------------------------------------------------------------------------------
# Errors: each carries the exact status, body and content type Zendesk answers with.


class ZendeskError(Exception):
    """An answer other than success. `body` is a dict (JSON) or a str (text/plain)."""

    def __init__(self, status: int, body: dict | str, headers: dict | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ZendeskError:
    return ZendeskError(404, {"error": "RecordNotFound", "description": "Not found"})


def record_invalid(details: dict[str, list[dict]]) -> ZendeskError:
    return ZendeskError(422, {"error": "RecordInvalid", "description": "Record validation errors", "details": details})


def field_error(field_label: str, message: str, code: str | None) -> dict:
    entry = {"description": f"{field_label}: {message}"}
    if code:
        entry["error"] = code
    return entry


def invalid_request(description: str, status: int = 400, error: str = "InvalidValue") -> ZendeskError:
    return ZendeskError(status, {"error": error, "description": description})


def api_errors(status: int, code: str, title: str) -> ZendeskError:
    """The newer APIs' shape (webhooks, autocomplete): {"errors": [{"code", "title"}]}."""
    return ZendeskError(status, {"errors": [{"code": code, "title": title}]})


INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
    "used in the authorization request, or was issued to another client."
)
INVALID_TOKEN = "The access token provided is expired, revoked, malformed or invalid for other reasons."  # noqa: S105
FORBIDDEN = "You do not have access to this page. Please contact the account owner of this help desk for further help."


# --------------------------------------------------------------------------------------------------
# Small helpers: time, ids, signing.


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_nanos(moment: datetime) -> str:
    """Webhook `created_at` on create carries nanoseconds ("…21.941443513Z"); Python has microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(moment: datetime) -> str:
    """A ULID (48-bit milliseconds + 80 random bits, Crockford base32): the shape of webhook ids."""
    value = (int(moment.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(_ULID_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def sign_delivery(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's webhook signature: base64(HMAC-SHA256(key=secret as-is, msg=timestamp + raw body)).

    The key is the secret string itself (it looks like base64 but is not decoded); the timestamp is the
    exact ISO-8601 header value; there is no separator.
    """
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def new_signing_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def casefold(value) -> str:
    return str(value).casefold()


def record_id(value) -> int | None:
    """A record id as clients send it (a number or a string of digits), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# --------------------------------------------------------------------------------------------------
# Records.


@dataclass
class OrganizationField:
    TYPES = ("text", "textarea", "checkbox", "date", "integer", "decimal", "regexp", "dropdown", "lookup")

    id: int
    key: str
    type: str
    title: str
    description: str = ""
    position: int = 0
    active: bool = True
    regexp_for_validation: str | None = None
    tag: str | None = None
    custom_field_options: list[dict] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def coerce(self, value):
        """The stored value for `value`, or ValueError. None always clears the field."""
        if value is None or value == "":
            return None
        if self.type in ("text", "textarea"):
            return str(value)
        if self.type == "checkbox":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1"):
                return True
            if str(value).lower() in ("false", "0"):
                return False
            raise ValueError
        if self.type == "integer":
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int):
                return value
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                return int(value)
            raise ValueError
        if self.type == "decimal":
            if isinstance(value, bool):
                raise ValueError
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise ValueError from None
            if not number.is_finite():
                raise ValueError
            return float(number)
        if self.type == "date":
            date.fromisoformat(str(value)[:10])
            return str(value)[:10]
        if self.type == "regexp":
            if self.regexp_for_validation and not re.fullmatch(self.regexp_for_validation, str(value)):
                raise ValueError
            return str(value)
        if self.type == "dropdown":
            if str(value) not in {option["value"] for option in self.custom_field_options}:
                raise ValueError
            return str(value)
        return value


@dataclass
class Organization:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    domain_names: list[str] = field(default_factory=list)
    details: str | None = None
    notes: str | None = None
    group_id: int | None = None
    shared_tickets: bool = False
    shared_comments: bool = False
    tags: list[str] = field(default_factory=list)
    organization_fields: dict = field(default_factory=dict)


@dataclass
class User:
    id: int
    name: str
    email: str | None
    created_at: datetime
    updated_at: datetime
    role: str = "end-user"
    organization_id: int | None = None
    external_id: str | None = None
    active: bool = True
    verified: bool = True
    phone: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    details: str = ""
    time_zone: str = "Eastern Time (US & Canada)"
    iana_time_zone: str = "America/New_York"
    locale: str = "en-US"
    default_group_id: int | None = None
    user_fields: dict = field(default_factory=dict)
    authenticity_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))


@dataclass
class Comment:
    id: int
    audit_id: int
    author_id: int
    body: str
    html_body: str
    public: bool
    created_at: datetime
    channel: str = "api"


@dataclass
class Ticket:
    id: int
    subject: str
    created_at: datetime
    updated_at: datetime
    requester_id: int
    submitter_id: int
    status: str = "new"
    priority: str | None = None
    type: str | None = None
    organization_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    external_id: str | None = None
    tags: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # [OAS] TicketCommentObject: the `public` value of the first comment persists for later comments that
    # do not say, which is why an internal note must always send `public: false`.
    default_comment_public: bool = True
    updates: list[datetime] = field(default_factory=list)
    channel: str = "api"


@dataclass
class Webhook:
    id: str
    name: str
    endpoint: str
    http_method: str
    request_format: str
    status: str
    subscriptions: list[str]
    created_at: datetime
    created_by: str
    signing_secret: str
    description: str | None = None
    authentication: dict | None = None
    custom_headers: dict = field(default_factory=dict)


ORGANIZATION_EVENTS = (
    "zen:event-type:organization.created",
    "zen:event-type:organization.custom_field_changed",
    "zen:event-type:organization.deleted",
    "zen:event-type:organization.external_id_changed",
    "zen:event-type:organization.name_changed",
    "zen:event-type:organization.tags_changed",
)
USER_EVENTS = tuple(
    f"zen:event-type:user.{name}"
    for name in (
        "created",
        "deleted",
        "active_changed",
        "alias_changed",
        "custom_field_changed",
        "custom_role_changed",
        "default_group_changed",
        "details_changed",
        "external_id_changed",
        "group_membership_created",
        "group_membership_deleted",
        "identity_changed",
        "identity_created",
        "identity_deleted",
        "last_login_changed",
        "merged",
        "name_changed",
        "notes_changed",
        "only_private_comments_changed",
        "organization_membership_created",
        "organization_membership_deleted",
        "password_changed",
        "photo_changed",
        "role_changed",
        "suspended_changed",
        "tags_changed",
        "time_zone_changed",
    )
)
TICKET_EVENTS = tuple(
    f"zen:event-type:ticket.{name}"
    for name in (
        "created",
        "status_changed",
        "comment_added",
        "priority_changed",
        "tags_changed",
        "organization_changed",
        "external_id_changed",
        "subject_changed",
    )
)
KNOWN_EVENTS = frozenset(ORGANIZATION_EVENTS + USER_EVENTS + TICKET_EVENTS)
CONDITIONAL = "conditional_ticket_events"


@dataclass
class PendingEvent:
    """An event the account produced; the emulator turns it into signed deliveries to subscribed webhooks."""

    type: str
    subject: str
    detail: dict
    event: dict
    time: datetime


# --------------------------------------------------------------------------------------------------
# The account.


class ZendeskAccount:
    """One Zendesk instance (one subdomain) and everything in it."""

    ORG_ID_BASE = 6164125400000
    USER_ID_BASE = 6130907993000
    FIELD_ID_BASE = 6164125500000
    COMMENT_ID_BASE = 6164125600000
    AUDIT_ID_BASE = 6164125700000

    def __init__(
        self,
        subdomain: str,
        *,
        clock: Clock,
        config: dict,
        account_id: int = 18525119,
        base_url: str | None = None,
    ):
        self.subdomain = subdomain
        self.clock = clock
        # The emulator's live config dict (see ZendeskEmulator.DEFAULT_CONFIG): control-API changes apply at once.
        self.config = config
        self.account_id = account_id
        self.base_url = (base_url or f"https://{subdomain}.zendesk.com").rstrip("/")
        self.organizations: dict[int, Organization] = {}
        self.organization_fields: dict[int, OrganizationField] = {}
        self.users: dict[int, User] = {}
        self.tickets: dict[int, Ticket] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.api_tokens: dict[str, bool] = {}
        self.events: list[PendingEvent] = []
        self._sequence = 0
        self._ticket_sequence = 0
        self.admin = self.create_user(
            {"name": "Sandbox Admin", "email": f"admin@{subdomain}.example.com", "role": "admin"}, emit=False
        )

    # -- ids and time ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.utcnow()

    def _next(self, base: int) -> int:
        self._sequence += 1
        return base + self._sequence

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v2/{path}"

    def _emit(self, type_: str, subject: str, detail: dict, event: dict | None = None) -> None:
        self.events.append(PendingEvent(type_, subject, detail, event or {}, self.now()))

    def drain_events(self) -> list[PendingEvent]:
        events, self.events = self.events, []
        return events

    # -- organization fields -----------------------------------------------------------------------

    def create_organization_field(self, data: dict) -> OrganizationField:
        key = data.get("key")
        errors: dict[str, list] = {}
        if not key or not re.fullmatch(r"[A-Za-z0-9_]+", str(key)) or str(key).isdigit():
            errors["key"] = [field_error("Key", "is invalid", "InvalidValue")]
        elif any(f.key == key for f in self.organization_fields.values()):
            errors["key"] = [field_error("Key", f"{key} has already been taken", "DuplicateValue")]
        if data.get("type") not in OrganizationField.TYPES:
            errors["type"] = [field_error("Type", "is invalid", "InvalidValue")]
        if not data.get("title"):
            errors["title"] = [field_error("Title", "cannot be blank", "BlankValue")]
        options = []
        if data.get("type") == "dropdown":
            options = [
                {"id": self._next(self.FIELD_ID_BASE), "name": o.get("name"), "raw_name": o.get("name"), **o}
                for o in data.get("custom_field_options") or []
            ]
            if not options:
                errors["custom_field_options"] = [field_error("Field options", "cannot be blank", "BlankValue")]
        if errors:
            raise record_invalid(errors)
        now = self.now()
        field_ = OrganizationField(
            id=self._next(self.FIELD_ID_BASE),
            key=str(key),
            type=data["type"],
            title=data["title"],
            description=data.get("description") or "",
            position=data.get("position", len(self.organization_fields)),
            active=data.get("active", True),
            regexp_for_validation=data.get("regexp_for_validation"),
            tag=data.get("tag"),
            custom_field_options=options,
            created_at=now,
            updated_at=now,
        )
        self.organization_fields[field_.id] = field_
        return field_

    def organization_field_json(self, f: OrganizationField) -> dict:
        body = {
            "url": self.url(f"organization_fields/{f.id}.json"),
            "id": f.id,
            "type": f.type,
            "key": f.key,
            "title": f.title,
            "description": f.description,
            "raw_title": f.title,
            "raw_description": f.description,
            "position": f.position,
            "active": f.active,
            "system": False,
            "regexp_for_validation": f.regexp_for_validation,
            "created_at": iso(f.created_at),
            "updated_at": iso(f.updated_at),
        }
        if f.type == "checkbox":
            body["tag"] = f.tag
        if f.type == "dropdown":
            body["custom_field_options"] = f.custom_field_options
        return body

    def _fields_by_key(self) -> dict[str, OrganizationField]:
        return {f.key: f for f in self.organization_fields.values() if f.active}

    def _apply_custom_fields(self, org: Organization, values, errors: dict) -> None:
        if not isinstance(values, dict):
            errors["organization_fields"] = [field_error("Organization fields", "is invalid", "InvalidValue")]
            return
        known = self._fields_by_key()
        for key, value in values.items():
            definition = known.get(key)
            if definition is None:
                if self.config["unknown_custom_field"] == "reject":
                    errors[key] = [field_error(key, "is not a custom field", "InvalidValue")]
                continue
            try:
                org.organization_fields[key] = definition.coerce(value)
            except (ValueError, TypeError):
                errors[key] = [field_error(definition.title, "is invalid", "InvalidValue")]

    # -- organizations -----------------------------------------------------------------------------

    def organization(self, org_id) -> Organization:
        try:
            return self.organizations[record_id(org_id)]
        except KeyError:
            raise not_found() from None

    def _name_taken(self, name: str, except_id: int | None = None) -> bool:
        folded = casefold(name.strip())
        return any(casefold(o.name) == folded and o.id != except_id for o in self.organizations.values())

    def find_by_external_id(self, external_id) -> Organization | None:
        folded = casefold(external_id)
        return next(
            (o for o in self.organizations.values() if o.external_id is not None and casefold(o.external_id) == folded),
            None,
        )

    def _validate_organization(self, org: Organization, errors: dict) -> None:
        if not org.name or not org.name.strip():
            errors.setdefault("name", []).append(field_error("Name", "cannot be blank", "BlankValue"))
        elif self._name_taken(org.name, except_id=org.id):
            errors.setdefault("name", []).append(
                field_error("Name", f"{org.name} has already been taken", "DuplicateValue")
            )
        if org.external_id is not None:
            other = self.find_by_external_id(org.external_id)
            if other is not None and other.id != org.id:
                errors.setdefault("external_id", []).append(
                    field_error("External", f"{org.external_id} has already been taken", "DuplicateValue")
                )

    def _assign_organization(self, org: Organization, data: dict, errors: dict) -> None:
        for key in ("name", "details", "notes"):
            if key in data:
                value = data[key]
                setattr(org, key, None if value is None else str(value))
        if "external_id" in data:
            value = data["external_id"]
            org.external_id = None if value in (None, "") else str(value)
        for key in ("domain_names", "tags"):
            if key in data and not isinstance(data[key] or [], list):
                errors[key] = [field_error(key.replace("_", " ").capitalize(), "is invalid", "InvalidValue")]
        if isinstance(data.get("domain_names"), list):
            org.domain_names = [str(d) for d in data["domain_names"]]
        elif "domain_names" in data and data["domain_names"] is None:
            org.domain_names = []
        if isinstance(data.get("tags"), list):
            org.tags = sorted({str(t).lower() for t in data["tags"]})
        elif "tags" in data and data["tags"] is None:
            org.tags = []
        for key in ("shared_tickets", "shared_comments"):
            if key in data:
                setattr(org, key, bool(data[key]))
        if "group_id" in data:
            org.group_id = data["group_id"]
        if "organization_fields" in data:
            self._apply_custom_fields(org, data["organization_fields"] or {}, errors)

    def create_organization(self, data: dict) -> Organization:
        if not isinstance(data, dict):
            raise invalid_request("organization parameter is missing", error="InvalidEndpoint")
        now = self.now()
        org = Organization(id=0, name="", created_at=now, updated_at=now)
        org.organization_fields = {key: None for key in self._fields_by_key()}
        errors: dict = {}
        self._assign_organization(org, data, errors)
        org.name = (org.name or "").strip()
        self._validate_organization(org, errors)
        if errors:
            raise record_invalid(errors)
        org.id = self._next(self.ORG_ID_BASE)
        self.organizations[org.id] = org
        self._emit("zen:event-type:organization.created", f"zen:organization:{org.id}", self._org_detail(org))
        return org

    def update_organization(self, org_id, data: dict) -> Organization:
        """PUT semantics: given keys overwrite (notes and details included), domain_names is replaced whole,
        organization_fields merge key by key."""
        org = self.organization(org_id)
        if not isinstance(data, dict):
            raise invalid_request("organization parameter is missing", error="InvalidEndpoint")
        before = Organization(**{**org.__dict__, "organization_fields": dict(org.organization_fields)})
        candidate = Organization(**{**org.__dict__, "organization_fields": dict(org.organization_fields)})
        errors: dict = {}
        self._assign_organization(candidate, data, errors)
        if "name" in data:
            candidate.name = (candidate.name or "").strip()
        self._validate_organization(candidate, errors)
        if errors:
            raise record_invalid(errors)
        candidate.updated_at = self.now()
        self.organizations[org.id] = candidate
        self._emit_organization_changes(before, candidate)
        return candidate

    def create_or_update_organization(self, data: dict) -> tuple[Organization, bool]:
        """Matches on `id`, then `external_id` (case-insensitive); never on name. Returns (org, created)."""
        if not isinstance(data, dict):
            raise invalid_request("organization parameter is missing", error="InvalidEndpoint")
        match = None
        if data.get("id") is not None:
            match = self.organizations.get(record_id(data["id"]))
        if match is None and data.get("external_id") not in (None, ""):
            match = self.find_by_external_id(data["external_id"])
        if match is not None:
            payload = {k: v for k, v in data.items() if k != "id"}
            return self.update_organization(match.id, payload), False
        return self.create_organization({k: v for k, v in data.items() if k != "id"}), True

    def delete_organization(self, org_id) -> None:
        org = self.organization(org_id)
        del self.organizations[org.id]
        self._emit("zen:event-type:organization.deleted", f"zen:organization:{org.id}", self._org_detail(org))

    def _emit_organization_changes(self, before: Organization, after: Organization) -> None:
        subject = f"zen:organization:{after.id}"
        detail = self._org_detail(after)
        if before.name != after.name:
            self._emit(
                "zen:event-type:organization.name_changed",
                subject,
                detail,
                {"current": after.name, "previous": before.name},
            )
        if before.external_id != after.external_id:
            self._emit(
                "zen:event-type:organization.external_id_changed",
                subject,
                detail,
                {"current": after.external_id or "", "previous": before.external_id or ""},
            )
        if before.tags != after.tags:
            added = sorted(set(after.tags) - set(before.tags))
            removed = sorted(set(before.tags) - set(after.tags))
            self._emit(
                "zen:event-type:organization.tags_changed",
                subject,
                detail,
                {"tags_added": added, "tags_removed": removed},
            )
        fields = self._fields_by_key()
        for key, value in after.organization_fields.items():
            if before.organization_fields.get(key) != value and key in fields:
                self._emit(
                    "zen:event-type:organization.custom_field_changed",
                    subject,
                    detail,
                    {
                        "current": value,
                        "previous": before.organization_fields.get(key),
                        "field": {"id": str(fields[key].id), "title": fields[key].title, "type": fields[key].type},
                    },
                )

    def organization_json(self, org: Organization) -> dict:
        """Keys in the order the live API sent them ([ZP] create-single recording)."""
        custom = {key: None for key in self._fields_by_key()}
        custom.update(org.organization_fields)
        return {
            "url": self.url(f"organizations/{org.id}.json"),
            "id": org.id,
            "name": org.name,
            "shared_tickets": org.shared_tickets,
            "shared_comments": org.shared_comments,
            "external_id": org.external_id,
            "created_at": iso(org.created_at),
            "updated_at": iso(org.updated_at),
            "domain_names": list(org.domain_names),
            "details": org.details,
            "notes": org.notes,
            "group_id": org.group_id,
            "tags": list(org.tags),
            "organization_fields": custom,
        }

    @staticmethod
    def _org_detail(org: Organization) -> dict:
        """Event `detail`: a snapshot without custom fields or domains; ids as strings, "none" as "0"/""."""
        return {
            "created_at": iso(org.created_at),
            "external_id": org.external_id or "",
            "group_id": str(org.group_id or 0),
            "id": str(org.id),
            "name": org.name,
            "shared_comments": org.shared_comments,
            "shared_tickets": org.shared_tickets,
            "updated_at": iso(org.updated_at),
        }

    def search_organizations(self, *, name: str | None = None, external_id: str | None = None) -> list[Organization]:
        if (name is None) == (external_id is None):
            raise invalid_request("Provide either external_id or name, not both", error="InvalidParameter")
        if name is not None:
            folded = casefold(name.strip())
            found = [o for o in self.organizations.values() if casefold(o.name) == folded]
        else:
            folded = casefold(external_id)
            found = [o for o in self.organizations.values() if o.external_id and casefold(o.external_id) == folded]
        return sorted(found, key=lambda o: o.id)

    def autocomplete_organizations(self, prefix: str) -> list[Organization]:
        """Prefix match on name, case-insensitive; names starting with a non-alphanumeric never match
        (salto-io/salto#5436)."""
        if len(prefix or "") < 2:
            raise api_errors(400, "QueryError", "Name must be at least 2 characters")
        folded = casefold(prefix)
        found = [o for o in self.organizations.values() if o.name[:1].isalnum() and casefold(o.name).startswith(folded)]
        return sorted(found, key=lambda o: (casefold(o.name), o.id))

    def incremental_organizations(self, start_time: int, per_page: int | None = None) -> dict:
        """Time-based incremental export: records updated at or after `start_time`, oldest first.

        `end_time` is the last record's `updated_at`; a full page ends mid-second, so the next page (which
        starts at `end_time`) repeats the records of that second: consumers dedupe. `next_page` is always
        present; `end_of_stream` says when to stop (Airbyte PR #33680).
        """
        now = self.now()
        if start_time > epoch(now) - 60:
            raise invalid_request("Too recent start_time. Use a start_time older than 1 minute.", status=422)
        size = per_page or self.config["incremental_page_size"]
        changed = sorted(
            (o for o in self.organizations.values() if epoch(o.updated_at) >= start_time),
            key=lambda o: (o.updated_at, o.id),
        )
        page = changed[:size]
        end_of_stream = len(changed) <= size
        end_time = epoch(page[-1].updated_at) if page else start_time
        if not end_of_stream and end_time == start_time:
            # A whole page inside one second would loop forever; Zendesk moves on a second.
            end_time += 1
        return {
            "organizations": [self.organization_json(o) for o in page],
            "count": len(page),
            "end_of_stream": end_of_stream,
            "end_time": end_time,
            "next_page": self.url(f"incremental/organizations.json?start_time={end_time}"),
        }

    def incremental_cursor(
        self, kind: str, *, start_time: int | None, cursor: str | None, per_page: int | None = None
    ) -> dict:
        """Cursor-based incremental export of `tickets` or `users`: records changed after the position,
        oldest first. `after_cursor` and `after_url` are always present, so a consumer that reached
        `end_of_stream` keeps the cursor and asks again later for newer changes."""
        records, render = {"tickets": (self.tickets, self.ticket_json), "users": (self.users, self.user_json)}[kind]
        if cursor:
            mark = decode_export_cursor(cursor)
        elif start_time is None:
            raise invalid_request("start_time or cursor is required", status=400)
        elif start_time > epoch(self.now()) - 60:
            raise invalid_request("Too recent start_time. Use a start_time older than 1 minute.", status=422)
        else:
            mark = (start_time, -1)
        size = per_page or self.config["incremental_page_size"]
        changed = sorted(
            (r for r in records.values() if (epoch(r.updated_at), r.id) > mark),
            key=lambda r: (epoch(r.updated_at), r.id),
        )
        page = changed[:size]
        after = encode_export_cursor((epoch(page[-1].updated_at), page[-1].id) if page else mark)
        before = cursor or None
        return {
            kind: [render(r) for r in page],
            "after_url": self.url(f"incremental/{kind}/cursor.json?cursor={after}"),
            "after_cursor": after,
            "before_url": self.url(f"incremental/{kind}/cursor.json?cursor={before}") if before else None,
            "before_cursor": before,
            "end_of_stream": len(changed) <= size,
        }

    # -- users -------------------------------------------------------------------------------------

    def user(self, user_id) -> User:
        try:
            return self.users[record_id(user_id)]
        except KeyError:
            raise not_found() from None

    def user_by_email(self, email: str) -> User | None:
        folded = casefold(email.strip())
        return next((u for u in self.users.values() if u.email and casefold(u.email) == folded), None)

    def create_user(self, data: dict, *, emit: bool = True) -> User:
        if not isinstance(data, dict):
            raise invalid_request("user parameter is missing", error="InvalidEndpoint")
        errors: dict = {}
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = [field_error("Name", "is too short (minimum one character)", "ValueTooShort")]
        email = data.get("email")
        if email and self.user_by_email(email):
            errors["email"] = [field_error("Email", f"{email} is already being used by another user", "DuplicateValue")]
        if data.get("role", "end-user") not in ("end-user", "agent", "admin"):
            errors["role"] = [field_error("Role", "is invalid", "InvalidValue")]
        org_id = data.get("organization_id")
        if org_id is not None and record_id(org_id) not in self.organizations:
            errors["organization_id"] = [field_error("Organization", "is invalid", "InvalidValue")]
        if email is not None and not isinstance(email, str):
            errors["email"] = [field_error("Email", "is invalid", "InvalidValue")]
        if errors:
            raise record_invalid(errors)
        now = self.now()
        user = User(
            id=self._next(self.USER_ID_BASE),
            name=name,
            email=email.strip().lower() if email else None,
            created_at=now,
            updated_at=now,
            role=data.get("role", "end-user"),
            organization_id=record_id(org_id),
            external_id=data.get("external_id"),
            phone=data.get("phone"),
            tags=list(data.get("tags") or []),
        )
        self.users[user.id] = user
        if emit:
            self._emit("zen:event-type:user.created", f"zen:user:{user.id}", self._user_detail(user))
        return user

    def search_users(self, *, query: str | None = None, external_id: str | None = None) -> list[User]:
        if external_id is not None:
            folded = casefold(external_id)
            return [u for u in self.users.values() if u.external_id and casefold(u.external_id) == folded]
        term = (query or "").strip()
        if term.lower().startswith("email:"):
            term = term[6:].strip().strip('"')
        if not term:
            return []
        folded = casefold(term)
        if "@" in term:
            return [u for u in self.users.values() if u.email and casefold(u.email) == folded]
        return [u for u in self.users.values() if folded in casefold(u.name)]

    ROLE_TYPES = {"end-user": None, "agent": 0, "admin": 4}

    def user_json(self, user: User) -> dict:
        return {
            "id": user.id,
            "url": self.url(f"users/{user.id}.json"),
            "name": user.name,
            "email": user.email,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.updated_at),
            "time_zone": user.time_zone,
            "iana_time_zone": user.iana_time_zone,
            "phone": user.phone,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": 1,
            "locale": user.locale,
            "organization_id": user.organization_id,
            "role": user.role,
            "verified": user.verified,
            "external_id": user.external_id,
            "tags": list(user.tags),
            "alias": None,
            "active": user.active,
            "shared": False,
            "shared_agent": False,
            "last_login_at": None,
            "two_factor_auth_enabled": None,
            "signature": None,
            "details": user.details,
            "notes": user.notes,
            "role_type": self.ROLE_TYPES.get(user.role),
            "custom_role_id": None,
            "moderator": user.role != "end-user",
            "ticket_restriction": None if user.role == "admin" else "requested",
            "only_private_comments": False,
            "restricted_agent": user.role == "agent",
            "suspended": False,
            "default_group_id": user.default_group_id,
            "report_csv": user.role == "admin",
            "user_fields": dict(user.user_fields),
        }

    def me_json(self, user: User) -> dict:
        return {**self.user_json(user), "authenticity_token": user.authenticity_token}

    @staticmethod
    def anonymous_user_json() -> dict:
        """What users/me answers for an unknown identity (shape UNCONFIRMED; node-zendesk#152)."""
        return {
            "id": None,
            "url": None,
            "name": "Anonymous user",
            "email": "invalid@example.com",
            "created_at": None,
            "updated_at": None,
            "time_zone": "Eastern Time (US & Canada)",
            "iana_time_zone": "America/New_York",
            "phone": None,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": 1,
            "locale": "en-US",
            "organization_id": None,
            "role": "end-user",
            "verified": False,
            "authenticity_token": secrets.token_urlsafe(24),
        }

    @staticmethod
    def _user_detail(user: User) -> dict:
        return {
            "created_at": iso(user.created_at),
            "default_group_id": str(user.default_group_id or 0),
            "email": user.email or "",
            "external_id": user.external_id or "",
            "id": str(user.id),
            "organization_id": str(user.organization_id or 0),
            "role": user.role,
            "updated_at": iso(user.updated_at),
        }

    # -- tickets -----------------------------------------------------------------------------------

    TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")

    def ticket(self, ticket_id) -> Ticket:
        try:
            return self.tickets[record_id(ticket_id)]
        except KeyError:
            raise not_found() from None

    def create_ticket(self, data: dict, *, author: User | None = None) -> Ticket:
        if not isinstance(data, dict):
            raise invalid_request("ticket parameter is missing", error="InvalidEndpoint")
        author = author or self.admin
        comment = data.get("comment") or {}
        if not isinstance(comment, dict):
            raise record_invalid({"comment": [field_error("Comment", "is invalid", "InvalidValue")]})
        body = comment.get("body") or comment.get("html_body") or data.get("description")
        errors: dict = {}
        if not body:
            errors["description"] = [field_error("Description", "cannot be blank", "BlankValue")]
        status = data.get("status", "new")
        if status not in self.TICKET_STATUSES:
            errors["status"] = [field_error("Status", "is invalid", "InvalidValue")]
        requester_id = record_id(data.get("requester_id", author.id))
        if requester_id not in self.users:
            errors["requester_id"] = [field_error("Requester", "is invalid", "InvalidValue")]
        org_id = data.get("organization_id")
        if org_id is None and requester_id in self.users:
            org_id = self.users[requester_id].organization_id
        if org_id is not None and record_id(org_id) not in self.organizations:
            errors["organization_id"] = [field_error("Organization", "is invalid", "InvalidValue")]
        if errors:
            raise record_invalid(errors)
        now = self.now()
        self._ticket_sequence += 1
        public = bool(comment.get("public", True))
        ticket = Ticket(
            id=self._ticket_sequence,
            subject=data.get("subject") or str(body)[:80],
            created_at=now,
            updated_at=now,
            requester_id=requester_id,
            submitter_id=author.id,
            status=status,
            priority=data.get("priority"),
            type=data.get("type"),
            organization_id=record_id(org_id),
            assignee_id=data.get("assignee_id"),
            external_id=data.get("external_id"),
            tags=list(data.get("tags") or []),
            default_comment_public=public,
        )
        ticket.comments.append(self._comment(author, str(body), public, now))
        self.tickets[ticket.id] = ticket
        self._emit(
            "zen:event-type:ticket.created",
            f"zen:ticket:{ticket.id}",
            self._ticket_detail(ticket, author),
            {"meta": {"sequence": {"id": uuid.uuid4().hex.upper(), "position": 1, "total": 1}}},
        )
        return ticket

    def _comment(self, author: User, body: str, public: bool, now: datetime) -> Comment:
        return Comment(
            id=self._next(self.COMMENT_ID_BASE),
            audit_id=self._next(self.AUDIT_ID_BASE),
            author_id=author.id,
            body=body,
            html_body=f'<div class="zd-comment" dir="auto"><p dir="auto">{_html_escape(body)}</p></div>',
            public=public,
            created_at=now,
        )

    def ticket_update_budget(self, ticket: Ticket) -> tuple[int, int, int]:
        """(total, remaining, resets in seconds) for the per-ticket update limit."""
        now = self.now()
        window = timedelta(seconds=self.config["ticket_update_window_seconds"])
        ticket.updates = [t for t in ticket.updates if now - t < window]
        total = self.config["ticket_update_limit"]
        resets = int((ticket.updates[0] + window - now).total_seconds()) if ticket.updates else 0
        return total, max(total - len(ticket.updates), 0), max(resets, 0)

    def update_ticket(self, ticket_id, data: dict, *, author: User) -> tuple[Ticket, dict]:
        """PUT /tickets/{id}: optional comment plus field changes. Closed tickets refuse every update."""
        ticket = self.ticket(ticket_id)
        if not isinstance(data, dict):
            raise invalid_request("ticket parameter is missing", error="InvalidEndpoint")
        if ticket.status == "closed":
            raise record_invalid({"status": [{"description": "Status: closed prevents ticket update"}]})
        _, remaining, resets = self.ticket_update_budget(ticket)
        if remaining <= 0:
            raise ZendeskError(
                429,
                {"errors": [{"code": "TooManyRequests", "title": "Too many requests to update"}]},
                {"Retry-After": str(max(resets, 1))},
            )
        errors: dict = {}
        status = data.get("status", ticket.status)
        if status not in self.TICKET_STATUSES:
            errors["status"] = [field_error("Status", "is invalid", "InvalidValue")]
        comment = data.get("comment")
        if comment is not None and not (
            isinstance(comment, dict) and (comment.get("body") or comment.get("html_body"))
        ):
            errors["comment"] = [field_error("Comment", "cannot be blank", "BlankValue")]
        if errors:
            raise record_invalid(errors)
        now = self.now()
        events = []
        audit_id = self._next(self.AUDIT_ID_BASE)
        if comment is not None:
            public = bool(comment["public"]) if "public" in comment else ticket.default_comment_public
            note = self._comment(author, str(comment.get("body") or comment.get("html_body")), public, now)
            note.audit_id = audit_id
            ticket.comments.append(note)
            events.append({**self._comment_event(note), "audit_id": audit_id})
        for key in ("status", "priority", "type", "subject", "assignee_id", "group_id", "external_id", "tags"):
            if key in data and data[key] != getattr(ticket, key):
                events.append(
                    {
                        "id": self._next(self.AUDIT_ID_BASE),
                        "type": "Change",
                        "value": data[key],
                        "field_name": key,
                        "previous_value": getattr(ticket, key),
                    }
                )
                setattr(ticket, key, data[key])
        if ticket.status == "new" and comment is not None and author.role != "end-user":
            ticket.status = "open"
        ticket.updated_at = now
        ticket.updates.append(now)
        audit = {
            "id": audit_id,
            "ticket_id": ticket.id,
            "created_at": iso(now),
            "author_id": author.id,
            "metadata": {
                "system": {
                    "client": "ml-connector sandbox",
                    "ip_address": "127.0.0.1",
                    "location": "Sandbox",
                    "latitude": 0,
                    "longitude": 0,
                },
                "custom": {},
            },
            "events": events,
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        }
        return ticket, audit

    @staticmethod
    def _comment_event(comment: Comment) -> dict:
        return {
            "id": comment.id,
            "type": "Comment",
            "author_id": comment.author_id,
            "body": comment.body,
            "html_body": comment.html_body,
            "plain_body": comment.body,
            "public": comment.public,
            "attachments": [],
            "audit_id": comment.audit_id,
        }

    def comment_json(self, comment: Comment) -> dict:
        return {
            **self._comment_event(comment),
            "via": {"channel": comment.channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(comment.created_at),
            "metadata": {"system": {}, "custom": {}},
        }

    def tickets_of_organization(self, org_id) -> list[Ticket]:
        org = self.organization(org_id)
        return sorted((t for t in self.tickets.values() if t.organization_id == org.id), key=lambda t: t.id)

    def ticket_json(self, ticket: Ticket) -> dict:
        first = ticket.comments[0] if ticket.comments else None
        return {
            "url": self.url(f"tickets/{ticket.id}.json"),
            "id": ticket.id,
            "external_id": ticket.external_id,
            "via": {"channel": ticket.channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(ticket.created_at),
            "updated_at": iso(ticket.updated_at),
            "generated_timestamp": epoch(ticket.updated_at),
            "type": ticket.type,
            "subject": ticket.subject,
            "raw_subject": ticket.subject,
            "description": first.body if first else "",
            "priority": ticket.priority,
            "status": ticket.status,
            "recipient": None,
            "requester_id": ticket.requester_id,
            "submitter_id": ticket.submitter_id,
            "assignee_id": ticket.assignee_id,
            "organization_id": ticket.organization_id,
            "group_id": ticket.group_id,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": any(c.public for c in ticket.comments),
            "due_at": None,
            "tags": list(ticket.tags),
            "custom_fields": [],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "custom_status_id": None,
            "fields": [],
            "followup_ids": [],
            "ticket_form_id": None,
            "brand_id": None,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }

    def _ticket_detail(self, ticket: Ticket, actor: User) -> dict:
        status = ticket.status.upper() if self.config["ticket_event_status_upper"] else ticket.status
        return {
            "actor_id": str(actor.id),
            "assignee_id": str(ticket.assignee_id or 0),
            "brand_id": "0",
            "created_at": iso(ticket.created_at),
            "custom_status": "0",
            "description": ticket.comments[0].body if ticket.comments else "",
            "external_id": ticket.external_id or "",
            "form_id": "0",
            "group_id": str(ticket.group_id or 0),
            "id": str(ticket.id),
            "is_public": any(c.public for c in ticket.comments),
            "organization_id": str(ticket.organization_id or 0),
            "priority": (ticket.priority or "").upper(),
            "requester_id": str(ticket.requester_id),
            "status": status,
            "subject": ticket.subject,
            "submitter_id": str(ticket.submitter_id),
            "tags": list(ticket.tags),
            "type": (ticket.type or "").upper(),
            "updated_at": iso(ticket.updated_at),
            "via": {"channel": "api"},
        }

    # -- webhooks ----------------------------------------------------------------------------------

    def webhook(self, webhook_id: str) -> Webhook:
        try:
            return self.webhooks[webhook_id]
        except KeyError:
            raise api_errors(404, "WebhookNotFound", "Webhook not found") from None

    def create_webhook(self, data: dict, *, created_by: User) -> Webhook:
        if not isinstance(data, dict):
            raise api_errors(400, "InvalidInput", "webhook is required")
        for key in ("name", "endpoint", "http_method", "request_format", "status"):
            if not data.get(key):
                raise api_errors(400, "InvalidInput", f"{key} is required")
        if not re.match(r"^https?://", str(data["endpoint"])):
            raise api_errors(400, "InvalidInput", "endpoint must be an absolute http(s) URL")
        if data["status"] not in ("active", "inactive"):
            raise api_errors(400, "InvalidInput", "status must be active or inactive")
        subscriptions = list(data.get("subscriptions") or [])
        if CONDITIONAL in subscriptions and len(subscriptions) > 1:
            raise api_errors(400, "InvalidSubscriptions", "conditional_ticket_events cannot be mixed with event types")
        unknown = [s for s in subscriptions if s != CONDITIONAL and s not in KNOWN_EVENTS]
        if unknown:
            raise api_errors(400, "InvalidSubscriptions", f"Unknown event type {unknown[0]}")
        if (
            subscriptions
            and CONDITIONAL not in subscriptions
            and (data["http_method"] != "POST" or data["request_format"] != "json")
        ):
            raise api_errors(400, "InvalidInput", "Event-subscribed webhooks must use POST and json")
        authentication = data.get("authentication")
        if authentication is not None and authentication.get("type") not in ("basic_auth", "bearer_token", "api_key"):
            raise api_errors(400, "InvalidInput", "authentication type is invalid")
        now = self.now()
        webhook = Webhook(
            id=ulid(now),
            name=str(data["name"]),
            endpoint=str(data["endpoint"]),
            http_method=str(data["http_method"]),
            request_format=str(data["request_format"]),
            status=str(data["status"]),
            subscriptions=subscriptions,
            created_at=now,
            created_by=str(created_by.id),
            signing_secret=new_signing_secret(),
            description=data.get("description"),
            authentication=authentication,
            custom_headers=dict(data.get("custom_headers") or {}),
        )
        self.webhooks[webhook.id] = webhook
        return webhook

    def delete_webhook(self, webhook_id: str) -> None:
        self.webhooks.pop(self.webhook(webhook_id).id)

    def reset_signing_secret(self, webhook_id: str) -> Webhook:
        webhook = self.webhook(webhook_id)
        webhook.signing_secret = new_signing_secret()
        return webhook

    @staticmethod
    def webhook_json(webhook: Webhook, *, fresh: bool = False) -> dict:
        """Secrets inside `authentication.data` (password, token, value) are never echoed back."""
        body = {
            "id": webhook.id,
            "name": webhook.name,
            "status": webhook.status,
            "subscriptions": list(webhook.subscriptions),
            "created_at": iso_nanos(webhook.created_at) if fresh else iso(webhook.created_at),
            "created_by": webhook.created_by,
            "endpoint": webhook.endpoint,
            "http_method": webhook.http_method,
            "request_format": webhook.request_format,
        }
        if webhook.description is not None:
            body["description"] = webhook.description
        if webhook.authentication:
            data = webhook.authentication.get("data") or {}
            shown = {k: v for k, v in data.items() if k in ("username", "name")}
            body["authentication"] = {
                "type": webhook.authentication.get("type"),
                "data": shown,
                "add_position": webhook.authentication.get("add_position", "header"),
            }
        if webhook.custom_headers:
            body["custom_headers"] = dict(webhook.custom_headers)
        return body

    def list_webhooks(self, *, name_contains: str | None = None, status: str | None = None) -> list[Webhook]:
        hooks = sorted(self.webhooks.values(), key=lambda w: w.id)
        if name_contains:
            hooks = [w for w in hooks if casefold(name_contains) in casefold(w.name)]
        if status:
            hooks = [w for w in hooks if w.status == status]
        return hooks

    def subscribers(self, event_type: str) -> list[Webhook]:
        return [w for w in self.webhooks.values() if w.status == "active" and event_type in w.subscriptions]

    def event_payload(self, event: PendingEvent) -> dict:
        return {
            "account_id": self.account_id,
            "detail": event.detail,
            "event": event.event,
            "id": str(uuid.uuid4()),
            "subject": event.subject,
            "time": iso(event.time),
            "type": event.type,
            "zendesk_event_version": self.config["zendesk_event_version"],
        }

    def delivery_body(self, payload: dict) -> bytes:
        if self.config["delivery_body_style"] == "pretty":
            return (json.dumps(payload, indent=3, sort_keys=True, ensure_ascii=False) + "\n").encode()
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()

    def delivery_headers(self, webhook: Webhook, body: bytes, *, moment: datetime, invocation_id: str) -> dict:
        """Headers in the order of the recorded delivery, signed over the exact timestamp string."""
        timestamp = iso(moment)
        headers = {
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Signature": sign_delivery(webhook.signing_secret, timestamp, body),
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": str(self.account_id),
            "X-Zendesk-Webhook-Id": webhook.id,
            "X-Zendesk-Webhook-Invocation-Id": invocation_id,
        }
        auth = webhook.authentication or {}
        data = auth.get("data") or {}
        if auth.get("type") == "basic_auth":
            pair = f"{data.get('username', '')}:{data.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif auth.get("type") == "bearer_token":
            headers["Authorization"] = f"Bearer {data.get('token', '')}"
        elif auth.get("type") == "api_key" and data.get("name"):
            headers[str(data["name"])] = str(data.get("value", ""))
        headers.update({str(k): str(v) for k, v in webhook.custom_headers.items()})
        return headers

    @staticmethod
    def delivery_secret_headers(webhook: Webhook) -> tuple[str, ...]:
        """The header an `api_key` webhook sends its key in: named by the customer, masked in the journal."""
        auth = webhook.authentication or {}
        name = (auth.get("data") or {}).get("name")
        return (str(name),) if auth.get("type") == "api_key" and name else ()

    # -- credentials -------------------------------------------------------------------------------

    def add_api_token(self, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(30)
        self.api_tokens[token] = True
        return token

    def authenticate_basic(self, login: str, password: str) -> User | None:
        """`{email}/token:{api_token}`; password logins are deprecated and not emulated."""
        if not login.endswith("/token") or not self.api_tokens.get(password):
            return None
        user = self.user_by_email(login[: -len("/token")])
        if user is None or user.role == "end-user" or not user.active:
            return None
        return user


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# --------------------------------------------------------------------------------------------------
# Pagination.


def encode_cursor(record_id: int) -> str:
    """An opaque cursor shaped like the live ones: base64 JSON {"o": "id", "v": base64(packed id)}."""
    packed = base64.b64encode(struct.pack("<Q", record_id) + b"\x00").decode()
    return base64.b64encode(json.dumps({"o": "id", "v": packed}, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.b64decode(cursor, validate=True))
        return struct.unpack("<Q", base64.b64decode(data["v"])[:8])[0]
    except (ValueError, KeyError, TypeError, struct.error):
        raise invalid_request(
            "page[after] or page[before] is not a valid cursor", error="InvalidPaginationParameter"
        ) from None


def encode_export_cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode().rstrip("=")


def decode_export_cursor(cursor: str) -> tuple[int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        seconds, _, record = base64.urlsafe_b64decode(padded).decode().partition(".")
        return int(seconds), int(record)
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("cursor is invalid", error="InvalidPaginationParameter") from None


def cursor_page(items: list, *, size: int, after: str | None, before: str | None, key=lambda item: item.id) -> dict:
    """A cursor page over `items` sorted by `key`: {"items", "has_more", "after_cursor", "before_cursor"}."""
    ordered = sorted(items, key=key)
    if after:
        mark = decode_cursor(after)
        remaining = [i for i in ordered if key(i) > mark]
        page = remaining[:size]
        has_more = len(remaining) > size
    elif before:
        mark = decode_cursor(before)
        preceding = [i for i in ordered if key(i) < mark]
        page = preceding[-size:]
        has_more = len(preceding) > size
    else:
        page = ordered[:size]
        has_more = len(ordered) > size
    return {
        "items": page,
        "has_more": has_more,
        "after_cursor": encode_cursor(key(page[-1])) if page else None,
        "before_cursor": encode_cursor(key(page[0])) if page else None,
    }
