"""Create or update the periodic django-q2 schedules. Idempotent: run it on every deploy."""

from django.core.management.base import BaseCommand
from django_q.models import Schedule

# (name, task, minutes between runs)
SCHEDULES = [
    ("refresh-tokens", "connections.tasks.refresh_tokens", 5),
    ("prune-audit", "audit.tasks.prune", 24 * 60),
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
