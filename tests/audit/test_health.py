"""/healthz: no login, the database, cache and broker checked, 503 naming what failed, nothing more."""

import pytest
from django.test import Client, override_settings

from mlconnector import health


def test_all_good_is_a_200_for_anyone(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok", "encryption_key": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("failing", ["database", "cache", "broker"])
def test_a_failing_check_is_a_503_that_names_it_and_nothing_more(db, monkeypatch, failing):
    def broken():
        raise ConnectionError("connection refused by 10.0.0.7:6379")

    monkeypatch.setitem(health.CHECKS, failing, broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == [failing]
    assert body[failing] == "failed"
    assert all(body[name] == "ok" for name in health.CHECKS if name != failing)
    assert "10.0.0.7" not in response.content.decode()


def test_the_orm_broker_is_checked_by_reading_its_queue(db, django_assert_num_queries, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", "default")
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)
    with django_assert_num_queries(1):
        health.check_broker()


def test_a_redis_broker_is_pinged(monkeypatch):
    from django_q.conf import Conf

    pings = []

    class Redis:
        def ping(self):
            pings.append(1)
            return False

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(health, "broker", lambda: Redis())
    with pytest.raises(RuntimeError, match="ping"):
        health.check_broker()
    assert pings == [1]


def test_a_cache_that_loses_what_it_stores_fails(db, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda key: None)
    with pytest.raises(RuntimeError):
        health.check_cache()


def test_it_answers_plain_http_when_https_is_enforced(db):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert Client().get("/healthz").status_code == 200
        assert Client().get("/audit/").status_code == 301


def test_it_only_answers_get(db):
    assert Client().post("/healthz").status_code == 405


def test_a_wrong_encryption_key_is_a_503_that_names_the_setting(db, settings, tenant_a):
    from cryptography.fernet import Fernet
    from django_scopes import scopes_disabled

    from tests.factories import ConnectionFactory

    with scopes_disabled():
        ConnectionFactory(tenant=tenant_a, access_token="access-token-canary")
    assert Client().get("/healthz").json()["encryption_key"] == "ok"
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["encryption_key"]
    assert "FIELD_ENCRYPTION_KEY" in body["hints"]["encryption_key"]
    assert "canary" not in response.content.decode()


def test_a_key_that_is_no_fernet_key_is_named_too(db, settings):
    settings.FIELD_ENCRYPTION_KEY = ["not-a-key"]
    assert Client().get("/healthz").json()["failed"] == ["encryption_key"]
