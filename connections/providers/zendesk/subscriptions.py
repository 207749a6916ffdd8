"""The Zendesk webhook of a connection: created once with its subscriptions, its signing secret kept, removed.

One webhook per connection, named after ml-connector and the connection's label, pointing at its webhook URL;
its signing secret is stored encrypted in `Connection.webhook_secret`.
"""

from django.utils import timezone

from connections.providers import http
from connections.providers.receivers import webhook_url
from connections.providers.zendesk.webhooks import SUBSCRIPTIONS


def save_state(connection, webhook: dict | None) -> None:
    state = {}
    if webhook:
        state = {"webhook_id": webhook["id"], "status": webhook.get("status", ""), "endpoint": webhook.get("endpoint")}
    connection.settings = {**connection.settings, "webhooks": {**state, "checked_at": timezone.now().isoformat()}}
    connection.save(update_fields=["settings", "webhook_secret", "updated_at"])


def register(connection) -> dict:
    """One webhook per connection: reuse ours if Zendesk still has it, else create it; keep its secret."""
    endpoint = webhook_url(connection)
    existing = http.call(connection, "GET", "/api/v2/webhooks", params={"filter[name_contains]": "ml-connector"})
    webhook = next((w for w in (existing.data or {}).get("webhooks", []) if w.get("endpoint") == endpoint), None)
    if webhook is None:
        body = {
            "webhook": {
                "name": f"ml-connector ({connection.label})",
                "status": "active",
                "endpoint": endpoint,
                "http_method": "POST",
                "request_format": "json",
                "subscriptions": list(SUBSCRIPTIONS),
            }
        }
        webhook = http.call(connection, "POST", "/api/v2/webhooks", json_body=body).data["webhook"]
    secret = http.call(connection, "GET", f"/api/v2/webhooks/{webhook['id']}/signing_secret").data["signing_secret"]
    connection.webhook_secret = secret["secret"]
    save_state(connection, webhook)
    return connection.settings["webhooks"]


def refresh_state(connection) -> dict:
    webhook_id = (connection.settings.get("webhooks") or {}).get("webhook_id")
    if not webhook_id:
        return {}
    webhook = http.call(connection, "GET", f"/api/v2/webhooks/{webhook_id}").data["webhook"]
    save_state(connection, webhook)
    return connection.settings["webhooks"]


def unregister(connection) -> None:
    webhook_id = (connection.settings.get("webhooks") or {}).get("webhook_id")
    if webhook_id:
        http.call(connection, "DELETE", f"/api/v2/webhooks/{webhook_id}")
    connection.webhook_secret = None
    save_state(connection, None)


def entries(connection) -> list[str]:
    """The webhook and its status, for the connection page."""
    state = connection.settings.get("webhooks") or {}
    return [f"webhook {state['webhook_id']}: {state.get('status', '')}"] if state.get("webhook_id") else []


def describe(connection) -> str:
    """The registration in words, for the dashboard."""
    state = connection.settings.get("webhooks") or {}
    if state.get("webhook_id"):
        return f"registered ({state.get('status') or 'unknown status'})"
    return "not registered"
