"""The emulator's own controls, as a mixin: what tests and the demo seed use to set a tenant up, flip its
features, and make a write's answer go missing."""

from __future__ import annotations

from connections.providers.zuora import ENVIRONMENTS
from connections.providers.zuora.emulator import shapes
from connections.providers.zuora.emulator.tenant import ZuoraFailure
from connections.sandbox.base import FormField, PageForm, Response, control

FLAGS = ("api_write_access", "unified_invoicing", "invoice_settlement")


def nested(data: dict) -> dict:
    """A page form's `billToContact.firstName` as the API's nested object."""
    out: dict = {}
    for key, value in data.items():
        head, _, rest = key.partition(".")
        if rest:
            out.setdefault(head, {})[rest] = value
        else:
            out[key] = value
    return out


class ControlActions:
    """Mixed into `ZuoraEmulator`."""

    def _control_tenant(self, data: dict):
        return self.tenant(data.pop("environment", None) or self.config["default_environment"])

    @control("POST", "tenants")
    def control_tenant(self, request):
        """Shows (and creates) the tenant of an environment; flags and faults may be set at the same time."""
        data = request.data()
        tenant = self._control_tenant(data)
        for flag in FLAGS:
            if flag in data:
                tenant.flags[flag] = str(data[flag]).lower() in ("1", "true", "yes", "on")
        for count in ("lock_contention", "lose_answers"):
            if count in data:
                setattr(tenant, count, int(data[count]))
        for obj, name in (("Account", "FreshBooksClientId__c"), ("Invoice", "FreshBooksInvoiceId__c")):
            if name in data:  # the customer's custom fields, there or not (README, setup step 3)
                wanted = str(data[name]).lower() in ("1", "true", "yes", "on")
                (tenant.custom_fields[obj].add if wanted else tenant.custom_fields[obj].discard)(name)
        return Response.json(
            {
                "environment": tenant.environment,
                "tenant": tenant.number,
                "flags": tenant.flags,
                "custom_fields": {obj: sorted(names) for obj, names in tenant.custom_fields.items()},
                "client_id": self.config["client_id"],
                "client_secret": self.config["client_secret"],
            }
        )

    @control("POST", "records/{kind}")
    def control_create(self, request, kind):
        data = nested(request.data())
        tenant = self._control_tenant(data)
        flags = dict(tenant.flags)
        tenant.flags.update(dict.fromkeys(FLAGS, True))  # the customer's own users, not the API user
        try:
            if kind == "account":
                data.setdefault("billCycleDay", 1)
                found = shapes.account_read(tenant, tenant.create_account(data))
            elif kind == "invoice":
                found = shapes.invoice_json(tenant.create_invoice(data, custom_fields=True))
            elif kind == "payment":
                found = shapes.payment_json(tenant.create_payment(data))
            else:
                return Response.json({"error": f"Unknown record kind {kind!r}."}, 400)
        except ZuoraFailure as failure:
            return Response.json({"error": failure.message, "code": failure.code}, 400)
        finally:
            tenant.flags = flags
        return Response.json(found, 201)

    @control("POST", "invoices/unpost")
    def control_unpost(self, request):
        """What a billing person does in Zuora's UI to correct a posted invoice nothing was paid on."""
        data = request.data()
        tenant = self._control_tenant(data)
        try:
            invoice = tenant.unpost(data.get("invoice") or "")
        except ZuoraFailure as failure:
            return Response.json({"error": failure.message, "code": failure.code}, 400)
        return Response.json(shapes.invoice_json(invoice))

    @control("GET", "records/{kind}")
    def control_list(self, request, kind):
        tenant = self.tenant(request.arg("environment") or self.config["default_environment"])
        records = {"account": tenant.accounts, "invoice": tenant.invoices, "payment": tenant.payments}.get(kind)
        if records is None:
            return Response.json({"error": f"Unknown record kind {kind!r}."}, 400)
        render = {"account": lambda a: shapes.account_row(a, billto=True), "invoice": shapes.invoice_json}
        return Response.json({"records": [render.get(kind, shapes.payment_json)(r) for r in records.values()]})

    def page_forms(self) -> list[PageForm]:
        environments = tuple((key, name) for key, (name, _, _) in ENVIRONMENTS.items())
        yes_no = (("true", "yes"), ("false", "no"))
        return [
            PageForm(
                "records/account",
                "Create an account",
                (
                    FormField("environment", "Environment", self.config["default_environment"], environments),
                    FormField("name", "Name", "Acme Corporation"),
                    FormField("currency", "Currency", "USD"),
                    FormField("billToContact.firstName", "Bill-to first name", "Ann"),
                    FormField("billToContact.lastName", "Bill-to last name", "Lee"),
                ),
            ),
            PageForm(
                "tenants",
                "Tenant features",
                (
                    FormField("environment", "Environment", self.config["default_environment"], environments),
                    FormField("api_write_access", "API user has API Write Access", "true", yes_no),
                    FormField("unified_invoicing", "Unified Invoicing (standalone invoices)", "true", yes_no),
                    FormField("lose_answers", "Lose the answers of the next N writes", "0"),
                    FormField("FreshBooksClientId__c", "Account has FreshBooksClientId__c", "true", yes_no),
                    FormField("FreshBooksInvoiceId__c", "Invoice has FreshBooksInvoiceId__c", "true", yes_no),
                ),
                "Save",
            ),
            PageForm(
                "invoices/unpost",
                "Unpost an invoice (to correct it)",
                (
                    FormField("environment", "Environment", self.config["default_environment"], environments),
                    FormField("invoice", "Invoice id or number", ""),
                ),
                "Unpost",
            ),
        ]
