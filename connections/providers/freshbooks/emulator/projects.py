"""Projects: FreshBooks' projects service, addressed by the business id (not the accounting account id), with
its own envelope (`{"project": {...}}`, errors `{"error": "..."}`), in the shape of the public Python SDK's
recorded answers (`get_project_response.json`, `get_project_response__not_found.json`). A project belongs to
a client or is internal (`client_id` null); an expense names its project in `projectid`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from connections.sandbox import HttpError, Response, route

NOT_FOUND = "Requested resource could not be found."


class ProjectRoutes:
    """`/projects/business/{business_id}/projects[/{project_id}]`, and the project builder."""

    def account_of_business(self, business_id: int) -> str:
        for business in self.config["businesses"]:
            if int(business["id"]) == int(business_id):
                return business["account_id"]
        raise HttpError(Response.json({"error": NOT_FOUND}, 404))

    def project_scope(self, request, business_id: int) -> str:
        account_id = self.account_of_business(business_id)
        self.require_token(request, "projects", account_id, "user:projects:read")
        return account_id

    @route("GET", "/projects/business/{business_id:int}/projects/{project_id:int}")
    def get_project(self, request, business_id, project_id):
        account_id = self.project_scope(request, business_id)
        project = self.account(account_id)["project"].get(project_id)
        if project is None:
            return Response.json({"error": NOT_FOUND}, 404)
        return Response.json({"project": project, "abilities": []})

    @route("GET", "/projects/business/{business_id:int}/projects")
    def list_projects(self, request, business_id):
        account_id = self.project_scope(request, business_id)
        projects = list(self.account(account_id)["project"].values())
        page, per_page = int(request.arg("page") or 1), min(100, int(request.arg("per_page") or 15))
        chunk = projects[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(projects) // per_page))
        return Response.json(
            {"projects": chunk, "meta": {"page": page, "pages": pages, "per_page": per_page, "total": len(projects)}}
        )

    def build_project(self, account, object_id, fields) -> dict:
        client_id = fields.get("client_id")
        if client_id in ("", 0, "0"):
            client_id = None
        if client_id is not None and int(client_id) not in account["client"]:
            raise ValueError(f"client_id {client_id} is not a client of this business.")
        now = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return {
            "id": object_id,
            "title": str(fields.get("title") or "Untitled project"),
            "description": fields.get("description"),
            "due_date": fields.get("due_date"),
            "client_id": int(client_id) if client_id is not None else None,
            "internal": client_id is None,
            "budget": None,
            "fixed_price": None,
            "rate": None,
            "billing_method": "project_rate",
            "project_type": "hourly_rate",
            "project_manager_id": None,
            "active": True,
            "complete": False,
            "sample": False,
            "created_at": now,
            "updated_at": now,
            "logged_duration": None,
            "services": [],
            "billed_amount": "0.00",
            "billed_status": "unbilled",
            "retainer_id": None,
            "expense_markup": 0,
            "group": {"id": object_id + 100000, "members": [], "pending_invitations": []},
        }

    def apply_project(self, account, record, fields):
        for name in ("title", "description", "due_date", "active", "complete"):
            if name in fields:
                record[name] = fields[name]
        if "client_id" in fields:
            record["client_id"] = int(fields["client_id"]) if fields["client_id"] else None
            record["internal"] = record["client_id"] is None
        record["updated_at"] = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S")
