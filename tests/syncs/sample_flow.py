"""A small flow between the two emulators, to prove the engine: FreshBooks clients -> Zendesk organizations.

The real FreshBooks <-> Zendesk flow (syncs/flows/freshbooks_zendesk.py) does much more; this one is just
enough to exercise fetch, map, match, write, links, polling and backfill through real HTTP to the sandbox.
"""

from connections.providers import http
from connections.providers.errors import NotFound
from connections.providers.freshbooks.client import updated_min
from syncs.flows.base import Flow, Mapped


class ClientsToOrganizations(Flow):
    slug = "test_clients_to_orgs"
    name = "FreshBooks clients -> Zendesk organizations (test)"
    source_provider = "freshbooks"
    target_provider = "zendesk"
    listens_to = frozenset({"client.create", "client.update"})
    source_record_type, target_record_type = "client", "organization"
    polled_types = ("client",)

    def clients_path(self, ctx, suffix=""):
        return f"/accounting/account/{ctx.source.addresses['account_id']}/users/clients{suffix}"

    def fetch(self, ctx, ref):
        try:
            result = http.call(ctx.source, "GET", self.clients_path(ctx, f"/{ref.id}"), integration=ctx.integration)
        except NotFound:
            return None
        return result.data["response"]["result"]["client"]

    def map(self, ctx, record):
        name = record.get("organization") or f"{record.get('fname', '')} {record.get('lname', '')}".strip()
        payload = {"name": name, "external_id": f"freshbooks:client:{record['id']}", "notes": record.get("email") or ""}
        return Mapped("organization", payload, summary=f"Client {name} -> organization")

    def find_target(self, ctx, record, mapped):
        found = http.call(
            ctx.target,
            "GET",
            "/api/v2/organizations/search.json",
            params={"external_id": mapped.payload["external_id"]},
            integration=ctx.integration,
        ).data["organizations"]
        return (str(found[0]["id"]), "exact") if found else (None, "created")

    def write(self, ctx, mapped, target_id):
        if target_id:
            answer = http.call(
                ctx.target,
                "PUT",
                f"/api/v2/organizations/{target_id}.json",
                json_body={"organization": mapped.payload},
                integration=ctx.integration,
            )
        else:
            answer = http.call(
                ctx.target,
                "POST",
                "/api/v2/organizations/create_or_update.json",
                json_body={"organization": mapped.payload},
                integration=ctx.integration,
            )
        return answer.data["organization"]["id"]

    def changes(self, ctx, record_type, since, page):
        params = {"page": page, "per_page": 100}
        if since is not None:
            params["search[updated_min]"] = updated_min(since)
        result = http.call(ctx.source, "GET", self.clients_path(ctx), params=params, integration=ctx.integration)
        body = result.data["response"]["result"]
        return body["clients"], page < int(body["pages"])


FLOW = ClientsToOrganizations()
