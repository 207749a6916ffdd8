"""Tenancy: which tenant a request acts for, the django-scopes scope around it, and role checks.

Every tenant-owned query runs inside `scope(tenant=...)`. The middleware enters it for browser requests,
the API enters it after DRF has authenticated the caller (connections.api), tasks and webhooks enter it
from the object they load. `scopes_disabled()` is used only in tenant lookups, the operators' admin,
management commands and migrations.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django_scopes import scope, scopes_disabled

from connections.accounts.signup import email_verified
from connections.models import Membership, Tenant

SESSION_KEY = "active_tenant"


def memberships_of(user):
    """All memberships of a user across tenants (a tenant lookup, hence unscoped)."""
    with scopes_disabled():
        return list(Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name"))


def resolve_membership(memberships: list[Membership], wanted_tenant_uuid: str | None = None) -> Membership | None:
    """The membership a user acts through: the one asked for if they have it, else their first."""
    if wanted_tenant_uuid:
        for membership in memberships:
            if str(membership.tenant.uuid) == str(wanted_tenant_uuid):
                return membership
    return memberships[0] if memberships else None


class TenantMiddleware:
    """Sets `request.tenant` and `request.membership`, and runs the view inside that tenant's scope.

    Superusers in the Django admin run unscoped: the admin is the operators' cross-tenant tool. Anyone
    else without a tenant gets no scope at all, so a stray query raises rather than leaking rows.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user_memberships = memberships_of(request.user) if request.user.is_authenticated else []
        membership = resolve_membership(request.user_memberships, request.session.get(SESSION_KEY))
        request.membership = membership
        request.tenant = membership.tenant if membership else None
        if request.path.startswith("/admin/") and request.user.is_active and request.user.is_superuser:
            with scopes_disabled():
                return self.get_response(request)
        if request.tenant is None:
            return self.get_response(request)
        with scope(tenant=request.tenant):
            response = self.get_response(request)
            # Render lazily-rendered responses inside the scope so template queries stay scoped.
            if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                response.render()
            return response


def tenant_context(request):
    """Template context: the active tenant, membership, and the tenants the user may switch to."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "user_memberships", []),
        "public_base_url": settings.PUBLIC_BASE_URL,
        "email_unverified": not email_verified(request.user),
    }


def tenant_required(view=None, *, manage: bool = False):
    """Login, an active tenant, and (with manage=True) the owner or admin role. The one role helper."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.tenant is None:
                return render(request, "no_tenant.html", status=403)
            if manage and not request.membership.can_manage:
                raise PermissionDenied("Only owners and admins can do this.")
            return view_func(request, *args, **kwargs)

        # Read by the role tests, which check that every page goes through this helper.
        wrapper.tenant_role = "manage" if manage else "member"
        return wrapper

    return decorator(view) if view is not None else decorator


def get_object_for_tenant(model_or_queryset, tenant: Tenant, **lookup):
    """The tenant's object, or 404: another tenant's object is indistinguishable from a missing one."""
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    if hasattr(queryset, "all"):
        queryset = queryset.all()
    if tenant is None:
        raise Http404
    try:
        return queryset.filter(tenant=tenant).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError):
        # ValidationError/ValueError: a malformed UUID in the URL is a missing object, not a crash.
        raise Http404 from None
    except queryset.model.MultipleObjectsReturned:
        raise Http404 from None
