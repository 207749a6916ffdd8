"""SOQL routes, as a mixin: `/query` and `/queryAll` (deleted rows too), answered in pages of
`query_page_size` records with `nextRecordsUrl` while `done` is false, the rest fetched with
`GET /query/{locator}` (salesforce.md 2.4). A locator lives `query_locator_ttl_seconds` after its last use."""

from __future__ import annotations

import secrets

from connections.providers.salesforce.emulator.api import Call, api
from connections.providers.salesforce.emulator.errors import SalesforceError, json_response, rest_error
from connections.providers.salesforce.emulator.querying import error_body, run
from connections.providers.salesforce.emulator.soql import Parser, SoqlError
from connections.sandbox.base import Request, Response


class QueryRoutes:
    """Mixed into `SalesforceEmulator`."""

    @api("GET", "/query/?")
    def query(self, request: Request, call: Call) -> Response:
        return self._query(request, call, include_deleted=False)

    @api("GET", "/queryAll/?")
    def query_all(self, request: Request, call: Call) -> Response:
        return self._query(request, call, include_deleted=True)

    @api("GET", "/query/{locator}")
    def query_more(self, request: Request, call: Call, locator: str) -> Response:
        return self._next_page(call, locator, "query")

    @api("GET", "/queryAll/{locator}")
    def query_all_more(self, request: Request, call: Call, locator: str) -> Response:
        return self._next_page(call, locator, "queryAll")

    def _query(self, request: Request, call: Call, *, include_deleted: bool) -> Response:
        text = request.arg("q") or ""
        try:
            parsed = Parser(text, mixed_junctions=self.config["soql_mixed_and_or"]).parse()
            total, records = run(call.org, parsed, include_deleted=include_deleted, prefix=call.prefix)
        except SoqlError as error:
            raise SalesforceError(
                400, error_body(error, text, context=bool(self.config["soql_error_context"]))
            ) from None
        resource = "queryAll" if include_deleted else "query"
        return self._page(call, resource, secrets.token_hex(8), total, records, 0)

    def _page(self, call: Call, resource: str, cursor: str, total: int, records: list, start: int) -> Response:
        size = max(1, int(self.config["query_page_size"]))
        page = records[start : start + size]
        done = start + size >= len(records)
        body = {"totalSize": total, "done": done}
        if not done:
            locator = f"0r8{cursor}-{start + size}"
            call.org.cursors[cursor] = {"records": records, "total": total, "used": self.clock.now()}
            body["nextRecordsUrl"] = f"{call.prefix}/{resource}/{locator}"
        else:
            call.org.cursors.pop(cursor, None)
        body["records"] = page
        return json_response(body)

    def _next_page(self, call: Call, locator: str, resource: str) -> Response:
        cursor, _, start = locator.removeprefix("0r8").rpartition("-")
        saved = call.org.cursors.get(cursor)
        ttl = float(self.config["query_locator_ttl_seconds"])
        if saved is None or not start.isdigit() or self.clock.now() - saved["used"] > ttl:
            call.org.cursors.pop(cursor, None)
            raise rest_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        saved["used"] = self.clock.now()
        return self._page(call, resource, cursor, saved["total"], saved["records"], int(start))
