"""What the OpenAPI schema says beyond each view's own success answer: the errors, and filter parameters.

Every operation can answer 401 (no or a bad token) and 403 (not a member of the workspace, or not allowed
to change this); every operation on one object by uuid can answer 404 (missing, malformed, or another
workspace's). `document_common_errors` adds those to every operation, so no view can forget them; the
errors a view has of its own (400, 409) it declares with `errors()`.

The list filters are read by Django forms shared with the pages, where an empty field means "any":
`or_empty()` says so, so the schema admits what the API really accepts.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Not valid: each wrong field (or `detail`) with what is wrong with it."
    ),
    404: OpenApiResponse(ERROR, description="No such object in this workspace (or an invalid cursor)."),
    409: OpenApiResponse(ERROR, description="Not in a state that allows this (see `detail`)."),
}
COMMON = {
    "401": "Authentication missing or not valid (`Authorization: Token <key>`).",
    "403": "Not a member of this workspace (or of the one named in `X-Tenant`), or not allowed to do this.",
}
NOT_FOUND = "No such object in this workspace: missing, malformed, or another workspace's."


UUID = {"type": "string", "format": "uuid"}
# Filters read by Django's DateTimeField: a date and time, or a bare date.
MOMENT = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}


def text(max_length: int) -> dict:
    """A text filter: Django's forms refuse NUL characters (ProhibitNullCharactersValidator), and so says this."""
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\u0000]*$"}


def one_of(values) -> dict:
    return {"type": "string", "enum": list(values)}


def errors(*codes: int) -> dict:
    """Responses for `extend_schema(responses={200: ..., **errors(400)})`."""
    return {code: ERRORS[code] for code in codes}


def or_empty(schema: dict) -> dict:
    """A filter parameter's schema that also admits the empty value, meaning "any"."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


def document_common_errors(result, generator, request, public):
    """Postprocessing hook: 401 and 403 on every operation, 404 on every one that names an object."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    body = {"application/json": {"schema": error_ref}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in COMMON.items():
                responses.setdefault(code, {"description": description, "content": body})
            if "{" in path:
                responses.setdefault("404", {"description": NOT_FOUND, "content": body})
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Error",
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    )
    return result
