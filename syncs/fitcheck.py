"""The fit check: "ping your real systems, and see if we fit", before an integration is enabled.

It checks the target's setup (custom fields the flow writes by, where a flow says so), loads both sides into
the mirror (the source's customers and the target's records), then matches every
source customer the way the flow would, and reports how each would go: already linked by a person, exact,
fuzzy (with its score), waiting for a person (uncertain or ambiguous), or without any candidate. It writes
nothing to either system and opens no review item; a sample of source customers is fetched and mapped to
show what the first writes would look like. It runs as a background task, saving its progress as it goes,
and can be re-run after links are fixed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from syncs import mirror, review
from syncs.engine import Context
from syncs.flows.base import Plan, SourceRef
from syncs.matching import MatchKind
from syncs.models import FitCheck, RecordLink, RemoteRecord

OUTCOME = {
    MatchKind.MANUAL: "linked",
    MatchKind.ALIAS: "linked",
    MatchKind.EXTERNAL_ID: "exact",
    MatchKind.EMAIL: "exact",
    MatchKind.NAME: "exact",
    MatchKind.FUZZY: "fuzzy",
    MatchKind.REVIEW: "review",
    MatchKind.AMBIGUOUS: "ambiguous",
    MatchKind.NONE: "none",
}
OUTCOMES = ("linked", "exact", "fuzzy", "review", "ambiguous", "none")
STEPS = 3
LISTED = 500  # customers listed one by one in the report; the counts cover all of them
SAMPLES = 3


def start(integration, user=None) -> FitCheck:
    """Queue a fit check of `integration` (after the current transaction commits)."""
    from django_q.tasks import async_task

    check = FitCheck.objects.create(
        tenant=integration.tenant,
        integration=integration,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        progress={"step": 0, "steps": STEPS, "label": "Waiting to start", "done": 0, "total": None},
    )
    transaction.on_commit(lambda: async_task("syncs.tasks.run_fit_check", check.pk, task_name=f"fit-{check.pk}"))
    return check


def _progress(check: FitCheck, step: int, label: str, done: int = 0, total: int | None = None) -> None:
    check.progress = {"step": step, "steps": STEPS, "label": label, "done": done, "total": total}
    FitCheck.objects.filter(pk=check.pk).update(progress=check.progress)


def run(check: FitCheck) -> FitCheck:
    """Load both sides, match every source customer, and store the report."""
    integration = check.integration
    flow = integration.flow
    FitCheck.objects.filter(pk=check.pk).update(status=FitCheck.Status.RUNNING)
    setup = []
    try:
        setup = setup_problems(integration)  # first: a missing field may be why the records cannot be read
        source_label = f"Reading {integration.source.provider_name} customers"
        _progress(check, 1, source_label)
        sources = mirror.load(
            integration.source, flow.source_record_type, progress=lambda n: _progress(check, 1, source_label, n)
        )
        target_label = f"Reading {integration.target.provider_name} records"
        _progress(check, 2, target_label)
        targets = mirror.load(
            integration.target, flow.target_record_type, progress=lambda n: _progress(check, 2, target_label, n)
        )
        report = match_all(check, integration, sources=sources, targets=targets)
        report["samples"] = samples(integration, report["customers"])
        report["setup"] = setup
    except Exception as exc:
        FitCheck.objects.filter(pk=check.pk).update(
            status=FitCheck.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            report={"setup": setup},
            finished_at=timezone.now(),
        )
        check.refresh_from_db()
        return check
    FitCheck.objects.filter(pk=check.pk).update(status=FitCheck.Status.DONE, report=report, finished_at=timezone.now())
    check.refresh_from_db()
    return check


def match_all(check: FitCheck, integration, *, sources: int, targets: int) -> dict:
    """Every mirrored source customer through the integration's match index; nothing is written or opened."""
    flow = integration.flow
    source_type, target_type = flow.source_record_type, flow.target_record_type
    index = review.index_for(integration, target_type)
    links = dict(
        RecordLink.objects.filter(
            integration=integration, source_type=source_type, target_type=target_type
        ).values_list("source_id", "target_id")
    )
    customers = RemoteRecord.objects.filter(
        connection=integration.source, record_type=source_type, deleted=False
    ).order_by("name", "remote_id")
    total = customers.count()
    counts = dict.fromkeys(OUTCOMES, 0)
    listed = []
    label = "Matching"
    for done, customer in enumerate(customers.iterator(chunk_size=2000), start=1):
        decision = index.match(
            customer.name,
            emails=customer.emails,
            external_id=flow.external_id_of(customer.remote_id),
            linked_record_id=links.get(customer.remote_id),
        )
        outcome = OUTCOME[decision.kind]
        counts[outcome] += 1
        if len(listed) < LISTED:
            best = decision.candidate or (decision.candidates[0] if decision.candidates else None)
            listed.append(
                {
                    "id": customer.remote_id,
                    "name": customer.name,
                    "outcome": outcome,
                    "target_id": decision.candidate.record_id if decision.candidate else None,
                    "best": {"record_id": best.record_id, "name": best.name, "score": best.score} if best else None,
                    "reason": decision.reason,
                }
            )
        if done % 200 == 0 or done == total:
            _progress(check, 3, label, done, total)
    linked = counts["linked"] + counts["exact"] + counts["fuzzy"]
    return {
        "sources": sources,
        "targets": targets,
        "counts": counts,
        "would_update": linked,
        "would_wait": counts["review"] + counts["ambiguous"] + counts["none"],
        "likely_new": counts["none"],
        "customers": listed,
        "listed": len(listed),
        "total": total,
    }


def setup_problems(integration) -> list[str]:
    """What the customer must still set up on the target (a flow's `setup_problems`), in words."""
    check = getattr(integration.flow, "setup_problems", None)
    return check(Context(None, integration)) if check else []


def samples(integration, customers: list[dict]) -> list[dict]:
    """What the first writes would look like: a few customers fetched and mapped by the flow (reads only)."""
    flow = integration.flow
    if flow is None:
        return []
    chosen = [c for c in customers if c["outcome"] in ("exact", "fuzzy", "linked")][:2]
    chosen += [c for c in customers if c["outcome"] == "none"][: SAMPLES - len(chosen)]
    ctx = Context(None, integration)
    found = []
    for customer in chosen:
        action = "update" if customer["target_id"] else "create (after a person confirms)"
        sample = {"customer": customer["name"], "action": action, "target_id": customer["target_id"]}
        try:
            record = flow.fetch(ctx, SourceRef(flow.source_record_type, customer["id"]))
            mapped = flow.map(ctx, record) if record is not None else None
        except Exception as exc:  # a sample is an illustration; a flow that cannot map it says why
            sample["note"] = f"{type(exc).__name__}: {exc}"
        else:
            if mapped is not None:
                plan = Plan.of(mapped)
                first = plan.parts[0]
                payload = first.payload if len(plan.parts) == 1 else {p.part: p.payload for p in plan.parts}
                sample.update(target_type=first.target_type, summary=plan.summary, payload=payload)
        found.append(sample)
    return found
