"""django-q2 entry points for syncs: thin (ids in, scope entered, real work elsewhere) and idempotent."""

from django_scopes import scope, scopes_disabled

from connections.models import Connection
from syncs import events


def process_event(event_pk: int) -> int:
    """Turn a stored InboundEvent into work; safe to run twice (see syncs.events.process)."""
    with scopes_disabled():
        from syncs.models import InboundEvent

        event = InboundEvent.objects.select_related("tenant", "connection").filter(pk=event_pk).first()
    if event is None:
        return 0
    with scope(tenant=event.tenant):
        return events.process(event)


def confirm_webhook(connection_pk: int, callback_id: str) -> None:
    """FreshBooks' verify PUT, sent after the verification POST was stored and acknowledged."""
    from connections.providers.freshbooks import webhooks

    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").get(pk=connection_pk)
    with scope(tenant=connection.tenant):
        webhooks.confirm(connection, callback_id)
