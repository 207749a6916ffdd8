from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from connections.models import Membership, Tenant


def run(*args, **kwargs):
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_create_tenant_makes_the_tenant_the_owner_and_prints_them(db):
    out = run("create_tenant", "Acme Inc", owner_email="ann@acme.test", password="s3cret-pass")
    with scopes_disabled():
        tenant = Tenant.objects.get(name="Acme Inc")
        membership = Membership.objects.get(tenant=tenant)
    assert tenant.slug == "acme-inc"
    assert membership.role == "owner"
    assert membership.user.check_password("s3cret-pass")
    assert "Created tenant 'Acme Inc'" in out
    assert "ann@acme.test" in out
    assert "s3cret-pass" not in out


def test_create_tenant_generates_and_prints_a_password_when_none_is_given(db):
    out = run("create_tenant", "Acme Inc", owner_email="ann@acme.test")
    password = out.split("Password: ")[1].strip()
    assert get_user_model().objects.get(email="ann@acme.test").check_password(password)


def test_create_tenant_adds_an_existing_user_without_touching_their_password(db):
    get_user_model().objects.create_user("ann@acme.test", "ann@acme.test", "old-password")
    run("create_tenant", "Second Co", owner_email="ann@acme.test")
    assert get_user_model().objects.get(email="ann@acme.test").check_password("old-password")


def test_create_tenant_refuses_a_taken_slug_unless_asked_to_reuse_it(db):
    run("create_tenant", "Demo", slug="demo", owner_email="a@demo.test", password="pw-123456")
    with pytest.raises(CommandError, match="already exists"):
        run("create_tenant", "Demo", slug="demo", owner_email="a@demo.test")
    out = run("create_tenant", "Demo", slug="demo", owner_email="a@demo.test", password="pw-654321", existing_ok=True)
    assert "Reused tenant" in out
    assert Tenant.objects.count() == 1
    assert get_user_model().objects.get(email="a@demo.test").check_password("pw-654321")


def test_create_tenant_rejects_a_non_email(db):
    with pytest.raises(CommandError, match="not an e-mail"):
        run("create_tenant", "Acme", owner_email="ann")


def test_demo_seeds_the_demo_workspace_without_serving(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    out = run("demo", no_serve=True)
    assert "demo@example.com / demo-pass-123" in out
    user = get_user_model().objects.get(email="demo@example.com")
    assert user.check_password("demo-pass-123")
    run("demo", no_serve=True)
    assert Tenant.objects.filter(slug="demo").count() == 1


def test_setup_schedules_is_idempotent_and_schedules_the_token_refresh(db):
    from django_q.models import Schedule

    run("setup_schedules")
    run("setup_schedules")
    schedule = Schedule.objects.get(name="refresh-tokens")
    assert Schedule.objects.filter(name="refresh-tokens").count() == 1
    assert schedule.func == "connections.tasks.refresh_tokens"
    assert schedule.repeats == -1


def test_the_token_refresh_task_runs_with_nothing_to_do(db):
    from connections.tasks import refresh_tokens

    assert refresh_tokens() == 0
