"""Accounting routes: one set of handlers serves clients, invoices, payments and expenses, because FreshBooks
gives all four the same URL shape, envelopes, paging, search and soft delete. What a record holds is in
`records`; every write goes through `state`.
"""

from __future__ import annotations

from connections.providers.freshbooks.emulator.shared import BY_PATH, Kind
from connections.sandbox import HttpError, route


class AccountingRoutes:
    """`/accounting/account/{account_id}/{section}/{collection}[/{id}]`."""

    def kind_for(self, section, collection) -> Kind:
        kind = BY_PATH.get((section, collection))
        if kind is None:
            raise HttpError(self.accounting_error(404, 1012, "Requested resource could not be found."))
        return kind

    def find(self, account_id, kind: Kind, object_id: int) -> dict:
        record = self.account(account_id)[kind.name].get(object_id)
        if record is None:
            raise HttpError(
                self.accounting_error(
                    404,
                    1012,
                    f"{kind.name.capitalize()} not found.",
                    obj=kind.name,
                    field=kind.not_found_field,
                    value=object_id,
                )
            )
        return record

    @route("GET", "/accounting/account/{account_id}/{section}/{collection}/{object_id:int}")
    def get_record(self, request, account_id, section, collection, object_id):
        kind = self.kind_for(section, collection)
        self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:read")
        record = self.find(account_id, kind, object_id)
        return self.accounting({kind.name: self.render(account_id, kind, record, request.args("include[]"))})

    @route("GET", "/accounting/account/{account_id}/{section}/{collection}")
    def list_records(self, request, account_id, section, collection):
        kind = self.kind_for(section, collection)
        self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:read")
        records = self.search(list(self.account(account_id)[kind.name].values()), request)
        try:
            page = max(1, int(request.arg("page") or 1))
            per_page = int(request.arg("per_page") or self.config["default_per_page"])
        except ValueError:
            return self.accounting_error(400, 2001, "page and per_page must be integers.")
        per_page = max(1, min(per_page, self.config["max_per_page"]))
        total = len(records)
        pages = max(1, -(-total // per_page))
        chunk = records[(page - 1) * per_page : page * per_page]
        includes = request.args("include[]")
        return self.accounting(
            {
                kind.plural: [self.render(account_id, kind, r, includes) for r in chunk],
                "page": page,
                "pages": pages,
                "per_page": per_page,
                "total": total,
            }
        )

    def search(self, records: list[dict], request) -> list[dict]:
        filters = {k[7:-1]: v for k, v in request.query if k.startswith("search[") and k.endswith("]")}
        if "vis_state" not in filters and not self.config["list_includes_deleted"]:
            records = [r for r in records if r["vis_state"] != 1]
        for name, value in filters.items():
            if name in ("updated_min", "updated_max"):
                day = value[:10]  # day granularity, whatever time of day is given
                if name == "updated_min":
                    records = [r for r in records if r["updated"][:10] >= day]
                else:
                    records = [r for r in records if r["updated"][:10] <= day]
            else:
                # A field the records do not have is ignored (e.g. updated_since, documented for time entries).
                records = [r for r in records if name not in r or str(r[name]) == value]
        sort = (request.arg("sort") or "").replace(":", "_")
        field, _, direction = sort.rpartition("_")
        if field and records and field in records[0]:
            return sorted(records, key=lambda r: (r[field] is None, r[field]), reverse=direction == "desc")
        return sorted(records, key=lambda r: r["id"], reverse=True)

    @route("POST", "/accounting/account/{account_id}/{section}/{collection}")
    def create_record(self, request, account_id, section, collection):
        kind = self.kind_for(section, collection)
        token = self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:write")
        fields = self.body_fields(request, kind)
        record = self.create(account_id, kind.name, fields, identity_id=token.grant.subject.get("identity_id"))
        rendered = self.render(account_id, kind, record, request.args("include[]"))
        return self.accounting({kind.name: rendered}, self.config["create_status"])

    @route("PUT", "/accounting/account/{account_id}/{section}/{collection}/{object_id:int}")
    def update_record(self, request, account_id, section, collection, object_id):
        kind = self.kind_for(section, collection)
        token = self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:write")
        self.find(account_id, kind, object_id)
        fields = self.body_fields(request, kind)
        record = self.update(
            account_id, kind.name, object_id, fields, identity_id=token.grant.subject.get("identity_id")
        )
        return self.accounting({kind.name: self.render(account_id, kind, record, request.args("include[]"))})

    @route("DELETE", "/accounting/account/{account_id}/{section}/{collection}/{object_id:int}")
    def delete_record(self, request, account_id, section, collection, object_id):
        kind = self.kind_for(section, collection)
        token = self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:write")
        if kind.name != "invoice":  # the SDKs DELETE only invoices; other records are deleted with vis_state 1
            return self.error_response(405, "Method not allowed.")
        self.find(account_id, kind, object_id)
        identity = token.grant.subject.get("identity_id")
        record = self.update(account_id, kind.name, object_id, {"vis_state": 1}, identity_id=identity)
        return self.accounting({kind.name: self.render(account_id, kind, record, ())})

    def body_fields(self, request, kind: Kind) -> dict:
        body = request.json()
        fields = body.get(kind.name) if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            raise HttpError(
                self.accounting_error(400, 2001, f"The request body must hold a {kind.name!r} object.", obj=kind.name)
            )
        return fields
