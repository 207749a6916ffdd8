"""Audit log pages."""

from django.shortcuts import render

from connections.tenancy import tenant_required


@tenant_required
def audit_log(request):
    return render(request, "audit/audit_log.html", {"events": []})
