import os
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings

# Preloading HSTS is left to the operator on purpose (see SECURE_HSTS_PRELOAD in .env.example).
ACCEPTED = {"security.W021"}


def test_check_deploy_with_production_settings_reports_nothing_a_deployment_cares_about():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "FIELD_", "SECURE_", "ALLOWED_HOSTS"))
    }
    env.update(
        DEBUG="0",
        READ_DOT_ENV="0",
        SECRET_KEY="k" * 30 + "production-like-secret-key-0123456789",
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="connector.example.com",
        DJANGO_SETTINGS_MODULE="mlconnector.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    reported = {line.split(")")[0].split("(")[-1] for line in output.splitlines() if line.startswith("?: (")}
    assert reported <= ACCEPTED, output
