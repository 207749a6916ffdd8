"""The Zendesk emulator's control actions: what the sandbox page and end-to-end tests use to set the scene."""

import json

from connections.sandbox import Request
from tests.providers.zendesk.helpers import url


def control(zendesk, action, **body):
    answer = zendesk.handle_control(
        Request("POST", action, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())
    )
    return answer.status, answer.data()


def test_accounts_shows_the_credentials_that_work_on_a_subdomain(zendesk):
    status, account = control(zendesk, "accounts", subdomain="initech")

    assert status == 200
    assert account["subdomain"] == "initech"
    assert account["admin"]["email"] == "admin@initech.example.com"
    assert account["api_token"] == zendesk.config["api_token"]


def test_records_are_created_for_the_page_with_form_strings(zendesk, admin_api):
    _, org = control(zendesk, "records/organization", subdomain="acme", name="Page Org", external_id="")
    _, user = control(zendesk, "records/user", subdomain="acme", name="Pat", email="pat@example.com")
    _, ticket = control(
        zendesk,
        "records/ticket",
        subdomain="acme",
        subject="Invoice?",
        body="Where is it?",
        organization_id=str(org["organization"]["id"]),
    )
    _, field = control(
        zendesk, "records/organization_field", subdomain="acme", key="balance", type="decimal", title="B"
    )

    assert org["organization"]["external_id"] is None
    assert user["user"]["email"] == "pat@example.com"
    assert ticket["ticket"]["organization_id"] == org["organization"]["id"]
    assert field["organization_field"]["key"] == "balance"
    shown = admin_api.get(url(f"/api/v2/organization_fields/{field['organization_field']['id']}.json"), timeout=5)
    assert shown.json()["organization_field"]["type"] == "decimal"


def test_a_ticket_can_be_closed_from_the_control_api(zendesk, admin_api):
    _, ticket = control(zendesk, "records/ticket", subject="Old", body="Done")

    status, closed = control(zendesk, "records/ticket_status", ticket_id=ticket["ticket"]["id"], status="closed")
    note = admin_api.put(
        url(f"/api/v2/tickets/{ticket['ticket']['id']}.json"),
        json={"ticket": {"comment": {"body": "n", "public": False}}},
        timeout=5,
    )

    assert status == 200
    assert closed["ticket"]["status"] == "closed"
    assert note.status_code == 422


def test_an_unknown_ticket_status_is_refused_and_leaves_the_ticket_alone(zendesk):
    _, ticket = control(zendesk, "records/ticket", subject="Old", body="Done")

    status, body = control(zendesk, "records/ticket_status", ticket_id=ticket["ticket"]["id"], status="archived")

    assert status == 400
    assert "archived" in body["error"]
    assert zendesk.account("acme").ticket(ticket["ticket"]["id"]).status == "new"


def test_a_control_action_with_invalid_data_answers_the_zendesk_error(zendesk):
    control(zendesk, "records/organization", name="Twin")

    status, body = control(zendesk, "records/organization", name="twin")

    assert status == 422
    assert body["details"]["name"][0]["error"] == "DuplicateValue"
