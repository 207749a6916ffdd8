"""One emulated Zendesk account (one subdomain) and everything in it.

Plain Python with no HTTP in it: the emulator's routes turn requests into calls here and the results into
responses. Each kind of record keeps its rules in its own mixin (`account_organizations.py`,
`account_users.py`, `account_tickets.py`, `account_webhooks.py`); this class holds the shared parts: ids,
time, events, credentials and the incremental exports, which span record kinds. Every rule follows
`../shared/providers/zendesk.md`; choices the note marks UNCONFIRMED are read from the emulator's config
(`ZendeskEmulator.DEFAULT_CONFIG`) so a test or the sandbox can flip them, and the package README lists them.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from connections.providers.zendesk.emulator.account_organizations import AccountOrganizations
from connections.providers.zendesk.emulator.account_search import AccountSearch
from connections.providers.zendesk.emulator.account_tickets import AccountTickets
from connections.providers.zendesk.emulator.account_users import AccountUsers
from connections.providers.zendesk.emulator.account_webhooks import AccountWebhooks
from connections.providers.zendesk.emulator.errors import invalid_request
from connections.providers.zendesk.emulator.paging import decode_export_cursor, encode_export_cursor
from connections.providers.zendesk.emulator.records import (
    Organization,
    OrganizationField,
    PendingEvent,
    Ticket,
    User,
    Webhook,
    epoch,
)
from connections.sandbox.base import Clock


class ZendeskAccount(AccountOrganizations, AccountUsers, AccountTickets, AccountWebhooks, AccountSearch):
    """One Zendesk instance (one subdomain) and everything in it."""

    # Records every account comes with (a brand, a ticket form, a default group, the admin role, the
    # system custom statuses), as ids: live payloads always carry them ([ZP]).
    SETUP_ID_BASE = 6130830350000
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
        self.search_index: dict[tuple[str, int], list[tuple[float, dict | None]]] = {}
        self._sequence = 0
        self._ticket_sequence = 0
        self.brand_id = self._next(self.SETUP_ID_BASE)
        self.ticket_form_id = self._next(self.SETUP_ID_BASE)
        self.default_group_id = self._next(self.SETUP_ID_BASE)
        self.admin_role_id = self._next(self.SETUP_ID_BASE)
        # One system custom status per status category; a closed ticket keeps its solved status.
        categories = ("new", "open", "pending", "hold", "solved")
        self.custom_status_ids = {category: self._next(self.SETUP_ID_BASE) for category in categories}
        self.custom_status_ids["closed"] = self.custom_status_ids["solved"]
        self.admin = self.create_user(
            {"name": "Sandbox Admin", "email": f"admin@{subdomain}.example.com", "role": "admin", "verified": True},
            emit=False,
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

    # -- incremental exports ---------------------------------------------------------------------

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
        records, render = {
            "tickets": (self.tickets, lambda ticket: self.ticket_json(ticket, export=True)),
            "users": (self.users, self.user_json),
        }[kind]
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
        self.signed_in(user)
        return user

    def signed_in(self, user: User) -> None:
        """`last_login_at`: "last time the user signed in to Zendesk Support or made an API request using an
        API token or basic authentication" ([OAS] UserObject). Not a change of the user: `updated_at` stays."""
        user.last_login_at = self.now()
