"""Tickets and users over HTTP, as a mixin of the emulator: creating (answered with the ticket and its audit,
as recorded) and showing them, updating a ticket with an internal note (answered with the audit and the
per-ticket update limit header), a ticket's comments, and the user lookups."""

from __future__ import annotations

from connections.providers.zendesk.emulator.api import api


class TicketRoutes:
    """Mixed into `ZendeskEmulator`: tickets, comments and users."""

    @api("GET", "/api/v2/users/search")
    def search_users(self, request, account, user):
        found = account.search_users(query=request.arg("query"), external_id=request.arg("external_id"))
        return self._json(self._offset_list(request, account, "users", found, account.user_json, "users/search"))

    @api("GET", "/api/v2/users/{user_id:int}")
    def show_user(self, request, account, user, user_id):
        return self._json({"user": account.user_json(account.user(user_id))})

    @api("POST", "/api/v2/users")
    def create_user(self, request, account, user):
        created = account.create_user(self._payload(request, "user"))
        return self._json(
            {"user": account.user_json(created)}, 201, headers={"Location": account.url(f"users/{created.id}.json")}
        )

    @api("POST", "/api/v2/tickets")
    def create_ticket(self, request, account, user):
        ticket = account.create_ticket(self._payload(request, "ticket"), author=user)
        return self._json(
            {"ticket": account.ticket_json(ticket), "audit": account.creation_audit(ticket)},
            201,
            headers={"Location": account.url(f"tickets/{ticket.id}.json")},
        )

    @api("GET", "/api/v2/tickets/{ticket_id:int}")
    def show_ticket(self, request, account, user, ticket_id):
        return self._json({"ticket": account.ticket_json(account.ticket(ticket_id))})

    @api("PUT", "/api/v2/tickets/{ticket_id:int}")
    def update_ticket(self, request, account, user, ticket_id):
        ticket, audit = account.update_ticket(ticket_id, self._payload(request, "ticket"), author=user)
        total, remaining, resets = account.ticket_update_budget(ticket)
        header = f"total={total}; remaining={remaining}; resets={resets}"
        return self._json(
            {"ticket": account.ticket_json(ticket), "audit": audit},
            headers={"zendesk-rate-limit-tickets-update": header},
        )

    @api("GET", "/api/v2/tickets/{ticket_id:int}/comments")
    def ticket_comments(self, request, account, user, ticket_id):
        comments = account.ticket(ticket_id).comments
        return self._json(
            self._offset_list(
                request, account, "comments", comments, account.comment_json, f"tickets/{ticket_id}/comments"
            )
        )
