"""Salesforce's error answers in one place. REST errors are a JSON array of `{message, errorCode, fields}`;
the token endpoint answers `{error, error_description}`; collection items carry `statusCode` instead of
`errorCode` (salesforce.md 3.4). A write-path failure is a `RecordError`, so the same rule can be rendered
either way."""

from __future__ import annotations

import json

from connections.sandbox.base import Response

JSON_TYPE = "application/json;charset=UTF-8"

NOT_FOUND = "The requested resource does not exist"
EXTERNAL_ID_NOT_FOUND = "Provided external ID field does not exist or is not accessible: {field}"
SESSION_EXPIRED = "Session expired or invalid"
NOT_FOR_REST = "This session is not valid for use with the REST API"
ENTITY_IS_DELETED = "entity is deleted"
INVALID_CROSS_REFERENCE = "invalid cross reference id"
TOTAL_REQUESTS = "TotalRequests Limit exceeded."
CONCURRENT_LONG_TXN = "ConcurrentPerOrgLongTxn Limit exceeded."
ROLLED_BACK = "Record rolled back because not all records were valid and the request was using AllOrNone header"
NO_ATTRIBUTES = "Nested object for polymorphic foreign key must have an attributes field before any other fields."
CUSTOM_FIELD_HINT = (
    " If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
CUSTOM_OBJECT_HINT = (
    " If you are attempting to use a custom object, be sure to append the '__c' after the entity name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
CUSTOM_RELATIONSHIP_HINT = (
    " If you are attempting to use a custom relationship, be sure to append the '__r' after the custom "
    "relationship name. Please reference your WSDL or the describe call for the appropriate names."
)
# Messages no primary source shows (UNCONFIRMED; README "Settings and unconfirmed choices").
NOT_EXTERNAL_ID_FOR_REFERENCE = "Field name provided, {field} is not an External ID or indexed field for {sobject}"
FOREIGN_KEY_MULTIPLE = (
    "Foreign key external ID: {value} matched more than one record for field {field} in entity {sobject}"
)
CANNOT_INSERT = "entity type cannot be inserted: {sobject}"
CANNOT_UPDATE = "entity type cannot be updated: {sobject}"
CANNOT_DELETE = "entity type cannot be deleted: {sobject}"
EXTERNAL_ID_MISMATCH = "The value of {field} in the request body does not match the value in the URL"
EXTERNAL_ID_MISSING = "{field} not specified"
DUPLICATE_EXTERNAL_ID = "Duplicate external id specified: {value}"


class SalesforceError(Exception):
    """An answer other than success: `body` is the JSON to send (array, object or list of URLs)."""

    def __init__(self, status: int, body, headers: dict | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


class RecordError(Exception):
    """One record's failure in the write path: rendered as a REST error or as a collection item's error."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.fields = list(fields or [])
        self.status = status

    def rest(self) -> SalesforceError:
        return SalesforceError(self.status, [{"message": self.message, "errorCode": self.code, "fields": self.fields}])

    def item(self) -> dict:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(status, json.dumps(body).encode(), {"Content-Type": JSON_TYPE, **(headers or {})})


def rest_error(status: int, code: str, message: str, fields: list[str] | None = None) -> SalesforceError:
    """`[{"message", "errorCode"}]`, with `fields` when given (401/403/404 answers carry none)."""
    entry = {"message": message, "errorCode": code}
    if fields is not None:
        entry["fields"] = fields
    return SalesforceError(status, [entry])


def not_found(message: str = NOT_FOUND) -> SalesforceError:
    return rest_error(404, "NOT_FOUND", message)


def external_id_not_found(field: str) -> SalesforceError:
    return not_found(EXTERNAL_ID_NOT_FOUND.format(field=field))


def deleted(fields: list[str] | None = None) -> RecordError:
    return RecordError("ENTITY_IS_DELETED", ENTITY_IS_DELETED, fields, status=404)


def invalid_field(message: str, fields: list[str] | None = None) -> RecordError:
    return RecordError("INVALID_FIELD", message, fields)


def oauth_error(error: str, description: str, status: int = 400) -> SalesforceError:
    return SalesforceError(status, {"error": error, "error_description": description})
