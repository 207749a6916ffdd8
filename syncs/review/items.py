"""Matching in a flow: sure answers come back, anything else opens a review item for a person.

`match_or_review(ctx, ...)` is what a flow's `find_target` calls: it answers with the target record and how
it was found when it is sure (a manual link, an exact external id, an alias, an exact e-mail or name, a
fuzzy match at or above `auto_link`, with a warning in the audit log), and otherwise opens a `ReviewItem`
and raises `NeedsReview`, which parks the job in `waiting_review` until a person decides.
`possible_duplicate` is the reverse check: a new target record that looks like a customer the source has.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from syncs.flows.base import NeedsReview
from syncs.matching import Candidate, MatchDecision, MatchIndex, MatchKind
from syncs.models import RecordLink, ReviewItem
from syncs.review.index import index_for, thresholds_for

METHOD_FOR_KIND = {
    MatchKind.MANUAL: RecordLink.Method.MANUAL,
    MatchKind.ALIAS: RecordLink.Method.MANUAL,
    MatchKind.EXTERNAL_ID: RecordLink.Method.EXACT,
    MatchKind.EMAIL: RecordLink.Method.EXACT,
    MatchKind.NAME: RecordLink.Method.EXACT,
    MatchKind.FUZZY: RecordLink.Method.FUZZY,
}


def _candidate_json(candidate: Candidate) -> dict:
    return {
        "record_id": candidate.record_id,
        "name": candidate.name,
        "score": candidate.score,
        "why": candidate.why,
        "agrees": list(candidate.agrees),
        "differs": list(candidate.differs),
    }


def _summary(name: str, emails, external_id, summary: dict | None) -> dict:
    return {"name": name, "emails": [e for e in emails if e], "external_id": external_id or "", **(summary or {})}


def match_or_review(
    ctx,
    *,
    source_type: str,
    source_id: str,
    name: str,
    emails=(),
    external_id: str | None = None,
    record_type: str,
    use_email: bool = False,
    summary: dict | None = None,
    create_when_none: bool = False,
    name_links: bool = True,
) -> tuple[str | None, str]:
    """(target record id, RecordLink method) for a source record, or raise `NeedsReview` with an open item.

    `create_when_none`: a record with no candidate near enough to ask about is new, and is created (the seed
    says so for Salesforce Accounts); otherwise a person decides that too. `name_links=False`: a name, even an
    exact one, is never enough to link (billing accounts: only an id or an e-mail is); a person confirms it.

    A manual link for this source record wins over everything; a person's "create new" decision answers
    (None, "created"). Candidates a person rejected ("Not a match") are never linked automatically.
    """
    integration, source_id = ctx.integration, str(source_id)
    manual = RecordLink.objects.filter(
        integration=integration,
        source_type=source_type,
        source_id=source_id,
        target_type=record_type,
        method=RecordLink.Method.MANUAL,
    ).first()
    if manual is not None:
        return manual.target_id, RecordLink.Method.MANUAL
    decided = (
        ReviewItem.objects.filter(
            integration=integration, kind=ReviewItem.Kind.MATCH, source_type=source_type, source_id=source_id
        )
        .exclude(status=ReviewItem.Status.OPEN)
        .order_by("-decided_at", "-id")
    )
    latest = decided.first()
    if latest is not None and latest.status == ReviewItem.Status.CREATED_NEW:
        return None, RecordLink.Method.CREATED
    rejected = {
        candidate["record_id"]
        for item in decided.filter(status=ReviewItem.Status.DISMISSED)
        for candidate in item.candidates
    }
    emails = tuple(emails or ())
    decision = index_for(integration, record_type).match(
        name, emails=emails, external_id=external_id, use_email=use_email
    )
    if decision.linked and not name_links and decision.kind in (MatchKind.NAME, MatchKind.FUZZY):
        decision = MatchDecision(
            MatchKind.REVIEW, None, decision.candidates, f"{decision.reason}; a name alone is not enough here"
        )
    if decision.linked and decision.candidate.record_id not in rejected:
        method = METHOD_FOR_KIND[decision.kind]
        target_ref = f"{record_type}:{decision.candidate.record_id}"
        if decision.warn:
            ctx.record(
                "match.fuzzy_linked",
                f"{name!r} linked to {decision.candidate.name!r} by a fuzzy match (score "
                f"{decision.candidate.score:g}); check it if in doubt.",
                "warning",
                {"score": decision.candidate.score, "why": decision.candidate.why, "reason": decision.reason},
                target_ref=target_ref,
            )
        return decision.candidate.record_id, method
    if create_when_none and decision.kind == MatchKind.NONE:
        return None, RecordLink.Method.CREATED
    reason = decision.reason if not decision.linked else "a person said this candidate is not a match"
    item = open_item(
        ctx,
        kind=ReviewItem.Kind.MATCH,
        source_type=source_type,
        source_id=source_id,
        summary=_summary(name, emails, external_id, summary),
        target_type=record_type,
        decision=decision,
        reason=reason,
    )
    raise NeedsReview(f"{name!r} needs a person to decide its {record_type} ({reason}).", review_item=item)


def open_item(
    ctx,
    *,
    kind: str,
    source_type: str,
    source_id: str,
    summary: dict,
    target_type: str,
    decision: MatchDecision,
    reason: str,
    candidate_type: str = "",
    notes: dict[str, str] | None = None,
) -> ReviewItem:
    """The open item for this record and kind, created or refreshed with the latest candidates.

    `notes` add a difference to some candidates (by record id), e.g. that one is linked elsewhere already.
    """
    integration = ctx.integration
    candidates = [_candidate_json(candidate) for candidate in decision.candidates]
    for candidate in candidates:
        if note := (notes or {}).get(candidate["record_id"]):
            candidate["differs"].append(note)
            candidate["why"] = "; ".join(part for part in (candidate["why"], note) if part)
    values = {
        "source_summary": summary,
        "target_type": target_type,
        "candidate_type": candidate_type,
        "candidates": candidates,
        "reason": reason[:300],
    }
    lookup = {
        "integration": integration,
        "kind": kind,
        "source_type": source_type,
        "source_id": str(source_id),
        "status": ReviewItem.Status.OPEN,
    }
    item = ReviewItem.objects.filter(**lookup).first()
    if item is not None:
        for name, value in values.items():
            setattr(item, name, value)
        item.save(update_fields=[*values, "updated_at"])
        return item
    try:
        with transaction.atomic():
            item = ReviewItem.objects.create(tenant=integration.tenant, **lookup, **values)
    except IntegrityError:
        return ReviewItem.objects.get(**lookup)
    ctx.record(
        "review.opened",
        f"{summary.get('name')!r} waits for a person: {reason}.",
        data={"review_item": str(item.uuid), "kind": kind, "candidates": values["candidates"][:3]},
    )
    return item


def possible_duplicate(
    ctx,
    *,
    record_id: str,
    name: str,
    emails=(),
    external_id: str | None = None,
    record_type: str,
    source_type: str,
    candidates=None,
    summary: dict | None = None,
) -> ReviewItem | None:
    """The reverse check: a new target record that may be a customer the source already has.

    `candidates` are the source records to compare with, as `TargetRecord`s or `(id, name, emails,
    external_id)` tuples; without them, the source's mirror (`RemoteRecord` of `ctx.source`, `source_type`)
    is used. Source records already linked, and a pairing a person dismissed before, are left out. Opens
    (or refreshes) a "possible_duplicate" item when a candidate reaches the `review` score, and returns it;
    returns None when nothing looks alike. Nothing waits on it: the flow goes on.
    """
    integration, record_id = ctx.integration, str(record_id)
    if candidates is None:
        index = index_for(integration, source_type, connection=ctx.source)
        decision = index.match(name, emails=emails, use_email=bool(emails))
    else:
        index = MatchIndex(candidates, thresholds=thresholds_for(integration))
        decision = index.match(name, emails=emails, use_email=bool(emails))
    dismissed = {
        candidate["record_id"]
        for item in ReviewItem.objects.filter(
            integration=integration,
            kind=ReviewItem.Kind.POSSIBLE_DUPLICATE,
            source_type=record_type,
            source_id=record_id,
            status=ReviewItem.Status.DISMISSED,
        )
        for candidate in item.candidates
    }
    alike = tuple(
        candidate
        for candidate in decision.candidates
        if candidate.score >= index.thresholds.review and candidate.record_id not in dismissed
    )
    if not alike:
        return None
    linked = dict(
        RecordLink.objects.filter(
            integration=integration,
            source_type=source_type,
            target_type=record_type,
            source_id__in=[candidate.record_id for candidate in alike],
        ).values_list("source_id", "target_id")
    )
    notes = {
        source_id: f"already linked to {record_type} {target_id}"
        for source_id, target_id in linked.items()
        if target_id != record_id
    }
    return open_item(
        ctx,
        kind=ReviewItem.Kind.POSSIBLE_DUPLICATE,
        source_type=record_type,
        source_id=record_id,
        summary=_summary(name, tuple(emails or ()), external_id, summary),
        target_type=record_type,
        decision=MatchDecision(decision.kind, None, alike, decision.reason),
        reason=f"looks like {len(alike)} existing {source_type}(s)",
        candidate_type=source_type,
        notes=notes,
    )
