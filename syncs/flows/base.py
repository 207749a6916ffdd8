"""The flow interface: what an integration does, in small steps the engine calls in order.

    fetch(ctx, ref)            the full, current source record (None when it is gone)
    map(ctx, record)           -> Mapped: the target record type and the payload to write (pure)
    find_target(ctx, ...)      the target id for a source record without a link (match, or None to create)
    write(ctx, mapped, link)   create or update on the target; returns the target id

The engine owns everything else: claiming the job, the RecordLink and its fingerprint (an unchanged payload
is never written again), retries, rate limits, parking, the audit trail and dry runs. A flow raises the typed
errors of `connections.providers.errors` and `NeedsReview`; it never retries or sleeps itself.
"""

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceRef:
    type: str
    id: str


@dataclass
class Mapped:
    target_type: str
    payload: dict
    # A human summary for the audit log and the fit check ("Acme Corp -> organization").
    summary: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps([self.target_type, self.payload], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


class NeedsReview(Exception):
    """No confident match: the job waits for a person's decision (see the review queue)."""

    def __init__(self, message: str, *, review_item=None):
        super().__init__(message)
        self.review_item = review_item


class Skip(Exception):
    """Nothing to write for this record (e.g. an expense without a client); succeeded, with the reason."""


class Flow:
    slug = ""
    name = ""
    source_provider = ""
    target_provider = ""
    listens_to: frozenset[str] = frozenset()
    # Events from the *target* connection this flow also acts on (e.g. Zendesk organization.created, checked
    # against the source's customers); their jobs carry a `source_type` the flow knows lives on the target.
    target_listens_to: frozenset[str] = frozenset()
    # The record types polling and backfill read from the source, each listed page by page by `changes()`.
    polled_types: tuple[str, ...] = ()

    def source_ref(self, event) -> SourceRef:
        return SourceRef(event.object_type, event.object_id)

    def fetch(self, ctx, ref: SourceRef) -> dict | None:
        raise NotImplementedError

    def map(self, ctx, record: dict) -> Mapped:
        raise NotImplementedError

    def find_target(self, ctx, record: dict, mapped: Mapped) -> tuple[str | None, str]:
        """(target id or None to create, how it was found: "exact", "fuzzy", "manual")."""
        return None, "created"

    def write(self, ctx, mapped: Mapped, target_id: str | None) -> str:
        raise NotImplementedError

    def changes(self, ctx, record_type: str, since, page: int) -> tuple[list[dict], bool]:
        """One page of source records of `record_type` changed since `since` (None: all); (records, more)."""
        raise NotImplementedError
