"""Pages for the active tenant: dashboard, connections, integrations, workspace switch."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

import audit
from connections.accounts import email_verified
from connections.models import Connection, Integration
from connections.providers import PROVIDERS
from connections.tenancy import SESSION_KEY, get_object_for_tenant, tenant_required
from syncs.flows import FLOWS


@tenant_required
def dashboard(request):
    connections = Connection.objects.filter(tenant=request.tenant)
    integrations = Integration.objects.filter(tenant=request.tenant).select_related("source", "target")
    checklist = [
        *([("Confirm your e-mail address (we sent you a link)", False)] if not email_verified(request.user) else []),
        ("Connect a source system (FreshBooks or QuickBooks Online)", connections.exists()),
        ("Connect a target system (Zendesk, Zuora, Zoho CRM or Salesforce)", connections.count() > 1),
        ("Create an integration between them", integrations.exists()),
        ("Enable it", integrations.filter(enabled=True).exists()),
    ]
    from syncs.overview import dashboard as overview

    return render(
        request,
        "dashboard.html",
        {"connections": connections, "integrations": integrations, "checklist": checklist, **overview(request.tenant)},
    )


@tenant_required
def connection_list(request):
    connections = Connection.objects.filter(tenant=request.tenant)
    return render(
        request, "connections/connection_list.html", {"connections": connections, "providers": PROVIDERS.values()}
    )


@tenant_required
def connection_detail(request, uuid):
    from syncs.webhooks import delivery_summary

    connection = get_object_for_tenant(Connection, request.tenant, uuid=uuid)
    return render(
        request,
        "connections/connection_detail.html",
        {"connection": connection, "webhooks": delivery_summary(connection)},
    )


@tenant_required
def integration_list(request):
    """The tenant's integrations; owners and admins create one here (off until they enable it)."""
    integrations = Integration.objects.filter(tenant=request.tenant).select_related("source", "target")
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
        {"integrations": integrations, "flows": FLOWS.items(), "connections": connections},
    )


@tenant_required
def integration_detail(request, uuid):
    """An integration: enable or switch it off, its options, and a preview of what it writes."""
    integration = get_object_for_tenant(
        Integration.objects.select_related("source", "target"), request.tenant, uuid=uuid
    )
    flow = FLOWS.get(integration.kind)
    if request.method == "POST":
        manager_only(request)
        action = request.POST.get("action")
        if action in ("enable", "disable"):
            set_enabled(request, integration, action == "enable")
        elif action == "options" and flow is not None:
            save_options(request, integration, flow)
        return redirect("integration-detail", integration.uuid)
    current = {**getattr(flow, "default_options", {}), **(integration.options or {})}
    fields = [
        {"name": name, "label": label, "kind": kind, "choices": choices, "value": current.get(name)}
        for name, label, kind, choices in getattr(flow, "option_fields", ())
    ]
    preview = flow.preview(current) if hasattr(flow, "preview") else {}
    return render(
        request,
        "connections/integration_detail.html",
        {"integration": integration, "option_fields": fields, "preview": preview},
    )


def manager_only(request) -> None:
    if not request.membership.can_manage:
        raise PermissionDenied("Only owners and admins can change integrations.")


def connection_named(connections, value):
    try:
        return connections.filter(uuid=value).first()
    except ValidationError:
        return None


def set_enabled(request, integration, enabled: bool) -> None:
    """Enabling processes the backlog first (a backfill), then webhooks and polling keep it current."""
    from syncs.polling import start_backfill

    if integration.enabled == enabled:
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
        start_backfill(integration)
        messages.success(request, "Enabled: existing records are being processed now.")
    else:
        messages.success(request, "Switched off: events are kept, and processed when it is enabled again.")


def save_options(request, integration, flow) -> None:
    """The flow's options from the form, each checked against its kind; nothing is saved if one is wrong."""
    chosen, errors = {}, []
    for name, label, kind, choices in flow.option_fields:
        raw = request.POST.get(name, "")
        if kind == "bool":
            chosen[name] = name in request.POST
        elif kind == "choice":
            if raw not in choices:
                errors.append(f"{label}: choose one of {', '.join(choices)}.")
            chosen[name] = raw
        else:
            try:
                chosen[name] = int(raw) if kind == "int" else float(raw)
            except ValueError:
                errors.append(f"{label}: a number, please.")
                continue
            low, high = (1, 10) if kind == "int" else (0, 100)
            if not low <= chosen[name] <= high:
                errors.append(f"{label}: between {low} and {high}.")
    if not errors and chosen.get("review", 0) > chosen.get("auto_link", 100):
        errors.append("Asking a person must start at or below the automatic link score.")
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
