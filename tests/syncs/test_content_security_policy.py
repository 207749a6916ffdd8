"""A strict Content-Security-Policy on every page, and pages it does not break: no inline script, inline
style or inline event handler anywhere, so the policy never has to allow one."""

import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from syncs.models import SyncJob
from tests.helpers.billing import fb_client, fb_invoice
from tests.helpers.figures import report

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)


def pages_of(integration) -> list[str]:
    urls = ["/", "/connections/", "/integrations/", "/audit/", "/failures/", "/jobs/", "/review/", "/account/"]
    urls += [
        "/team/",
        "/api/docs/",
        f"/integrations/{integration.uuid}/",
        f"/integrations/{integration.uuid}/fit-check/",
    ]
    urls += [f"/connections/{c.uuid}/" for c in (integration.source, integration.target)]
    with scopes_disabled():
        urls += [f"/jobs/{job.uuid}/" for job in SyncJob.objects.filter(integration=integration)[:5]]
        urls += [f"/audit/{event.uuid}/" for event in AuditEvent.objects.filter(tenant=integration.tenant)[:5]]
    return urls


@pytest.mark.security
def test_every_page_carries_a_strict_policy_and_nothing_inline(fbzd, sandbox, client_a, flush, settings):
    fb_invoice(sandbox, fb_client(sandbox, "Acme Corp"), "120.00")
    flush()
    settings.ALLOW_SIGNUP = True
    anonymous = [(Client(), path) for path in ("/login/", "/signup/", "/password-reset/")]
    problems = []
    for browser, path in [(client_a, path) for path in pages_of(fbzd)] + anonymous:
        response = browser.get(path)
        assert response.status_code == 200, path
        policy = response.get("Content-Security-Policy", "")
        if "script-src 'self'" not in policy or "unsafe-inline" in policy or "object-src 'none'" not in policy:
            problems.append((path, "policy", policy))
        html = response.content.decode()
        for name, pattern in (("script", INLINE_SCRIPT), ("handler", INLINE_HANDLER), ("style", INLINE_STYLE)):
            problems += [(path, name, found[:80]) for found in pattern.findall(html)]
    report(f"content security policy: {len(pages_of(fbzd)) + len(anonymous)} pages checked: {len(problems)} problems")
    assert problems == []


def test_the_api_docs_script_is_a_file_of_ours(client_a):
    page = client_a.get("/api/docs/").content.decode()
    [script_url] = re.findall(r'<script src="(/api/docs/\?[^"]*)"', page)
    script = client_a.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/me/"])
def test_machine_answers_carry_the_policy_too(client_a, path):
    assert "default-src 'self'" in client_a.get(path).get("Content-Security-Policy", "")
