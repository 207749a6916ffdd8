"""Benchmark settings: the production settings (DEBUG off) plus one bare view to compare the webhook path with.

The environment decides the database, cache and broker, as in production; keys are fixed, never secret.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789-abcdefghijklmnop")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "Yk4xM3VfNzRuSFJ2a0dWT3RmZ2xXNnJ4bm5kQmR5cGM=")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("READ_DOT_ENV", "0")

from mlconnector.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
