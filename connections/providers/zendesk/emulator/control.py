"""The emulator's own controls, as a mixin: the `@control` actions the sandbox page and tests use to create
accounts and records (firing the events the API would) or to close a ticket the way Zendesk's automations
do, and the forms that put them on the sandbox page."""

from __future__ import annotations

from connections.providers.zendesk.emulator.account import ZendeskAccount
from connections.providers.zendesk.emulator.errors import ZendeskError
from connections.sandbox.base import FormField, PageForm, Response, control


class ControlActions:
    """Mixed into `ZendeskEmulator`: control actions and page forms."""

    def _control_account(self, data: dict) -> ZendeskAccount:
        return self.account(data.pop("subdomain", None) or None)

    @control("POST", "accounts")
    def control_account(self, request):
        """Creates (or shows) an account and the credentials that work on it."""
        account = self.account(request.data().get("subdomain"))
        return Response.json(
            {
                "subdomain": account.subdomain,
                "account_id": account.account_id,
                "admin": {"id": account.admin.id, "email": account.admin.email},
                "api_token": self.config["api_token"],
                "oauth_client_id": self.config["oauth_client_id"],
                "oauth_client_secret": self.config["oauth_client_secret"],
            }
        )

    @control("POST", "records/organization")
    def control_create_organization(self, request):
        data = request.data()
        account = self._control_account(data)
        data = _clean_form(data)
        return self._control_answer(
            account, lambda: {"organization": account.organization_json(account.create_organization(data))}
        )

    @control("POST", "records/user")
    def control_create_user(self, request):
        data = request.data()
        account = self._control_account(data)
        data = _clean_form(data)
        return self._control_answer(account, lambda: {"user": account.user_json(account.create_user(data))})

    @control("POST", "records/ticket")
    def control_create_ticket(self, request):
        data = request.data()
        account = self._control_account(data)
        data = _clean_form(data)
        if "body" in data:
            data["comment"] = {"body": data.pop("body"), "public": data.pop("public", True) not in (False, "false")}
        return self._control_answer(account, lambda: {"ticket": account.ticket_json(account.create_ticket(data))})

    @control("POST", "records/organization_field")
    def control_create_organization_field(self, request):
        data = request.data()
        account = self._control_account(data)
        return self._control_answer(
            account,
            lambda: {"organization_field": account.organization_field_json(account.create_organization_field(data))},
        )

    @control("POST", "records/ticket_status")
    def control_set_ticket_status(self, request):
        """Closes (or reopens) a ticket the way Zendesk's automations do, without an API update."""
        data = request.data()
        account = self._control_account(data)
        ticket = account.set_ticket_status(data.get("ticket_id"), str(data.get("status", "closed")))
        return Response.json({"ticket": account.ticket_json(ticket)})

    def _control_answer(self, account: ZendeskAccount, make) -> Response:
        try:
            answer = make()
        except ZendeskError as error:
            return self._error(error)
        self._send_events(account)
        return Response.json(answer, 201)

    def page_forms(self) -> list[PageForm]:
        subdomain = FormField("subdomain", "Subdomain", self.config["default_subdomain"])
        return [
            PageForm(
                "records/organization",
                "Create an organization (fires organization.created)",
                (subdomain, FormField("name", "Name", "Acme Ltd"), FormField("external_id", "External id")),
            ),
            PageForm(
                "records/user",
                "Create a user (fires user.created)",
                (subdomain, FormField("name", "Name", "Jane Doe"), FormField("email", "Email", "jane@example.com")),
            ),
            PageForm(
                "records/ticket",
                "Create a ticket (fires ticket.created)",
                (
                    subdomain,
                    FormField("subject", "Subject", "Billing question"),
                    FormField("body", "First comment", "Where is my invoice?"),
                    FormField("organization_id", "Organization id"),
                ),
            ),
        ]


def _clean_form(data: dict) -> dict:
    """Form fields from the sandbox page arrive as strings; empty ones mean "not given"."""
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    for key in ("organization_id", "requester_id", "assignee_id", "group_id"):
        if isinstance(cleaned.get(key), str) and cleaned[key].isdigit():
            cleaned[key] = int(cleaned[key])
    return cleaned
