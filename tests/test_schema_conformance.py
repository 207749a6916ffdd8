"""The OpenAPI schema at /api/schema/ tells the truth: every operation, fuzzed, passes every check.

The schema is the one the app serves, generated in process; every request goes to the app in process
(WSGI) with an owner's API token, in the test database seeded with one object of each kind and another
tenant's. A share of the generated ids are those real ones, so the id-taking operations are exercised past
the 404. Each request runs in a savepoint that is rolled back: every case sees the same seeded data and
nothing outlives the test's transaction (work queued on commit never runs); a provider is called only as
its in-process emulator (`sandbox`). Bounded and seeded, so every run sends the same cases.

The schema is loaded when the module is imported, as `schema.parametrize()` needs it (schemathesis' loader
from a fixture, `from_fixture`, does not run under pytest 9.2), and `test_the_fuzzed_schema_is_the_served_one`
keeps it the one `/api/schema/` serves. Run alone with `pytest -m schema`.
"""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

import audit
from audit.queries import encode_cursor
from connections import registry
from connections.accounts.api_tokens import create_token
from connections.models import Integration
from syncs.flows.freshbooks_zendesk import SLUG
from syncs.models import FitCheck, InboundEvent, ReviewItem, SyncJob
from tests.factories import ConnectionFactory
from tests.helpers.figures import report
from tests.helpers.review import mirrored, open_item
from tests.helpers.sandboxes import freshbooks_connection, zendesk_connection

pytestmark = [pytest.mark.schema]

MAX_EXAMPLES = 25
CONFIG = {
    "seed": 20260101,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {"enabled": True},  # every check, none left to a default
}
APPLICATION = get_wsgi_application()
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=schemathesis.Config.from_dict(CONFIG)
)
schema.app = APPLICATION  # every request, the checks' own included, goes to the app in process

# Rules OpenAPI 3.0 cannot state, so a schema-valid request that breaks one is rightly a 400: the only
# `positive_data_acceptance` failures let go, each for its operations only and only with that 400.
# - An integration's `options` are its kind's (which names, which values, `review` <= `auto_link`); a PATCH
#   need not name the kind at all, so no `oneOf` on `kind` could say which options apply.
# - The audit log's `until` must come after its `since`: a rule across two parameters.
# - Deleting an integration for good is confirmed with its uuid: a parameter that must repeat the path.
BEYOND_THE_SCHEMA = {
    "DELETE /api/v1/integrations/{uuid}/": {"confirm"},
    "POST /api/v1/integrations/": {"options"},
    "PUT /api/v1/integrations/{uuid}/": {"options"},
    "PATCH /api/v1/integrations/{uuid}/": {"options"},
    "GET /api/v1/audit-events/": {"until"},
}
RANGE_REVERSED = "The end of the range is before its start."


@schema.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a refused valid request whose 400 names only a rule beyond the schema."""
    fields = BEYOND_THE_SCHEMA.get(case.operation.label)
    if fields is None or type(failure).__name__ != "RejectedPositiveData" or response.status_code != 400:
        return True
    errors = response.json()
    if not errors or not set(errors) <= fields:
        return True
    return "until" in errors and errors["until"] != [RANGE_REVERSED]


def integration_between(tenant, source, target, **fields):
    with scopes_disabled():
        return Integration.objects.create(tenant=tenant, kind=SLUG, source=source, target=target, **fields)


@dataclass
class Seeded:
    """The seeded objects' ids: the workspace's, by collection and provider, and another workspace's."""

    ours: dict[str, list[str]]
    theirs: dict[str, str]
    connection_of: dict[str, str]  # provider -> one of our connections
    integration_kinds: dict[str, str]  # our integration -> its kind
    record_id: str
    audit_cursor: str

    def owner_of(self, uuid: str) -> str:
        return "theirs" if uuid in self.theirs.values() else "ours"


@pytest.fixture
def seeded(sandbox, tenant_a, tenant_b):
    now = timezone.now()
    source = freshbooks_connection(sandbox, tenant_a, access_expires_at=now + timedelta(days=30))
    target = zendesk_connection(sandbox, tenant_a)
    integration = integration_between(tenant_a, source, target, enabled=True)
    mirrored(integration, 10, "Acme Corporation Holdings")
    item = open_item(integration)
    with scopes_disabled():
        others = {
            provider: ConnectionFactory(tenant=tenant_a, provider=provider, label=provider.title())
            for provider in ("salesforce", "zuora")
        }
        decided = open_item(integration, "Initech", source_id="c3")
        ReviewItem.objects.filter(pk=decided.pk).update(status=ReviewItem.Status.DISMISSED, decided_at=now)
        event = InboundEvent.objects.create(
            tenant=tenant_a, connection=source, provider="freshbooks", event_name="client.create",
            object_type="client", object_id="c2", dedupe_key="client.create:c2",
        )  # fmt: skip
        failed = SyncJob.objects.create(
            tenant=tenant_a, integration=integration, event=event, trigger="webhook", source_type="client",
            source_id="c2", status="failed", attempts=1, last_error_type="Invalid",
            last_error_message="Name taken", started_at=now, finished_at=now,
        )  # fmt: skip
        done = SyncJob.objects.create(
            tenant=tenant_a, integration=integration, replay_of=failed, trigger="replay", source_type="client",
            source_id="c2", status="succeeded", attempts=1, result={"created": 1}, started_at=now, finished_at=now,
        )  # fmt: skip
        FitCheck.objects.create(
            tenant=tenant_a, integration=integration, status="done", report={"matched": 0}, finished_at=now
        )
        recorded = audit.record("job.failed", tenant=tenant_a, integration=integration, job=failed, message="x")
        older = audit.record("job.started", tenant=tenant_a, connection=source, actor=None, message="y")
        their_source = ConnectionFactory(tenant=tenant_b, provider="freshbooks", label="Globex books")
        their_target = ConnectionFactory(tenant=tenant_b, provider="zendesk", label="Globex desk")
        theirs = integration_between(tenant_b, their_source, their_target)
        their_item = open_item(theirs, "Globex")
        their_job = SyncJob.objects.get(tenant=tenant_b)
        their_event = audit.record("job.failed", tenant=tenant_b, integration=theirs, message="theirs")
    ours = {
        "connections": [source, target, *others.values()],
        "integrations": [integration],
        "jobs": [failed, done],
        "review-items": [item, decided],
        "audit-events": [recorded, older],
    }
    return Seeded(
        ours={name: [str(o.uuid) for o in objects] for name, objects in ours.items()},
        theirs={
            "connections": str(their_source.uuid),
            "integrations": str(theirs.uuid),
            "jobs": str(their_job.uuid),
            "review-items": str(their_item.uuid),
            "audit-events": str(their_event.uuid),
        },
        connection_of={c.provider: str(c.uuid) for c in (source, target, *others.values())},
        integration_kinds={str(integration.uuid): integration.kind},
        record_id="10",
        audit_cursor=encode_cursor(recorded),
    )


@pytest.fixture
def token(owner_a):
    return create_token(owner_a, "schema")[1]


@pytest.fixture
def in_process():
    """As Django's test client does: a request must not close the connection holding the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def is_uuid(value) -> bool:
    try:
        return isinstance(value, str) and str(UUID(value)) == value.lower()
    except ValueError:
        return False


def pick(case, choices: list):
    """One of `choices`, chosen from what was generated: as repeatable as the generation itself."""
    return choices[sum(repr(sorted((case.path_parameters or {}).items())).encode()) % len(choices)]


def with_seeded_data(case, seeded: Seeded) -> str:
    """Well-formed ids the case carries become seeded objects' (values that break the schema stay).

    A path names one of ours, another workspace's or a random one; filters and bodies name ours, of the
    provider the integration's kind needs, since a random uuid there is a 400 no schema can foresee; the
    audit log's opaque cursor becomes one it handed out. Says whose object the path names.
    """
    collection = case.operation.path.removeprefix("/api/v1/").split("/")[0]
    owner = "none"
    uuid = (case.path_parameters or {}).get("uuid")
    if is_uuid(uuid):
        chosen = pick(case, [*seeded.ours[collection], seeded.theirs[collection], None])
        if chosen is not None:
            case.path_parameters = {**case.path_parameters, "uuid": chosen}
            owner = seeded.owner_of(chosen)
    query = dict(case.query or {})
    for name in ("connection", "integration"):
        if is_uuid(query.get(name)):
            query[name] = seeded.ours[f"{name}s"][0]
    if collection == "audit-events" and query.get("cursor"):
        query["cursor"] = seeded.audit_cursor
    if query != (case.query or {}):
        case.query = query
    if isinstance(case.body, dict):
        body = dict(case.body)
        if collection == "integrations":
            kind = body.get("kind", seeded.integration_kinds.get((case.path_parameters or {}).get("uuid", "")))
            flow = registry.flow(kind) if isinstance(kind, str) else None
            if flow is not None and is_uuid(body.get("source")):
                body["source"] = seeded.connection_of[flow.source_provider]
            if flow is not None and is_uuid(body.get("target")):
                body["target"] = seeded.connection_of[flow.target_provider]
        if collection == "jobs" and is_uuid(body.get("integration")):
            body["integration"] = seeded.ours["integrations"][0]
        if isinstance(body.get("record_id"), str) and 0 < len(body["record_id"]) <= 100:
            body["record_id"] = seeded.record_id
        if body != case.body:
            case.body = body
    return owner


RUN = {"operations": set(), "cases": 0}


@pytest.fixture(scope="module", autouse=True)
def figures():
    """What was run, for the figures at the end of the run."""
    yield
    if RUN["cases"]:
        report(
            f"schema conformance: {len(RUN['operations'])} operations, {RUN['cases']} cases sent "
            "(every check; any failure fails the test)"
        )


@schema.parametrize()
# The fixtures hold for every case: each request's writes are rolled back before the next.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_conforms_to_its_schema(case, seeded, token, in_process):
    owner = with_seeded_data(case, seeded)
    RUN["operations"].add(case.operation.label)
    RUN["cases"] += 1
    with transaction.atomic():
        response = case.call_and_validate(headers={"Authorization": f"Token {token}"})
        transaction.set_rollback(True)
    if owner == "theirs" and case.method == case.operation.method.upper():
        assert response.status_code == 404, "another workspace's object must be a 404"


def test_the_fuzzed_schema_is_the_served_one(token, in_process):
    served = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", APPLICATION, headers={"Authorization": f"Token {token}"}
    )
    assert served.raw_schema["paths"] == schema.raw_schema["paths"]
