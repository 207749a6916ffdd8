"""FreshBooks webhooks ("callbacks") as they arrive: the verification handshake, signatures, parsing.

FreshBooks signs each delivery with the verifier of the callback it belongs to: base64 HMAC-SHA256 over
Python's default `json.dumps` of the form fields *in body order* (not over the raw body). We register one
callback per parent event (`invoice` matches invoice.create/update/delete), so a connection holds a few
verifiers; they are stored encrypted in `Connection.webhook_secret` as a JSON map {callback id: verifier},
and a delivery is checked against the verifier of the callback for its event. Registering the callbacks is
`subscriptions.py`'s.

Deliveries carry no event id and no timestamp, so the dedupe key hashes the event, the object and a
five-minute window of arrival: a repeat within it is stored once. Because it may also be a second change
made after the first was processed, a repeat of a processed event still queues the record again; the
engine compares fingerprints, so a true redelivery writes nothing.
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl

from django.db import transaction
from django.utils import timezone

import audit
from connections.providers.receivers import Malformed, ParsedEvent, Receiver, Rejected

SIGNATURE_HEADER = "X-FreshBooks-Hmac-SHA256"
# Parent events we subscribe to; each covers .create, .update and .delete.
SUBSCRIBED = ("client", "invoice", "payment", "expense")
DEDUPE_WINDOW_SECONDS = 300


def signature(verifier: str, pairs: list[tuple[str, str]]) -> str:
    message = json.dumps({key: str(value) for key, value in pairs})
    return base64.b64encode(hmac.new(verifier.encode(), message.encode(), hashlib.sha256).digest()).decode()


def verifiers(connection) -> dict[str, str]:
    try:
        return json.loads(connection.webhook_secret or "{}")
    except ValueError:
        return {}


def callbacks(connection) -> dict[str, dict]:
    """Non-secret state of our callbacks: {callback id: {"event", "verified"}}."""
    return (connection.settings.get("webhooks") or {}).get("callbacks") or {}


def form_pairs(request) -> list[tuple[str, str]]:
    try:
        return parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed("not a form-encoded body") from exc


class FreshBooksReceiver(Receiver):
    provider = "freshbooks"
    HANDLED_EVENTS = frozenset(
        f"{parent}.{action}" for parent in SUBSCRIBED for action in ("create", "update", "delete")
    )
    KEPT_HEADERS = (SIGNATURE_HEADER,)
    REPEATS_MAY_BE_NEW_CHANGES = True

    def verify(self, request, connection):
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise Rejected("missing X-FreshBooks-Hmac-SHA256 signature")
        try:
            pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise Rejected("signature does not match") from None
        fields = dict(pairs)
        if fields.get("name") == "callback.verify":
            # The handshake is signed with the verifier it carries; it is trusted only for a callback we
            # registered and that still waits for verification.
            pending = callbacks(connection).get(str(fields.get("object_id")))
            if pending is None or pending.get("verified"):
                raise Rejected("verification for a callback this connection did not register")
            keys = [fields.get("verifier", "")]
        else:
            keys = self.keys_for(connection, fields.get("name", ""))
        if not keys or not any(hmac.compare_digest(signature(key, pairs), given) for key in keys if key):
            raise Rejected("signature does not match")

    def keys_for(self, connection, event_name: str) -> list[str]:
        parent = event_name.split(".")[0]
        secrets = verifiers(connection)
        ours = callbacks(connection)
        wanted = [cid for cid, cb in ours.items() if cb.get("event") in (event_name, parent)]
        return [secrets[cid] for cid in wanted if cid in secrets] or list(secrets.values())

    def parse(self, request, connection):
        fields = dict(form_pairs(request))
        name, object_id = fields.get("name", ""), fields.get("object_id", "")
        if not name or not object_id:
            raise Malformed("name and object_id are required")
        if name != "callback.verify" and fields.get("account_id") != connection.addresses.get("account_id"):
            raise Malformed(f"account {fields.get('account_id')!r} is not this connection's account")
        window = int(timezone.now().timestamp()) // DEDUPE_WINDOW_SECONDS
        key = hashlib.sha256(f"{name}|{object_id}|{fields.get('account_id')}|{window}".encode()).hexdigest()
        return [ParsedEvent(name, key, object_type=name.split(".")[0], object_id=object_id, extra=fields)]

    def before_store(self, request, connection, events):
        """callback.verify: keep the verifier (the signing key), then send the verify PUT after commit."""
        kept = []
        for event in events:
            if event.event_name != "callback.verify":
                kept.append(event)
                continue
            callback_id, verifier = event.object_id, event.extra.get("verifier", "")
            # FreshBooks sends one verification per callback, all at once: add ours under the row lock,
            # re-reading the others', or concurrent requests would drop each other's verifiers.
            with transaction.atomic():
                locked = type(connection).objects.select_for_update(of=("self",)).get(pk=connection.pk)
                secrets = verifiers(locked)
                secrets[callback_id] = verifier
                locked.webhook_secret = json.dumps(secrets)
                locked.save(update_fields=["webhook_secret", "updated_at"])
            connection.webhook_secret = locked.webhook_secret
            audit.record(
                "webhook.verification_received",
                tenant=connection.tenant,
                connection=connection,
                message=f"FreshBooks sent the verifier for callback {callback_id}; confirming it.",
            )
            transaction.on_commit(lambda pk=connection.pk, cid=callback_id: enqueue_verify(pk, cid))
        return kept


def enqueue_verify(connection_pk: int, callback_id: str) -> None:
    """The verify PUT goes out from a worker once the verification is stored (`subscriptions.confirm`)."""
    from django_q.tasks import async_task

    async_task("syncs.tasks.confirm_webhook", connection_pk, callback_id)


RECEIVER = FreshBooksReceiver()
