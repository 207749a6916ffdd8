"""django-q2 entry points for connections: thin, idempotent, and safe to run on any worker."""

from connections.credentials import tokens


def refresh_tokens() -> int:
    """Scheduled: refresh access tokens near expiry and rotate refresh tokens daily (connections.credentials.
    tokens), one task per connection, so the round is never one task that django-q2's timeout could cut."""
    from syncs.engine.jobs import queue_task

    due = tokens.due_for_refresh()
    for pk in due:
        queue_task("connections.tasks.refresh_connection", pk)
    return len(due)


def refresh_connection(connection_pk: int) -> bool:
    """One connection's scheduled refresh, in its tenant; a failure is recorded on that connection."""
    from django_scopes import scope, scopes_disabled

    from connections.models import Connection

    with scopes_disabled():
        tenant = Connection.objects.filter(pk=connection_pk).values_list("tenant", flat=True).first()
    if tenant is None:
        return False
    with scope(tenant=tenant):
        return tokens.refresh_scheduled(connection_pk)
