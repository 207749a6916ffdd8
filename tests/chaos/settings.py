"""Chaos run settings: the benchmarks' (production settings, DEBUG off), with static files named as they are, so
pages render without a `collectstatic` into the work tree."""

from tests.bench.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
