"""The records one Zendesk account holds, as plain dataclasses, and the value helpers (times, ids) their wire
shapes need. They carry no rules: validation and rendering live with the account (`account*.py`), so a
record can be copied and compared freely, as an update does to find what changed."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

# --------------------------------------------------------------------------------------------------
# Wire values: times and ids.


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
    verified: bool = False
    phone: str | None = None
    tags: list[str] = field(default_factory=list)
    # Unset text fields are null, as live users created through the API show ([ZP]).
    alias: str | None = None
    signature: str | None = None
    notes: str | None = None
    details: str | None = None
    time_zone: str = "America/New_York"
    iana_time_zone: str = "America/New_York"
    locale: str = "en-US"
    default_group_id: int | None = None
    custom_role_id: int | None = None
    last_login_at: datetime | None = None
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
    # `via.source.to`: who the comment went to; the first comment of an API ticket names the requester ([ZP]).
    via_to: dict = field(default_factory=dict)


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
    brand_id: int | None = None
    ticket_form_id: int | None = None
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


@dataclass
class PendingEvent:
    """An event the account produced; the emulator turns it into signed deliveries to subscribed webhooks."""

    type: str
    subject: str
    detail: dict
    event: dict
    time: datetime
