"""What a provider's mirror source is: how its records of one type reach `syncs.mirror` (`RemoteRecord`).

A provider package's `mirror.py` exports `SOURCES = {record type: Source}`; the shared mirror reads, stores
and polls them. Defined here, below the provider packages, so that a package never imports `syncs`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta


class ChangePage(list):
    """A page of changes that also says, in the provider's own clock, up to when it holds every change
    (Zendesk's export `end_time`): the next poll resumes from there, not from our clock, which may be ahead
    of the provider's and would skip what changed in between. A plain list means "not said"."""

    def __init__(self, records, until: datetime | None = None):
        super().__init__(records)
        self.until = until


@dataclass(frozen=True)
class Source:
    """How one provider's records of one type reach the mirror."""

    pages: Callable[..., Iterator[list[dict]]]  # (connection) -> pages of records, all of them
    fetch: Callable[..., dict | None]  # (connection, remote_id) -> the record, None when gone
    changes: Callable[..., Iterator[list[dict]]] | None  # (connection, since: datetime) -> pages of changes
    row: Callable[[dict], dict]  # record -> RemoteRecord fields, with "remote_id"
    # Webhook events that say a record of this type changed (refetched) or went (`gone`: marked deleted).
    events: frozenset[str] = frozenset()
    gone: frozenset[str] = frozenset()
    # A poll starts this long before the previous one began: windows overlap (storing a record twice changes
    # nothing), and an export that refuses a start younger than a minute is never asked for one.
    overlap: timedelta = timedelta(seconds=61)
