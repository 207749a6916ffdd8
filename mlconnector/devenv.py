"""Writes a development `.env` once (`python -m mlconnector.devenv`): fresh keys, DEBUG on, a demo password.

An existing `.env` is left alone, so the encryption key that protects stored secrets never changes under
them. Production takes its settings from the environment instead (see `.env.example`).
"""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def main() -> int:
    if ENV_FILE.exists():
        return 0
    ENV_FILE.write_text(
        "# Written once by `make demo` for local development. Do not use these values in production.\n"
        "DEBUG=1\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}\n"
        "PUBLIC_BASE_URL=http://127.0.0.1:8000\n"
        "ALLOW_SIGNUP=1\n"
        f"DEMO_PASSWORD={secrets.token_urlsafe(9)}\n"
    )
    ENV_FILE.chmod(0o600)
    print(f"Wrote {ENV_FILE.name} with a new SECRET_KEY and FIELD_ENCRYPTION_KEY.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
