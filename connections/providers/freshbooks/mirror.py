"""FreshBooks clients in the mirror: the source side, for the fit check and the reverse (possible duplicate) check."""

from collections.abc import Iterator
from datetime import datetime

from connections.providers.freshbooks import client as freshbooks
from connections.providers.freshbooks.domain import client_name, person_name, updated_at
from connections.providers.mirror import Source


def client_pages(connection, since: datetime | None = None) -> Iterator[list[dict]]:
    page, more = 1, True
    while more:
        clients, more = freshbooks.list_records(connection, "client", since=since, page=page)
        yield clients
        page += 1


def fetch_client(connection, remote_id: str) -> dict | None:
    return freshbooks.get_record(connection, "client", remote_id)


def client_row(client: dict) -> dict:
    person = person_name(client)
    return {
        "remote_id": str(client["id"]),
        "name": client_name(client, fallback=""),
        "emails": [client["email"]] if client.get("email") else [],
        "external_id": None,
        "summary": {"person": person, "phone": client.get("bus_phone") or client.get("mob_phone") or ""},
        "remote_updated_at": updated_at(client.get("updated")),
        "deleted": client.get("vis_state", 0) != 0,
    }


SOURCES = {
    "client": Source(
        client_pages,
        fetch_client,
        client_pages,
        client_row,
        events=frozenset({"client.create", "client.update", "client.delete"}),
    ),
}
