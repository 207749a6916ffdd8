"""Jobs pages: the jobs list, a job's timeline, the failures still open, replay and dry run.

Every member reads them; replaying is for owners and admins (`tenant_required(manage=True)`). Each action is
a real POST form that works without JavaScript; with htmx it swaps the job's row instead.

A dry run is run at once, inside the request, for the one job asked about: it only reads (fetch, map, match)
and writes nothing, so the answer is on the page right away. If a provider asks it to wait (a rate limit),
the dry-run job stays pending for the worker, and its row polls (htmx, every 2 s) until it has a result.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connections.tenancy import get_object_for_tenant, tenant_required
from syncs import engine
from syncs.models import SyncJob
from syncs.operating.jobs import (
    PAGE_SIZE,
    JobFilterForm,
    failure_groups,
    filter_jobs,
    inbound_body,
    open_failures,
    pretty,
    tenant_jobs,
    timeline,
)


def filtered(request, queryset, data=None):
    form = JobFilterForm(request.GET if data is None else data, tenant=request.tenant)
    return form, (filter_jobs(queryset, **form.cleaned_data) if form.is_valid() else queryset.none())


@tenant_required
def job_list(request):
    form, jobs = filtered(request, tenant_jobs(request.tenant))
    return render(request, "syncs/jobs.html", {"form": form, "jobs": jobs[:PAGE_SIZE], "limit": PAGE_SIZE})


@tenant_required
@vary_on_headers("HX-Request")
def job_detail(request, uuid):
    job = get_object_for_tenant(tenant_jobs(request.tenant).select_related("replay_of"), request.tenant, uuid=uuid)
    if request.htmx and job.dry_run:
        return render(request, "syncs/_dry_run.html", {"dry": job, "job": job.replay_of})
    context = {
        "job": job,
        "steps": timeline(job),
        "replays": job.replays.order_by("-created_at"),
        "result": pretty(job.result) if job.result else "",
        "inbound_headers": pretty(job.event.headers) if job.event and job.event.headers else "",
        "inbound_body": inbound_body(job.event) if job.event else "",
    }
    return render(request, "syncs/job_detail.html", context)


@tenant_required
@vary_on_headers("HX-Request")
def failures(request):
    form, jobs = filtered(request, open_failures(tenant_jobs(request.tenant)))
    context = {
        "form": form,
        "jobs": jobs.order_by("-created_at")[:PAGE_SIZE],
        "total": jobs.count(),
        "groups": failure_groups(open_failures(tenant_jobs(request.tenant))),
        "query": form.query() if form.is_bound else "",
        "limit": PAGE_SIZE,
    }
    return render(request, "syncs/failures.html", context)


@tenant_required(manage=True)
def replay_all(request):
    """GET: how many jobs "Replay all" would replay, and a button; POST: replay them."""
    data = request.POST if request.method == "POST" else request.GET
    form, jobs = filtered(request, open_failures(tenant_jobs(request.tenant)), data)
    if request.method == "POST":
        count = engine.replay_matching(jobs, request.user)
        messages.success(
            request,
            f"Replaying {count} job{'s' if count != 1 else ''} in the background; the new jobs appear as they run.",
        )
        return redirect(f"{reverse('failures')}?{form.query()}")
    return render(request, "syncs/replay_all.html", {"form": form, "count": jobs.count(), "query": form.query()})


def _job_for_action(request, uuid) -> SyncJob:
    return get_object_for_tenant(tenant_jobs(request.tenant), request.tenant, uuid=uuid)


@require_POST
@tenant_required(manage=True)
def replay(request, uuid):
    job = _job_for_action(request, uuid)
    new = engine.replay(job, request.user)
    if request.htmx:
        return render(request, "syncs/_failure_row.html", {"job": job, "replayed": new, "can_manage": True})
    messages.success(request, "Replay started: a new job for the same record.")
    return redirect("job-detail", uuid=new.uuid)


@require_POST
@tenant_required(manage=True)
def dry_run(request, uuid):
    job = _job_for_action(request, uuid)
    # Queued like any job, not run here: the request never waits on the providers; the row polls for the result.
    dry = engine.replay(job, request.user, dry_run=True)
    if request.htmx:
        return render(request, "syncs/_dry_run.html", {"dry": dry, "job": job})
    return redirect("job-detail", uuid=dry.uuid)
