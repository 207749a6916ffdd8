"""Delete old audit events: `manage.py prune_audit --older-than 90d`. Scheduled daily (audit.tasks.prune)."""

from django.core.management.base import BaseCommand, CommandError

from audit import retention


def age(text):
    try:
        return retention.parse_age(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = "Delete audit events older than an age (default AUDIT_RETENTION_DAYS), keeping pinned ones."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=str, help="90d, 12h or 2w (default: AUDIT_RETENTION_DAYS days).")
        parser.add_argument("--batch-size", type=int, default=5000, help="Events deleted per statement.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *, older_than, batch_size, dry_run, **options):
        older = age(older_than) if older_than else retention.default_age()
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if dry_run:
            count = retention.prunable(older).count()
            self.stdout.write(f"Would delete {count} audit events older than {older}.")
            return
        deleted = retention.prune(older, batch_size=batch_size)
        self.stdout.write(f"Deleted {deleted} audit events older than {older}; pinned events were kept.")
