"""Values as the write path stores them: JSON values coerced to each field type (text lengths, e-mail
addresses, booleans, dates, datetimes normalised to `2026-05-01T07:25:37.000+0000`, numbers, ids), with the
errors Salesforce gives for values it cannot deserialize, and how external ids compare."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from connections.providers.salesforce.emulator.errors import RecordError
from connections.providers.salesforce.emulator.schema import Field

TEXT = frozenset({"string", "textarea", "phone", "url", "email", "picklist"})
# Deserialization messages follow real answers' form; the exact tail Salesforce adds is UNCONFIRMED.
CANNOT_DESERIALIZE = (
    "Cannot deserialize instance of {type} from {token} value {value} or request may be missing a required field"
)


def _token(value) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    return "VALUE_STRING"


def _cannot(field: Field, value) -> RecordError:
    shown = {dict: "{", list: "["}.get(type(value), value)
    message = CANNOT_DESERIALIZE.format(type=field.type, token=_token(value), value=shown)
    return RecordError("JSON_PARSER_ERROR", message)


def parse_datetime(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def coerce(field: Field, value):
    """The stored form of a JSON value for `field`; "" means null for text, as in Salesforce."""
    if value is None or (value == "" and field.type != "boolean"):
        return False if field.type == "boolean" else None
    kind = field.type
    if kind in TEXT:
        if isinstance(value, dict | list):
            raise _cannot(field, value)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if field.length and len(text) > field.length:
            message = f"{field.label}: data value too large: {text} (max length={field.length})"
            raise RecordError("STRING_TOO_LONG", message, [field.name])
        if kind == "email" and ("@" not in text or text.startswith("@") or text.endswith("@")):
            raise RecordError("INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {text}", [field.name])
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _cannot(field, value)
    if kind == "date":
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                pass
        raise _cannot(field, value)
    if kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise _cannot(field, value)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if kind in ("double", "currency", "percent", "int"):
        number = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise _cannot(field, value) from None
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise _cannot(field, value)
        if kind == "int":
            if not float(number).is_integer():
                raise _cannot(field, value)
            return int(number)
        return float(number)
    if kind == "reference":
        if not isinstance(value, str):
            raise _cannot(field, value)
        return value
    raise _cannot(field, value)


def match_key(value) -> str:
    """External id and unique comparisons ignore case for text, as Salesforce's case-insensitive indexes do."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).casefold()
