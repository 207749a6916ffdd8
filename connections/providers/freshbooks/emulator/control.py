"""The sandbox's own actions, which are not FreshBooks API: create and change records, fire events, register
callbacks without the handshake, read a verifier; and the forms that put them on the emulator's page.
Tests and the demo drive the emulator through these.
"""

from __future__ import annotations

from connections.providers.freshbooks.emulator.events import EVENTS
from connections.providers.freshbooks.emulator.shared import KINDS
from connections.sandbox import FormField, PageForm, Response, control


class Controls:
    """`/_sandbox/freshbooks/api/...` actions, `page_forms()` and `describe()`."""

    def control_account(self, data) -> str:
        account_id = data.pop("account_id", None) or self.config["businesses"][0]["account_id"]
        if account_id not in self.state["accounts"]:
            raise ValueError(f"No account {account_id!r} in this sandbox.")
        return account_id

    @staticmethod
    def flat_fields(kind: str, data: dict) -> dict:
        """Accepts `{"invoice": {...}}` (API shape) or the page's flat fields (line_name, qty, unit_cost...)."""
        if isinstance(data.get(kind), dict):
            return data[kind]
        fields = {k: v for k, v in data.items() if v != ""}
        if kind == "invoice" and "line_name" in fields:
            fields["lines"] = [
                {
                    "name": fields.pop("line_name"),
                    "qty": fields.pop("qty", "1"),
                    "unit_cost": {"amount": fields.pop("unit_cost", "0")},
                }
            ]
        return fields

    @control("POST", "records/{kind}")
    def control_create(self, request, kind):
        if kind not in (*KINDS, "project"):
            raise ValueError(f"Unknown record kind {kind!r}.")
        data = request.data()
        account_id = self.control_account(data)
        record = self.create(account_id, kind, self.flat_fields(kind, data))
        if kind == "project":  # the projects service's own shape
            return Response.json(record, 201)
        return Response.json(self.render(account_id, KINDS[kind], record, ("lines",)), 201)

    @control("POST", "records/{kind}/{object_id:int}")
    def control_update(self, request, kind, object_id):
        if kind not in KINDS:
            raise ValueError(f"Unknown record kind {kind!r}.")
        data = request.data()
        account_id = self.control_account(data)
        self.find(account_id, KINDS[kind], object_id)
        record = self.update(account_id, kind, object_id, self.flat_fields(kind, data))
        return Response.json(self.render(account_id, KINDS[kind], record, ("lines",)))

    @control("GET", "records/{kind}")
    def control_list(self, request, kind):
        if kind not in KINDS:
            raise ValueError(f"Unknown record kind {kind!r}.")
        account_id = request.arg("account_id") or self.config["businesses"][0]["account_id"]
        records = self.account(account_id)[kind].values()
        return Response.json({"records": [self.render(account_id, KINDS[kind], r, ("lines",)) for r in records]})

    @control("POST", "events")
    def control_event(self, request):
        """Fires an event as FreshBooks would, without changing any record (e.g. a late duplicate)."""
        data = request.data()
        account_id = self.control_account(data)
        if data.get("event") not in EVENTS:
            raise ValueError(f"Unknown event {data.get('event')!r}.")
        return Response.json({"queued": self.emit(account_id, data["event"], int(data["object_id"]))})

    @control("POST", "callbacks")
    def control_callback(self, request):
        """Registers a callback as the app would; `verified` skips the handshake."""
        data = request.data()
        account_id = self.control_account(data)
        if data.get("event") not in EVENTS:
            raise ValueError(f"Unknown event {data.get('event')!r}.")
        verified = str(data.get("verified", "")).lower() in ("1", "true", "on", "yes")
        callback = self.add_callback(account_id, data["event"], data["uri"], verified=verified)
        return Response.json(self.callback_json(callback), 201)

    @control("GET", "callbacks/{callback_id:int}/verifier")
    def control_verifier(self, request, callback_id):
        """The verifier (the webhook signing key), for tests and the demo: it is what the app stores."""
        for account in self.state["accounts"].values():
            if callback_id in account["callback"]:
                return Response.json({"verifier": account["callback"][callback_id]["verifier"]})
        return Response.json({"error": "No such callback."}, 404)

    def page_forms(self):
        account = self.state["accounts"][self.config["businesses"][0]["account_id"]]
        clients = tuple(
            (str(c["id"]), c["organization"] or f"{c['fname']} {c['lname']}".strip() or c["email"])
            for c in account["client"].values()
            if c["vis_state"] != 1
        )
        invoices = tuple(
            (str(i["id"]), f"{i['invoice_number']} ({i['amount']['amount']} {i['amount']['code']})")
            for i in account["invoice"].values()
            if i["vis_state"] != 1
        )
        projects = tuple((str(p["id"]), p["title"]) for p in account["project"].values())
        from django.conf import settings

        public = getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000")
        return [
            PageForm(
                "records/client",
                "Create a client",
                (
                    FormField("organization", "Organization", "Acme Corp"),
                    FormField("fname", "First name", "Ada"),
                    FormField("lname", "Last name", "Lovelace"),
                    FormField("email", "Email", "ada@acme.example"),
                    FormField("currency_code", "Currency", "USD"),
                ),
            ),
            PageForm(
                "records/invoice",
                "Create an invoice",
                (
                    FormField("customerid", "Client", clients[0][0] if clients else "", clients),
                    FormField("line_name", "Line", "Consulting"),
                    FormField("qty", "Quantity", "3"),
                    FormField("unit_cost", "Unit cost", "150.00"),
                    FormField("status", "Status", "2", (("1", "draft"), ("2", "sent"))),
                ),
            ),
            PageForm(
                "records/payment",
                "Record a payment",
                (
                    FormField("invoiceid", "Invoice", invoices[0][0] if invoices else "", invoices),
                    FormField("amount", "Amount", "100.00"),
                    FormField("type", "Type", "Check"),
                ),
            ),
            PageForm(
                "records/expense",
                "Create an expense",
                (
                    FormField("vendor", "Vendor", "Office Supplies Co"),
                    FormField("amount", "Amount", "54.00"),
                    FormField("notes", "Notes", "Paper"),
                    FormField("clientid", "Client (or none)", "", (("", "none"), *clients)),
                    FormField("projectid", "Project (or none)", "", (("", "none"), *projects)),
                ),
            ),
            PageForm(
                "records/project",
                "Create a project",
                (
                    FormField("title", "Title", "Website redesign"),
                    FormField("client_id", "Client (none: internal)", "", (("", "none"), *clients)),
                ),
            ),
            PageForm(
                "callbacks",
                "Register a webhook callback (as the app would)",
                (
                    FormField("event", "Event", "invoice"),
                    FormField("uri", "URI", f"{public}/webhooks/freshbooks/"),
                    FormField("verified", "Handshake", "true", (("true", "skip (verified)"), ("false", "send verify"))),
                ),
                "Register",
            ),
        ]

    def describe(self):
        return {
            account_id: {
                "business_id": account["business"]["id"],
                "clients": len(account["client"]),
                "invoices": len(account["invoice"]),
                "payments": len(account["payment"]),
                "expenses": len(account["expense"]),
                "projects": len(account["project"]),
                "callbacks": [self.callback_json(c) for c in account["callback"].values()],
            }
            for account_id, account in self.state["accounts"].items()
        }
