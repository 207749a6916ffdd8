"""Create or update the periodic django-q2 schedules. Idempotent: run it on every deploy."""

from django.core.management.base import BaseCommand
from django_q.models import Schedule

# (name, task, minutes between runs)
SCHEDULES = [
    ("refresh-tokens", "connections.tasks.refresh_tokens", 5),
    ("prune-audit", "audit.tasks.prune", 24 * 60),
    # Sync tables past SYNC_RETENTION_DAYS / MIRROR_TOMBSTONE_DAYS; a run stops after a minute, so a backlog
    # (the first run after an upgrade) is worked off over several hours instead of one long task.
    ("prune-syncs", "syncs.tasks.prune", 60),
    # The engine's safety net: due and orphaned jobs, lost enqueues, parked jobs whose connection is back.
    # django-q2's scheduler looks every 30 s, so this runs about once a minute.
    ("sweep-jobs", "syncs.tasks.sweep", 1),
    ("poll-integrations", "syncs.tasks.poll_due", 1),
    # Mirrored target records changed without a webhook reaching us (changes exports allow few calls a minute).
    ("poll-mirrors", "syncs.tasks.poll_mirrors", 5),
]


class Command(BaseCommand):
    help = "Create or update the periodic task schedules (token refresh, ...)."

    def handle(self, **options):
        for name, func, minutes in SCHEDULES:
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
            )
            self.stdout.write(f"{'Created' if created else 'Updated'} schedule {name}: {func} every {minutes} min")
