"""The review queue: matching in a flow that asks a person when it is not sure, and the person's decisions.

`items` opens review items (`match_or_review`, `possible_duplicate`); `decisions` carries them out (`link`,
`create_new`, `dismiss`, `undo_link`); `index` keeps each integration's match index in memory; `search` answers
the Search box without building one; `views` and `api` are the queue's page and endpoints. This package's face
re-exports what flows and pages call.
"""

from syncs.review.decisions import AlreadyDecided, create_new, dismiss, link, release_jobs, undo_link
from syncs.review.index import forget_indexes, index_for, invalidate, thresholds_for
from syncs.review.items import match_or_review, open_item, possible_duplicate
from syncs.review.search import search

__all__ = [
    "AlreadyDecided",
    "create_new",
    "dismiss",
    "forget_indexes",
    "index_for",
    "invalidate",
    "link",
    "match_or_review",
    "open_item",
    "possible_duplicate",
    "release_jobs",
    "search",
    "thresholds_for",
    "undo_link",
]
