"""Webhooks in: one path for every provider. Verify, then store, then acknowledge; process later.

In order, for `/webhooks/<provider>/<connection uuid>/`:
1. find the connection (404 for an unknown uuid, before any secret is touched; 410 when it is disabled);
2. refuse a body over the size limit (413) or with a length that is not a number (400);
3. `receiver.verify()`: the provider's signature, compared in constant time with that connection's secret
   (401 and a `webhook.rejected` audit event when it fails; nothing is stored for processing). Refusals
   are counted per sender and per connection: past the limit they answer 429; a verified one never does;
4. `receiver.parse()` into events (400 and an audit event when the body is malformed);
5. store one `InboundEvent` per event, unique per dedupe key: a redelivery only bumps a counter;
6. enqueue `syncs.tasks.process_event` for what was stored (in the same transaction with the ORM broker,
   on commit with Redis), and answer 2xx. A lost enqueue only delays: the sweeper finds unprocessed events.

Some providers sign per app, not per connection: `receive_app()` verifies with the app's
secret and routes each parsed event to its connection by an id in the payload (`receiver.connection_lookup`).

A provider's `webhooks.py` exports `RECEIVER`, a `Receiver` (`connections.providers.receivers`) with
`HANDLED_EVENTS`, `verify()` and `parse()`; the registry says which provider has one.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

import audit
from audit.models import AuditEvent
from connections import registry, throttles
from connections.models import Connection
from connections.providers.receivers import Malformed, ParsedEvent, Receiver, Rejected, webhook_url
from connections.throttles import client_address
from syncs.engine.jobs import jobs_for_event, queue_task
from syncs.models import InboundEvent

logger = logging.getLogger(__name__)

# Headers worth keeping with an event (signatures are kept: they prove what was verified, and are not secrets).
KEPT_HEADERS = ("Content-Type", "User-Agent")


def receiver_for(provider: str) -> Receiver:
    """The provider's receiver; 404 for a provider that is not registered or takes no webhooks."""
    receiver = registry.part(provider, "webhooks")
    if receiver is None:
        raise Http404
    return receiver


def over_rejection_limit(request, connection=None) -> bool:
    """Count a refused delivery per sender address and per connection; True once either is over its limit.

    Only refusals are counted and only refusals are throttled: a delivery whose signature verifies is never
    turned away, so junk sent from behind the same proxy as a provider cannot block that provider."""
    limit = settings.WEBHOOK_REJECTIONS_PER_MINUTE
    over = throttles.hit("webhook-rejections", f"address:{client_address(request)}", 60) > limit
    if connection is not None:
        over |= throttles.hit("webhook-rejections", f"connection:{connection.pk}", 60) > limit
    return over


def throttled() -> JsonResponse:
    return JsonResponse({"error": "too many refused deliveries; slow down"}, status=429, headers={"Retry-After": "60"})


def declared_length(request) -> int | None:
    """The Content-Length header as a number; None when it is absent or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def reject(request, connection, status: int, reason: str, *, verified: bool = False) -> JsonResponse:
    """Answer a refused delivery and leave a trace: reason, address, body hash and size; never a secret.
    Past the rejection limit an unverified one is answered 429 and not recorded, so junk cannot flood the trail."""
    if not verified and over_rejection_limit(request, connection):
        return throttled()
    body = request.body if status != 413 and declared_length(request) is not None else b""
    audit.record(
        "webhook.rejected",
        tenant=connection.tenant,
        connection=connection,
        level="warning",
        message=f"Refused a {connection.provider_name} webhook: {reason}",
        data={
            "reason": reason,
            "status": status,
            "remote_address": client_address(request),
            "body_sha256": hashlib.sha256(body).hexdigest() if body else None,
            "body_size": declared_length(request) or len(body),
        },
    )
    return JsonResponse({"error": reason}, status=status)


def body_refusal(request) -> tuple[int, str] | None:
    """A body we will not read: a length that is not a number, or one over the limit."""
    declared = declared_length(request)
    if declared is None:
        return 400, "the Content-Length header is not a number"
    if declared > settings.WEBHOOK_MAX_BODY_BYTES:
        return 413, f"body larger than {settings.WEBHOOK_MAX_BODY_BYTES} bytes"
    return None


def kept_headers(request, receiver: Receiver) -> dict:
    return {name: request.headers[name] for name in (*KEPT_HEADERS, *receiver.KEPT_HEADERS) if name in request.headers}


def store(request, receiver: Receiver, connection: Connection, events: list[ParsedEvent]) -> dict:
    """Save each event once; a known dedupe key only counts a duplicate. Enqueue processing on commit."""
    outcome = {"stored": 0, "duplicates": 0, "ignored": 0}
    body = request.body.decode("utf-8", errors="replace")
    headers = kept_headers(request, receiver)
    now = timezone.now()
    for parsed in events:
        handled = parsed.event_name in receiver.HANDLED_EVENTS
        try:
            # One transaction per event, outermost (no savepoint): the row and, with the ORM broker, its task.
            with transaction.atomic():
                event = InboundEvent.objects.create(
                    tenant=connection.tenant,
                    connection=connection,
                    provider=connection.provider,
                    event_name=parsed.event_name,
                    object_type=parsed.object_type,
                    object_id=parsed.object_id,
                    dedupe_key=parsed.dedupe_key,
                    status=InboundEvent.Status.RECEIVED if handled else InboundEvent.Status.IGNORED,
                    body=body,
                    headers=headers,
                )
                if handled and settings.Q_BROKER == "orm":
                    # The ORM broker's queue is a table in this database: the event and its task commit
                    # together, in one commit instead of two.
                    enqueue_processing(event.pk)
        except IntegrityError:
            known = InboundEvent.objects.filter(connection=connection, dedupe_key=parsed.dedupe_key)
            known.update(duplicates=F("duplicates") + 1, last_duplicate_at=now)
            outcome["duplicates"] += 1
            if receiver.REPEATS_MAY_BE_NEW_CHANGES and handled:
                # No event id (REPEATS_MAY_BE_NEW_CHANGES): a "duplicate" may be a second change made after
                # the first was processed. Queue the record again; if nothing changed, its write is a no-op. A job still
                # waiting to start already covers it (jobs_for_event coalesces).
                original = known.filter(status=InboundEvent.Status.PROCESSED).first()
                if original is not None:
                    jobs_for_event(original)
            continue
        if handled:
            outcome["stored"] += 1
            if settings.Q_BROKER != "orm":
                transaction.on_commit(lambda pk=event.pk: enqueue_processing(pk))
        else:
            outcome["ignored"] += 1
    return outcome


def enqueue_processing(event_pk: int) -> None:
    """A failure to queue never loses the event: it stays stored, and the sweeper processes it."""
    queue_task("syncs.tasks.process_event", event_pk, task_name=f"event-{event_pk}")


@csrf_exempt
@require_POST
def receive(request, provider, connection_uuid):
    """A delivery for one connection, signed with that connection's secret."""
    receiver = receiver_for(provider)
    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").filter(uuid=connection_uuid, provider=provider).first()
    if connection is None:
        if over_rejection_limit(request):
            return throttled()
        raise Http404
    with scope(tenant=connection.tenant):
        if connection.status == Connection.Status.DISABLED:  # whatever secret it may still hold
            return reject(request, connection, 410, "the connection is disabled or disconnected; nothing was stored")
        if refusal := body_refusal(request):
            return reject(request, connection, *refusal)
        try:
            receiver.verify(request, connection)
        except Rejected as exc:
            return reject(request, connection, 401, str(exc))
        try:
            events = receiver.parse(request, connection)
        except Malformed as exc:
            return reject(request, connection, 400, f"malformed body: {exc}", verified=True)
        events = receiver.before_store(request, connection, events)
        outcome = store(request, receiver, connection, events)
    return JsonResponse({"ok": True, **outcome})


@csrf_exempt
@require_POST
def receive_app(request, provider):
    """A delivery signed with the app's secret; each event is routed to its connection by the payload."""
    receiver = receiver_for(provider)
    if refusal := body_refusal(request):
        return throttled() if over_rejection_limit(request) else JsonResponse({"error": refusal[1]}, status=refusal[0])
    try:
        receiver.verify_app(request)
    except Rejected as exc:
        if over_rejection_limit(request):
            return throttled()
        logger.warning("refused an app-level %s webhook from %s: %s", provider, client_address(request), exc)
        return JsonResponse({"error": str(exc)}, status=401)
    try:
        events = receiver.parse(request, None)
    except Malformed as exc:
        return JsonResponse({"error": f"malformed body: {exc}"}, status=400)
    totals = {"stored": 0, "duplicates": 0, "ignored": 0, "unrouted": 0}
    for parsed in events:
        with scopes_disabled():
            connection = (
                Connection.objects.select_related("tenant").filter(**receiver.connection_lookup(parsed)).first()
            )
        if connection is None:
            totals["unrouted"] += 1
            continue
        with scope(tenant=connection.tenant):
            for key, value in store(request, receiver, connection, [parsed]).items():
                totals[key] += value
    return JsonResponse({"ok": True, **totals})


def deliveries(connection):
    """The connection's webhook deliveries, latest first (the index `event_connection_deliveries`)."""
    return InboundEvent.objects.filter(connection=connection, source=InboundEvent.Source.WEBHOOK).order_by(
        "-received_at", "-id"
    )


def delivery_summary(connection, *, limit: int = 10) -> dict:
    """What the connection page shows: the last deliveries, whatever became of them, and 24-hour counts."""
    since = timezone.now() - timedelta(hours=24)
    subscriptions = registry.part(connection.provider, "subscriptions")
    events = InboundEvent.objects.filter(connection=connection)
    rejected = AuditEvent.objects.filter(connection=connection, kind="webhook.rejected")
    recent = [
        {
            "at": e.received_at,
            "outcome": e.get_status_display(),
            "what": f"{e.event_name} {e.object_id}",
            "duplicates": e.duplicates,
        }
        for e in deliveries(connection)[:limit]
    ] + [
        {"at": r.created_at, "outcome": "Rejected", "what": r.data.get("reason", ""), "duplicates": 0}
        for r in rejected[:limit]
    ]
    recent.sort(key=lambda row: row["at"], reverse=True)
    last_day = deliveries(connection).filter(received_at__gte=since)
    return {
        "url": webhook_url(connection),
        "recent": recent[:limit],
        "accepted": last_day.exclude(status=InboundEvent.Status.IGNORED).count(),
        "ignored": last_day.filter(status=InboundEvent.Status.IGNORED).count(),
        "duplicates": events.filter(last_duplicate_at__gte=since).aggregate(n=Sum("duplicates"))["n"] or 0,
        "rejected": rejected.filter(created_at__gte=since).count(),
        "state": connection.settings.get("webhooks") or {},
        "entries": subscriptions.entries(connection) if subscriptions else [],
    }
