"""Pages for the active tenant: dashboard, connections, integrations and their fit check, workspace switch."""

from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

import audit
from connections import registry
from connections.accounts.signup import email_verified
from connections.models import Connection, Integration
from connections.providers.errors import ProviderError
from connections.tenancy import SESSION_KEY, get_object_for_tenant, tenant_required
from syncs import engine, fitcheck, polling
from syncs.engine import pacing
from syncs.ingest.webhooks import delivery_summary
from syncs.models import FitCheck
from syncs.operating.overview import dashboard as overview


def sides() -> tuple[str, str]:
    """The systems flows read from and write to, in words, for the first steps."""
    flows = registry.flows().values()

    def names(slugs):
        return " or ".join(dict.fromkeys(registry.provider(slug).name for slug in slugs if slug in registry.PROVIDERS))

    return names(f.source_provider for f in flows), names(f.target_provider for f in flows)


@tenant_required
def dashboard(request):
    connections = Connection.objects.filter(tenant=request.tenant)
    integrations = Integration.objects.filter(tenant=request.tenant, archived_at__isnull=True).select_related(
        "source", "target"
    )
    sources, targets = sides()
    checklist = [
        *([("Confirm your e-mail address (we sent you a link)", False)] if not email_verified(request.user) else []),
        (f"Connect a source system ({sources})", connections.exists()),
        (f"Connect a target system ({targets})", connections.count() > 1),
        ("Create an integration between them", integrations.exists()),
        ("Enable it", integrations.filter(enabled=True).exists()),
    ]
    return render(
        request,
        "dashboard.html",
        {
            "connections": connections,
            "integrations": integrations,
            "checklist": checklist,
            "sources": sources,
            **overview(request.tenant),
        },
    )


@tenant_required
def connection_list(request):
    connections = Connection.objects.filter(tenant=request.tenant)
    return render(
        request, "connections/connection_list.html", {"connections": connections, "providers": registry.providers()}
    )


@tenant_required
def connection_detail(request, uuid):
    connection = get_object_for_tenant(Connection, request.tenant, uuid=uuid)
    paused = pacing.pause_of(connection)
    if paused:
        paused = {**paused, "until": datetime.fromtimestamp(paused["until"], tz=UTC)}
    return render(
        request,
        "connections/connection_detail.html",
        {"connection": connection, "webhooks": delivery_summary(connection), "paused": paused},
    )


@tenant_required
def integration_list(request):
    """The tenant's integrations; owners and admins create one here (off until they enable it)."""
    integrations = Integration.objects.filter(tenant=request.tenant, archived_at__isnull=True).select_related(
        "source", "target"
    )
    connections = Connection.objects.filter(tenant=request.tenant)
    if request.method == "POST":
        manager_only(request)
        integration = Integration(
            tenant=request.tenant,
            kind=request.POST.get("kind", ""),
            source=connection_named(connections, request.POST.get("source")),
            target=connection_named(connections, request.POST.get("target")),
        )
        try:
            if integration.source_id is None or integration.target_id is None:
                raise ValidationError("Choose a source and a target connection of this workspace.")
            integration.full_clean(exclude=["options", "backfill"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            integration.save()
            audit.record(
                "integration.created",
                tenant=request.tenant,
                actor=request.user,
                integration=integration,
                message=f"{request.user.email} created the integration {integration}.",
            )
            messages.success(request, "Integration created. Check its options, then enable it.")
            return redirect("integration-detail", integration.uuid)
    return render(
        request,
        "connections/integration_list.html",
        {"integrations": integrations, "flows": registry.flows().items(), "connections": connections},
    )


@tenant_required
def integration_detail(request, uuid):
    """An integration: enable or switch it off, its options, and a preview of what it writes."""
    integration = get_object_for_tenant(
        Integration.objects.select_related("source", "target"), request.tenant, uuid=uuid
    )
    flow = integration.flow
    if request.method == "POST":
        manager_only(request)
        action = request.POST.get("action")
        if action in ("enable", "disable"):
            set_enabled(request, integration, action == "enable")
        elif action == "options" and flow is not None:
            save_options(request, integration, flow)
        elif action == "polling":
            save_polling(request, integration)
        elif action in ("archive", "restore"):
            archive_or_restore(request, integration, action)
        return redirect("integration-detail", integration.uuid)
    current = flow.options(integration.options) if flow else {}
    fields = [
        {
            "name": option.name,
            "label": option.label,
            "kind": option.kind,
            "choices": option.choices,
            "value": current.get(option.name),
        }
        for option in (flow.option_fields if flow else ())
    ]
    preview = flow.preview(current) if flow else {}
    return render(
        request,
        "connections/integration_detail.html",
        {
            "integration": integration,
            "option_fields": fields,
            "preview": preview,
            "has_insights": hasattr(flow, "insights"),
            "poll_schedules": poll_schedules(integration),
        },
    )


@tenant_required
def integration_insights(request, uuid):
    """What the flow reads back from the target for people to see (Salesforce: each Account's owner and
    Orders); loaded after the page, since it costs the target a call or two."""
    integration = get_object_for_tenant(
        Integration.objects.select_related("source", "target"), request.tenant, uuid=uuid
    )
    reader = getattr(integration.flow, "insights", None)
    if reader is None:
        raise Http404
    try:
        insights, error = reader(engine.Context(None, integration)), ""
    except ProviderError as exc:
        insights, error = None, f"{integration.target.provider_name} could not be read just now: {exc.message}"
    return render(
        request,
        "connections/_integration_insights.html",
        {"integration": integration, "insights": insights, "error": error},
    )


def manager_only(request) -> None:
    if not request.membership.can_manage:
        raise PermissionDenied("Only owners and admins can change integrations.")


def connection_named(connections, value):
    try:
        return connections.filter(uuid=value).first()
    except ValidationError:
        return None


def archive_or_restore(request, integration, action: str) -> None:
    """Archiving keeps everything (jobs, links, review items, the audit trail) and can be undone here."""
    if action == "archive":
        integration.archive()
        note = "Archived: switched off and out of the lists; its history is kept and it can be restored here."
    else:
        integration.archived_at = None
        integration.save(update_fields=["archived_at", "updated_at"])
        note = "Restored, switched off: enable it when you are ready."
    audit.record(
        f"integration.{action}d",
        tenant=request.tenant,
        actor=request.user,
        integration=integration,
        message=f"{request.user.email} {action}d the integration {integration}.",
        data={"integration": str(integration.uuid)},
    )
    messages.success(request, note)


def set_enabled(request, integration, enabled: bool) -> None:
    """Enabling processes the backlog first (a backfill), then webhooks and polling keep it current."""
    if integration.enabled == enabled:
        return
    if enabled and integration.archived_at is not None:
        messages.error(request, "This integration is archived: restore it before enabling it.")
        return
    integration.enabled = enabled
    integration.save(update_fields=["enabled", "updated_at"])
    audit.record(
        f"integration.{'enabled' if enabled else 'disabled'}",
        tenant=request.tenant,
        actor=request.user,
        integration=integration,
        message=f"{request.user.email} {'enabled' if enabled else 'switched off'} {integration}.",
    )
    if enabled:
        polling.start_backfill(integration)
        messages.success(request, "Enabled: existing records are being processed now.")
    else:
        messages.success(request, "Switched off: events are kept, and processed when it is enabled again.")


def save_options(request, integration, flow) -> None:
    """The flow's options from the form, each checked against its kind; nothing is saved if one is wrong."""
    chosen, errors = flow.clean_options(request.POST, from_form=True, current=integration.options)
    if errors:
        messages.error(request, " ".join(errors))
        return
    before = integration.options or {}
    integration.options = {**before, **chosen}
    integration.save(update_fields=["options", "updated_at"])
    changed = {name: value for name, value in chosen.items() if before.get(name) != value}
    audit.record(
        "integration.options_changed",
        tenant=request.tenant,
        actor=request.user,
        integration=integration,
        message=f"{request.user.email} changed the options of {integration}.",
        data={"changed": changed},
    )
    messages.success(request, "Options saved.")


def poll_schedules(integration) -> list[tuple[str, str, bool]]:
    """The schedules offered, the current one selected (kept in the list when the API set another)."""
    current = str(int(integration.poll_interval.total_seconds())) if integration.poll_interval else ""
    offered = list(Integration.POLL_SCHEDULES)
    if current not in dict(offered):
        offered.append((current, integration.poll_schedule))
    return [(value, label, value == current) for value, label in offered]


def save_polling(request, integration) -> None:
    """Polling is the fallback for webhooks that are slow or off: the same events, jobs and audit trail."""
    value = request.POST.get("poll_interval", "")
    allowed = {choice for choice, _, _ in poll_schedules(integration)}
    if value not in allowed:
        messages.error(request, "Choose one of the polling schedules offered.")
        return
    before = integration.poll_interval
    integration.poll_interval = timedelta(seconds=int(value)) if value else None
    if integration.poll_interval == before:
        return
    integration.save(update_fields=["poll_interval", "updated_at"])
    label = integration.poll_schedule
    audit.record(
        "integration.polling_changed",
        tenant=request.tenant,
        actor=request.user,
        integration=integration,
        message=f"{request.user.email} set polling of {integration} to: {label.lower()}.",
        data={"poll_interval_seconds": int(value) if value else None},
    )
    messages.success(request, f"Polling: {label.lower()}.")


@require_POST
def switch_tenant(request):
    """Make another of the user's workspaces the active one; a workspace they are not in is a 404."""
    if not request.user.is_authenticated:
        return redirect("login")
    wanted = request.POST.get("tenant", "")
    membership = next((m for m in request.user_memberships if str(m.tenant.uuid) == wanted), None)
    if membership is None:
        return render(request, "404.html", status=404)
    request.session[SESSION_KEY] = str(membership.tenant.uuid)
    audit.record(
        "user.workspace_switched",
        tenant=membership.tenant,
        actor=request.user,
        message=f"{request.user.email} switched to this workspace.",
    )
    messages.success(request, f"You are now working in {membership.tenant.name}.")
    return redirect("dashboard")


# The fit check: "ping your real systems, see if we fit", before enabling ------------------------------------


def fit_context(request, integration) -> dict:
    check = FitCheck.objects.filter(integration=integration).select_related("requested_by").first()
    return {"integration": integration, "check": check}


@tenant_required
@vary_on_headers("HX-Request")
def fit_check(request, uuid):
    """The latest fit check of an integration; while it runs, htmx polls its progress."""
    integration = get_object_for_tenant(
        Integration.objects.select_related("source", "target"), request.tenant, uuid=uuid
    )
    context = fit_context(request, integration)
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "syncs/_fit_check.html", context)
        return response if context["check"] is None or not context["check"].finished else stop_polling(response)
    return render(request, "syncs/fit_check.html", context)


def stop_polling(response):
    response.status_code = HttpResponseStopPolling.status_code
    return response


@tenant_required(manage=True)
@require_POST
def fit_check_start(request, uuid):
    integration = get_object_for_tenant(Integration, request.tenant, uuid=uuid)
    fitcheck.start(integration, request.user)
    messages.success(request, "The fit check is running; this page shows its progress.")
    return redirect("fit-check", uuid=integration.uuid)
