"""Roles on every page and endpoint: owners and admins manage, agents read and review, others get nothing."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory

MEMBER_PAGES = ["/", "/connections/", "/integrations/", "/review/", "/audit/", "/jobs/", "/failures/", "/account/"]
MANAGE_PAGES = ["/team/"]
MANAGE_POSTS = ["/team/invite/"]
# Pages anyone may open: they authenticate by password or by a signed link, or are the operators' admin.
PUBLIC_NAMES = {
    "login",
    "logout",
    "signup",
    "signup-sent",
    "switch-tenant",
    "verify-email",
    "accept-invitation",
    "password_change",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "api-schema",
    "api-docs",
    "healthz",  # load balancers and uptime checks: no login, no tenant data
}
# Machine endpoints with their own authentication (signatures, OAuth state) and the operators' admin.
MACHINE_PREFIXES = ("admin/", "webhooks/", "sandbox/", "oauth/", "social/", "api/v1/")


def person(tenant, role):
    if role == "outsider":
        return UserFactory()
    with scopes_disabled():
        return MembershipFactory(tenant=tenant, role=role).user


def browser_for(tenant, role):
    browser = Client()
    if role != "anonymous":
        browser.force_login(person(tenant, role))
    return browser


EXPECTED_PAGE = {"owner": 200, "admin": 200, "agent": 200, "outsider": 403, "anonymous": 302}
EXPECTED_MANAGE = {"owner": 200, "admin": 200, "agent": 403, "outsider": 403, "anonymous": 302}


@pytest.mark.parametrize("role", EXPECTED_PAGE)
@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_pages_per_role(tenant_a, role, path):
    assert browser_for(tenant_a, role).get(path).status_code == EXPECTED_PAGE[role]


@pytest.mark.parametrize("role", EXPECTED_MANAGE)
@pytest.mark.parametrize("path", MANAGE_PAGES)
def test_manage_pages_per_role(tenant_a, role, path):
    assert browser_for(tenant_a, role).get(path).status_code == EXPECTED_MANAGE[role]


@pytest.mark.parametrize("role", ["agent", "outsider", "anonymous"])
@pytest.mark.parametrize("path", MANAGE_POSTS)
def test_agents_and_strangers_cannot_change_the_team(tenant_a, role, path, mailoutbox):
    response = browser_for(tenant_a, role).post(path, {"email": "x@example.com", "role": "admin"})
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or response["Location"].startswith("/login/")
    assert mailoutbox == []


@pytest.mark.parametrize("role", ["agent", "outsider", "anonymous"])
def test_agents_and_strangers_cannot_change_roles_or_remove_members(tenant_a, owner_a, role):
    from connections.models import Membership

    with scopes_disabled():
        owner = Membership.objects.get(user=owner_a)
    browser = browser_for(tenant_a, role)
    assert browser.post(f"/team/members/{owner.uuid}/role/", {"role": "agent"}).status_code in (302, 403)
    assert browser.post(f"/team/members/{owner.uuid}/remove/").status_code in (302, 403)
    with scopes_disabled():
        assert Membership.objects.get(pk=owner.pk).role == "owner"


def test_the_navigation_shows_team_only_to_those_who_manage(tenant_a):
    owner_page = browser_for(tenant_a, "owner").get("/").content.decode()
    agent_page = browser_for(tenant_a, "agent").get("/").content.decode()
    assert ">Team</a>" in owner_page
    assert ">Team</a>" not in agent_page
    assert ">Review</a>" in agent_page
    assert ">Audit log</a>" in agent_page
    assert ">Agent</span>" in agent_page


@pytest.mark.parametrize(("role", "write_status"), [("owner", 400), ("admin", 400), ("agent", 403)])
def test_the_api_lets_every_member_read_and_only_managers_write(tenant_a, role, write_status):
    api = APIClient()
    api.force_authenticate(person(tenant_a, role))
    for path in ["/api/v1/me/", "/api/v1/connections/", "/api/v1/integrations/"]:
        assert api.get(path).status_code == 200
    assert api.post("/api/v1/integrations/", {}, format="json").status_code == write_status


@pytest.mark.parametrize("role", ["outsider", "anonymous"])
def test_the_api_refuses_strangers(db, role):
    api = APIClient()
    if role == "outsider":
        api.force_authenticate(UserFactory())
    for path in ["/api/v1/me/", "/api/v1/connections/", "/api/v1/integrations/"]:
        assert api.get(path).status_code in (401, 403)


def all_patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def test_every_page_goes_through_the_one_role_helper():
    """A new page must use tenant_required (or be a public page listed above, with a reason)."""
    unchecked = []
    for route, pattern in all_patterns():
        if route.startswith(MACHINE_PREFIXES) or pattern.name in PUBLIC_NAMES:
            continue
        role = getattr(pattern.callback, "tenant_role", None)
        if role is None:
            unchecked.append(route)
        elif route.startswith("team/"):
            assert role == "manage", f"{route} changes the team: tenant_required(manage=True)"
    assert unchecked == [], f"pages without tenant_required: {unchecked}"


def test_every_api_endpoint_checks_tenant_membership():
    from connections.api_base import IsTenantMember

    for route, pattern in all_patterns():
        view_class = getattr(pattern.callback, "cls", None)
        if route.startswith("api/v1/") and view_class is not None:
            assert IsTenantMember in view_class.permission_classes, route
