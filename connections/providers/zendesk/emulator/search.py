"""Zendesk's general search over HTTP, as a mixin of the emulator: `GET /api/v2/search.json?query=` and
`/api/v2/search/count.json`. Kept apart from the resource routes because its rules are its own: offset
pagination only, at most 1,000 results per query and 100 per page, a page past the limit answered 422 even
though the page before it offered a `next_page`, and `count` the true number of matches ([DOC] search API).
What a query matches, and how far the index lags, is `account_search.py`'s business.
"""

from __future__ import annotations

from urllib.parse import urlencode

from connections.providers.zendesk.emulator.api import api
from connections.providers.zendesk.emulator.errors import ZendeskError, invalid_request
from connections.sandbox.base import Request

SEARCH_RESULT_LIMIT = 1000
SEARCH_PAGE_SIZE = 100
# The answer to cursor parameters (`page[size]`) or a page that is not a number, as Zendesk's community
# posts quote it; its status is UNCONFIRMED.
INVALID_PAGE = {
    "error": {
        "title": "Invalid attribute",
        "message": "You passed an invalid value for the page attribute. Invalid parameter: page must be an "
        "integer from api/v2/search/index",
    }
}
LIMIT_EXCEEDED = "Invalid search: Requested response size was greater than Search Response Limits"


class SearchRoutes:
    """Mixed into `ZendeskEmulator`: general search."""

    @api("GET", "/api/v2/search")
    def general_search(self, request, account, user):
        query = _query(request)
        page, per_page = _page(request)
        start = (page - 1) * per_page
        if start >= SEARCH_RESULT_LIMIT:
            raise ZendeskError(422, {"error": "invalid", "description": LIMIT_EXCEEDED})
        found = account.search(query, sort_by=request.arg("sort_by"), sort_order=request.arg("sort_order"))
        others = [(k, v) for k, v in request.query if k not in ("page", "per_page")]

        def link(number):
            return f"{account.url('search.json')}?{urlencode([*others, ('page', number), ('per_page', per_page)])}"

        return self._json(
            {
                "results": found[start : min(start + per_page, SEARCH_RESULT_LIMIT)],
                "facets": None,
                "next_page": link(page + 1) if start + per_page < len(found) else None,
                "previous_page": link(page - 1) if page > 1 else None,
                "count": len(found),
            }
        )

    @api("GET", "/api/v2/search/count")
    def search_count(self, request, account, user):
        return self._json({"count": len(account.search(_query(request)))})


def _query(request: Request) -> str:
    query = (request.arg("query") or "").strip()
    if not query:
        raise invalid_request("query parameter is missing", error="invalid")
    return query


def _page(request: Request) -> tuple[int, int]:
    """(page, per_page): `page` from 1, `per_page` at most 100 (more is capped, as the lists do)."""
    page_arg = request.arg("page") or "1"
    if any(name.startswith("page[") for name, _ in request.query) or not page_arg.isdigit() or int(page_arg) < 1:
        raise ZendeskError(400, INVALID_PAGE)
    per_page_arg = request.arg("per_page") or str(SEARCH_PAGE_SIZE)
    per_page = int(per_page_arg) if per_page_arg.isdigit() and int(per_page_arg) > 0 else SEARCH_PAGE_SIZE
    return int(page_arg), min(per_page, SEARCH_PAGE_SIZE)
