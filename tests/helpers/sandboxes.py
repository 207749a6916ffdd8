"""Sandboxes connected as if their connect flows had just run, and the small steps tests take with them.

Helpers, not fixtures: fixtures that use them live in the `conftest.py` files (`tests/syncs/conftest.py`).
"""

import time
from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from connections import registry
from connections.sandbox.oauth import Grant
from syncs import engine
from syncs.models import InboundEvent, SyncJob
from tests.factories import ConnectionFactory

ACCOUNT = "SbX4kq"  # the FreshBooks sandbox's business


def freshbooks_connection(sandbox, tenant, **overrides):
    """A FreshBooks connection holding real sandbox tokens, as if the connect flow had just run."""
    emulator = sandbox["freshbooks"]
    issued = emulator.oauth.issue_tokens(
        Grant(
            "sandbox-freshbooks-client",
            " ".join(registry.provider("freshbooks").scopes),
            {"identity_id": emulator.config["identity"]["id"]},
        )
    )
    with scopes_disabled():
        fields = {
            "tenant": tenant,
            "provider": "freshbooks",
            "addresses": {"account_id": "SbX4kq", "business_id": 5100001},
            "access_token": issued.access.value,
            "refresh_token": issued.refresh.value,
            "access_expires_at": timezone.now() + timedelta(hours=12),
        }
        return ConnectionFactory(**{**fields, **overrides})


def zendesk_connection(sandbox, tenant, subdomain="acme"):
    """A Zendesk connection holding tokens the sandbox issued to its admin, good for 30 days."""
    zendesk = sandbox["zendesk"]
    admin = zendesk.account(subdomain).admin.id
    issued = zendesk.oauth.issue_tokens(
        Grant("sandbox-zendesk-client", "read write", {"subdomain": subdomain, "user_id": admin})
    )
    with scopes_disabled():
        return ConnectionFactory(
            tenant=tenant,
            provider="zendesk",
            addresses={"subdomain": subdomain},
            access_token=issued.access.value,
            refresh_token=issued.refresh.value,
            access_expires_at=timezone.now() + timedelta(days=30),
        )


def new_client(sandbox, name="Acme Corp"):
    return sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": name, "email": "ap@acme.example"})


def event_for(integration, client_id, name="client.create", key=None):
    return InboundEvent.objects.create(
        tenant=integration.tenant,
        connection=integration.source,
        provider="freshbooks",
        event_name=name,
        object_type="client",
        object_id=str(client_id),
        dedupe_key=key or f"{name}:{client_id}:{time.time_ns()}",
    )


def drain(clock, rounds=50, step=None):
    """Run every job until none is pending, moving time to each job's next attempt."""
    for _ in range(rounds):
        pending = list(SyncJob.objects.filter(status=SyncJob.Status.PENDING).order_by("next_attempt_at"))
        if not pending:
            return
        job = pending[0]
        if job.next_attempt_at > timezone.now():
            clock.advance((job.next_attempt_at - timezone.now()).total_seconds() + (step or 0.001))
        engine.run(job.pk)
    raise AssertionError("jobs did not settle")


def organizations(sandbox):
    return list(sandbox["zendesk"].account("acme").organizations.values())


def zendesk_writes(sandbox):
    return [
        e
        for e in sandbox["zendesk"].journal.entries(kind="request")
        if e.method in ("POST", "PUT") and "/organizations" in e.url
    ]


def salesforce_connection(sandbox, tenant, my_domain="acme", edition="production"):
    """A Salesforce connection with the sandbox app's client credentials; it mints its token on first use."""
    sandbox["salesforce"].org(my_domain)
    with scopes_disabled():
        return ConnectionFactory(
            tenant=tenant,
            provider="salesforce",
            label="Salesforce",
            addresses={"my_domain": my_domain, "edition": edition},
            settings={"client_id": "sandbox-salesforce-client", "auth": "client_credentials"},
            client_secret="sandbox-salesforce-secret",
            access_token=None,
            refresh_token=None,
            access_expires_at=None,
        )


def zuora_connection(sandbox, tenant, environment="us-sandbox-2"):
    """A Zuora connection with the sandbox OAuth client; it mints its token on first use."""
    sandbox["zuora"].tenant(environment)
    with scopes_disabled():
        return ConnectionFactory(
            tenant=tenant,
            provider="zuora",
            label="Zuora",
            addresses={"environment": environment},
            settings={"client_id": "sandbox-zuora-client", "auth": "client_credentials"},
            client_secret="sandbox-zuora-secret",
            access_token=None,
            refresh_token=None,
            access_expires_at=None,
        )
