"""Zendesk payloads as recorded, for the fidelity tests: whole samples (keys, recursively, and JSON types)
and, per record type, a table naming every recorded field with the JSON types it takes.

`../shared/fixtures/zendesk/` keeps no payload files; the recordings are written out in
`../shared/providers/zendesk.md` (zenpy's betamax cassettes of live traffic [ZP], Zendesk's OpenAPI
description [OAS]) and in zendesk-go's MIT-licensed test files [ZG]. The older samples below are copied from
there with their source; the newer ones keep the recorded fields, their order and their types with values
of our own.
"""

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


# [ZP] TestAttachmentUpload test_redact_attachment-upload-single, POST /tickets.json (201), 2024-09: the
# newest ticket recorded, with generated_timestamp and the account's ticket fields in custom_fields/fields.
RECORDED_TICKET = {
    "url": "https://example.zendesk.com/api/v2/tickets/33.json",
    "id": 33,
    "external_id": None,
    "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    "created_at": "2024-09-06T18:52:11Z",
    "updated_at": "2024-09-06T18:52:11Z",
    "generated_timestamp": 0,
    "type": None,
    "subject": "Billing question",
    "raw_subject": "Billing question",
    "description": "Where is my invoice?",
    "priority": None,
    "status": "new",
    "recipient": None,
    "requester_id": 26155588908179,
    "submitter_id": 26155588908179,
    "assignee_id": None,
    "organization_id": 26155621659539,
    "group_id": None,
    "collaborator_ids": [],
    "follower_ids": [],
    "email_cc_ids": [],
    "forum_topic_id": None,
    "problem_id": None,
    "has_incidents": False,
    "is_public": True,
    "due_at": None,
    "tags": [],
    "custom_fields": [{"id": 26155630658963, "value": None}],
    "satisfaction_rating": None,
    "sharing_agreement_ids": [],
    "custom_status_id": 26155621627539,
    "fields": [{"id": 26155630658963, "value": None}],
    "followup_ids": [],
    "ticket_form_id": 26155621471251,
    "brand_id": 26155621587603,
    "allow_channelback": False,
    "allow_attachments": True,
    "from_messaging_channel": False,
}

# [ZP] TestTicketCreateUpdateDelete test_single_object_creation-create-single (201), 2023-09: the audit a
# create answers with, its Comment event and its first Create event (ids as strings).
RECORDED_CREATE_AUDIT = {
    "id": 6164039218714,
    "ticket_id": 4014,
    "created_at": "2023-09-18T23:25:58Z",
    "author_id": 6130907993114,
    "metadata": {
        "system": {
            "client": "Client/1.0",
            "ip_address": "192.0.2.1",
            "location": "Somewhere, OR, United States",
            "latitude": 45.8,
            "longitude": -119.7,
        },
        "custom": {},
    },
    "events": [
        {
            "id": 6164039218842,
            "type": "Comment",
            "author_id": 6130907993114,
            "body": "Where is my invoice?",
            "html_body": '<div class="zd-comment" dir="auto"><p dir="auto">Where is my invoice?</p></div>',
            "plain_body": "Where is my invoice?",
            "public": True,
            "attachments": [],
            "audit_id": 6164039218714,
        },
        {"id": 6164039218970, "type": "Create", "value": "Billing question", "field_name": "subject"},
    ],
    "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
}
RECORDED_CREATE_EVENT_FIELDS = [
    "subject",
    "requester_id",
    "priority",
    "type",
    "status",
    "organization_id",
    "brand_id",
    "ticket_form_id",
    "custom_status_id",
]

# [ZP] TestAttachmentUpload test_redact_attachment-upload-single, GET /tickets/{id}/comments.json, 2024-09
# (the attachment trimmed: the sandbox has none).
RECORDED_COMMENT = {
    "id": 33144692244499,
    "type": "Comment",
    "author_id": 26155588908179,
    "body": "Where is my invoice?",
    "html_body": '<div class="zd-comment" dir="auto"><p dir="auto">Where is my invoice?</p></div>',
    "plain_body": "Where is my invoice?",
    "public": True,
    "attachments": [],
    "audit_id": 33144692244371,
    "via": {
        "channel": "api",
        "source": {"from": {}, "to": {"name": "Jane Doe", "address": "jane@example.com"}, "rel": None},
    },
    "created_at": "2024-09-06T18:52:11Z",
    "metadata": {
        "system": {
            "client": "Client/1.0",
            "ip_address": "192.0.2.1",
            "location": "Somewhere, CA, United States",
            "latitude": 37.6,
            "longitude": -122.4,
        },
        "custom": {},
    },
}

# [ZP] TestUserCreateUpdateDelete test_single_object_creation-create-single (201), 2023-09: an end user
# created through the API with a name only.
RECORDED_END_USER = {
    "id": 6164039664282,
    "url": "https://example.zendesk.com/api/v2/users/6164039664282.json",
    "name": "Jane Doe",
    "email": None,
    "created_at": "2023-09-18T23:28:11Z",
    "updated_at": "2023-09-18T23:28:11Z",
    "time_zone": "America/New_York",
    "iana_time_zone": "America/New_York",
    "phone": None,
    "shared_phone_number": None,
    "photo": None,
    "locale_id": 1,
    "locale": "en-US",
    "organization_id": None,
    "role": "end-user",
    "verified": False,
    "external_id": None,
    "tags": [],
    "alias": None,
    "active": True,
    "shared": False,
    "shared_agent": False,
    "last_login_at": None,
    "two_factor_auth_enabled": False,
    "signature": None,
    "details": None,
    "notes": None,
    "role_type": None,
    "custom_role_id": None,
    "moderator": False,
    "ticket_restriction": "requested",
    "only_private_comments": False,
    "restricted_agent": True,
    "suspended": False,
    "default_group_id": None,
    "report_csv": False,
    "user_fields": {},
}

# [ZP] TestUserMe test_users_me, 2023-12: the admin, signed in, in the recorded key order
# (`organization_id` trimmed to null: the sandbox admin belongs to no organization).
RECORDED_ME = {
    "id": 6130907993114,
    "url": "https://example.zendesk.com/api/v2/users/6130907993114.json",
    "name": "Sandbox Admin",
    "email": "admin@example.com",
    "created_at": "2023-09-09T23:51:58Z",
    "updated_at": "2023-12-13T23:50:14Z",
    "time_zone": "America/New_York",
    "iana_time_zone": "America/New_York",
    "phone": None,
    "shared_phone_number": None,
    "photo": None,
    "locale_id": 1,
    "locale": "en-US",
    "organization_id": None,
    "role": "admin",
    "verified": True,
    "authenticity_token": "token",
    "external_id": None,
    "tags": [],
    "alias": None,
    "active": True,
    "shared": False,
    "shared_agent": False,
    "last_login_at": "2023-12-13T23:50:14Z",
    "two_factor_auth_enabled": None,
    "signature": None,
    "details": None,
    "notes": None,
    "role_type": 4,
    "custom_role_id": 6130869137434,
    "moderator": True,
    "ticket_restriction": None,
    "only_private_comments": False,
    "restricted_agent": False,
    "suspended": False,
    "default_group_id": 6130852536346,
    "report_csv": True,
    "user_fields": {},
}

# [ZP] TestUserSearchExportApi test_cbp_small_iterations, 2024-05: a search result is the record plus
# `result_type` last (the account's custom user field trimmed).
RECORDED_USER_RESULT = {**RECORDED_END_USER, "email": "jane@example.com", "result_type": "user"}

# [OAS] SearchResponse and its example: the envelope of GET /api/v2/search.json.
RECORDED_SEARCH_RESPONSE = {
    "count": 1,
    "facets": None,
    "next_page": None,
    "previous_page": None,
    "results": [],  # the example's one result is a group, which the sandbox does not keep
}

# Per record type, every field of the recordings above (and of [ZG] users/show_200.json and
# users/searchWithSideloads_200.json) with the JSON types it takes: the types seen across [ZP]'s 5,754 users,
# 4,328 tickets and 791 organizations, and [OAS]'s where a field was only ever recorded as null.
ORGANIZATION_FIELDS = {
    "url": "string",
    "id": "number",
    "name": "string",
    "shared_tickets": "boolean",
    "shared_comments": "boolean",
    "external_id": "string|null",
    "created_at": "string",
    "updated_at": "string",
    "domain_names": "array",
    "details": "string|null",
    "notes": "string|null",
    "group_id": "number|null",
    "tags": "array",
    "organization_fields": "object",
}
USER_FIELDS = {
    "id": "number",
    "url": "string",
    "name": "string",
    "email": "string|null",
    "created_at": "string",
    "updated_at": "string",
    "time_zone": "string",
    "iana_time_zone": "string",
    "phone": "string|null",
    "shared_phone_number": "boolean|null",
    "photo": "object|null",
    "locale_id": "number",
    "locale": "string",
    "organization_id": "number|null",
    "role": "string",
    "verified": "boolean",
    "external_id": "string|null",
    "tags": "array",
    "alias": "string|null",
    "active": "boolean",
    "shared": "boolean",
    "shared_agent": "boolean",
    "last_login_at": "string|null",
    "two_factor_auth_enabled": "boolean|null",
    "signature": "string|null",
    "details": "string|null",
    "notes": "string|null",
    "role_type": "number|null",
    "custom_role_id": "number|null",
    "moderator": "boolean",
    "ticket_restriction": "string|null",
    "only_private_comments": "boolean",
    "restricted_agent": "boolean",
    "suspended": "boolean",
    "default_group_id": "number|null",
    "report_csv": "boolean",
    "user_fields": "object",
}
ME_FIELDS = {**USER_FIELDS, "authenticity_token": "string"}
TICKET_FIELDS = {
    "url": "string",
    "id": "number",
    "external_id": "string|null",
    "via": "object",
    "created_at": "string",
    "updated_at": "string",
    "generated_timestamp": "number",
    "type": "string|null",
    "subject": "string",
    "raw_subject": "string",
    "description": "string",
    "priority": "string|null",
    "status": "string",
    "recipient": "string|null",
    "requester_id": "number",
    "submitter_id": "number",
    "assignee_id": "number|null",
    "organization_id": "number|null",
    "group_id": "number|null",
    "collaborator_ids": "array",
    "follower_ids": "array",
    "email_cc_ids": "array",
    "forum_topic_id": "number|null",
    "problem_id": "number|null",
    "has_incidents": "boolean",
    "is_public": "boolean",
    "due_at": "string|null",
    "tags": "array",
    "custom_fields": "array",
    "satisfaction_rating": "object|null",
    "sharing_agreement_ids": "array",
    "custom_status_id": "number",
    "fields": "array",
    "followup_ids": "array",
    "ticket_form_id": "number",
    "brand_id": "number",
    "allow_channelback": "boolean",
    "allow_attachments": "boolean",
    "from_messaging_channel": "boolean",
}
COMMENT_FIELDS = {
    "id": "number",
    "type": "string",
    "author_id": "number",
    "body": "string",
    "html_body": "string",
    "plain_body": "string",
    "public": "boolean",
    "attachments": "array",
    "audit_id": "number",
    "via": "object",
    "created_at": "string",
    "metadata": "object",
}
AUDIT_FIELDS = {
    "id": "number",
    "ticket_id": "number",
    "created_at": "string",
    "author_id": "number",
    "metadata": "object",
    "events": "array",
    "via": "object",
}
SEARCH_RESPONSE_FIELDS = {
    "results": "array",
    "facets": "string|null",
    "next_page": "string|null",
    "previous_page": "string|null",
    "count": "number",
}
