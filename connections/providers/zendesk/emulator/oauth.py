"""Zendesk's sign-in surface, as a mixin of the emulator: the OAuth authorization-code flow (consent page,
PKCE S256, JSON token requests, expiring tokens with single-use rotating refresh tokens), revoking the
current token, and users/me, the call clients use to check who they are signed in as."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from urllib.parse import quote, urlencode

from connections.providers.zendesk.emulator.account import ZendeskAccount
from connections.providers.zendesk.emulator.api import api
from connections.providers.zendesk.emulator.errors import INVALID_GRANT, not_found
from connections.sandbox.base import Request, Response, route
from connections.sandbox.oauth import OAuthError


class OAuthRoutes:
    """Mixed into `ZendeskEmulator`: OAuth, token revocation and users/me."""

    @route("GET", "/oauth/authorizations/new")
    def authorize(self, request: Request):
        account = self._account_for(request)
        params = dict(request.query)
        try:
            client = self.oauth.client(params.get("client_id"))
            self.oauth.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(
                _page("Invalid authorization request", f"<p>{html.escape(error.description)}</p>"), 400
            )
        if params.get("response_type") != "code":
            return self._redirect_error(params, "unsupported_response_type")
        if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
            return self._redirect_error(params, "invalid_request")
        if self.config["oauth_auto_approve"]:
            return self._approve(account, params)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        body = (
            f"<p><strong>{html.escape(client.client_id)}</strong> asks to access the Zendesk account "
            f"<strong>{html.escape(account.subdomain)}</strong> as {html.escape(account.admin.name)} "
            f"({html.escape(account.admin.email)}) with the scopes <code>{html.escape(params.get('scope', ''))}</code>."
            f'</p><form method="post" action="{html.escape(request.base_url)}/oauth/authorizations">{hidden}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return Response.html(_page("Allow access?", body))

    @route("POST", "/oauth/authorizations")
    def authorize_decision(self, request: Request):
        account = self._account_for(request)
        params = request.data()
        try:
            client = self.oauth.client(params.get("client_id"))
            self.oauth.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(
                _page("Invalid authorization request", f"<p>{html.escape(error.description)}</p>"), 400
            )
        if params.get("decision") != "allow":
            return self._redirect_error(params, "access_denied")
        return self._approve(account, params)

    def _approve(self, account: ZendeskAccount, params: dict) -> Response:
        account.signed_in(account.admin)
        subject = {"subdomain": account.subdomain, "user_id": account.admin.id}
        if params.get("code_challenge"):
            subject["code_challenge"] = params["code_challenge"]
        code = self.oauth.issue_code(
            params["client_id"], params["redirect_uri"], params.get("scope") or "read", subject
        )
        query = {"code": code}
        if params.get("state") is not None:
            query["state"] = params["state"]
        return Response.redirect(_with_query(params["redirect_uri"], query))

    @staticmethod
    def _redirect_error(params: dict, error: str) -> Response:
        query = {"error": error}
        if params.get("state") is not None:
            query["state"] = params["state"]
        return Response.redirect(_with_query(params["redirect_uri"], query))

    @route("POST", "/oauth/tokens")
    def token(self, request: Request):
        account = self._account_for(request)

        def answer():
            try:
                tokens = self._grant(account, self._token_body(request))
            except OAuthError as error:
                return self._json({"error": error.error, "error_description": error.description}, error.status)
            return self._json(tokens, int(self.config["token_status"]), headers={"Cache-Control": "no-store"})

        return self._within_rate_limit(account, answer)

    def _token_body(self, request: Request) -> dict:
        ctype = request.content_type.split(";")[0].strip().lower()
        if ctype.endswith("json"):
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise OAuthError("invalid_request", "The request body is not valid JSON.") from None
            if not isinstance(body, dict):
                raise OAuthError("invalid_request", "The request body must be a JSON object.")
            return body
        if self.config["token_accepts_form"]:
            return request.data()
        raise OAuthError("invalid_request", "The request body must be formatted as JSON.")

    def _grant(self, account: ZendeskAccount, body: dict) -> dict:
        client = self.oauth.client(body.get("client_id"))
        grant_type = body.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", "The authorization grant type is not supported.")
        access_ttl, refresh_ttl = self._requested_ttls(body)
        if grant_type == "authorization_code":
            code = self.oauth.codes.get(str(body.get("code") or ""))
            challenge = code.grant.subject.get("code_challenge") if code else None
            if challenge:
                verifier = str(body.get("code_verifier") or "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not hmac.compare_digest(digest, challenge):
                    raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
                if client.client_secret and body.get("client_secret"):
                    self.oauth.authenticate_client(client.client_id, body.get("client_secret"))
            else:
                self.oauth.authenticate_client(client.client_id, body.get("client_secret"))
            grant = self.oauth.redeem_code(body.get("code"), client.client_id, body.get("redirect_uri"))
            if grant.subject.get("subdomain") != account.subdomain:
                raise OAuthError("invalid_grant", "The authorization code belongs to another account.")
            if not self.config["tokens_expire"]:
                tokens = self.oauth.issue_tokens(grant, refresh=False, access_ttl=None)
                return {"access_token": tokens.access.value, "scope": grant.scope, "token_type": "bearer"}
            tokens = self.oauth.issue_tokens(grant, access_ttl=access_ttl or self.config["default_access_ttl"])
        else:
            self.oauth.authenticate_client(client.client_id, body.get("client_secret"))
            value = str(body.get("refresh_token") or "")
            previous = self.oauth.refresh_tokens.get(value)
            if previous is not None and self.refresh_expiry.get(value, float("inf")) <= self.clock.now():
                raise OAuthError("invalid_grant", INVALID_GRANT)
            if previous is not None and previous.grant.subject.get("subdomain") != account.subdomain:
                raise OAuthError("invalid_grant", INVALID_GRANT)
            requested = body.get("scope")
            if (
                requested
                and previous is not None
                and not set(str(requested).split()) <= set(previous.grant.scope.split())
            ):
                raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
            tokens = self.oauth.refresh(
                value, client.client_id, access_ttl=access_ttl or self.config["default_access_ttl"]
            )
            # "A successful refresh returns a new access token and a new refresh token, and deletes the
            # previous pair" (Zendesk, 2025-04-30): the old access token dies with its refresh token.
            old_access = self.refresh_pairs.pop(value, None)
            if old_access in self.oauth.access_tokens:
                self.oauth.access_tokens[old_access].revoked = True
            if requested:
                tokens.access.grant = type(tokens.access.grant)(
                    tokens.access.grant.client_id, str(requested), dict(tokens.access.grant.subject)
                )
                tokens.refresh.grant = tokens.access.grant
        self.refresh_pairs[tokens.refresh.value] = tokens.access.value
        self.refresh_expiry[tokens.refresh.value] = self.clock.now() + (
            refresh_ttl or self.config["default_refresh_ttl"]
        )
        answer = {"access_token": tokens.access.value}
        if access_ttl is not None:
            answer["expires_in"] = access_ttl
        answer["refresh_token"] = tokens.refresh.value
        answer["refresh_token_expires_in"] = refresh_ttl or self.config["default_refresh_ttl"]
        answer["scope"] = tokens.access.grant.scope
        answer["token_type"] = "bearer"  # noqa: S105
        return answer

    @staticmethod
    def _requested_ttls(body: dict) -> tuple[int | None, int | None]:
        """`expires_in` must be >300 and <172,800 s and below `refresh_token_expires_in`, which must be
        >604,800 s (or above expires_in) and <7,776,000 s ([OAS] /oauth/tokens)."""

        def number(key):
            value = body.get(key)
            if value in (None, ""):
                return None
            try:
                return int(value)
            except (TypeError, ValueError):
                raise OAuthError("invalid_request", f"{key} must be an integer number of seconds.") from None

        access, refresh = number("expires_in"), number("refresh_token_expires_in")
        if access is not None and not 300 < access < 172_800:
            raise OAuthError("invalid_request", "expires_in must be greater than 300 and less than 172800.")
        if refresh is not None:
            floor = 604_800 if access is None else min(604_800, access)
            if not floor < refresh < 7_776_000:
                raise OAuthError(
                    "invalid_request", "refresh_token_expires_in must be greater than 604800 and less than 7776000."
                )
            if access is not None and access >= refresh:
                raise OAuthError("invalid_request", "expires_in must be less than refresh_token_expires_in.")
        return access, refresh

    @api("DELETE", "/api/v2/oauth/tokens/current")
    def revoke_current_token(self, request, account, user):
        _, _, token = (request.headers.get("Authorization", "") or "").partition(" ")
        if not self.oauth.revoke(token.strip()):
            raise not_found()
        return Response.empty(204)

    @api("GET", "/api/v2/users/me")
    def users_me(self, request, account, user):
        if user is None:
            return self._json({"user": account.anonymous_user_json()})
        return self._json({"user": account.me_json(user)})


def _with_query(url: str, params: dict) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, quote_via=quote)}"


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} · Zendesk sandbox</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
