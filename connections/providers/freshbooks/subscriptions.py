"""FreshBooks callbacks at FreshBooks: create the missing ones, confirm verifications, read back, remove.

One callback per parent event (`SUBSCRIBED`), each pointing at this connection's webhook URL. FreshBooks
sends a verification POST right after a callback is created; the receiver keeps its verifier and a worker
hands it back with the verify PUT (`confirm`), which turns deliveries on.
"""

from django.db import transaction
from django.utils import timezone

from connections.providers import http
from connections.providers.freshbooks.webhooks import SUBSCRIBED, callbacks, verifiers
from connections.providers.receivers import webhook_url


def events_path(connection, suffix: str = "") -> str:
    return f"/events/account/{connection.addresses['account_id']}/events/callbacks{suffix}"


def save_callbacks(connection, state: dict) -> None:
    webhooks = {
        **(connection.settings.get("webhooks") or {}),
        "callbacks": state,
        "checked_at": timezone.now().isoformat(),
    }
    connection.settings = {**connection.settings, "webhooks": webhooks}
    connection.save(update_fields=["settings", "updated_at"])


def list_remote(connection) -> list[dict]:
    found, page = [], 1
    while True:
        result = http.call(connection, "GET", events_path(connection), params={"page": page, "per_page": 100})
        body = (result.data or {}).get("response", {}).get("result", {})
        found += body.get("callbacks") or []
        if page >= int(body.get("pages") or 1):
            return found
        page += 1


def register(connection) -> dict:
    """Create missing callbacks, resend verification for unverified ones; returns the state shown to people."""
    uri = webhook_url(connection)
    remote = {str(cb["callbackid"]): cb for cb in list_remote(connection) if cb.get("uri") == uri}
    state = {cid: {"event": cb["event"], "verified": bool(cb.get("verified"))} for cid, cb in remote.items()}
    have = {cb["event"] for cb in state.values()}
    for parent in SUBSCRIBED:
        if parent in have:
            continue
        body = {"callback": {"event": parent, "uri": uri}}
        callback = http.call(connection, "POST", events_path(connection), json_body=body).data["response"]["result"]
        callback = callback["callback"]
        state[str(callback["callbackid"])] = {"event": callback["event"], "verified": bool(callback.get("verified"))}
        # Saved at once: FreshBooks sends the verification POST right after creating the callback.
        save_callbacks(connection, state)
    save_callbacks(connection, state)
    for cid, cb in state.items():
        if not cb["verified"] and cid in remote:
            http.call(connection, "PUT", events_path(connection, f"/{cid}"), json_body={"callback": {"resend": True}})
    return state


def confirm(connection, callback_id: str) -> None:
    """The verify PUT: hand FreshBooks back the verifier it sent, which turns deliveries on."""
    verifier = verifiers(connection).get(callback_id)
    if not verifier:
        return
    http.call(
        connection,
        "PUT",
        events_path(connection, f"/{callback_id}"),
        json_body={"callback": {"verifier": verifier}},
    )
    with transaction.atomic():
        locked = type(connection).objects.select_for_update(of=("self",)).get(pk=connection.pk)
        state = callbacks(locked)
        if callback_id in state:
            state[callback_id]["verified"] = True
            save_callbacks(locked, state)


def refresh_state(connection) -> dict:
    uri = webhook_url(connection)
    state = {
        str(cb["callbackid"]): {"event": cb["event"], "verified": bool(cb.get("verified"))}
        for cb in list_remote(connection)
        if cb.get("uri") == uri
    }
    save_callbacks(connection, state)
    return state


def unregister(connection) -> None:
    for callback_id in list(callbacks(connection)):
        http.call(connection, "DELETE", events_path(connection, f"/{callback_id}"))
    save_callbacks(connection, {})


def entries(connection) -> list[str]:
    """Each callback and its state, for the connection page."""
    return [
        f"{callback['event']}: {'verified' if callback.get('verified') else 'waiting for verification'}"
        for callback in callbacks(connection).values()
    ]


def describe(connection) -> str:
    """The registration in words, for the dashboard."""
    state = callbacks(connection)
    if not state:
        return "not registered"
    verified = sum(1 for callback in state.values() if callback.get("verified"))
    return f"{verified} of {len(state)} callbacks verified"
