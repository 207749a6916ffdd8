"""Pages for the active tenant: dashboard, connections, integrations, workspace switch."""

from django.contrib import messages
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
    integrations = Integration.objects.filter(tenant=request.tenant).select_related("source", "target")
    return render(request, "connections/integration_list.html", {"integrations": integrations, "flows": FLOWS.values()})


@tenant_required
def integration_detail(request, uuid):
    integration = get_object_for_tenant(
        Integration.objects.select_related("source", "target"), request.tenant, uuid=uuid
    )
    return render(request, "connections/integration_detail.html", {"integration": integration})


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
