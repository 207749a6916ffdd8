"""The auth service: the consent page, the token endpoint (codes valid once, single-use rotating refresh
tokens) and users/me, where the app finds the businesses (account ids) a person can connect.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from html import escape
from urllib.parse import urlencode, urlsplit

from connections.providers.freshbooks.emulator.shared import BUSINESS_ADDRESS
from connections.sandbox import Response, route
from connections.sandbox.oauth import OAuthError


class OAuthRoutes:
    """`/oauth/authorize`, `/auth/oauth/token` and `/auth/api/v1/users/me`."""

    @route("GET", "/oauth/authorize/?")
    def authorize_page(self, request):
        params = dict(request.query)
        try:
            client = self.oauth.client(params.get("client_id"))
            self.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(f"<h1>Authorization error</h1><p>{escape(error.description)}</p>", 400)
        if params.get("response_type") != "code":
            return self.redirect_back(params, error="unsupported_response_type")
        scopes = (params.get("scope") or "user:profile:read").split()
        hidden = "".join(
            f'<input type=hidden name="{escape(k)}" value="{escape(v)}">'
            for k, v in params.items()
            if k in ("client_id", "redirect_uri", "scope", "state", "response_type")
        )
        who = self.config["identity"]
        items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
        page = f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>Authorize application</title></head>
<body style="font:15px system-ui,sans-serif;max-width:36rem;margin:2rem auto">
<h1>FreshBooks (sandbox)</h1>
<p>Signed in as <strong>{escape(who["first_name"])} {escape(who["last_name"])}</strong>
({escape(who["email"])}).</p>
<p>The application <code>{escape(client.client_id)}</code> asks to:</p><ul>{items}</ul>
<form method=post action="{escape(request.base_url + request.path)}">{hidden}
<button name=decision value=allow>Allow</button> <button name=decision value=deny>Deny</button></form>
</body></html>"""
        return Response.html(page)

    @route("POST", "/oauth/authorize/?")
    def authorize_decision(self, request):
        params = request.data()
        try:
            client = self.oauth.client(params.get("client_id"))
            self.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(f"<h1>Authorization error</h1><p>{escape(error.description)}</p>", 400)
        if params.get("decision") != "allow":
            return self.redirect_back(
                params, error="access_denied", description="The resource owner denied the request."
            )
        scope = " ".join(dict.fromkeys(["user:profile:read", *(params.get("scope") or "").split()]))
        code = self.oauth.issue_code(
            client.client_id, params["redirect_uri"], scope, {"identity_id": self.config["identity"]["id"]}
        )
        return self.redirect_back(params, code=code)

    def check_redirect_uri(self, client, redirect_uri):
        self.oauth.check_redirect_uri(client, redirect_uri)
        parts = urlsplit(redirect_uri)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1", "testserver")
        if parts.query:
            raise OAuthError("invalid_redirect_uri", "Redirect URIs must not contain a query string; use state.")
        if parts.scheme != "https" and (self.config["https_redirect_uris_only"] or not loopback):
            raise OAuthError("invalid_redirect_uri", "Redirect URIs must use HTTPS.")

    def redirect_back(self, params, *, code=None, error=None, description=None):
        query = {"code": code} if code else {"error": error, "error_description": description or error}
        if params.get("state"):
            query["state"] = params["state"]
        return Response.redirect(f"{params['redirect_uri']}?{urlencode(query)}")

    @route("POST", "/auth/oauth/token")
    def token(self, request):
        data = request.data()
        client_id, client_secret = data.get("client_id"), data.get("client_secret")
        basic = request.headers.get("Authorization") or ""
        if basic.lower().startswith("basic ") and not client_secret:
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        try:
            self.oauth.authenticate_client(client_id, client_secret)
            grant_type = data.get("grant_type")
            if grant_type == "authorization_code":
                grant = self.oauth.redeem_code(data.get("code"), client_id, data.get("redirect_uri"))
                tokens = self.oauth.issue_tokens(grant)
            elif grant_type == "refresh_token":
                tokens = self.oauth.refresh(data.get("refresh_token"), client_id)
            else:
                raise OAuthError(
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                )
        except OAuthError as error:
            return Response.json(
                {"error": error.error, "error_description": error.description},
                error.status,
                content_type="application/json; charset=utf-8",
            )
        body = {
            "access_token": tokens.access.value,
            "token_type": "Bearer",
            "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh.value,
            "scope": tokens.access.grant.scope,
            "created_at": int(tokens.access.created_at),
        }
        if self.config["id_token"]:
            body["id_token"] = secrets.token_urlsafe(24)
        return Response.json(
            body,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
            content_type="application/json; charset=utf-8",
        )

    # Identity ----------------------------------------------------------------------------------------

    @route("GET", "/auth/api/v1/users/me")
    def me(self, request):
        self.require_token(request, "auth")
        who = self.config["identity"]
        businesses = self.config["businesses"]
        created = "2024-03-04T15:20:11Z"
        memberships = [
            {
                "id": 140100 + i,
                "role": b["role"],
                "unacknowledged_change": False,
                "business": {
                    "id": b["id"],
                    "business_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"freshbooks-business-{b['id']}")),
                    "name": b["name"],
                    "account_id": b["account_id"],
                    "date_format": "mm/dd/yyyy",
                    "address": {
                        "id": 76400 + i,
                        "street": BUSINESS_ADDRESS["street"],
                        "city": BUSINESS_ADDRESS["city"],
                        "province": BUSINESS_ADDRESS["province"],
                        "country": BUSINESS_ADDRESS["country"],
                        "postal_code": BUSINESS_ADDRESS["code"],
                    },
                    "phone_number": {"id": 666100 + i, "phone_number": "416-555-0100"},
                    "business_clients": [],
                },
            }
            for i, b in enumerate(businesses)
        ]
        profession = {
            "id": 65400,
            "business_id": None,
            "title": "Owner",
            "company": businesses[0]["name"] if businesses else "",
            "designation": None,
        }
        body = {
            "id": who["id"],
            "profile": {
                "setup_complete": True,
                "first_name": who["first_name"],
                "last_name": who["last_name"],
                "phone_number": None,
                "address": None,
                "professions": [{**profession, "id": 52400}],
                "has_password": True,
            },
            "identity_id": who["id"],
            "identity_uuid": who["identity_uuid"],
            "first_name": who["first_name"],
            "last_name": who["last_name"],
            "email": who["email"],
            "language": "en",
            "confirmed_at": created,
            "created_at": created,
            "unconfirmed_email": None,
            "setup_complete": True,
            "phone_numbers": [{"title": "", "phone_number": None}],
            "addresses": [None],
            "profession": profession,
            "links": {
                "me": f"/service/auth/api/v1/users?id={who['id']}",
                "roles": f"/service/auth/api/v1/users/role/{who['id']}",
            },
            "permissions": {b["account_id"]: {} for b in businesses},
            "groups": [
                {
                    "id": 12300 + i,
                    "group_id": 7600 + i,
                    "role": b["role"],
                    "identity_id": who["id"],
                    "identity_uuid": who["identity_uuid"],
                    "business_id": b["id"],
                    "active": True,
                }
                for i, b in enumerate(businesses)
            ],
            "subscription_statuses": {b["account_id"]: "active" for b in businesses},
            "integrations": {},
            "business_memberships": memberships,
            "identity_origin": None,
            "roles": [
                {
                    "id": 61200 + i,
                    "role": "admin" if b["role"] == "owner" else b["role"],
                    "systemid": 654600 + i,
                    "userid": b["userid"],
                    "created_at": created,
                    "links": {"destroy": f"/service/auth/api/v1/users/role/{61200 + i}"},
                    "accountid": b["account_id"],
                }
                for i, b in enumerate(businesses)
            ],
        }
        return Response.json({"response": body}, content_type="application/json; charset=utf-8")
