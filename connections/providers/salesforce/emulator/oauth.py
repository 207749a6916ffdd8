"""Salesforce's token surface, as a mixin of the emulator: the client credentials flow on the org's My Domain
host (form or HTTP Basic credentials, a Run As user required, no refresh token and no expires_in), session
tokens with an idle timeout that each API call resets, revocation and introspection (salesforce.md 1.1-1.2).
The shared login hosts refuse the flow, as the real ones do."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from connections.providers.salesforce.emulator.errors import SalesforceError, json_response, oauth_error
from connections.providers.salesforce.emulator.org import SalesforceOrg
from connections.sandbox.base import Request, Response, route
from connections.sandbox.oauth import AccessToken, Grant

LOGIN_HOSTS = frozenset({"login", "test"})  # login.salesforce.com and test.salesforce.com
NO_STORE = {"Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private", "Pragma": "no-cache"}


class OAuthRoutes:
    """Mixed into `SalesforceEmulator`: `/services/oauth2/token`, `/revoke` and `/introspect`."""

    @route("POST", "/services/oauth2/token")
    def token(self, request: Request) -> Response:
        try:
            if request.host.get("my_domain", "").lower() in LOGIN_HOSTS:
                raise oauth_error("invalid_grant", "request not supported on this domain")
            org = self._org_for(request)
            form = dict(request.form_pairs())
            grant_type = form.get("grant_type")
            if not grant_type:
                error, description = self.config["missing_grant_type_error"]
                raise oauth_error(error, description)
            if grant_type != "client_credentials":
                raise oauth_error("unsupported_grant_type", "grant type not supported")
            client_id, client_secret = self._client_credentials(request, form)
            client = self.oauth.clients.get(client_id or "")
            if client is None or not hmac.compare_digest(client.client_secret.encode(), (client_secret or "").encode()):
                raise oauth_error("invalid_client", "invalid client credentials")
            user = org.run_as_user()
            if user is None:
                raise oauth_error("invalid_grant", "no client credentials user enabled")
            answer = self._mint(request, org, user, client.client_id, client.client_secret)
        except SalesforceError as error:
            return json_response(error.body, error.status, NO_STORE)
        return json_response(answer, 200, NO_STORE)

    @staticmethod
    def _client_credentials(request: Request, form: dict) -> tuple[str | None, str | None]:
        """The consumer key and secret from the form, else from `Authorization: Basic` (simple-salesforce)."""
        if form.get("client_id"):
            return form.get("client_id"), form.get("client_secret")
        scheme, _, value = (request.headers.get("Authorization", "") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                key, _, secret = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, None
            return key, secret
        return None, None

    def _mint(self, request: Request, org: SalesforceOrg, user: dict, client_id: str, secret: str) -> dict:
        now = self.clock.now()
        scope = str(self.config["scope"])
        value = f"{org.id15}!AQ{secrets.token_urlsafe(72).replace('-', '.')}"
        grant = Grant(client_id, scope, {"org": org.key, "user_id": user["Id"]})
        token = AccessToken(value, grant, now, now + float(self.config["session_idle_seconds"]))
        self.oauth.access_tokens[value] = token
        org.tokens_minted += 1
        self.state["tokens_minted"] += 1
        issued_at = str(int(now * 1000))
        identity = f"{self._identity_host(request)}/id/{org.id}/{user['Id']}"
        return {
            "access_token": value,
            "signature": self._signature(secret, identity, issued_at),
            "scope": scope,
            "instance_url": request.base_url.rstrip("/"),
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }

    def _identity_host(self, request: Request) -> str:
        if ".sandbox.my.salesforce.com" in request.base_url and self.config["sandbox_identity_host"]:
            return str(self.config["sandbox_identity_host"]).rstrip("/")
        return str(self.config["identity_host"]).rstrip("/")

    def _signature(self, secret: str, identity: str, issued_at: str) -> str:
        message = identity + issued_at if self.config["signature_message"] == "id+issued_at" else issued_at + identity
        return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()

    @route("POST", "/services/oauth2/revoke")
    def revoke(self, request: Request) -> Response:
        token = dict(request.form_pairs()).get("token") or request.arg("token") or ""
        if not self.oauth.revoke(token):
            return json_response(
                {"error": "unsupported_token_type", "error_description": "this token type is not supported"}, 400
            )
        return Response(200, b"", {})

    @route("POST", "/services/oauth2/introspect")
    def introspect(self, request: Request) -> Response:
        """Nango's expiry check (salesforce.md 1.2): `exp` moves with the idle timeout."""
        form = dict(request.form_pairs())
        client_id, client_secret = self._client_credentials(request, form)
        client = self.oauth.clients.get(client_id or "")
        if client is None or not hmac.compare_digest(client.client_secret.encode(), (client_secret or "").encode()):
            return json_response({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        token, _why = self.oauth.authenticate(form.get("token"))
        if token is None:
            return json_response({"active": False})
        org = self.state["orgs"].get(token.grant.subject["org"])
        user = org.user(token.grant.subject["user_id"]) if org else None
        return json_response(
            {
                "active": True,
                "scope": token.grant.scope,
                "client_id": token.grant.client_id,
                "username": user["Username"] if user else None,
                "sub": f"{self._identity_host(request)}/id/{org.id}/{user['Id']}" if user else None,
                "token_type": "access_token",
                "exp": int(token.expires_at or 0),
                "iat": int(token.created_at),
                "nbf": int(token.created_at),
            }
        )
