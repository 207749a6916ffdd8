"""OAuth 2.0 server helpers for emulators: clients, authorization codes, access and refresh tokens.

The provider-specific parts (endpoint paths, body encodings, response and error shapes) stay in the
emulator; this module keeps the rules most providers share and that our client code must survive: codes that
expire and work once, access tokens with a TTL, refresh tokens that are single-use and rotate (configurable),
and tokens that can be expired or revoked on demand.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from connections.sandbox.base import Clock


class OAuthError(Exception):
    """An RFC 6749 error; the emulator turns it into its provider's error body."""

    def __init__(self, error: str, description: str = "", status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()  # empty: any redirect URI is accepted


@dataclass
class Grant:
    """What a code or token stands for: the client, the scopes and the subject (whose data)."""

    client_id: str
    scope: str
    subject: dict = field(default_factory=dict)


@dataclass
class Code:
    value: str
    grant: Grant
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    value: str
    grant: Grant
    created_at: float
    expires_at: float | None
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    grant: Grant
    created_at: float
    used: bool = False
    revoked: bool = False


@dataclass
class TokenSet:
    access: AccessToken
    refresh: RefreshToken | None
    expires_in: int | None


class OAuthServer:
    def __init__(
        self,
        clock: Clock,
        *,
        access_ttl: int | None = 3600,
        code_ttl: int = 300,
        rotate_refresh_tokens: bool = True,
        token_bytes: int = 32,
    ):
        self.clock = clock
        self.access_ttl = access_ttl
        self.code_ttl = code_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.token_bytes = token_bytes
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, Code] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}

    # Clients -------------------------------------------------------------------------------------------

    def register_client(self, client_id: str, client_secret: str, redirect_uris: tuple[str, ...] = ()) -> OAuthClient:
        client = OAuthClient(client_id, client_secret, tuple(redirect_uris))
        self.clients[client_id] = client
        return client

    def client(self, client_id: str | None) -> OAuthClient:
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 401)
        return client

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> OAuthClient:
        client = self.client(client_id)
        if not secrets.compare_digest(client.client_secret.encode(), (client_secret or "").encode()):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        return client

    def check_redirect_uri(self, client: OAuthClient, redirect_uri: str | None) -> None:
        if not redirect_uri:
            raise OAuthError("invalid_request", "The redirect_uri is missing.")
        if client.redirect_uris and redirect_uri not in client.redirect_uris:
            raise OAuthError("invalid_redirect_uri", "The redirect uri included is not valid.")

    # Codes ---------------------------------------------------------------------------------------------

    def issue_code(self, client_id: str, redirect_uri: str, scope: str, subject: dict | None = None) -> str:
        value = self._new_value()
        grant = Grant(client_id, scope, dict(subject or {}))
        self.codes[value] = Code(value, grant, redirect_uri, self.clock.now() + self.code_ttl)
        return value

    def redeem_code(self, code: str | None, client_id: str, redirect_uri: str | None) -> Grant:
        """A code works once, for its client and redirect URI, before it expires."""
        found = self.codes.get(code or "")
        if found is None or found.used or found.expires_at <= self.clock.now():
            raise OAuthError(
                "invalid_grant",
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                "URI used in the authorization request, or was issued to another client.",
            )
        if found.grant.client_id != client_id or (redirect_uri and redirect_uri != found.redirect_uri):
            raise OAuthError("invalid_grant", "The authorization code was issued to another client or redirect URI.")
        found.used = True
        return found.grant

    # Tokens --------------------------------------------------------------------------------------------

    def issue_tokens(self, grant: Grant, *, refresh: bool = True, access_ttl: Any = "default") -> TokenSet:
        now = self.clock.now()
        ttl = self.access_ttl if access_ttl == "default" else access_ttl
        access = AccessToken(self._new_value(), grant, now, now + ttl if ttl else None)
        self.access_tokens[access.value] = access
        refresh_token = None
        if refresh:
            refresh_token = RefreshToken(self._new_value(), grant, now)
            self.refresh_tokens[refresh_token.value] = refresh_token
        return TokenSet(access, refresh_token, ttl)

    def refresh(self, value: str | None, client_id: str, *, access_ttl: Any = "default") -> TokenSet:
        """Spends a refresh token. With rotation on, the old one is dead from now on, even if the caller never
        receives the answer: exactly the race our client must guard against."""
        found = self.refresh_tokens.get(value or "")
        if found is None or found.revoked or found.used:
            raise OAuthError(
                "invalid_grant",
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                "URI used in the authorization request, or was issued to another client.",
            )
        if found.grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        if self.rotate_refresh_tokens:
            found.used = True
            return self.issue_tokens(found.grant, access_ttl=access_ttl)
        tokens = self.issue_tokens(found.grant, refresh=False, access_ttl=access_ttl)
        tokens.refresh = found
        return tokens

    def authenticate(self, value: str | None) -> tuple[AccessToken | None, str]:
        """The access token and "" if it is good, else None and why: unknown, expired or revoked."""
        found = self.access_tokens.get(value or "")
        if found is None:
            return None, "unknown"
        if found.revoked:
            return None, "revoked"
        if found.expires_at is not None and found.expires_at <= self.clock.now():
            return None, "expired"
        return found, ""

    def expire(self, value: str | None = None) -> int:
        """Expires one access token, or all of them; returns how many."""
        now = self.clock.now()
        targets = [self.access_tokens[value]] if value in self.access_tokens else []
        if value is None:
            targets = list(self.access_tokens.values())
        for token in targets:
            token.expires_at = now
        return len(targets)

    def revoke(self, value: str | None = None) -> int:
        """Revokes one access or refresh token, or all of them; returns how many."""
        if value is None:
            targets = [*self.access_tokens.values(), *self.refresh_tokens.values()]
        else:
            targets = [t for t in (self.access_tokens.get(value), self.refresh_tokens.get(value)) if t]
        for token in targets:
            token.revoked = True
        return len(targets)

    def _new_value(self) -> str:
        return secrets.token_hex(self.token_bytes)
