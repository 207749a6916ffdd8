"""Zuora's routes, as a mixin of the emulator: the token endpoint, Accounts, standalone Invoices and their
posting, External Payments, and Object Query over Accounts and Invoices (filters `field.OP:value`, `cursor`
paging)."""

from __future__ import annotations

import secrets

from connections.providers.zuora.emulator import shapes
from connections.providers.zuora.emulator.api import api
from connections.providers.zuora.emulator.tenant import PAYMENT, ZuoraFailure
from connections.sandbox.base import Request, Response, route
from connections.sandbox.oauth import Grant

OPERATORS = {
    "EQ": lambda a, b: str(a) == b,
    "NE": lambda a, b: str(a) != b,
    "GE": lambda a, b: a is not None and str(a) >= b,
    "GT": lambda a, b: a is not None and str(a) > b,
    "LE": lambda a, b: a is not None and str(a) <= b,
    "LT": lambda a, b: a is not None and str(a) < b,
    "SW": lambda a, b: str(a or "").startswith(b),
}


def value_at(row: dict, dotted: str):
    for part in dotted.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


def filtered(rows: list[dict], request: Request, custom_fields: set | None = None, strict=False) -> list[dict]:
    for expression in [v for k, v in request.query if k == "filter[]"]:
        # the operator is the last dotted part before ":" (billTo.workEmail.EQ:x)
        path_and_op, _, value = expression.partition(":")
        field, _, operator = path_and_op.rpartition(".")
        if strict and field.endswith("__c") and field not in (custom_fields or set()):
            raise ZuoraFailure(500000, 27, f"Invalid filter field: {field}")
        test = OPERATORS.get(operator.upper())
        if test is None:
            return []
        rows = [row for row in rows if test(value_at(row, field), value)]
    return rows


def page(rows: list[dict], request: Request) -> dict:
    size = min(99, max(1, int(request.arg("pageSize") or 10)))
    start = int(request.arg("cursor") or 0)
    chunk = rows[start : start + size]
    answer = {"data": chunk}
    if start + size < len(rows):
        answer["nextPage"] = str(start + size)
    return answer


class ZuoraRoutes:
    """Mixed into `ZuoraEmulator`."""

    @route("POST", "/oauth/token")
    def token(self, request: Request) -> Response:
        environment = self.environment_of(request)
        form = dict(request.form_pairs())
        if form.get("grant_type") != "client_credentials":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        client = self.oauth.clients.get(form.get("client_id") or "")
        allowed = self.config["client_environments"]
        known = client is not None and secrets.compare_digest(
            client.client_secret.encode(), (form.get("client_secret") or "").encode()
        )
        if not known or (allowed and environment not in allowed):
            status, body = self.config["bad_credentials_answer"]
            return Response.json(body, status)
        tenant = self.tenant(environment)
        scope = ["entity.00000000-0000-0000-0000-000000000000", f"tenant.{tenant.number}", "service.genesis.read"]
        if tenant.flags["api_write_access"]:
            scope.insert(1, "platform.write")
        issued = self.oauth.issue_tokens(
            Grant(client.client_id, " ".join(scope), {"environment": environment}),
            refresh=False,
            access_ttl=int(self.config["token_ttl_seconds"]),
        )
        self.state["tokens_minted"] += 1
        body = {
            "access_token": issued.access.value,
            "token_type": "bearer",
            "expires_in": int(self.config["token_ttl_seconds"]),
            "scope": " ".join(scope),
            "jti": secrets.token_hex(16),
        }
        return Response.json(body, 200, {"Cache-Control": "no-store"})

    @property
    def strict_filters(self) -> bool:
        return self.config["unknown_filter_field"] == "error"

    # Describe ----------------------------------------------------------------------------------------

    @api("GET", "/v1/describe/{name}")
    def describe_object(self, request, tenant, name):
        """The object's fields as XML, the shape tap-zuora parses: standard ones, then the tenant's `__c`."""
        standard = shapes.DESCRIBED.get(name)
        if standard is None:
            raise ZuoraFailure(500000, 40, f"Object {name} is not supported.")
        xml = shapes.describe_xml(
            name, standard, sorted(tenant.custom_fields.get(name, ())), f"{request.base_url}{request.path}"
        )
        return Response(200, xml.encode(), {"Content-Type": "text/xml; charset=utf-8"})

    # Accounts ----------------------------------------------------------------------------------------

    @api("POST", "/v1/accounts")
    def create_account(self, request, tenant):
        account = tenant.create_account(self._body(request))
        answer = {"success": True, "accountId": account["id"], "accountNumber": account["accountNumber"]}
        return 200, {**answer, "billToContactId": tenant.new_id(), "soldToContactId": tenant.new_id()}

    @api("GET", "/v1/accounts/{key}")
    def get_account(self, request, tenant, key):
        return 200, shapes.account_read(tenant, tenant.account(key))

    @api("PUT", "/v1/accounts/{key}")
    def update_account(self, request, tenant, key):
        tenant.update_account(key, self._body(request))
        return 200, {"success": True}

    @api("GET", "/object-query/accounts")
    def query_accounts(self, request, tenant):
        billto = "billto" in [v.lower() for k, v in request.query if k == "expand[]"] or self.config["filter_on_billto"]
        rows = [shapes.account_row(a, billto=True) for a in tenant.accounts.values()]
        rows = filtered(rows, request, tenant.custom_fields["Account"], self.strict_filters)
        if not billto:
            rows = [{k: v for k, v in r.items() if k != "billTo"} for r in rows]
        return 200, page(rows, request)

    @api("GET", "/object-query/accounts/{key}")
    def query_account(self, request, tenant, key):
        return 200, shapes.account_row(tenant.account(key), billto=True)

    # Invoices ----------------------------------------------------------------------------------------

    @api("POST", "/v1/invoices")
    def create_invoice(self, request, tenant):
        invoice = tenant.create_invoice(self._body(request), custom_fields=self.config["invoice_custom_fields"])
        return 200, {**shapes.invoice_json(invoice), "success": True}

    @api("GET", "/v1/invoices/{key}")
    def get_invoice(self, request, tenant, key):
        return 200, {**shapes.invoice_json(tenant.invoice(key), with_items=False), "success": True}

    @api("GET", "/v1/invoices/{key}/items")
    def get_invoice_items(self, request, tenant, key):
        items = [shapes.item_json(item) for item in tenant.invoice(key)["items"]]
        return 200, {"invoiceItems": items, "success": True}

    @api("PUT", "/v1/invoices/{key}")
    def update_invoice(self, request, tenant, key):
        return 200, {**shapes.invoice_json(tenant.update_invoice(key, self._body(request))), "success": True}

    @api("POST", "/v1/invoices/bulk-post")
    def bulk_post(self, request, tenant):
        answers = []
        for entry in (self._body(request).get("invoices") or [])[:50]:
            tenant.post(entry.get("id") or "")
            answers.append({"id": entry.get("id"), "success": True})
        return 200, {"invoices": answers, "success": True}

    @api("GET", "/v1/transactions/invoices/accounts/{key}")
    def invoices_of_account(self, request, tenant, key):
        account = tenant.account(key)
        invoices = [shapes.invoice_json(i) for i in tenant.invoices.values() if i["accountId"] == account["id"]]
        return 200, {"invoices": invoices, "success": True}

    @api("GET", "/object-query/invoices")
    def query_invoices(self, request, tenant):
        rows = [shapes.invoice_json(i, with_items=False) for i in tenant.invoices.values()]
        return 200, page(filtered(rows, request, tenant.custom_fields["Invoice"], self.strict_filters), request)

    # Payments ----------------------------------------------------------------------------------------

    @api("POST", "/v1/payments")
    def create_payment(self, request, tenant):
        return 200, {**shapes.payment_json(tenant.create_payment(self._body(request))), "success": True}

    @api("GET", "/v1/payments/{key}")
    def get_payment(self, request, tenant, key):
        found = tenant.payments.get(key) or next((p for p in tenant.payments.values() if p["number"] == key), None)
        if found is None:
            raise ZuoraFailure(PAYMENT, 40, f"Cannot find entity by key: '{key}'.")
        return 200, {**shapes.payment_json(found), "success": True}

    @api("GET", "/object-query/payments")
    def query_payments(self, request, tenant):
        rows = [shapes.payment_json(p) for p in tenant.payments.values()]
        return 200, page(filtered(rows, request), request)
