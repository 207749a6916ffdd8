import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection as db
from django_scopes import scopes_disabled

from connections.credentials.fields import SecretDecryptionError
from connections.models import Connection

OLD_KEY = settings.FIELD_ENCRYPTION_KEY[0]


def raw_row(connection):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, client_secret, api_token, webhook_secret "
            "FROM connections_connection WHERE id = %s",
            [connection.pk],
        )
        return cursor.fetchone()


@pytest.fixture
def secret_connection(connection_a):
    with scopes_disabled():
        connection_a.access_token = "plain-access-token-123"
        connection_a.client_secret = "plain-client-secret-456"
        connection_a.webhook_secret = "plain-webhook-secret-789"
        connection_a.save()
    return connection_a


def test_the_database_column_never_holds_the_plaintext(secret_connection):
    row = raw_row(secret_connection)
    stored = " ".join(value or "" for value in row)
    for plaintext in ("plain-access-token-123", "plain-client-secret-456", "plain-webhook-secret-789"):
        assert plaintext not in stored
    assert row[0].startswith("gAAAAA"), "Fernet tokens start with the version byte"
    assert row[3] is None, "an unset secret is NULL, not an encrypted empty string"


def test_secrets_read_back_as_plaintext(secret_connection):
    with scopes_disabled():
        fresh = Connection.objects.get(pk=secret_connection.pk)
    assert fresh.access_token == "plain-access-token-123"
    assert fresh.webhook_secret == "plain-webhook-secret-789"
    assert fresh.api_token is None


def test_a_wrong_key_raises_instead_of_returning_ciphertext(secret_connection, settings):
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with scopes_disabled(), pytest.raises(SecretDecryptionError, match=r"Connection\.access_token"):
        Connection.objects.get(pk=secret_connection.pk)


def test_after_rotation_the_old_key_can_be_removed(secret_connection, settings):
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, OLD_KEY]
    before = raw_row(secret_connection)

    call_command("rotate_encryption_key", stdout=StringIO())

    after = raw_row(secret_connection)
    assert after[0] != before[0]
    settings.FIELD_ENCRYPTION_KEY = [new_key]
    with scopes_disabled():
        fresh = Connection.objects.get(pk=secret_connection.pk)
    assert fresh.access_token == "plain-access-token-123"
    assert fresh.client_secret == "plain-client-secret-456"
    assert fresh.webhook_secret == "plain-webhook-secret-789"


def test_the_newest_key_encrypts(secret_connection, settings):
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, OLD_KEY]
    with scopes_disabled():
        secret_connection.access_token = "rotated"
        secret_connection.save()
    assert Fernet(new_key).decrypt(raw_row(secret_connection)[0].encode()) == b"rotated"


def run_settings(env):
    """Import the real settings in a fresh interpreter with only `env` configured."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="mlconnector.settings", READ_DOT_ENV="0")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_key_it_refuses_to_start_with_debug_off_and_says_how_to_make_one():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr
    assert "Fernet.generate_key()" in result.stderr


def test_a_malformed_key_is_a_clear_error():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": "not-a-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr
