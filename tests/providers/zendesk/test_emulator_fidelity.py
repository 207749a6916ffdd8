"""The emulator's answers against recorded Zendesk payloads: same keys (recursively), same JSON types.

`../shared/fixtures/zendesk/` keeps no payload files; the recordings are written out in
`../shared/providers/zendesk.md` (zenpy's betamax cassettes of live traffic, Zendesk's OpenAPI examples) and
in zendesk-go's MIT-licensed test files. The samples below are copied from there, with their source.
"""

import json

import requests

from tests.providers.zendesk.helpers import create_org, create_ticket, url

# [ZP] zenpy test_single_object_creation-create-single (201), in the recorded key order.
RECORDED_ORGANIZATION = {
    "url": "https://d3v-zenpydev.zendesk.com/api/v2/organizations/6164125400602.json",
    "id": 6164125400602,
    "name": "testOrganizationNone",
    "shared_tickets": False,
    "shared_comments": False,
    "external_id": None,
    "created_at": "2023-09-18T23:37:07Z",
    "updated_at": "2023-09-18T23:37:07Z",
    "domain_names": [],
    "details": None,
    "notes": None,
    "group_id": None,
    "tags": [],
    "organization_fields": {},
}

# zendesk-go zendesk/test_files/responses/support/users/show_200.json (photo trimmed to null, as for a
# user without one).
RECORDED_USER = {
    "id": 1000,
    "url": "https://example.zendesk.com/api/v2/users/1000.json",
    "name": "Kylo Ren",
    "email": "kren@chandrila.com",
    "created_at": "2022-12-15T11:03:22Z",
    "updated_at": "2023-08-09T14:28:14Z",
    "time_zone": "London",
    "iana_time_zone": "Europe/London",
    "phone": None,
    "shared_phone_number": None,
    "photo": None,
    "locale_id": 1,
    "locale": "en-US",
    "organization_id": 123456,
    "role": "admin",
    "verified": True,
    "external_id": None,
    "tags": ["example_tag"],
    "alias": "",
    "active": True,
    "shared": False,
    "shared_agent": False,
    "last_login_at": "2023-08-09T14:28:14Z",
    "two_factor_auth_enabled": True,
    "signature": "",
    "details": "",
    "notes": "Note",
    "role_type": 4,
    "custom_role_id": 123456888,
    "moderator": True,
    "ticket_restriction": None,
    "only_private_comments": False,
    "restricted_agent": False,
    "suspended": False,
    "default_group_id": 87654321,
    "report_csv": False,
    "user_fields": {},
}

# zendesk-go zendesk/test_files/responses/support/organization_field/show_200.json
RECORDED_ORGANIZATION_FIELD = {
    "url": "https://subdomain.zendesk.com/api/v2/organization_fields/4321.json",
    "id": 4321,
    "type": "checkbox",
    "key": "organization_field_key",
    "title": "Organization Field Key",
    "description": "",
    "raw_title": "Organization Field Key",
    "raw_description": "",
    "position": 0,
    "active": True,
    "system": False,
    "regexp_for_validation": None,
    "created_at": "2022-02-24T17:16:04Z",
    "updated_at": "2022-03-29T19:22:08Z",
    "tag": "organizationfieldkey",
}

# [OAS] /oauth/tokens schema example, with expiry.
RECORDED_TOKEN = {
    "access_token": "gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo",
    "expires_in": 86400,
    "refresh_token": "af3t24tfj34h43s",
    "refresh_token_expires_in": 604800,
    "scope": "read",
    "token_type": "bearer",
}

# [ZP] TestWebhooks create (201).
RECORDED_WEBHOOK = {
    "id": "01HANAHHBNJDDW768TX5J4YFX7",
    "name": "test",
    "description": "test",
    "status": "active",
    "subscriptions": ["zen:event-type:organization.created"],
    "created_at": "2023-09-18T23:38:21.941443513Z",
    "created_by": "6130907993114",
    "endpoint": "https://example.com/status/200",
    "http_method": "POST",
    "request_format": "json",
    "authentication": {"type": "basic_auth", "data": {"username": "user"}, "add_position": "header"},
}

# [ZP] a real user.deleted delivery: the top level and the user `detail`.
RECORDED_USER_EVENT = {
    "account_id": 18525119,
    "detail": {
        "created_at": "2023-09-18T23:29:35Z",
        "default_group_id": "0",
        "email": "",
        "external_id": "",
        "id": "6164069643162",
        "organization_id": "0",
        "role": "end-user",
        "updated_at": "2023-09-18T23:30:03Z",
    },
    "event": {},
    "id": "b3695d61-2ef4-4e9c-97af-1f065c099564",
    "subject": "zen:user:6164069643162",
    "time": "2023-09-18T23:30:03Z",
    "type": "zen:event-type:user.deleted",
    "zendesk_event_version": "2022-11-06",
}

# [DOC] organization events: the keys of `detail`.
RECORDED_ORGANIZATION_DETAIL_KEYS = {
    "created_at",
    "external_id",
    "group_id",
    "id",
    "name",
    "shared_comments",
    "shared_tickets",
    "updated_at",
}

# [ZP] ticket update with a comment: the audit and its Comment event.
RECORDED_AUDIT_KEYS = {"id", "ticket_id", "created_at", "author_id", "metadata", "events", "via"}
RECORDED_COMMENT_EVENT = {
    "id": 1,
    "type": "Comment",
    "author_id": 1,
    "body": "x",
    "html_body": "<p>x</p>",
    "plain_body": "x",
    "public": False,
    "attachments": [],
    "audit_id": 1,
}


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def differences(recorded, emulated, path="$") -> list[str]:
    """Where `emulated` differs from `recorded` in keys or JSON types (null matches any type: a recorded
    null only says the field may be empty)."""
    if recorded is None or emulated is None:
        return []
    if json_type(recorded) != json_type(emulated):
        return [f"{path}: {json_type(recorded)} recorded, {json_type(emulated)} emulated"]
    if isinstance(recorded, dict):
        problems = [f"{path}.{k}: missing" for k in recorded if k not in emulated]
        problems += [f"{path}.{k}: not in the recording" for k in emulated if k not in recorded]
        for key in recorded.keys() & emulated.keys():
            problems += differences(recorded[key], emulated[key], f"{path}.{key}")
        return problems
    if isinstance(recorded, list) and recorded and emulated:
        return differences(recorded[0], emulated[0], f"{path}[0]")
    return []


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
