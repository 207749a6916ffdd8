"""The token endpoint: the one call outside `providers.http`, shared by refresh grants and client credentials.

It is not an API call as the connection (no bearer token, no 401 retry), so it has its own path: a timeout,
no redirects, an audit event with the bodies redacted, and the answer turned into a token body or one of these
errors: the provider refused (`InvalidGrant`: renewal is impossible until a person acts), the grant was sent
but no answer came back (`AnswerLost`: the provider may have acted on it, and a rotating one has then spent the
refresh token), or it could not be asked now (`Retryable`; `RateLimited` with the provider's wait when it said
429).
"""

import time

import requests
from django.conf import settings

import audit
from connections.providers.errors import RateLimited, Retryable
from connections.providers.session import retry_after, session

REFUSALS = ("invalid_grant", "invalid_client", "invalid_token", "unauthorized_client", "unsupported_grant_type")


class InvalidGrant(Exception):
    """The provider refused the grant: a refresh token revoked, expired or used, or client credentials it no
    longer accepts."""


class AnswerLost(Retryable):
    """The grant reached the provider (or may have) and no usable answer came back: a read timeout, a broken
    connection, a 5xx. Whether the provider acted on it is unknown."""


def post(connection, url: str, *, what: str, data=None, json=None, auth=None) -> dict:
    """POST a grant; returns the token answer (a dict holding `access_token`)."""
    started = time.monotonic()
    try:
        response = session().post(
            url,
            headers={"Accept": "application/json"},
            timeout=(settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT),
            allow_redirects=False,
            data=data,
            json=json,
            auth=auth,
        )
    except requests.ConnectTimeout as exc:
        raise Retryable(
            f"{what.capitalize()} could not reach {connection.provider_name}: {type(exc).__name__}."
        ) from None
    except requests.RequestException as exc:
        raise AnswerLost(
            f"{what.capitalize()} got no answer from {connection.provider_name}: {type(exc).__name__}."
        ) from None
    duration_ms = int((time.monotonic() - started) * 1000)
    try:
        body = response.json()
    except ValueError:
        body = {}
    audit.record(
        "api.call",
        tenant=connection.tenant,
        connection=connection if connection.pk else None,
        level="info" if response.ok else "warning",
        message=f"POST {what}: HTTP {response.status_code} in {duration_ms} ms",
        data={
            "method": "POST",
            "url": url,
            "status": response.status_code,
            "request_body": data if data is not None else json,
            "response_body": body,
        },
    )
    if response.ok and isinstance(body, dict) and body.get("access_token"):
        return body
    error = body.get("error") if isinstance(body, dict) else None
    description = body.get("error_description", "") if isinstance(body, dict) else ""
    if response.status_code == 429:
        raise RateLimited(
            f"{connection.provider_name} asked us to slow down ({what}).",
            retry_after=retry_after(response),
            status=429,
            provider=connection.provider,
        )
    if error in REFUSALS or response.status_code in (400, 401):
        raise InvalidGrant(f"{error or 'HTTP ' + str(response.status_code)}: {description}".strip(": "))
    failed = f"{what.capitalize()} failed: HTTP {response.status_code} {error or ''}".strip()
    raise AnswerLost(failed) if response.status_code >= 500 else Retryable(failed)
