import pytest
from django_scopes import scope, scopes_disabled

import audit
from audit.models import AuditEvent
from audit.redaction import MASK, redact


def test_redaction_masks_secret_keys_at_any_depth():
    data = {
        "headers": {"Authorization": "Bearer abc", "X-Request-Id": "r1"},
        "body": {"access_token": "t", "refresh_token": "r", "client_secret": "s", "name": "Acme"},
        "items": [{"api_key": "k", "id": 3}],
        "password": "p",
        "code": "oauth-code",
    }
    clean = redact(data)
    assert clean["headers"] == {"Authorization": MASK, "X-Request-Id": "r1"}
    assert clean["body"] == {"access_token": MASK, "refresh_token": MASK, "client_secret": MASK, "name": "Acme"}
    assert clean["items"] == [{"api_key": MASK, "id": 3}]
    assert clean["password"] == MASK
    assert clean["code"] == MASK
    assert data["password"] == "p", "the input is not modified"


def test_record_stores_redacted_data(tenant_a):
    event = audit.record("api.call", tenant=tenant_a, message="GET /x", data={"token": "abc", "status": 200})
    assert event.data == {"token": MASK, "status": 200}


def test_audit_events_are_append_only(tenant_a):
    event = audit.record("x.y", tenant=tenant_a, message="m")
    event.message = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_the_audit_log_shows_only_the_tenants_events(client_a, tenant_a, tenant_b):
    audit.record("demo.a", tenant=tenant_a, message="Acme happened")
    audit.record("demo.b", tenant=tenant_b, message="Globex happened")
    page = client_a.get("/audit/").content.decode()
    assert "Acme happened" in page
    assert "Globex happened" not in page


def test_audit_events_are_tenant_scoped(tenant_a, tenant_b):
    audit.record("demo.a", tenant=tenant_a, message="a")
    audit.record("demo.b", tenant=tenant_b, message="b")
    with scope(tenant=tenant_a):
        assert [e.message for e in AuditEvent.objects.all()] == ["a"]
    with scopes_disabled():
        assert AuditEvent.objects.count() == 2


def test_operators_find_a_records_events_in_the_admin(client, tenant_a, django_user_model):
    operator = django_user_model.objects.create_superuser("op", "op@example.com", "pw-123456789")
    client.force_login(operator)
    audit.record("job.failed", tenant=tenant_a, message="Invoice failed", source_ref="inv-77", pinned=True)
    audit.record("api.call", tenant=tenant_a, message="Something else")
    page = client.get("/admin/audit/auditevent/?q=inv-77").content.decode()
    assert "Invoice failed" in page
    assert "Something else" not in page
