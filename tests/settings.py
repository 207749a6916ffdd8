"""Test settings: the real settings with fixed keys, fast hashing, in-process mail and inline tasks.

The environment still decides the database and cache (`DATABASE_URL`, `REDIS_URL`), so CI runs the same
suite on SQLite and on PostgreSQL with Redis.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789-abcdefghijklmnop")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "Yk4xM3VfNzRuSFJ2a0dWT3RmZ2xXNnJ4bm5kQmR5cGM=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from connections.providers.configuration import oauth_providers, sandbox_app
from mlconnector.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SANDBOX_URL = ""  # the `sandbox` fixture answers on the providers' real hosts
OAUTH_APPS = {slug: sandbox_app(slug) for slug in oauth_providers()}  # each emulator's own app
PUBLIC_BASE_URL = "http://127.0.0.1:8000"
