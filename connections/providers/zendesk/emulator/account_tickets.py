"""The account's tickets and their comments: creation, updates with internal notes (a comment's privacy is
sticky from the first one; closed tickets refuse updates), the per-ticket update limit, the audits a create
and an update answer with, and the ticket as the API and event deliveries show it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from connections.providers.zendesk.emulator.errors import (
    ZendeskError,
    field_error,
    invalid_request,
    not_found,
    record_invalid,
)
from connections.providers.zendesk.emulator.records import Comment, Ticket, User, epoch, iso, record_id

# Where a change came from, as audits and comments carry it; the live ones name the client and its location.
SYSTEM_METADATA = {
    "client": "ml-connector sandbox",
    "ip_address": "127.0.0.1",
    "location": "Sandbox",
    "latitude": 0,
    "longitude": 0,
}


class AccountTickets:
    """Mixed into `ZendeskAccount`: its tickets."""

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
            group_id=record_id(data.get("group_id")),
            external_id=data.get("external_id"),
            brand_id=record_id(data.get("brand_id")) or self.brand_id,
            ticket_form_id=record_id(data.get("ticket_form_id")) or self.ticket_form_id,
            tags=list(data.get("tags") or []),
            default_comment_public=public,
        )
        first = self._comment(author, str(body), public, now)
        requester = self.users[requester_id]
        if requester.email:
            first.via_to = {"name": requester.name, "address": requester.email}
        ticket.comments.append(first)
        self.tickets[ticket.id] = ticket
        self._index("ticket", ticket)
        self._emit(
            "zen:event-type:ticket.created",
            f"zen:ticket:{ticket.id}",
            self._ticket_detail(ticket, author),
            {"meta": {"sequence": {"id": uuid.uuid4().hex.upper(), "position": 1, "total": 1}}},
        )
        return ticket

    def creation_audit(self, ticket: Ticket) -> dict:
        """The audit a create answers with: the first comment, then one `Create` event per field set, ids
        as strings, in the recorded order ([ZP] ticket create)."""
        first = ticket.comments[0]
        author = self.users.get(first.author_id) or self.admin
        values = {
            "subject": ticket.subject,
            "requester_id": ticket.requester_id,
            "priority": ticket.priority,
            "type": ticket.type,
            "status": ticket.status,
            "organization_id": ticket.organization_id,
            "assignee_id": ticket.assignee_id,
            "group_id": ticket.group_id,
            "brand_id": ticket.brand_id,
            "ticket_form_id": ticket.ticket_form_id,
            "custom_status_id": self.custom_status_ids[ticket.status],
        }
        events = [self._comment_event(first)]
        for key, value in values.items():
            if value is None and key in ("organization_id", "assignee_id", "group_id"):
                continue
            shown = str(value) if isinstance(value, int) else value
            events.append({"id": self._next(self.AUDIT_ID_BASE), "type": "Create", "value": shown, "field_name": key})
        return self._audit(first.audit_id, ticket, author, events, ticket.created_at)

    def set_ticket_status(self, ticket_id, status: str) -> Ticket:
        """A status change made by Zendesk itself (an automation closing a solved ticket), not by the API."""
        ticket = self.ticket(ticket_id)
        if status not in self.TICKET_STATUSES:
            raise ValueError(f"Unknown ticket status {status!r}.")
        ticket.status = status
        self._index("ticket", ticket)
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
        if "status" in data and data["status"] != ticket.status:
            events.append(
                {
                    "id": self._next(self.AUDIT_ID_BASE),
                    "type": "Change",
                    "value": str(self.custom_status_ids[data["status"]]),
                    "field_name": "custom_status_id",
                    "previous_value": str(self.custom_status_ids[ticket.status]),
                }
            )
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
        self._index("ticket", ticket)
        return ticket, self._audit(audit_id, ticket, author, events, now)

    @staticmethod
    def _audit(audit_id: int, ticket: Ticket, author: User, events: list[dict], moment: datetime) -> dict:
        return {
            "id": audit_id,
            "ticket_id": ticket.id,
            "created_at": iso(moment),
            "author_id": author.id,
            "metadata": {"system": dict(SYSTEM_METADATA), "custom": {}},
            "events": events,
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        }

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
            "via": {"channel": comment.channel, "source": {"from": {}, "to": dict(comment.via_to), "rel": None}},
            "created_at": iso(comment.created_at),
            "metadata": {"system": dict(SYSTEM_METADATA), "custom": {}},
        }

    def tickets_of_organization(self, org_id) -> list[Ticket]:
        org = self.organization(org_id)
        return sorted((t for t in self.tickets.values() if t.organization_id == org.id), key=lambda t: t.id)

    def ticket_json(self, ticket: Ticket, *, export: bool = False) -> dict:
        """In the recorded key order. `generated_timestamp` is in every incremental export; elsewhere
        `config["ticket_generated_timestamp"]` decides ("always", as [OAS] and the 2024 recording, or
        "exports", as the 2023 recordings)."""
        first = ticket.comments[0] if ticket.comments else None
        body = {
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
            "custom_status_id": self.custom_status_ids[ticket.status],
            "fields": [],
            "followup_ids": [],
            "ticket_form_id": ticket.ticket_form_id,
            "brand_id": ticket.brand_id,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }
        if not export and self.config["ticket_generated_timestamp"] != "always":
            del body["generated_timestamp"]
        return body

    def _ticket_detail(self, ticket: Ticket, actor: User) -> dict:
        status = ticket.status.upper() if self.config["ticket_event_status_upper"] else ticket.status
        return {
            "actor_id": str(actor.id),
            "assignee_id": str(ticket.assignee_id or 0),
            "brand_id": str(ticket.brand_id or 0),
            "created_at": iso(ticket.created_at),
            "custom_status": str(self.custom_status_ids[ticket.status]),
            "description": ticket.comments[0].body if ticket.comments else "",
            "external_id": ticket.external_id or "",
            "form_id": str(ticket.ticket_form_id or 0),
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


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
