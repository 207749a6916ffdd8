"""Tenancy for the API: permission, scope and pagination shared by every endpoint.

DRF authenticates inside the view (session or per-user token), after the tenant middleware has run, so
the API resolves the tenant itself: the `X-Tenant` header (a tenant uuid) picks one of the caller's
workspaces, else the session's active one, else their first. The view then runs inside that scope.
Kept apart from the views because DRF imports these classes from its settings while it loads.
"""

from django_scopes import scope
from rest_framework import parsers, permissions
from rest_framework.exceptions import ParseError
from rest_framework.pagination import CursorPagination

from connections.tenancy import SESSION_KEY, memberships_of, resolve_membership


class JSONParser(parsers.JSONParser):
    """DRF's parser turns ValueError into a 400 but lets a body nested too deeply raise RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply to read.") from None


class CreatedCursorPagination(CursorPagination):
    ordering = "-created_at"


class IsTenantMember(permissions.BasePermission):
    """Authenticated and a member of the tenant the request acts for; sets request.tenant/membership."""

    message = "You are not a member of any workspace (or of the one named in X-Tenant)."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        wanted = request.headers.get("X-Tenant") or request.session.get(SESSION_KEY)
        memberships = memberships_of(request.user)
        membership = resolve_membership(memberships, wanted)
        if request.headers.get("X-Tenant") and (membership is None or str(membership.tenant.uuid) != wanted):
            return False
        request.membership = membership
        request.tenant = membership.tenant if membership else None
        return membership is not None


class CanManageOrReadOnly(permissions.BasePermission):
    message = "Only owners and admins can change this."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or request.membership.can_manage


class TenantScopedMixin:
    """Runs the handler inside the tenant's scope, entered once DRF has authenticated the caller."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._tenant_scope = scope(tenant=request.tenant)
        self._tenant_scope.__enter__()

    def finalize_response(self, request, response, *args, **kwargs):
        try:
            return super().finalize_response(request, response, *args, **kwargs)
        finally:
            tenant_scope = getattr(self, "_tenant_scope", None)
            if tenant_scope is not None:
                self._tenant_scope = None
                tenant_scope.__exit__(None, None, None)
