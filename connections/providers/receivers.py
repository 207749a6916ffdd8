"""What a provider's webhook receiver is: the types the shared ingest path (`syncs.ingest.webhooks`) calls.

A provider package's `webhooks.py` exports `RECEIVER`, a `Receiver` with `HANDLED_EVENTS`, `verify()` and
`parse()`. These types live here, below the provider packages, so that a package never imports `syncs`.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404
from django.urls import reverse


class Rejected(Exception):
    """The delivery cannot be trusted (no or wrong signature, stale timestamp): 401."""


class Malformed(Exception):
    """The delivery was authentic but could not be read: 400."""


def json_body(request):
    """The body as JSON, or Malformed: a body nested too deeply raises RecursionError, not ValueError."""
    try:
        return json.loads(request.body)
    except RecursionError:
        raise Malformed("the JSON is nested too deeply to read") from None
    except ValueError:
        raise Malformed("not JSON") from None


@dataclass
class ParsedEvent:
    event_name: str
    dedupe_key: str
    object_type: str = ""
    object_id: str = ""
    extra: dict = field(default_factory=dict)


class Receiver:
    """What a provider tells the shared path: which events it handles, how it signs, how it reads."""

    provider = ""
    HANDLED_EVENTS: frozenset[str] = frozenset()
    KEPT_HEADERS: tuple[str, ...] = ()
    # True where deliveries carry no event id, so a repeat may be a new change rather than a redelivery.
    REPEATS_MAY_BE_NEW_CHANGES = False

    def verify(self, request, connection) -> None:
        raise NotImplementedError

    def parse(self, request, connection) -> list[ParsedEvent]:
        raise NotImplementedError

    def before_store(self, request, connection, events: list[ParsedEvent]) -> list[ParsedEvent]:
        """A hook for handshakes (a verification request): may act and drop events from storage."""
        return events

    # App-level signing (one URL and secret for the whole app; the payload names the connection).
    def verify_app(self, request) -> None:
        raise Http404

    def connection_lookup(self, event: ParsedEvent) -> dict:
        """Filter that finds the event's connection, e.g. {"provider": "<slug>", "addresses__realm_id": …}."""
        raise Http404


def webhook_url(connection) -> str:
    """Our address for this connection's deliveries, as registered with the provider."""
    return settings.PUBLIC_BASE_URL + reverse("webhook-receive", args=[connection.provider, connection.uuid])
