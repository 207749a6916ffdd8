from django.conf import settings


def test_django_q_retries_only_after_the_timeout_and_acknowledges_failures():
    q = settings.Q_CLUSTER
    assert q["retry"] > q["timeout"], "a task still running must not be handed to a second worker"
    assert q["ack_failures"] is True, "our SyncJob rows own retries; django-q2 must not re-run failures"
    assert q["catch_up"] is False


def test_the_broker_defaults_to_the_orm_unless_redis_is_asked_for():
    if settings.Q_BROKER == "redis":
        assert settings.Q_CLUSTER["redis"] == settings.REDIS_URL
    else:
        assert settings.Q_CLUSTER["orm"] == "default"


def test_the_cache_is_shared_between_processes():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


def test_sqlite_is_set_up_for_a_web_process_and_a_worker_writing_at_once():
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
        assert db["OPTIONS"]["timeout"] >= 5


def test_a_jobs_lease_is_short_and_two_thirds_of_it_outlast_one_provider_call():
    """Renewed every third of it, a lease is surely held for two thirds after each heartbeat: one call's time."""
    lease = settings.SYNC_LEASE_SECONDS
    assert lease <= 60, "a killed worker's job is taken over within about a minute"
    assert lease * 2 / 3 > settings.PROVIDER_CONNECT_TIMEOUT + settings.PROVIDER_READ_TIMEOUT
