"""The emulator's own controls, as a mixin: the `@control` actions tests and the demo seed use to set an org
up (records, custom fields, the won stage's name, order management, API usage and long-running-call
faults) and the forms that put them on the sandbox page. Control writes act as the org's administrator and
may set fields the API cannot (an Invoice, an Order's total); they are not counted as API calls."""

from __future__ import annotations

from connections.providers.salesforce.emulator.errors import RecordError, json_response
from connections.providers.salesforce.emulator.org import SalesforceOrg
from connections.sandbox.base import FormField, PageForm, Response, control

TRUE = ("1", "true", "on", "yes")


def _flag(value) -> bool:
    return value is True or str(value).strip().lower() in TRUE


def _clean(data: dict) -> dict:
    """Page forms send strings, and an empty field means "not given"."""
    return {k: v for k, v in data.items() if v not in ("", None)}


class ControlActions:
    """Mixed into `SalesforceEmulator`."""

    def _control_org(self, data: dict) -> SalesforceOrg:
        return self.org(data.pop("my_domain", None) or None)

    @control("POST", "orgs")
    def control_org(self, request):
        """Creates (or shows, and with flags given, changes) an org and the credentials that work on it."""
        data = request.data()
        org = self.org(data.get("my_domain") or None, edition=data.get("edition") or None)
        if "order_management" in data:
            org.order_management = _flag(data["order_management"])
        if "multi_currency" in data:
            org.set_multi_currency(_flag(data["multi_currency"]))
        return Response.json(self._org_json(org))

    @control("GET", "orgs")
    def control_orgs(self, request):
        return Response.json({"orgs": [self._org_json(org) for org in self.state["orgs"].values()]})

    def _org_json(self, org: SalesforceOrg) -> dict:
        run_as = org.run_as_user()
        return {
            "my_domain": org.key,
            **org.describe(),
            "client_id": self.config["client_id"],
            "client_secret": self.config["client_secret"],
            "run_as_user": {"id": run_as["Id"], "username": run_as["Username"]} if run_as else None,
            "users": [
                {"id": u["Id"], "name": u["Name"], "username": u["Username"]} for u in org.records["User"].values()
            ],
        }

    @control("POST", "records/{kind}")
    def control_write_record(self, request, kind):
        """Creates a record (or updates the one named by `Id`) as the org's administrator."""
        data = request.data()
        org = self._control_org(data)
        data = _clean(data)
        if kind.lower() == "user":
            user = org.add_user(data.get("FirstName", ""), data.get("LastName", "User"), data.get("Username", ""))
            return Response.json({"id": user["Id"], "record": user}, 201)
        sobject = org.sobject(kind)
        if sobject is None:
            return Response.json(
                {"error": f"No sObject {kind!r} in org {org.key} (Invoice needs order management)."}, 400
            )
        try:
            if data.get("Id"):
                record = org.find(sobject, data.pop("Id"))
                if record is None:
                    return Response.json({"error": "No such record."}, 404)
                org.update(sobject, record, data, org.admin, trusted=True)
            else:
                record = org.create(sobject, data, org.admin, trusted=True)
        except RecordError as error:
            return error.rest().response()
        prefix = f"/services/data/v{self.config['newest_api_version']}.0"
        return Response.json({"id": record["Id"], "record": org.render(sobject, record, prefix)}, 201)

    @control("GET", "records/{kind}")
    def control_list_records(self, request, kind):
        org = self.org(request.arg("my_domain") or None)
        sobject = org.sobject(kind)
        if sobject is None:
            return Response.json({"error": f"No sObject {kind!r} in org {org.key}."}, 400)
        prefix = f"/services/data/v{self.config['newest_api_version']}.0"
        return Response.json({"records": [org.render(sobject, r, prefix) for r in org.records[sobject.name].values()]})

    @control("POST", "schema/field")
    def control_field(self, request):
        """Adds a custom field, changes its External ID / Unique flags, or removes it (`remove`)."""
        data = request.data()
        org = self._control_org(data)
        sobject, name = str(data.get("sobject") or "Account"), str(data.get("name") or "")
        if _flag(data.get("remove")):
            if not org.remove_custom_field(sobject, name):
                return Response.json({"error": f"No custom field {name!r} on {sobject}."}, 404)
        else:
            org.set_custom_field(
                sobject,
                name,
                type_=str(data.get("type") or "string"),
                external_id=_flag(data.get("external_id", True)),
                unique=_flag(data.get("unique", True)),
                length=int(data.get("length") or 255),
                label=str(data.get("label") or ""),
            )
        return Response.json({"custom_fields": org.describe()["custom_fields"]})

    @control("POST", "stages/won")
    def control_won_stage(self, request):
        data = request.data()
        org = self._control_org(data)
        stage = org.rename_won_stage(str(data.get("label") or ""))
        return Response.json({"won_stage": stage["ApiName"], "stages": [s["ApiName"] for s in org.active_stages()]})

    @control("POST", "usage")
    def control_usage(self, request):
        """Sets the org's rolling 24 h API usage (other integrations share it) and/or makes the next
        `long_running_failures` calls fail with ConcurrentPerOrgLongTxn."""
        data = request.data()
        org = self._control_org(data)
        if data.get("used") not in (None, ""):
            org.set_usage(int(data["used"]))
        if data.get("long_running_failures") not in (None, ""):
            org.long_running_failures = int(data["long_running_failures"])
        limit = int(self.config["daily_api_requests"])
        return json_response(
            {"used": org.api_usage(), "max": limit, "long_running_failures": org.long_running_failures}
        )

    def page_forms(self) -> list[PageForm]:
        org = self.org(None)
        domain = FormField("my_domain", "My Domain", org.key)
        accounts = tuple((r["Id"], r["Name"]) for r in org.live(org.objects["Account"]))
        stages = tuple((s["ApiName"], s["ApiName"]) for s in org.active_stages())
        yes_no = (("true", "on"), ("false", "off"))
        return [
            PageForm(
                "records/account",
                "Create an Account",
                (
                    domain,
                    FormField("Name", "Account Name", "Acme Corporation"),
                    FormField("FreshBooks_Client_Id__c", "FreshBooks Client Id (External ID)"),
                    FormField("BillingCity", "Billing city", "Springfield"),
                ),
            ),
            PageForm(
                "records/opportunity",
                "Create an Opportunity",
                (
                    domain,
                    FormField("Name", "Name", "Support plan renewal"),
                    FormField("AccountId", "Account", accounts[0][0] if accounts else "", accounts),
                    FormField("StageName", "Stage", stages[0][0] if stages else "", stages),
                    FormField("CloseDate", "Close date", org.today().isoformat()),
                    FormField("Amount", "Amount", "1200"),
                    FormField("FreshBooks_Invoice_Id__c", "FreshBooks Invoice Id (External ID)"),
                ),
            ),
            PageForm(
                "stages/won", "Rename the won stage", (domain, FormField("label", "New name", "Won - Paid")), "Rename"
            ),
            PageForm(
                "orgs",
                "Org features",
                (
                    domain,
                    FormField("order_management", "Order Management (Invoice object)", "false", yes_no),
                    FormField("multi_currency", "Multi-currency (CurrencyIsoCode)", "false", yes_no),
                ),
                "Apply",
            ),
            PageForm(
                "schema/field",
                "Add, change or remove a custom field",
                (
                    domain,
                    FormField("sobject", "Object", "Account", (("Account", "Account"), ("Opportunity", "Opportunity"))),
                    FormField("name", "API name", "FreshBooks_Client_Id__c"),
                    FormField("external_id", "External ID", "true", yes_no),
                    FormField("unique", "Unique", "true", yes_no),
                    FormField("remove", "Remove it", "false", (("false", "no"), ("true", "yes"))),
                ),
                "Apply",
            ),
            PageForm(
                "usage",
                "API usage (rolling 24 h)",
                (
                    domain,
                    FormField("used", "Calls used", str(org.api_usage())),
                    FormField("long_running_failures", "Fail the next N calls (ConcurrentPerOrgLongTxn)", "0"),
                ),
                "Set",
            ),
        ]
