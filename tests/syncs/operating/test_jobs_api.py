"""/api/v1/jobs/: list with filters, detail, replay, dry run and bulk replay; tenant-scoped and role-checked."""

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from syncs import engine
from syncs.models import SyncJob
from tests.factories import UserFactory


@pytest.fixture
def api_as(owner_a, agent_a, admin_a, owner_b):
    def make(role):
        api = APIClient()
        people = {"owner": owner_a, "agent": agent_a, "admin": admin_a, "other tenant": owner_b}
        if role == "outsider":
            api.force_authenticate(UserFactory())
        elif role != "anonymous":
            api.force_authenticate(people[role])
        return api

    return make


def uuids(response):
    return [job["uuid"] for job in response.json()["results"]]


def test_the_list_filters_by_status_integration_trigger_and_source_record(api_as, failed_job, succeeded_job):
    api = api_as("agent")
    assert set(uuids(api.get("/api/v1/jobs/"))) == {str(succeeded_job.uuid), str(failed_job.uuid)}
    assert uuids(api.get("/api/v1/jobs/?status=failed")) == [str(failed_job.uuid)]
    assert uuids(api.get("/api/v1/jobs/?trigger=replay")) == []
    record = f"client:{succeeded_job.source_id}"
    query = f"?integration={succeeded_job.integration.uuid}&record={record}&trigger=webhook"
    assert uuids(api.get(f"/api/v1/jobs/{query}")) == [str(succeeded_job.uuid)]
    assert api.get("/api/v1/jobs/?status=nonsense").status_code == 400


def test_a_job_reads_with_its_error_and_result(api_as, failed_job):
    body = api_as("agent").get(f"/api/v1/jobs/{failed_job.uuid}/").json()
    assert body["status"] == "failed" and body["last_error_type"] == "Invalid"
    assert body["source_ref"] == f"client:{failed_job.source_id}"
    assert body["integration"] == str(failed_job.integration.uuid) and "id" not in body


def test_replay_and_dry_run_create_new_jobs(api_as, failed_job, sandbox):
    sandbox["zendesk"].account("acme").organizations.clear()
    api = api_as("admin")
    response = api.post(f"/api/v1/jobs/{failed_job.uuid}/dry-run/")
    assert response.status_code == 202 and response.json()["dry_run"] is True
    dry = SyncJob.objects.get(uuid=response.json()["uuid"])
    engine.run(dry.pk)
    body = api.get(f"/api/v1/jobs/{dry.uuid}/").json()
    assert body["result"]["action"] == "create" and body["replay_of"] == str(failed_job.uuid)
    response = api.post(f"/api/v1/jobs/{failed_job.uuid}/replay/")
    assert response.status_code == 202 and response.json()["trigger"] == "replay"
    assert response.json()["dry_run"] is False


def test_bulk_replay_replays_the_open_failures_matching_the_filter(api_as, failed_job, succeeded_job):
    api = api_as("owner")
    assert api.post("/api/v1/jobs/replay/", {"error": "NoSuchError"}, format="json").json() == {"replayed": 0}
    response = api.post(
        "/api/v1/jobs/replay/", {"integration": str(failed_job.integration.uuid), "error": "Invalid"}, format="json"
    )
    assert response.json() == {"replayed": 1}
    assert SyncJob.objects.get(replay_of=failed_job).status in ("pending", "succeeded", "failed")
    assert not SyncJob.objects.filter(replay_of=succeeded_job).exists()


@pytest.mark.parametrize("role", ["agent", "outsider", "anonymous"])
def test_only_owners_and_admins_replay(api_as, failed_job, role):
    api = api_as(role)
    for path in [f"/api/v1/jobs/{failed_job.uuid}/replay/", f"/api/v1/jobs/{failed_job.uuid}/dry-run/"]:
        assert api.post(path).status_code in (401, 403)
    assert api.post("/api/v1/jobs/replay/", {}, format="json").status_code in (401, 403)
    assert not SyncJob.objects.filter(replay_of=failed_job).exists()


@pytest.mark.parametrize("role", ["outsider", "anonymous"])
def test_strangers_read_nothing(api_as, failed_job, role):
    api = api_as(role)
    assert api.get("/api/v1/jobs/").status_code in (401, 403)
    assert api.get(f"/api/v1/jobs/{failed_job.uuid}/").status_code in (401, 403)


def test_another_tenants_jobs_are_not_found(api_as, failed_job):
    api = api_as("other tenant")
    assert uuids(api.get("/api/v1/jobs/")) == []
    assert api.get(f"/api/v1/jobs/{failed_job.uuid}/").status_code == 404
    assert api.post(f"/api/v1/jobs/{failed_job.uuid}/replay/").status_code == 404
    assert api.post(f"/api/v1/jobs/{failed_job.uuid}/dry-run/").status_code == 404
    assert api.post("/api/v1/jobs/replay/", {}, format="json").json() == {"replayed": 0}
    with scopes_disabled():
        assert not SyncJob.objects.filter(replay_of=failed_job).exists()


def test_the_schema_documents_the_job_endpoints(api_as):
    schema = api_as("agent").get("/api/schema/?format=json").json()
    for path in ["", "{uuid}/", "{uuid}/replay/", "{uuid}/dry-run/"]:
        assert f"/api/v1/jobs/{path}" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/jobs/replay/"]
    names = {p["name"] for p in schema["paths"]["/api/v1/jobs/"]["get"]["parameters"]}
    assert {"status", "integration", "trigger", "record"} <= names


@pytest.mark.parametrize(
    "body",
    [[None, None], {"since": False}, {"since": [None]}, {"status": "succeeded"}, {"record": 7}, {"error": ""}],
)
def test_a_bulk_replay_body_that_breaks_its_schema_is_a_400(api_as, failed_job, body):
    response = api_as("owner").post("/api/v1/jobs/replay/", body, format="json")
    assert response.status_code == 400
    assert not SyncJob.objects.filter(replay_of=failed_job).exists()


def test_a_bulk_replay_takes_json_only(api_as, failed_job):
    response = api_as("owner").post("/api/v1/jobs/replay/", {"error": "Invalid"})  # multipart
    assert response.status_code == 415
