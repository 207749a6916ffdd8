"""The emulator's answers against recorded Zendesk payloads (`recordings.py`): same keys (recursively), same
JSON types, and per record type every recorded field by name: a field the recording has and the emulator
lacks, or carries with another type, fails the test that names it.
"""

import json

import requests

from tests.providers.zendesk.helpers import create_org, create_ticket, url
from tests.providers.zendesk.recordings import (
    AUDIT_FIELDS,
    COMMENT_FIELDS,
    ME_FIELDS,
    ORGANIZATION_FIELDS,
    RECORDED_AUDIT_KEYS,
    RECORDED_COMMENT,
    RECORDED_COMMENT_EVENT,
    RECORDED_CREATE_AUDIT,
    RECORDED_CREATE_EVENT_FIELDS,
    RECORDED_END_USER,
    RECORDED_ME,
    RECORDED_ORGANIZATION,
    RECORDED_ORGANIZATION_DETAIL_KEYS,
    RECORDED_ORGANIZATION_FIELD,
    RECORDED_SEARCH_RESPONSE,
    RECORDED_TICKET,
    RECORDED_TOKEN,
    RECORDED_USER,
    RECORDED_USER_EVENT,
    RECORDED_USER_RESULT,
    RECORDED_WEBHOOK,
    SEARCH_RESPONSE_FIELDS,
    TICKET_FIELDS,
    USER_FIELDS,
)


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def differences(recorded, emulated, path="$", *, strict: bool = False) -> list[str]:
    """Where `emulated` differs from `recorded` in keys or JSON types (null matches any type: a recorded
    null only says the field may be empty). `strict`: a value the recording has must not be emulated as
    null, for scenarios built to fill the same fields the recording had."""
    if recorded is not None and emulated is None and strict:
        return [f"{path}: {json_type(recorded)} recorded, null emulated"]
    if recorded is None or emulated is None:
        return []
    if json_type(recorded) != json_type(emulated):
        return [f"{path}: {json_type(recorded)} recorded, {json_type(emulated)} emulated"]
    if isinstance(recorded, dict):
        problems = [f"{path}.{k}: missing" for k in recorded if k not in emulated]
        problems += [f"{path}.{k}: not in the recording" for k in emulated if k not in recorded]
        for key in recorded.keys() & emulated.keys():
            problems += differences(recorded[key], emulated[key], f"{path}.{key}", strict=strict)
        return problems
    if isinstance(recorded, list) and recorded and emulated:
        return differences(recorded[0], emulated[0], f"{path}[0]", strict=strict)
    return []


def field_problems(fields: dict[str, str], payload: dict) -> list[str]:
    """Each field of a record type's table that `payload` lacks or carries with a type the table does not
    allow ("number|null"), and each field `payload` has that the table does not name."""
    problems = [f"{name}: missing" for name in fields if name not in payload]
    problems += [
        f"{name}: {json_type(payload[name])} emulated, {types} recorded"
        for name, types in fields.items()
        if name in payload and json_type(payload[name]) not in types.split("|")
    ]
    return problems + [f"{name}: not in the recording" for name in payload if name not in fields]


def test_an_organization_has_the_recorded_keys_types_and_key_order(admin_api):
    org = create_org(admin_api, "testOrganizationNone")

    assert differences(RECORDED_ORGANIZATION, org) == []
    assert list(org) == list(RECORDED_ORGANIZATION)


def test_a_user_has_the_recorded_keys_and_types(admin_api, zendesk):
    user = admin_api.get(url(f"/api/v2/users/{zendesk.account('acme').admin.id}.json"), timeout=5).json()["user"]

    assert differences(RECORDED_USER, user) == []


def test_users_me_adds_the_authenticity_token_as_recorded(admin_api):
    me = admin_api.get(url("/api/v2/users/me.json"), timeout=5).json()["user"]

    assert differences({**RECORDED_USER, "authenticity_token": "abc"}, me) == []


def test_an_organization_field_has_the_recorded_keys_and_types(admin_api):
    answer = admin_api.post(
        url("/api/v2/organization_fields.json"),
        json={"organization_field": {"key": "organization_field_key", "type": "checkbox", "title": "Key", "tag": "t"}},
        timeout=5,
    )

    assert differences(RECORDED_ORGANIZATION_FIELD, answer.json()["organization_field"]) == []


def test_a_token_response_with_expiry_has_the_documented_keys_and_types(zendesk):
    zendesk.config["oauth_auto_approve"] = True
    redirect = "https://app.example/cb"
    location = requests.get(
        url("/oauth/authorizations/new"),
        params={"response_type": "code", "client_id": zendesk.config["oauth_client_id"], "redirect_uri": redirect},
        allow_redirects=False,
        timeout=5,
    ).headers["Location"]
    code = location.split("code=")[1].split("&")[0]

    tokens = requests.post(
        url("/oauth/tokens"),
        json={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": zendesk.config["oauth_client_id"],
            "client_secret": zendesk.config["oauth_client_secret"],
            "redirect_uri": redirect,
            "scope": "read",
            "expires_in": 86400,
        },
        timeout=5,
    ).json()

    assert differences(RECORDED_TOKEN, tokens) == []


def test_a_created_webhook_has_the_recorded_keys_and_types(admin_api):
    answer = admin_api.post(
        url("/api/v2/webhooks"),
        json={
            "webhook": {
                "name": "test",
                "description": "test",
                "status": "active",
                "endpoint": "https://example.com/status/200",
                "http_method": "POST",
                "request_format": "json",
                "subscriptions": ["zen:event-type:organization.created"],
                "authentication": {
                    "type": "basic_auth",
                    "data": {"username": "user", "password": "pass"},
                    "add_position": "header",
                },
            }
        },
        timeout=5,
    )

    assert differences(RECORDED_WEBHOOK, answer.json()["webhook"]) == []


def test_event_deliveries_have_the_recorded_envelope_and_detail_shapes(admin_api, zendesk, sandbox):
    from connections.sandbox import Response

    bodies = []
    zendesk.outbox.sender = lambda method, url_, headers, body, timeout: bodies.append(body) or Response(200)
    admin_api.post(
        url("/api/v2/webhooks"),
        json={
            "webhook": {
                "name": "all",
                "status": "active",
                "endpoint": "https://app.example/hook",
                "http_method": "POST",
                "request_format": "json",
                "subscriptions": ["zen:event-type:user.created", "zen:event-type:organization.created"],
            }
        },
        timeout=5,
    )
    admin_api.post(url("/api/v2/users.json"), json={"user": {"name": "Jo", "email": "jo@example.com"}}, timeout=5)
    create_org(admin_api, "Acme")

    sandbox.deliver()

    user_event, org_event = (json.loads(body) for body in bodies)
    assert differences(RECORDED_USER_EVENT, user_event) == []
    assert set(org_event["detail"]) == RECORDED_ORGANIZATION_DETAIL_KEYS
    assert all(isinstance(org_event["detail"][key], str) for key in ("id", "group_id", "external_id"))


def test_a_ticket_update_answers_the_recorded_audit_shape(admin_api):
    ticket = create_ticket(admin_api)

    answer = admin_api.put(
        url(f"/api/v2/tickets/{ticket['id']}.json"),
        json={"ticket": {"comment": {"body": "x", "public": False}}},
        timeout=5,
    ).json()

    assert set(answer) == {"ticket", "audit"}
    assert set(answer["audit"]) == RECORDED_AUDIT_KEYS
    assert set(answer["audit"]["metadata"]) == {"system", "custom"}
    assert answer["audit"]["via"]["channel"] == "api"
    assert differences(RECORDED_COMMENT_EVENT, answer["audit"]["events"][0]) == []


def test_a_cursor_page_has_the_recorded_meta_and_links(admin_api):
    create_org(admin_api, "One")
    create_org(admin_api, "Two")

    page = admin_api.get(url("/api/v2/organizations.json"), params={"page[size]": 1}, timeout=5).json()

    assert set(page) == {"organizations", "meta", "links"}
    assert set(page["meta"]) == {"has_more", "after_cursor", "before_cursor"}
    assert set(page["links"]) == {"prev", "next"}
    assert "page%5Bafter%5D=" in page["links"]["next"]
    assert "page%5Bsize%5D=1" in page["links"]["next"]


def test_search_and_incremental_answers_have_the_documented_envelopes(admin_api, sandbox):
    create_org(admin_api, "Searchable")
    sandbox.clock.advance(120)

    search = admin_api.get(url("/api/v2/organizations/search.json"), params={"name": "searchable"}, timeout=5).json()
    export = admin_api.get(url("/api/v2/incremental/organizations.json"), params={"start_time": 0}, timeout=5).json()

    assert set(search) == {"organizations", "count", "next_page", "previous_page"}
    assert set(export) == {"organizations", "count", "end_of_stream", "end_time", "next_page"}
    assert isinstance(export["end_time"], int)


def test_error_bodies_are_the_recorded_ones(admin_api, zendesk):
    missing = admin_api.get(url("/api/v2/tickets/999.json"), timeout=5)
    unauthenticated = requests.get(url("/api/v2/tickets/1.json"), timeout=5)
    bad_token = requests.get(url("/api/v2/tickets/1.json"), headers={"Authorization": "Bearer nope"}, timeout=5)

    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert unauthenticated.json() == {"error": "Couldn't authenticate you"}
    assert bad_token.json() == {
        "error": "invalid_token",
        "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
    }


# Every recorded field, by record type ---------------------------------------------------------------------


def without(payload: dict, *keys: str) -> dict:
    return {k: v for k, v in payload.items() if k not in keys}


def test_the_field_tables_name_every_field_of_every_recording_with_its_type():
    for fields, recordings in (
        (ORGANIZATION_FIELDS, [RECORDED_ORGANIZATION]),
        (USER_FIELDS, [RECORDED_USER, RECORDED_END_USER, without(RECORDED_ME, "authenticity_token")]),
        (USER_FIELDS, [without(RECORDED_USER_RESULT, "result_type")]),
        (ME_FIELDS, [RECORDED_ME]),
        (TICKET_FIELDS, [RECORDED_TICKET]),
        (COMMENT_FIELDS, [RECORDED_COMMENT]),
        (AUDIT_FIELDS, [RECORDED_CREATE_AUDIT]),
        (SEARCH_RESPONSE_FIELDS, [RECORDED_SEARCH_RESPONSE]),
    ):
        for recording in recordings:
            assert field_problems(fields, recording) == []


def test_an_organization_carries_every_recorded_field(admin_api):
    org = create_org(admin_api, "Acme Ltd", external_id="acme-1", details="Billing", tags=["vip"])

    assert field_problems(ORGANIZATION_FIELDS, org) == []


def test_an_end_user_carries_every_recorded_field_with_the_live_permissions(admin_api):
    user = admin_api.post(url("/api/v2/users.json"), json={"user": {"name": "Jane Doe"}}, timeout=5).json()["user"]

    assert field_problems(USER_FIELDS, user) == []
    assert differences(RECORDED_END_USER, user, strict=True) == []
    live = ("role_type", "custom_role_id", "moderator", "ticket_restriction", "restricted_agent", "report_csv")
    live += ("default_group_id", "two_factor_auth_enabled", "verified", "alias", "signature", "details", "notes")
    assert {key: user[key] for key in live} == {key: RECORDED_END_USER[key] for key in live}
    assert (user["time_zone"], user["iana_time_zone"]) == ("America/New_York", "America/New_York")


def test_users_me_carries_every_recorded_field_of_a_signed_in_admin_in_the_recorded_order(admin_api):
    me = admin_api.get(url("/api/v2/users/me.json"), timeout=5).json()["user"]

    assert field_problems(ME_FIELDS, me) == []
    assert differences(RECORDED_ME, me, strict=True) == []
    assert list(me) == list(RECORDED_ME)
    assert (me["role_type"], me["moderator"], me["restricted_agent"]) == (4, True, False)


def test_an_agent_joins_the_default_group_without_a_custom_role(admin_api, zendesk):
    agent = admin_api.post(
        url("/api/v2/users.json"), json={"user": {"name": "Al", "email": "al@example.com", "role": "agent"}}, timeout=5
    ).json()["user"]

    assert field_problems(USER_FIELDS, agent) == []
    assert agent["default_group_id"] == zendesk.account("acme").default_group_id
    assert (agent["role_type"], agent["custom_role_id"], agent["ticket_restriction"]) == (None, None, None)
    assert (agent["moderator"], agent["restricted_agent"]) == (False, False)


def _ticket_in_an_organization(admin_api) -> dict:
    org = create_org(admin_api, "Acme Ltd")
    requester = admin_api.post(
        url("/api/v2/users.json"),
        json={"user": {"name": "Jane Doe", "email": "jane@example.com", "organization_id": org["id"]}},
        timeout=5,
    ).json()["user"]
    answer = admin_api.post(
        url("/api/v2/tickets.json"),
        json={
            "ticket": {
                "subject": "Billing question",
                "comment": {"body": "Where is my invoice?"},
                "requester_id": requester["id"],
            }
        },
        timeout=5,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_ticket_carries_every_recorded_field_in_the_recorded_order(admin_api):
    created = _ticket_in_an_organization(admin_api)["ticket"]
    ticket = admin_api.get(url(f"/api/v2/tickets/{created['id']}.json"), timeout=5).json()["ticket"]

    assert field_problems(TICKET_FIELDS, ticket) == []
    assert differences(RECORDED_TICKET, ticket, strict=True) == []
    assert list(ticket) == list(RECORDED_TICKET)


def test_a_ticket_create_answers_the_recorded_audit_with_its_create_events(admin_api, zendesk):
    answer = _ticket_in_an_organization(admin_api)
    audit, account = answer["audit"], zendesk.account("acme")

    assert set(answer) == {"ticket", "audit"}
    assert field_problems(AUDIT_FIELDS, audit) == []
    assert differences(RECORDED_CREATE_AUDIT, audit, strict=True) == []
    creates = {e["field_name"]: e["value"] for e in audit["events"] if e["type"] == "Create"}
    assert list(creates) == RECORDED_CREATE_EVENT_FIELDS
    assert creates["brand_id"] == str(account.brand_id)
    assert creates["custom_status_id"] == str(account.custom_status_ids["new"])
    assert audit["events"][0]["audit_id"] == audit["id"]


def test_a_comment_carries_every_recorded_field(admin_api):
    ticket = _ticket_in_an_organization(admin_api)["ticket"]

    comment = admin_api.get(url(f"/api/v2/tickets/{ticket['id']}/comments.json"), timeout=5).json()["comments"][0]

    assert field_problems(COMMENT_FIELDS, comment) == []
    assert differences(RECORDED_COMMENT, comment, strict=True) == []
    assert comment["via"]["source"]["to"] == {"name": "Jane Doe", "address": "jane@example.com"}


def test_generated_timestamp_outside_exports_follows_the_setting(admin_api, zendesk, sandbox):
    ticket = create_ticket(admin_api)
    zendesk.config["ticket_generated_timestamp"] = "exports"
    sandbox.clock.advance(120)

    shown = admin_api.get(url(f"/api/v2/tickets/{ticket['id']}.json"), timeout=5).json()["ticket"]
    exported = admin_api.get(url("/api/v2/incremental/tickets/cursor.json"), params={"start_time": 0}, timeout=5)

    assert "generated_timestamp" in ticket
    assert "generated_timestamp" not in shown
    assert isinstance(exported.json()["tickets"][0]["generated_timestamp"], int)


def test_a_search_answer_has_the_recorded_envelope_and_result_shape(admin_api, zendesk, sandbox):
    jane = {"user": {"name": "Jane Doe", "email": "jane@example.com"}}
    admin_api.post(url("/api/v2/users.json"), json=jane, timeout=5)
    sandbox.clock.advance(zendesk.config["search_index_lag_seconds"])

    answer = admin_api.get(url("/api/v2/search.json"), params={"query": "type:user email:jane@example.com"}, timeout=5)

    body = answer.json()
    assert field_problems(SEARCH_RESPONSE_FIELDS, body) == []
    assert differences(RECORDED_SEARCH_RESPONSE, body) == []
    assert body["facets"] is None
    assert differences(RECORDED_USER_RESULT, body["results"][0], strict=True) == []
    assert list(body["results"][0])[-1] == "result_type"
