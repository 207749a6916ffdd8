"""Audit log pages: the filterable log and one event's detail. The logic lives in audit.queries."""

import json

from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from audit.models import AuditEvent
from audit.queries import FILTER_NAMES, AuditFilterForm, search
from audit.redaction import redact
from connections.tenancy import get_object_for_tenant, tenant_required


def filter_query(params, **changes):
    """The query string of the non-empty filters in `params`, with `changes` applied: a permalink."""
    query = params.copy()
    for name in list(query):
        if name not in (*FILTER_NAMES, "page_size") or not query.get(name):
            del query[name]
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


@tenant_required
@vary_on_headers("HX-Request")
def audit_log(request):
    """Newest first. For htmx, only the rows: the filter form swaps them, "Load more" appends to them."""
    form = AuditFilterForm(request.GET, tenant=request.tenant)
    page = search(request.tenant, form) if form.is_valid() else None
    context = {
        "form": form,
        "page": page,
        "filtered": any(request.GET.get(name) for name in FILTER_NAMES),
        "first_query": filter_query(request.GET),
        "next_query": filter_query(request.GET, cursor=page.next_cursor) if page and page.next_cursor else "",
        "continued": bool(request.GET.get("cursor")),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "audit/_event_rows.html", context)
        if request.htmx.target == "audit-rows":
            # The filter form swapped the rows: the address bar becomes the permalink, without empty fields.
            query = context["first_query"]
            response = push_url(response, f"{request.path}?{query}" if query else request.path)
        return response
    return render(request, "audit/audit_log.html", context)


@tenant_required
def audit_event(request, uuid):
    event = get_object_for_tenant(
        AuditEvent.objects.select_related(
            "actor", "connection", "integration__source", "integration__target", "job", "event"
        ),
        request.tenant,
        uuid=uuid,
    )
    # Redacted again on display: an event written before a key pattern was added is masked all the same.
    data = json.dumps(redact(event.data), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return render(request, "audit/audit_event.html", {"event": event, "data": data})
