"""The account's search index and Zendesk's general search (`/api/v2/search.json`) over it.

Zendesk searches an index that lags behind the records ("it can take up to a few minutes for new tickets,
users, and other resources to be indexed", [DOC] search API; 1-10 min in zendesk_api_client_rb#80/#122). So
every change of an organization, user or ticket is recorded here as a snapshot of the record's JSON, and a
search sees, per record, the newest snapshot older than `config["search_index_lag_seconds"]`: a record
created a moment ago is missing, one just changed is found by its old values, one just deleted is still
there. The query language is the subset of the Zendesk Support search reference listed in the README.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from connections.providers.zendesk.emulator.records import casefold, iso

STATUS_ORDER = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITY_ORDER = ("low", "normal", "high", "urgent")
# `sort_by` values ([OAS]) and the query's `order_by:` ones (search reference), to the JSON field sorted on.
SORT_FIELDS = {
    "updated_at": "updated_at",
    "created_at": "created_at",
    "priority": "priority",
    "status": "status",
    "ticket_type": "type",
    "created": "created_at",
    "updated": "updated_at",
}

# Which text fields a keyword, or a term without one, searches in each record type.
TEXT_KEYWORDS = {
    "organization": {"name": ("name",), "details": ("details",), "notes": ("notes",)},
    "user": {"name": ("name",), "details": ("details",), "notes": ("notes",), "phone": ("phone",)},
    "ticket": {"subject": ("subject",), "description": ("description",)},
}
FREE_TEXT = {
    "organization": ("name", "details", "notes", "external_id", "domain_names", "tags"),
    "user": ("name", "email", "details", "notes", "external_id", "phone", "tags"),
    "ticket": ("subject", "description", "external_id", "tags"),
}
# Keywords compared with the whole value (case-insensitive, `*` wildcards allowed), not word by word.
EXACT_KEYWORDS = {
    "organization": {"external_id": "external_id"},
    "user": {"email": "email", "external_id": "external_id", "role": "role"},
    "ticket": {"external_id": "external_id", "ticket_type": "type", "via": "via"},
}
USER_REFERENCES = {"requester": "requester_id", "assignee": "assignee_id", "submitter": "submitter_id"}
_TERM = re.compile(r'(-?)(?:([A-Za-z_]+)(<=|>=|:|<|>))?("[^"]*"?|[^\s"]+)')
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AccountSearch:
    """Mixed into `ZendeskAccount`: the search index of its organizations, users and tickets."""

    def _index(self, kind: str, record, *, deleted: bool = False) -> None:
        """Records a change of `record` (an Organization, User or Ticket): its JSON as search will show it
        once indexed, or its removal. Older snapshots nobody can see any more are dropped."""
        render = {"organization": self.organization_json, "user": self.user_json, "ticket": self.ticket_json}[kind]
        snapshot = None if deleted else {**render(record), "result_type": kind}
        now = self.clock.now()
        history = self.search_index.setdefault((kind, record.id), [])
        history.append((now, snapshot))
        visible = [i for i, (at, _) in enumerate(history) if at + self._search_lag() <= now]
        if visible:
            del history[: visible[-1]]

    def _search_lag(self) -> float:
        return float(self.config["search_index_lag_seconds"])

    def indexed(self) -> list[dict]:
        """The snapshots search sees now: per record, the newest one past the index lag."""
        horizon = self.clock.now() - self._search_lag()
        found = []
        for history in self.search_index.values():
            seen = [snapshot for at, snapshot in history if at <= horizon]
            if seen and seen[-1] is not None:
                found.append(seen[-1])
        return found

    def search(self, query: str, *, sort_by: str | None = None, sort_order: str | None = None) -> list[dict]:
        """The indexed records matching `query`, sorted as asked (`order_by:`/`sort:` in the query win)."""
        terms, order_by, order = [], sort_by, sort_order
        for negated, key, op, raw in _TERM.findall(query or ""):
            value = raw.strip('"')
            if key.lower() == "order_by" and not negated:
                order_by = value
            elif key.lower() == "sort" and not negated:
                order = value
            elif value or key:
                terms.append((bool(negated), key.lower(), op, value))
        found = [record for record in self.indexed() if self._matches(record, terms)]
        return self._sorted(found, order_by, order)

    def _matches(self, record: dict, terms: list) -> bool:
        """Different keywords (and terms without one) must all match; repeated keywords are OR-ed or
        AND-ed as `config["search_repeated_keyword"]` says ("any" or "all")."""
        groups: dict[str, list[bool]] = {}
        for negated, key, op, value in terms:
            hit = self._term_matches(record, key, op, value)
            groups.setdefault(key or f"text:{len(groups)}", []).append(hit != negated)
        combine = any if self.config["search_repeated_keyword"] == "any" else all
        return all(combine(hits) for hits in groups.values())

    def _term_matches(self, record: dict, key: str, op: str, value: str) -> bool:
        kind = record["result_type"]
        if key == "type":
            return casefold(value) == kind
        if not key:
            if kind == "ticket" and value.isdigit() and int(value) == record["id"]:
                return True
            return any(_text_matches(record.get(name), value) for name in FREE_TEXT[kind])
        if value.lower() == "none":
            field_name = {**USER_REFERENCES, "organization": "organization_id", "group": "group_id"}.get(key, key)
            return field_name in record and record[field_name] in (None, "", [])
        if key in TEXT_KEYWORDS[kind]:
            return any(_text_matches(record.get(name), value) for name in TEXT_KEYWORDS[kind][key])
        if key in EXACT_KEYWORDS[kind]:
            actual = record.get(EXACT_KEYWORDS[kind][key])
            actual = actual.get("channel") if isinstance(actual, dict) else actual
            return actual is not None and _wildcard(value).fullmatch(casefold(actual)) is not None
        if key in ("tags", "tag"):
            return any(_wildcard(value).fullmatch(casefold(tag)) for tag in record.get("tags") or [])
        if key in ("created", "updated", "created_at", "updated_at"):
            return _compare_time(record.get(key.removesuffix("_at") + "_at"), op, value)
        if kind == "ticket" and key in ("status", "priority"):
            return _compare_rank(record.get(key), op, value, STATUS_ORDER if key == "status" else PRIORITY_ORDER)
        if key == "organization" and kind in ("ticket", "user"):
            return self._organization_matches(record.get("organization_id"), value)
        if key == "group" and kind in ("ticket", "user"):
            group = record.get("group_id" if kind == "ticket" else "default_group_id")
            return value.isdigit() and group == int(value)
        if key in USER_REFERENCES and kind == "ticket":
            return self._user_matches(record.get(USER_REFERENCES[key]), value)
        return False  # a keyword this record type does not have

    def _organization_matches(self, org_id: int | None, value: str) -> bool:
        """`organization:` takes an id or a name (word-matched, as names are)."""
        if org_id is None:
            return False
        if value.isdigit():
            return org_id == int(value)
        org = self.organizations.get(org_id)
        return org is not None and _text_matches(org.name, value)

    def _user_matches(self, user_id: int | None, value: str) -> bool:
        """`requester:`/`assignee:`/`submitter:` take an id, an email or a name."""
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            return False
        if value.isdigit():
            return user.id == int(value)
        if "@" in value:
            return user.email is not None and _wildcard(value).fullmatch(casefold(user.email)) is not None
        return _text_matches(user.name, value)

    def _sorted(self, found: list[dict], order_by: str | None, order: str | None) -> list[dict]:
        """`sort_by` (or `order_by:`), descending unless `sort_order`/`sort:` says asc ([OAS]); without
        one, relevance, which the sandbox replaces with `config["search_relevance_sort"]`."""
        name = SORT_FIELDS.get((order_by or "").lower()) or SORT_FIELDS[self.config["search_relevance_sort"]]
        ranks = {"status": STATUS_ORDER, "priority": PRIORITY_ORDER}.get(name)

        def key(record):
            value = record.get(name)
            if ranks is not None:
                value = ranks.index(value) if value in ranks else -1
            return (value is not None, value if value is not None else "", record["id"])

        return sorted(found, key=key, reverse=(order or "desc").lower() != "asc")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", casefold(text))


def _text_matches(actual, value: str) -> bool:
    """Zendesk's word matching: a term matches a word, a word of a longer phrase or the start of a longer
    word, never the middle or end of one ("top" finds "Tip-Top Mops", not "Desktop"); several words (a
    quoted phrase, or words joined by punctuation) must follow each other, the last one as a prefix."""
    if actual is None:
        return False
    if isinstance(actual, list):
        return any(_text_matches(item, value) for item in actual)
    if "*" in value:
        pattern = _wildcard(value)
        return any(pattern.fullmatch(word) for word in _words(str(actual))) or bool(pattern.fullmatch(casefold(actual)))
    wanted, words = _words(value), _words(str(actual))
    if not wanted:
        return False
    for start in range(len(words) - len(wanted) + 1):
        window = words[start : start + len(wanted)]
        if window[:-1] == wanted[:-1] and window[-1].startswith(wanted[-1]):
            return True
    return False


def _wildcard(value: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in casefold(value).split("*")))


def _compare_rank(actual, op: str, value: str, order: tuple[str, ...]) -> bool:
    """`status<solved`, `priority>=high`: the documented orders new < open < pending < hold < solved <
    closed and low < normal < high < urgent."""
    wanted = value.lower()
    if actual not in order or wanted not in order:
        return False
    return _compare(order.index(actual), op, order.index(wanted))


def _compare_time(actual: str | None, op: str, value: str) -> bool:
    """`created>2024-01-31` compares days (UTC); `created>2024-01-31T10:00:00Z` compares moments."""
    if actual is None or not _DATE.match(value):
        return False
    moment = datetime.strptime(actual, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    try:
        if len(value) == 10:
            return _compare(moment.date(), op, date.fromisoformat(value))
        wanted = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False  # not a date Zendesk understands either; relative ones ("4hours") are not emulated
    wanted = wanted if wanted.tzinfo else wanted.replace(tzinfo=UTC)
    return _compare(iso(moment), op, iso(wanted))


def _compare(actual, op: str, wanted) -> bool:
    return {
        ":": actual == wanted,
        "<": actual < wanted,
        ">": actual > wanted,
        "<=": actual <= wanted,
        ">=": actual >= wanted,
    }[op or ":"]
