"""The sandbox twin of Salesforce's REST API: the client credentials flow on each org's My Domain host,
session tokens with an idle timeout, the rolling daily API allowance with `Sforce-Limit-Info`, records of
Account, Contact, Opportunity (stages from the org's OpportunityStage rows), User, Order and, with Order
Management, Invoice; upsert by external id, SOQL with paging, and sObject Collections.

Requests arrive on `https://{my_domain}.my.salesforce.com` (or `.sandbox.my` / `.develop.my`, or
`<SANDBOX_URL>/salesforce/{my_domain}`); each My Domain is its own org with its own records, created on first
use. The package holds one concern per module:

- HTTP (mixins of `SalesforceEmulator`; the framework collects routes from the class MRO): `api.py` the
  pipeline every `/services/data` route shares, `oauth.py`, `resources.py` (versions, limits, describe),
  `sobjects.py`, `query.py`, `collections.py`, and `control.py` for the sandbox's own actions and page;
- state (no HTTP in it): `org.py` (`SalesforceOrg`) with its write path in `writes.py`, `objects.py` and
  `schema.py` the objects and fields, `soql.py` and `querying.py` the query language, `ids.py`, `errors.py`.

This module assembles the emulator: its settings (every choice the notes could not confirm is one, and the
package README lists them), the orgs, and Salesforce's error style for the framework's own answers.
"""

from __future__ import annotations

from connections.providers.configuration import sandbox_app
from connections.providers.salesforce import PROVIDER
from connections.providers.salesforce.emulator.api import ApiPipeline
from connections.providers.salesforce.emulator.collections import CollectionRoutes
from connections.providers.salesforce.emulator.control import ControlActions
from connections.providers.salesforce.emulator.errors import json_response
from connections.providers.salesforce.emulator.oauth import OAuthRoutes
from connections.providers.salesforce.emulator.org import SalesforceOrg
from connections.providers.salesforce.emulator.query import QueryRoutes
from connections.providers.salesforce.emulator.resources import ResourceRoutes
from connections.providers.salesforce.emulator.sobjects import SObjectRoutes
from connections.sandbox.base import Emulator, Request, Response
from connections.sandbox.oauth import OAuthServer

__all__ = ["EMULATOR", "SalesforceEmulator", "SalesforceOrg"]

APP = sandbox_app("salesforce")
EDITION_HOSTS = {".sandbox.my.salesforce.com": "sandbox", ".develop.my.salesforce.com": "developer"}


class SalesforceEmulator(
    OAuthRoutes,
    ResourceRoutes,
    SObjectRoutes,
    QueryRoutes,
    CollectionRoutes,
    ControlActions,
    ApiPipeline,
    Emulator,
):
    provider = PROVIDER
    title = "Salesforce"
    DEFAULT_CONFIG = {
        "default_my_domain": "acme",
        # The External Client App every org accepts (client credentials flow, salesforce.md 1.1).
        "client_id": APP["client_id"],
        "client_secret": APP["client_secret"],
        # The app's Run As user ({my_domain} is filled in); empty: none assigned, and the token endpoint
        # answers 400 invalid_grant "no client credentials user enabled".
        "run_as_user": "integration@{my_domain}.example.com",
        "scope": "api",  # the app's OAuth scopes; without "api" (or "full") REST calls get 401
        "session_idle_seconds": 7200,  # the session timeout, reset by each call ("typically 2 hours")
        # UNCONFIRMED: the signature is HMAC-SHA256 keyed with the client secret over id + issued_at
        # ("id+issued_at") or the reverse ("issued_at+id"); only a third-party summary describes it.
        "signature_message": "id+issued_at",
        # UNCONFIRMED: the `id` URL's host for client credentials (captures show login./test.salesforce.com).
        "identity_host": "https://login.salesforce.com",
        "sandbox_identity_host": "https://test.salesforce.com",
        # UNCONFIRMED (a third-party summary): the error for a token request without grant_type.
        "missing_grant_type_error": ["invalid_request", "grant type is missing"],
        # UNCONFIRMED: the status of INVALID_AUTH_HEADER (no or malformed Authorization header).
        "missing_auth_status": 401,
        # UNCONFIRMED whether GET /services/data/ needs a token; accepting none is harmless.
        "versions_require_auth": False,
        "newest_api_version": 66,  # the versions list goes v31.0 .. this (May 2026 recording)
        # The org's daily allowance (15,000 on Developer Edition, recorded); the Enterprise formula
        # (100,000 + per-licence add-ons) is UNCONFIRMED in detail, so it is one number here.
        "daily_api_requests": 15000,
        "limit_header_on_204": True,  # UNCONFIRMED: whether 204 answers carry Sforce-Limit-Info
        # Records. UNCONFIRMED key prefixes: Order 801 (the notes), Invoice 3tt, OpportunityStage 01J.
        "key_prefixes": {"Order": "801", "Invoice": "3tt", "OpportunityStage": "01J"},
        "order_management": False,  # the licence that brings the Invoice object (new orgs' default)
        "multi_currency": False,  # CurrencyIsoCode exists only in multi-currency orgs
        "currencies": ["USD", "EUR", "GBP", "CAD"],  # the first is the corporate currency
        "invoice_total_fields": True,  # UNCONFIRMED: Invoice.TotalAmount and TotalAmountWithTax exist
        # UNCONFIRMED: EffectiveDate and Status required on create besides AccountId.
        "order_required_fields": ["AccountId", "EffectiveDate", "Status"],
        # UNCONFIRMED (standard behaviour): a stage change sets Probability to the stage's default.
        "stage_sets_probability": True,
        "restricted_picklist_message": "bad value for restricted picklist field: {value}",  # UNCONFIRMED
        # UNCONFIRMED (as far as we know): a relationship by external id that finds no record.
        "foreign_key_not_found_message": (
            "Foreign key external ID: {value} not found for field {field} in entity {sobject}"
        ),
        # UNCONFIRMED which 404 an unknown id in the path gets: "by_form" (a malformed id: "Provided external
        # ID field does not exist...", a well-formed one: "The requested resource does not exist"), "resource"
        # (always the latter) or "external_id" (always the former).
        "unknown_id_message": "by_form",
        "update_only_min_version": 0,  # UNCONFIRMED: the first version honouring ?updateOnly=true
        # Queries.
        "query_page_size": 2000,
        "query_locator_ttl_seconds": 900,
        # UNCONFIRMED: SOQL errors start with the query, a caret and "ERROR at Row:1:Column:N".
        "soql_error_context": True,
        # UNCONFIRMED: "error" refuses `a AND b OR c` without parentheses; "and_first" ranks AND above OR.
        "soql_mixed_and_or": "error",
        # Collections: at most 200 records; the code and message over it are UNCONFIRMED (a public issue
        # quotes them for a collection call), as is HTTP 200 for an allOrNone failure.
        "collection_max_records": 200,
        "collection_limit_error": [
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        ],
        "all_or_none_failure_status": 200,
    }

    def initial_state(self):
        return {"orgs": {}, "tokens_minted": 0}

    def on_reset(self) -> None:
        # Access tokens only: client credentials never issue refresh tokens. The idle timeout is applied per
        # token (`expires_at` moves on with each call), so the server's own TTL is not used.
        self.oauth = OAuthServer(self.clock, access_ttl=None)
        self.oauth.register_client(self.config["client_id"], self.config["client_secret"])

    # Orgs --------------------------------------------------------------------------------------------

    def org(self, my_domain: str | None = None, *, edition: str | None = None) -> SalesforceOrg:
        key = (my_domain or self.config["default_my_domain"]).lower()
        orgs = self.state["orgs"]
        if key not in orgs:
            orgs[key] = SalesforceOrg(
                key, len(orgs), clock=self.clock, config=self.config, edition=edition or "production"
            )
        elif edition:
            orgs[key].edition = edition
        return orgs[key]

    def _org_for(self, request: Request) -> SalesforceOrg:
        known = (request.host.get("my_domain") or "").lower() in self.state["orgs"]
        edition = next((e for host, e in EDITION_HOSTS.items() if host in request.base_url), None)
        return self.org(request.host.get("my_domain"), edition=None if known else edition)

    def describe(self) -> dict:
        return {
            "tokens_minted": self.state["tokens_minted"],
            "orgs": {key: org.describe() for key, org in self.state["orgs"].items()},
        }

    # Error style -------------------------------------------------------------------------------------

    def error_response(self, status: int, message: str) -> Response:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 500: "UNKNOWN_EXCEPTION", 503: "SERVER_UNAVAILABLE"}
        if status == 404:
            message = "The requested resource does not exist"
        body = [{"message": message, "errorCode": codes.get(status, "UNKNOWN_EXCEPTION")}]
        return json_response(body, status, {"Server": "sfdcedge"})

    def too_many_requests_response(self, retry_after: int) -> Response:
        body = [{"message": "Too many requests.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        return json_response(body, 429, {"Retry-After": str(retry_after), "Server": "sfdcedge"})


EMULATOR = SalesforceEmulator
