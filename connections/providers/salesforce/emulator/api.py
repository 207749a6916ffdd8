"""What every `/services/data/vNN.0/...` route shares, as a mixin of the emulator: the `api` route decorator
and the pipeline it runs. The org comes from the host, the bearer token is checked (and its idle timeout
reset), the call is counted against the org's rolling daily allowance (403 REQUEST_LIMIT_EXCEEDED at the
cap, or while a long-running-call fault is set), and every answer carries Salesforce's headers with
`Sforce-Limit-Info: api-usage=N/M`. Route modules stay about their resource."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import wraps

from connections.providers.salesforce.emulator import errors
from connections.providers.salesforce.emulator.errors import RecordError, SalesforceError, rest_error
from connections.providers.salesforce.emulator.org import SalesforceOrg
from connections.providers.salesforce.emulator.schema import SObjectType
from connections.sandbox.base import Request, Response, route

VERSION = re.compile(r"v(\d+)\.0")


@dataclass
class Call:
    """One authenticated API call: the org, the acting (Run As) user, the API version and its path prefix."""

    org: SalesforceOrg
    user: dict
    version: int
    prefix: str  # "/services/data/v59.0", the start of every record URL in the answer


def api(method: str, pattern: str):
    """Declares a REST route under `/services/data/{version}`; the handler is called as
    `handler(self, request, call, **params)` and may raise `SalesforceError` or `RecordError`."""

    def decorator(fn):
        @wraps(fn)
        def handler(self, request, version, **params):
            return self._serve_api(fn, request, version, params)

        route(method, "/services/data/{version}" + pattern)(handler)
        return handler

    return decorator


class ApiPipeline:
    """Mixed into `SalesforceEmulator`."""

    def _serve_api(self, handler, request: Request, version: str, params: dict) -> Response:
        matched = VERSION.fullmatch(version)
        if matched is None:
            return errors.not_found().response()
        org = self._org_for(request)
        try:
            user = self._authenticate(request, org)
            self._spend(org)
            call = Call(org, user, int(matched.group(1)), f"/services/data/{version}")
            response = handler(self, request, call, **params)
        except SalesforceError as error:
            response = error.response()
        except RecordError as error:
            response = error.rest().response()
        return self._decorate(response, org)

    def _authenticate(self, request: Request, org: SalesforceOrg) -> dict:
        header = request.headers.get("Authorization", "") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not value.strip():
            raise rest_error(int(self.config["missing_auth_status"]), "INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE")
        token, _why = self.oauth.authenticate(value.strip())
        subject = token.grant.subject if token else {}
        user = org.user(subject.get("user_id")) if subject.get("org") == org.key else None
        if token is None or user is None:
            raise rest_error(401, "INVALID_SESSION_ID", errors.SESSION_EXPIRED)
        if not {"api", "full"} & set(token.grant.scope.split()):
            raise rest_error(401, "INVALID_SESSION_ID", errors.NOT_FOR_REST)
        token.expires_at = self.clock.now() + float(self.config["session_idle_seconds"])
        return user

    def _spend(self, org: SalesforceOrg) -> None:
        """Counts one call against the org's rolling 24 h allowance; refused calls are not counted."""
        if org.api_usage() >= int(self.config["daily_api_requests"]):
            raise rest_error(403, "REQUEST_LIMIT_EXCEEDED", errors.TOTAL_REQUESTS)
        if org.long_running_failures > 0:
            org.long_running_failures -= 1
            raise rest_error(403, "REQUEST_LIMIT_EXCEEDED", errors.CONCURRENT_LONG_TXN)
        org.count_call()

    def _decorate(self, response: Response, org: SalesforceOrg | None) -> Response:
        request_id = f"{self.random.getrandbits(128):032x}"
        response.headers.setdefault("Server", "sfdcedge")
        response.headers.setdefault("X-Sfdc-Request-Id", request_id)
        response.headers.setdefault("X-Request-Id", request_id)
        if org is not None and (response.status != 204 or self.config["limit_header_on_204"]):
            limit = int(self.config["daily_api_requests"])
            response.headers["Sforce-Limit-Info"] = f"api-usage={org.api_usage()}/{limit}"
        return response

    # Shapes the handlers share -------------------------------------------------------------------------

    @staticmethod
    def _body(request: Request, *, required: bool = True):
        if not request.body.strip():
            if not required:
                return {}
            message = "The HTTP entity body is required, but this request has no entity body."
            raise rest_error(400, "JSON_PARSER_ERROR", message)
        try:
            return json.loads(request.body)
        except ValueError as error:
            where = f"[line:{getattr(error, 'lineno', 1)}, column:{getattr(error, 'colno', 1)}]"
            raise rest_error(400, "JSON_PARSER_ERROR", f"Unexpected character in the request body at {where}") from None

    @staticmethod
    def _sobject(call: Call, name: str) -> SObjectType:
        """The type named in the path, or 404 NOT_FOUND (an unlicensed Invoice is as absent as a typo)."""
        sobject = call.org.sobject(name)
        if sobject is None:
            raise errors.not_found()
        return sobject
