"""Personal API tokens: created on the profile page, shown once, stored as a SHA-256 of the key.

The key is 32 random bytes, so a fast hash is enough (no offline guessing); the lookup is by that hash.
Clients send `Authorization: Token <key>`, as with DRF's own TokenAuthentication.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from connections.models import ApiToken

KEY_PREFIX = "mlc_"
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """The new token and its key; the key exists only in this return value."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    name = name.strip() or "API token"
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:12], key_hash=hash_key(key))
    return token, key


def user_for_key(key: str):
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing and 401 behaviour, with our hashed-key lookup."""

    def authenticate_credentials(self, key):
        user = user_for_key(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return (user, None)
