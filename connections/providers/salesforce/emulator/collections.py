"""sObject Collections, as a mixin: create, update, upsert by external id, retrieve and delete up to
`collection_max_records` records in one call that counts as one API request (salesforce.md 2.5). HTTP 200
even when records fail; each result is `{id, success, errors}` (`created` on upserts), failures carry no
`id` and use `statusCode`. With `allOrNone` one failure rolls every other record back."""

from __future__ import annotations

from connections.providers.salesforce.emulator import errors, ids
from connections.providers.salesforce.emulator.api import Call, api
from connections.providers.salesforce.emulator.errors import RecordError, json_response, rest_error
from connections.providers.salesforce.emulator.values import match_key
from connections.providers.salesforce.emulator.writes import MultipleMatches
from connections.sandbox.base import Request, Response

UPSERT_FROM_VERSION = 46


class CollectionRoutes:
    """Mixed into `SalesforceEmulator`."""

    @api("POST", "/composite/sobjects/?")
    def collection_create(self, request: Request, call: Call) -> Response:
        records, all_or_none = self._collection(request)

        def create(record: dict) -> dict:
            sobject, values = self._typed(call, record)
            created = call.org.create(sobject, values, call.user)
            return {"id": created["Id"], "success": True, "errors": []}

        return self._apply(call, records, create, all_or_none)

    @api("PATCH", "/composite/sobjects/?")
    def collection_update(self, request: Request, call: Call) -> Response:
        records, all_or_none = self._collection(request)

        def update(record: dict) -> dict:
            sobject, values = self._typed(call, record)
            keys = [k for k in values if k.lower() == "id"]
            record_id = values.pop(keys[0]) if keys else None
            for extra in keys[1:]:
                values.pop(extra)
            if not record_id:
                raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call")
            found = call.org.find(sobject, record_id)
            if found is None:
                raise RecordError("INVALID_CROSS_REFERENCE_KEY", errors.INVALID_CROSS_REFERENCE)
            updated = call.org.update(sobject, found, values, call.user)
            return {"id": updated["Id"], "success": True, "errors": []}

        return self._apply(call, records, update, all_or_none)

    @api("PATCH", "/composite/sobjects/{sobject}/{field}")
    def collection_upsert(self, request: Request, call: Call, sobject: str, field: str) -> Response:
        if call.version < UPSERT_FROM_VERSION:
            raise errors.not_found()
        target = self._sobject(call, sobject)
        external = call.org.external_id_field(target, field)
        if external is None:
            raise errors.external_id_not_found(field)
        records, all_or_none = self._collection(request)
        values_seen: dict[str, int] = {}
        for record in records:
            value = next((v for k, v in record.items() if k.lower() == external.name.lower()), None)
            if value is not None:
                values_seen[match_key(value)] = values_seen.get(match_key(value), 0) + 1

        def upsert(record: dict) -> dict:
            sobject_type, values = self._typed(call, record)
            if sobject_type.name != target.name:
                raise RecordError("INVALID_TYPE", f"sObject type '{sobject_type.name}' is not {target.name}")
            value = next((v for k, v in values.items() if k.lower() == external.name.lower()), None)
            if value in (None, ""):
                raise RecordError("MISSING_ARGUMENT", errors.EXTERNAL_ID_MISSING.format(field=external.name))
            if values_seen.get(match_key(value), 0) > 1:
                raise RecordError("DUPLICATE_EXTERNAL_ID", errors.DUPLICATE_EXTERNAL_ID.format(value=value))
            try:
                saved, created = call.org.upsert(target, external, value, values, call.user)
            except MultipleMatches:
                raise RecordError("DUPLICATE_EXTERNAL_ID", errors.DUPLICATE_EXTERNAL_ID.format(value=value)) from None
            return {"id": saved["Id"], "success": True, "errors": [], "created": created}

        return self._apply(call, records, upsert, all_or_none)

    @api("DELETE", "/composite/sobjects/?")
    def collection_delete(self, request: Request, call: Call) -> Response:
        wanted = [i.strip() for i in (request.arg("ids") or "").split(",") if i.strip()]
        if not wanted:
            raise rest_error(400, "MISSING_ARGUMENT", "ids parameter is required", [])
        self._within_limit(len(wanted))
        all_or_none = (request.arg("allOrNone") or "").lower() == "true"

        def delete(record_id: str) -> dict:
            normalized = ids.normalize(record_id)
            sobject = call.org.type_of_id(normalized) if normalized else None
            if sobject is None:
                raise RecordError("MALFORMED_ID", f"malformed id {record_id}")
            found = call.org.find(sobject, normalized)
            if found is None:
                raise RecordError("INVALID_CROSS_REFERENCE_KEY", errors.INVALID_CROSS_REFERENCE)
            call.org.delete(sobject, found)
            return {"id": found["Id"], "success": True, "errors": []}

        return self._apply(call, wanted, delete, all_or_none)

    @api("GET", "/composite/sobjects/{sobject}/?")
    def collection_retrieve(self, request: Request, call: Call, sobject: str) -> Response:
        target = self._sobject(call, sobject)
        wanted = [i.strip() for i in (request.arg("ids") or "").split(",") if i.strip()]
        self._within_limit(len(wanted))
        fields = self._fields(request, target)
        if not wanted or fields is None:
            raise rest_error(400, "MISSING_ARGUMENT", "ids and fields parameters are required", [])
        answer = []
        for record_id in wanted:
            found = call.org.find(target, record_id)
            live = found is not None and not found.get("IsDeleted")
            answer.append(call.org.render(target, found, call.prefix, fields) if live else None)
        return json_response(answer)

    # Helpers -------------------------------------------------------------------------------------------

    def _within_limit(self, count: int) -> None:
        if count > int(self.config["collection_max_records"]):
            code, message = self.config["collection_limit_error"]
            raise rest_error(400, code, message)

    def _collection(self, request: Request) -> tuple[list, bool]:
        body = self._body(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise rest_error(400, "JSON_PARSER_ERROR", "The request body must hold a records array")
        self._within_limit(len(records))
        for record in records:
            if not isinstance(record, dict) or next(iter(record), None) != "attributes":
                raise rest_error(400, "JSON_PARSER_ERROR", errors.NO_ATTRIBUTES)
        return records, body.get("allOrNone") in (True, "true")

    def _typed(self, call: Call, record: dict):
        attributes = record.get("attributes")
        name = attributes.get("type") if isinstance(attributes, dict) else None
        sobject = call.org.sobject(name) if isinstance(name, str) else None
        if sobject is None:
            raise RecordError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
        return sobject, {k: v for k, v in record.items() if k != "attributes"}

    def _apply(self, call: Call, items: list, operation, all_or_none: bool) -> Response:
        snapshot = call.org.snapshot() if all_or_none else None
        results, failed = [], False
        for item in items:
            try:
                results.append(operation(item))
            except RecordError as error:
                failed = True
                results.append({"success": False, "errors": [error.item()]})
        status = 200
        if failed and snapshot is not None:
            call.org.restore(snapshot)
            rolled_back = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": errors.ROLLED_BACK,
                "fields": [],
            }
            results = [r if not r["success"] else {"success": False, "errors": [dict(rolled_back)]} for r in results]
            status = int(self.config["all_or_none_failure_status"])
        return json_response(results, status)
