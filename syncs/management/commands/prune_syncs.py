"""Delete sync rows past their retention now: `manage.py prune_syncs`. Scheduled hourly (syncs.tasks.prune)."""

from django.core.management.base import BaseCommand, CommandError

from syncs import retention


class Command(BaseCommand):
    help = (
        "Delete finished jobs and inbound events older than SYNC_RETENTION_DAYS, mirror rows of deleted records "
        "older than MIRROR_TOMBSTONE_DAYS and the ledger rows of records gone from their source, keeping open "
        "failures, each record's last success and what open review items name."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE, help="Rows per statement.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *, batch_size, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if dry_run:
            counts = retention.pending()
            self.stdout.write(
                "Would delete: " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
            )
            return
        done = retention.prune(batch_size=batch_size)
        counts = ", ".join(f"{done[kind]} {kind.replace('_', ' ')}" for kind in retention.KINDS)
        more = "" if done["complete"] else " The time budget ran out: run it again for the rest."
        self.stdout.write(f"Deleted {counts}.{more}")
