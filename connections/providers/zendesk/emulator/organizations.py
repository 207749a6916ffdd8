"""Organizations over HTTP, as a mixin of the emulator: CRUD, create_or_update, the exact lookups
(search, autocomplete, show_many), an organization's tickets, custom organization fields, and the
incremental exports with their own rate limit and JSON 429."""

from __future__ import annotations

from connections.providers.zendesk.emulator.account import ZendeskAccount
from connections.providers.zendesk.emulator.api import api
from connections.providers.zendesk.emulator.errors import ZendeskError, invalid_request, not_found
from connections.sandbox.base import Request, Response


class OrganizationRoutes:
    """Mixed into `ZendeskEmulator`: organizations, organization fields and incremental exports."""

    @api("GET", "/api/v2/organizations")
    def list_organizations(self, request, account, user):
        orgs = list(account.organizations.values())
        return self._json(self._list(request, account, "organizations", orgs, account.organization_json))

    @api("POST", "/api/v2/organizations")
    def create_organization(self, request, account, user):
        org = account.create_organization(self._payload(request, "organization"))
        return self._json(
            {"organization": account.organization_json(org)},
            201,
            headers={"Location": account.url(f"organizations/{org.id}.json")},
        )

    @api("POST", "/api/v2/organizations/create_or_update")
    def create_or_update_organization(self, request, account, user):
        org, created = account.create_or_update_organization(self._payload(request, "organization"))
        headers = {"Location": account.url(f"organizations/{org.id}.json")} if created else {}
        return self._json({"organization": account.organization_json(org)}, 201 if created else 200, headers)

    @api("GET", "/api/v2/organizations/search")
    def search_organizations(self, request, account, user):
        found = account.search_organizations(name=request.arg("name"), external_id=request.arg("external_id"))
        return self._json(
            self._offset_list(
                request, account, "organizations", found, account.organization_json, "organizations/search"
            )
        )

    @api("GET", "/api/v2/organizations/autocomplete")
    def autocomplete_organizations(self, request, account, user):
        found = account.autocomplete_organizations(request.arg("name") or "")
        return self._json(
            self._offset_list(
                request, account, "organizations", found, account.organization_json, "organizations/autocomplete"
            )
        )

    @api("GET", "/api/v2/organizations/show_many")
    def show_many_organizations(self, request, account, user):
        if request.arg("ids"):
            wanted = [i for i in (request.arg("ids") or "").split(",") if i.strip().isdigit()]
            found = [account.organizations[int(i)] for i in wanted if int(i) in account.organizations]
        else:
            keys = [k for k in (request.arg("external_ids") or "").split(",") if k]
            found = [o for o in (account.find_by_external_id(k) for k in keys) if o is not None]
        return self._json(
            self._offset_list(
                request, account, "organizations", found, account.organization_json, "organizations/show_many"
            )
        )

    @api("GET", "/api/v2/organizations/{org_id:int}")
    def show_organization(self, request, account, user, org_id):
        return self._json({"organization": account.organization_json(account.organization(org_id))})

    @api("PUT", "/api/v2/organizations/{org_id:int}")
    def update_organization(self, request, account, user, org_id):
        org = account.update_organization(org_id, self._payload(request, "organization"))
        return self._json({"organization": account.organization_json(org)})

    @api("DELETE", "/api/v2/organizations/{org_id:int}")
    def delete_organization(self, request, account, user, org_id):
        account.delete_organization(org_id)
        return Response.empty(204)

    @api("GET", "/api/v2/organizations/{org_id:int}/tickets")
    def organization_tickets(self, request, account, user, org_id):
        tickets = account.tickets_of_organization(org_id)
        return self._json(
            self._list(request, account, "tickets", tickets, account.ticket_json, f"organizations/{org_id}/tickets")
        )

    @api("GET", "/api/v2/incremental/organizations", admin=True)
    def incremental_organizations(self, request, account, user):
        self._spend_incremental_budget(account)
        start = request.arg("start_time")
        if start is None or not start.strip().lstrip("-").isdigit():
            raise invalid_request("start_time is required and must be a Unix epoch", status=400)
        return self._json(account.incremental_organizations(int(start), self._export_page_size(request)))

    @api("GET", "/api/v2/incremental/tickets/cursor", admin=True)
    def incremental_tickets(self, request, account, user):
        return self._cursor_export(request, account, "tickets")

    @api("GET", "/api/v2/incremental/users/cursor", admin=True)
    def incremental_users(self, request, account, user):
        return self._cursor_export(request, account, "users")

    def _cursor_export(self, request: Request, account: ZendeskAccount, kind: str) -> Response:
        self._spend_incremental_budget(account)
        start = request.arg("start_time")
        if start is not None and not start.strip().lstrip("-").isdigit():
            raise invalid_request("start_time must be a Unix epoch", status=400)
        return self._json(
            account.incremental_cursor(
                kind,
                start_time=int(start) if start is not None else None,
                cursor=request.arg("cursor"),
                per_page=self._export_page_size(request),
            )
        )

    def _spend_incremental_budget(self, account: ZendeskAccount) -> None:
        """Incremental exports have their own limit, and their 429 is JSON, unlike the account's."""
        self.incremental_limiter.limit = int(self.config["incremental_rate_limit_per_minute"])
        decision = self.incremental_limiter.hit(account.subdomain)
        if not decision.allowed:
            raise ZendeskError(
                429,
                {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed incremental export API requests per minute exceeded",
                },
                {"Retry-After": str(decision.retry_after)},
            )

    @staticmethod
    def _export_page_size(request: Request) -> int | None:
        per_page = request.arg("per_page")
        return min(int(per_page), 1000) if per_page and per_page.isdigit() and int(per_page) > 0 else None

    # Organization fields -------------------------------------------------------------------------------------

    @api("GET", "/api/v2/organization_fields")
    def list_organization_fields(self, request, account, user):
        fields = sorted(account.organization_fields.values(), key=lambda f: (f.position, f.id))
        return self._json(
            self._offset_list(
                request, account, "organization_fields", fields, account.organization_field_json, "organization_fields"
            )
        )

    @api("POST", "/api/v2/organization_fields", admin=True)
    def create_organization_field(self, request, account, user):
        created = account.create_organization_field(self._payload(request, "organization_field"))
        return self._json(
            {"organization_field": account.organization_field_json(created)},
            201,
            headers={"Location": account.url(f"organization_fields/{created.id}.json")},
        )

    @api("GET", "/api/v2/organization_fields/{field_id:int}")
    def show_organization_field(self, request, account, user, field_id):
        found = account.organization_fields.get(field_id)
        if found is None:
            raise not_found()
        return self._json({"organization_field": account.organization_field_json(found)})
