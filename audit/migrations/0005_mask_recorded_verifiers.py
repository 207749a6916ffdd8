"""Events recorded before verifiers were masked by key hold FreshBooks callback verifiers in plain text:
mask them in place (the key net of `audit.redaction.redact`, which now names "verifier")."""

from django.db import migrations


def mask_verifiers(apps, schema_editor):
    from django_scopes import scopes_disabled

    from audit.redaction import redact

    AuditEvent = apps.get_model("audit", "AuditEvent")
    with scopes_disabled():
        for event in AuditEvent.objects.filter(data__icontains="verifier").iterator(chunk_size=500):
            masked = redact(event.data)
            if masked != event.data:
                AuditEvent.objects.filter(pk=event.pk).update(data=masked)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_job_event_bare_record_ids")]

    operations = [migrations.RunPython(mask_verifiers, migrations.RunPython.noop)]
