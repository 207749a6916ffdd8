"""The review queue: open matches a person decides, in one click, with or without JavaScript.

Every action is a POST form. Without JavaScript it redirects back to the queue with a message; with htmx
it answers the item's row in its decided state (swapped in place) and triggers `queue-changed`, which
refreshes the open-items counter in the navigation. The decisions themselves live in `syncs.review`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from connections.models import Integration
from connections.tenancy import get_object_for_tenant, tenant_required
from syncs import mirror, review
from syncs.models import MirrorState, RecordLink, RemoteRecord, ReviewItem

PAGE_SIZE = 50
SHOWN_APART = {"name", "emails", "email", "external_id"}  # the summary's fields with a place of their own


def open_items(tenant):
    return ReviewItem.objects.filter(tenant=tenant, status=ReviewItem.Status.OPEN).select_related(
        "integration__source", "integration__target"
    )


def with_details(items: list[ReviewItem]) -> list[ReviewItem]:
    """Attach each candidate's mirrored row (domains, external id) for the agrees/differs columns."""

    def side(item):  # where an item's candidates live: the target, or the source for a possible duplicate
        if item.kind == ReviewItem.Kind.MATCH:
            return item.integration.target_id
        return item.integration.source_id

    wanted = {(side(item), c["record_id"]) for item in items for c in item.candidates}
    rows = RemoteRecord.objects.filter(
        connection_id__in={connection for connection, _id in wanted},
        remote_id__in={record_id for _connection, record_id in wanted},
    )
    found = {(row.connection_id, row.remote_id): row for row in rows}
    for item in items:
        for candidate in item.candidates:
            candidate["record"] = found.get((side(item), candidate["record_id"]))
        item.details = [
            (key.replace("_", " "), ", ".join(map(str, value)) if isinstance(value, list) else value)
            for key, value in item.source_summary.items()
            if key not in SHOWN_APART and value not in ("", None, [], {})
        ]
    return items


@tenant_required
@vary_on_headers("HX-Request")
def review_queue(request):
    items = open_items(request.tenant)
    context = {
        "items": with_details(list(items[:PAGE_SIZE])),
        "total": items.count(),
        "mirrors": mirrors(request.tenant),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "syncs/_review_rows.html", context)
    return render(request, "syncs/review_queue.html", context)


def mirrors(tenant) -> list[dict]:
    """Each integration's target mirror: how many records it holds and when it was loaded."""
    states = {(s.connection_id, s.record_type): s for s in MirrorState.objects.filter(tenant=tenant)}
    found = []
    for integration in Integration.objects.filter(tenant=tenant).select_related("target"):
        record_type = integration.flow.target_record_type if integration.flow else ""
        state = states.get((integration.target_id, record_type))
        if state is not None or mirror.source_for(integration.target, record_type):
            found.append({"integration": integration, "state": state})
    return found


@tenant_required
def review_count(request):
    return render(request, "syncs/_review_count.html", {"open_reviews": open_items(request.tenant).count()})


@tenant_required
@vary_on_headers("HX-Request")
def review_item(request, uuid):
    """One item, with the Search box's results: the fallback page for Search without JavaScript."""
    item = get_object_for_tenant(ReviewItem.objects.select_related("integration__target"), request.tenant, uuid=uuid)
    query = request.GET.get("q", "").strip()[:200]
    results = search(item, query) if query else []
    context = {"item": with_details([item])[0], "query": query, "results": results}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "syncs/_search_results.html", context)
    return render(request, "syncs/review_item.html", context)


def search(item: ReviewItem, query: str):
    """Any record of the side the item picks from, by name: from the mirror table, or from the match index if
    this process holds it already (a request never builds one: see syncs.review.search)."""
    integration = item.integration
    if item.kind == ReviewItem.Kind.MATCH:
        return review.search(integration, item.target_type, query, limit=10)
    return review.search(integration, item.candidate_type, query, connection=integration.source, limit=10)


def decided(request, item: ReviewItem, message: str, level=messages.SUCCESS):
    """The answer to a decision: the row in its new state for htmx, else back to the queue."""
    if not request.htmx:
        messages.add_message(request, level, message)
        return redirect("review-queue")
    item.refresh_from_db()
    response = render(request, "syncs/_review_row.html", {"item": item, "message": message})
    return trigger_client_event(response, "queue-changed")


def decide(request, uuid, action):
    item = get_object_for_tenant(ReviewItem.objects.select_related("integration"), request.tenant, uuid=uuid)
    try:
        message = action(item)
    except review.AlreadyDecided as exc:
        return decided(request, item, str(exc), messages.WARNING)
    except ValueError as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=400)
        messages.error(request, str(exc))
        return redirect("review-item", uuid=item.uuid)
    return decided(request, item, message)


@tenant_required
@require_POST
def review_link(request, uuid):
    def action(item):
        record_id = request.POST.get("record_id", "")
        record_link = review.link(item, record_id, request.user)
        return f"{item.name} is linked to {item.target_type} {record_link.target_id}."

    return decide(request, uuid, action)


@tenant_required
@require_POST
def review_create(request, uuid):
    def action(item):
        review.create_new(item, request.user)
        return f"A new {item.target_type} will be created for {item.name}."

    return decide(request, uuid, action)


@tenant_required
@require_POST
def review_dismiss(request, uuid):
    def action(item):
        review.dismiss(item, request.user)
        return f"{item.name}: marked as not a match."

    return decide(request, uuid, action)


@tenant_required
def record_links(request):
    """The links of a record (by its id on either side, or all when none is given); manual ones can be undone."""
    record = request.GET.get("record", "").strip()[:100]
    context = {"links": links_of(request.tenant, record)[:PAGE_SIZE], "record": record}
    return render(request, "syncs/record_links.html", context)


def links_of(tenant, record: str = ""):
    """The tenant's links of a record by its id on either side (all when none is given), latest first: the
    indexes `link_tenant_source_id`, `link_tenant_target_id` and `link_tenant_updated` serve it."""
    links = RecordLink.objects.filter(tenant=tenant).select_related("integration__source", "integration__target")
    if record:
        links = links.filter(Q(source_id=record) | Q(target_id=record))
    return links.order_by("-updated_at")


@tenant_required
@require_POST
def undo_link(request, uuid):
    record_link = get_object_for_tenant(RecordLink.objects.select_related("integration"), request.tenant, uuid=uuid)
    try:
        review.undo_link(record_link, request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"The link of {record_link.source_type} {record_link.source_id} was undone; it will be matched again.",
        )
    return redirect(f"{reverse('record-links')}?{urlencode({'record': record_link.source_id})}")


@tenant_required(manage=True)
@require_POST
def load_mirror(request, uuid):
    """Reload the target's records into the mirror now (in the background)."""
    from django_q.tasks import async_task

    integration = get_object_for_tenant(Integration.objects.select_related("target"), request.tenant, uuid=uuid)
    async_task("syncs.tasks.load_mirror", integration.target_id)
    messages.success(request, f"Reloading the records of {integration.target.label}; matching uses them when done.")
    return redirect("review-queue")
