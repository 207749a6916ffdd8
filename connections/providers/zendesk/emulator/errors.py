"""Zendesk's error answers, kept in one place because every endpoint shares them: each error carries the
exact status, body and headers Zendesk sends, and the HTTP layer only serializes it."""

from __future__ import annotations

RATE_LIMITED_BODY = "Number of allowed API requests per minute exceeded"


class ZendeskError(Exception):
    """An answer other than success. `body` is a dict (JSON) or a str (text/plain)."""

    def __init__(self, status: int, body: dict | str, headers: dict | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ZendeskError:
    return ZendeskError(404, {"error": "RecordNotFound", "description": "Not found"})


def record_invalid(details: dict[str, list[dict]]) -> ZendeskError:
    return ZendeskError(422, {"error": "RecordInvalid", "description": "Record validation errors", "details": details})


def field_error(field_label: str, message: str, code: str | None) -> dict:
    entry = {"description": f"{field_label}: {message}"}
    if code:
        entry["error"] = code
    return entry


def invalid_request(description: str, status: int = 400, error: str = "InvalidValue") -> ZendeskError:
    return ZendeskError(status, {"error": error, "description": description})


def api_errors(status: int, code: str, title: str) -> ZendeskError:
    """The newer APIs' shape (webhooks, autocomplete): {"errors": [{"code", "title"}]}."""
    return ZendeskError(status, {"errors": [{"code": code, "title": title}]})


INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
    "used in the authorization request, or was issued to another client."
)
INVALID_TOKEN = "The access token provided is expired, revoked, malformed or invalid for other reasons."  # noqa: S105
FORBIDDEN = "You do not have access to this page. Please contact the account owner of this help desk for further help."
