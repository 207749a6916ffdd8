"""Encrypted secret columns.

django-encrypted-model-fields hands back the stored ciphertext as if it were the plaintext when no key
decrypts it (it was written to let plaintext columns be migrated). For us that would send ciphertext to a
provider as a bearer token and fail in a confusing way far from the cause, so `SecretField` raises
`SecretDecryptionError` instead. It also reads `FIELD_ENCRYPTION_KEY` on each use rather than once at
import, so key rotation and tests see the keys currently configured.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from encrypted_model_fields.fields import EncryptedTextField


class SecretDecryptionError(ImproperlyConfigured):
    """A stored secret could not be decrypted with any key in FIELD_ENCRYPTION_KEY."""


@lru_cache(maxsize=8)
def _crypter(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from exc


def crypter() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEY
    if isinstance(keys, str):
        keys = [keys]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty.")
    return _crypter(tuple(keys))


def encrypt(plaintext: str) -> str:
    return crypter().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, *, label: str = "a secret") -> str:
    try:
        return crypter().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretDecryptionError(
            f"Cannot decrypt {label} with any key in FIELD_ENCRYPTION_KEY. The key that encrypted it is "
            "missing: restore it (keys are listed newest first, old keys may follow) and run "
            "`manage.py rotate_encryption_key` before removing it."
        ) from None


class SecretField(EncryptedTextField):
    """A text column stored Fernet-encrypted; blank means "not set" and is stored as NULL."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        label = f"{self.model.__name__}.{self.name}" if hasattr(self, "model") else "a secret"
        return decrypt(value, label=label)

    def to_python(self, value):
        # Values in Python are always plaintext; only from_db_value sees ciphertext.
        return value

    def get_db_prep_save(self, value, connection):
        if value is None or value == "":
            return None
        return encrypt(str(value))
