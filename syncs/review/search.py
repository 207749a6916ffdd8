"""The review queue's Search box: records of a mirror by name, for a person choosing the right one.

A web request never builds a match index: 100,000 names take a second or two and tens of megabytes, held then
by every web process that served one search. When this process already holds the index it answers (it is
fuzzy, and fresh); otherwise the mirror table is asked for a bounded set of rows whose normalised name contains
the query, then all its words, then any of them, else starts like it, and only those rows are ranked.
"""

from django.db.models import Q

from syncs.matching import Candidate, MatchIndex, TargetRecord
from syncs.matching.names import STOPWORDS, name_forms
from syncs.models import RemoteRecord
from syncs.review.index import built_index, thresholds_for

ROWS = 200  # rows read per step; ranking them is a few milliseconds


def search(integration, record_type: str, text: str, *, connection=None, limit: int = 10) -> list[Candidate]:
    """Records of `connection`'s mirror (default: the integration's target) whose names resemble `text`."""
    connection = connection or integration.target
    index = built_index(integration, record_type, connection)
    if index is not None:
        return index.search(text, limit=limit)
    rows = candidate_rows(connection, record_type, text)
    return MatchIndex(rows, thresholds=thresholds_for(integration)).search(text, limit=limit) if rows else []


def steps(text: str) -> list[Q]:
    """What to ask the table, most telling first."""
    forms = [form for form in name_forms(text) if form]
    if not forms:
        return []
    words = sorted({word for form in forms for word in form.split()} - STOPWORDS) or forms[0].split()
    contains = [Q(normalised_name__contains=form) for form in forms]
    every = Q()
    for word in words:
        every &= Q(normalised_name__contains=word)
    anyone = Q()
    for word in words:
        anyone |= Q(normalised_name__contains=word)
    return [_either(contains), every, anyone, Q(normalised_name__startswith=forms[0][:2])]


def _either(queries: list[Q]) -> Q:
    found = Q()
    for query in queries:
        found |= query
    return found


def candidate_rows(connection, record_type: str, text: str) -> list[TargetRecord]:
    """At most ROWS rows per step, until a step brings enough (the index would rank `limit` of them)."""
    mirror = RemoteRecord.objects.filter(connection=connection, record_type=record_type, deleted=False)
    found: dict[str, TargetRecord] = {}
    for step in steps(text):
        rows = mirror.filter(step).order_by().values_list("remote_id", "name", "emails", "external_id")[:ROWS]
        for remote_id, name, emails, external_id in rows:
            found.setdefault(remote_id, TargetRecord(remote_id, name, tuple(emails or ()), external_id or None))
        if len(found) >= ROWS // 4:
            break
    return list(found.values())
