"""Record routes, as a mixin: create, read (`?fields=`), update, delete, and upsert or read by external id,
with the answers salesforce.md 2.2-2.3 records: 201/204 for create and update, 201 `created:true` or
200 `created:false` from v46 (204 before), 300 with a list of record URLs when an external id value matches
several records, 404 NOT_FOUND for a field that is not an External ID."""

from __future__ import annotations

from urllib.parse import unquote

from connections.providers.salesforce.emulator import errors, ids
from connections.providers.salesforce.emulator.api import Call, api
from connections.providers.salesforce.emulator.errors import SalesforceError, json_response, rest_error
from connections.providers.salesforce.emulator.schema import SObjectType
from connections.providers.salesforce.emulator.writes import MultipleMatches
from connections.sandbox.base import Request, Response

UPSERT_REPORTS_UPDATES = 46  # from API v46.0 an upsert that updates answers 200 with a body, not 204


def method_not_allowed(method: str, allowed: str) -> SalesforceError:
    return rest_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}")


class SObjectRoutes:
    """Mixed into `SalesforceEmulator`."""

    @api("POST", "/sobjects/{sobject}/?")
    def create_record(self, request: Request, call: Call, sobject: str) -> Response:
        found = self._sobject(call, sobject)
        record = call.org.create(found, self._body(request), call.user)
        return json_response({"id": record["Id"], "success": True, "errors": []}, 201)

    @api("GET", "/sobjects/{sobject}/{record_id}")
    def get_record(self, request: Request, call: Call, sobject: str, record_id: str) -> Response:
        found = self._sobject(call, sobject)
        record = self._record(call, found, record_id)
        return json_response(call.org.render(found, record, call.prefix, self._fields(request, found)))

    @api("PATCH", "/sobjects/{sobject}/{record_id}")
    def update_record(self, request: Request, call: Call, sobject: str, record_id: str) -> Response:
        found = self._sobject(call, sobject)
        if record_id == "Id":
            raise method_not_allowed("PATCH", "GET,HEAD,POST")
        record = self._record(call, found, record_id)
        call.org.update(found, record, self._body(request), call.user)
        return Response.empty(204)

    @api("DELETE", "/sobjects/{sobject}/{record_id}")
    def delete_record(self, request: Request, call: Call, sobject: str, record_id: str) -> Response:
        found = self._sobject(call, sobject)
        call.org.delete(found, self._record(call, found, record_id, deleted_ok=True))
        return Response.empty(204)

    @api("POST", "/sobjects/{sobject}/{record_id}")
    def post_on_record(self, request: Request, call: Call, sobject: str, record_id: str) -> Response:
        """`POST /sobjects/{T}/Id` creates (v37.0+, salesforce.md 2.3); POST on a record is not allowed."""
        found = self._sobject(call, sobject)
        if record_id != "Id":
            raise method_not_allowed("POST", "GET,HEAD,PATCH,DELETE")
        record = call.org.create(found, self._body(request), call.user)
        return self._upserted(call, record, created=True)

    # By external id ------------------------------------------------------------------------------------

    @api("PATCH", "/sobjects/{sobject}/{field}/{value:path}")
    def upsert_record(self, request: Request, call: Call, sobject: str, field: str, value: str) -> Response:
        found = self._sobject(call, sobject)
        external = self._external_field(call, found, field)
        update_only = (request.arg("updateOnly") or "").lower() == "true"
        if call.version < float(self.config["update_only_min_version"]):
            update_only = False
        try:
            record, created = call.org.upsert(
                found, external, unquote(value), self._body(request), call.user, update_only=update_only
            )
        except MultipleMatches as many:
            return self._multiple(call, found, many)
        return self._upserted(call, record, created=created)

    @api("GET", "/sobjects/{sobject}/{field}/{value:path}")
    def get_by_external_id(self, request: Request, call: Call, sobject: str, field: str, value: str) -> Response:
        found = self._sobject(call, sobject)
        records = call.org.matches(found, self._external_field(call, found, field), unquote(value))
        if len(records) > 1:
            return self._multiple(call, found, MultipleMatches(records))
        if not records:
            raise errors.not_found()
        return json_response(call.org.render(found, records[0], call.prefix, self._fields(request, found)))

    @api("DELETE", "/sobjects/{sobject}/{field}/{value:path}")
    def delete_by_external_id(self, request: Request, call: Call, sobject: str, field: str, value: str) -> Response:
        found = self._sobject(call, sobject)
        records = call.org.matches(found, self._external_field(call, found, field), unquote(value))
        if len(records) > 1:
            return self._multiple(call, found, MultipleMatches(records))
        if not records:
            raise errors.not_found()
        call.org.delete(found, records[0])
        return Response.empty(204)

    # Helpers -------------------------------------------------------------------------------------------

    def _record(self, call: Call, sobject: SObjectType, record_id: str, *, deleted_ok: bool = False) -> dict:
        """The record named in the path. Which 404 message an unknown id gets is the `unknown_id_message`
        setting: "by_form" (a malformed id reads as an external id, a well-formed one as a missing resource),
        "resource" or "external_id"."""
        record = call.org.find(sobject, record_id)
        if record is None:
            style = self.config["unknown_id_message"]
            normalized = ids.normalize(record_id)
            well_formed = normalized is not None and normalized.startswith(sobject.key_prefix)
            if style == "external_id" or (style == "by_form" and not well_formed):
                raise errors.external_id_not_found(record_id)
            raise errors.not_found()
        if record.get("IsDeleted") and not deleted_ok:
            raise errors.deleted([]).rest()
        return record

    @staticmethod
    def _fields(request: Request, sobject: SObjectType) -> list[str] | None:
        wanted = request.arg("fields")
        if not wanted:
            return None
        names = []
        for name in (n.strip() for n in wanted.split(",") if n.strip()):
            field = sobject.field(name)
            if field is None:
                message = f"No such column '{name}' on entity '{sobject.name}'." + errors.CUSTOM_FIELD_HINT
                raise rest_error(400, "INVALID_FIELD", message)
            if field.name not in names:
                names.append(field.name)
        return [*names, "Id"] if "Id" not in names else names

    @staticmethod
    def _external_field(call: Call, sobject: SObjectType, name: str):
        field = call.org.external_id_field(sobject, name)
        if field is None:
            raise errors.external_id_not_found(name)
        return field

    @staticmethod
    def _upserted(call: Call, record: dict, *, created: bool) -> Response:
        if call.version < UPSERT_REPORTS_UPDATES:
            if not created:
                return Response.empty(204)
            return json_response({"id": record["Id"], "success": True, "errors": []}, 201)
        body = {"id": record["Id"], "success": True, "errors": [], "created": created}
        return json_response(body, 201 if created else 200)

    @staticmethod
    def _multiple(call: Call, sobject: SObjectType, many: MultipleMatches) -> Response:
        return json_response([call.org.url(sobject.name, r["Id"], call.prefix) for r in many.records], 300)
