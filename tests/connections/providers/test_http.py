"""The one outbound call path: URLs from host rules, timeouts, typed errors, audit events."""

import time
from types import SimpleNamespace

import pytest
import requests
import responses
from django.core.cache import cache
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.providers import http
from connections.providers.errors import (
    AuthExpired,
    Conflict,
    Invalid,
    NotFound,
    RateLimited,
    Retryable,
    UnsafeHost,
)
from tests.factories import ConnectionFactory

FB = "https://api.freshbooks.com"
ZD = "https://acme.zendesk.com"


@pytest.fixture
def fb(tenant_a):
    with scopes_disabled():
        connection = ConnectionFactory(tenant=tenant_a, provider="freshbooks", addresses={"account_id": "ABC123"})
    with scope(tenant=tenant_a):
        yield connection


@pytest.fixture
def zd(tenant_a):
    with scopes_disabled():
        connection = ConnectionFactory(tenant=tenant_a, provider="zendesk", addresses={"subdomain": "acme"})
    with scope(tenant=tenant_a):
        yield connection


@responses.activate
def test_every_call_has_a_timeout_and_the_bearer_token(fb, monkeypatch):
    seen = {}
    original = requests.Session.request

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    responses.get(f"{FB}/auth/api/v1/users/me", json={"response": {}})
    http.call(fb, "GET", "/auth/api/v1/users/me")
    assert seen["timeout"] == (5.0, 30.0)
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {fb.access_token}"


def test_calls_reuse_one_session_per_thread():
    import threading

    first = http.session()
    assert http.session() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(http.session()))
    thread.start()
    thread.join()
    assert other[0] is not first


@responses.activate
def test_each_call_is_audited_with_secrets_redacted(fb):
    responses.post(f"{FB}/x", json={"access_token": "leaked-token", "name": "Acme"})
    http.call(fb, "POST", "/x", json_body={"client_secret": "s3cret", "name": "Acme"})
    event = AuditEvent.objects.get(kind="api.call")
    assert event.data["status"] == 200
    assert event.data["request_body"] == {"client_secret": "[redacted]", "name": "Acme"}
    assert event.data["response_body"] == {"access_token": "[redacted]", "name": "Acme"}
    assert "s3cret" not in repr(event.data) and "leaked-token" not in repr(event.data)


@pytest.mark.parametrize(
    ("subdomain", "ok"), [("acme", True), ("evil.com#", False), ("a/b", False), ("attacker.example", False)]
)
def test_hosts_are_built_from_provider_rules_only(zd, subdomain, ok):
    zd.addresses = {"subdomain": subdomain}
    if ok:
        assert http.build_url(zd, "/api/v2/users/me.json") == f"{ZD}/api/v2/users/me.json"
    else:
        with pytest.raises(UnsafeHost):
            http.build_url(zd, "/api/v2/users/me.json")


@pytest.mark.parametrize("path", ["//evil.com/x", "https://evil.com/", "x", "/\\evil"])
def test_a_path_cannot_leave_the_providers_host(zd, path):
    with pytest.raises(UnsafeHost):
        http.build_url(zd, path)


@responses.activate
def test_zendesks_text_plain_429_is_rate_limited_with_retry_after(zd):
    responses.get(
        f"{ZD}/api/v2/x", body="Too Many Requests", status=429, content_type="text/plain", headers={"Retry-After": "37"}
    )
    with pytest.raises(RateLimited) as caught:
        http.call(zd, "GET", "/api/v2/x")
    assert caught.value.retry_after == 37
    assert caught.value.retryable


@responses.activate
def test_rate_limit_headers_are_remembered_for_the_limiter(zd):
    responses.get(f"{ZD}/api/v2/x", json={}, headers={"x-rate-limit": "700", "x-rate-limit-remaining": "12"})
    http.call(zd, "GET", "/api/v2/x")
    assert cache.get(f"ratelimit:{zd.uuid}")["remaining"] == "12"


@responses.activate
def test_an_html_error_page_becomes_a_readable_retryable_error(zd):
    responses.get(
        f"{ZD}/api/v2/x", body="<!DOCTYPE html><html>Bad gateway</html>", status=502, content_type="text/html"
    )
    with pytest.raises(Retryable, match="HTML error page"):
        http.call(zd, "GET", "/api/v2/x")


@responses.activate
def test_freshbooks_errors_inside_http_200_are_errors(fb):
    body = {
        "response": {
            "errors": [
                {"errno": 1012, "field": "userid", "message": "Client not found.", "object": "client", "value": "12345"}
            ]
        }
    }
    responses.get(f"{FB}/accounting/account/ABC123/users/clients/12345", json=body, status=200)
    with pytest.raises(NotFound, match="Client not found"):
        http.call(fb, "GET", "/accounting/account/ABC123/users/clients/12345")


@responses.activate
def test_freshbooks_new_style_validation_errors_are_invalid(fb):
    body = {
        "code": 3,
        "message": "Request failed with status_code: 400",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "1002",
                "domain": "accounting",
                "metadata": {"message": "Invalid email.", "field": "email"},
            }
        ],
    }
    responses.post(f"{FB}/accounting/account/ABC123/users/clients", json=body, status=400)
    with pytest.raises(Invalid, match="Invalid email"):
        http.call(fb, "POST", "/accounting/account/ABC123/users/clients", json_body={})


@responses.activate
def test_zendesk_duplicate_names_are_conflicts(zd):
    responses.post(
        f"{ZD}/api/v2/organizations",
        status=422,
        json={
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {"name": [{"description": "Name: Acme has already been taken", "error": "DuplicateValue"}]},
        },
    )
    with pytest.raises(Invalid):
        http.call(zd, "POST", "/api/v2/organizations", json_body={})


@responses.activate
def test_timeouts_and_connection_errors_are_retryable(zd):
    responses.get(f"{ZD}/api/v2/slow", body=requests.Timeout())
    responses.get(f"{ZD}/api/v2/down", body=requests.ConnectionError())
    with pytest.raises(Retryable, match="timed out"):
        http.call(zd, "GET", "/api/v2/slow")
    with pytest.raises(Retryable, match="could not connect"):
        http.call(zd, "GET", "/api/v2/down")
    assert AuditEvent.objects.filter(kind="api.call", level="warning").count() == 2


@responses.activate
def test_a_409_is_a_conflict_and_a_404_not_found(zd):
    responses.get(f"{ZD}/api/v2/a", status=409, json={"error": "Conflict"})
    responses.get(f"{ZD}/api/v2/b", status=404, json={"error": "RecordNotFound", "description": "Not found"})
    with pytest.raises(Conflict):
        http.call(zd, "GET", "/api/v2/a")
    with pytest.raises(NotFound, match="Not found"):
        http.call(zd, "GET", "/api/v2/b")


@responses.activate
def test_a_legacy_zendesk_api_token_uses_email_slash_token(zd):
    zd.access_token = None
    zd.api_token = "tok123"
    zd.settings = {"email": "a@acme.com", "auth": "api_token"}
    responses.get(f"{ZD}/api/v2/users/me.json", json={"user": {}})
    http.call(zd, "GET", "/api/v2/users/me.json")
    import base64

    sent = responses.calls[0].request.headers["Authorization"]
    assert base64.b64decode(sent.split()[1]).decode() == "a@acme.com/token:tok123"


def test_a_connection_without_credentials_is_auth_expired(zd):
    zd.access_token = None
    with pytest.raises(AuthExpired):
        http.call(zd, "GET", "/api/v2/users/me.json")


@responses.activate
def test_calls_within_a_budget_share_it_and_none_starts_once_it_is_spent(fb, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(http, "time", SimpleNamespace(monotonic=lambda: now[0], time=time.time))
    seen = []
    original = requests.Session.request

    def spy(self, *args, **kwargs):
        seen.append(kwargs["timeout"])
        now[0] += 7  # this call took seven seconds
        return original(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    responses.get(f"{FB}/auth/api/v1/users/me", json={"response": {}})
    with http.within(10):
        http.call(fb, "GET", "/auth/api/v1/users/me")
        http.call(fb, "GET", "/auth/api/v1/users/me")
        with pytest.raises(Retryable, match="ran out"):
            http.call(fb, "GET", "/auth/api/v1/users/me")
    assert seen == [(5.0, 10.0), (3.0, 3.0)]
    assert len(responses.calls) == 2
