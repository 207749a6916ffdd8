"""Audit log pages."""

from django.shortcuts import render

from audit.models import AuditEvent
from connections.tenancy import tenant_required

PAGE_SIZE = 100


@tenant_required
def audit_log(request):
    events = AuditEvent.objects.filter(tenant=request.tenant).select_related("actor", "connection")[:PAGE_SIZE]
    return render(request, "audit/audit_log.html", {"events": events, "page_size": PAGE_SIZE})
