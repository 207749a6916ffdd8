"""`manage.py run_sweeper`: sweep every few seconds, so jobs put back to wait run the moment their wait ends.

django-q2's scheduler looks at its schedules every 30 s, so the `sweep-jobs` schedule runs about once a
minute: enough as a safety net, too slow for a 5 s retry or a rate-limit window that just reset. Run one or
more of these beside the workers (sweeping is idempotent: every job is still claimed on its own).

A sweep that fails (the database restarting, a failover) is logged and the next one runs on a fresh
connection: the process that reclaims a dead worker's jobs must not die of the same outage.
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from syncs.engine import sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue due jobs, reclaim expired leases and resume parked jobs every few seconds, until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, interval, once, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while True:
            if not connection.in_atomic_block:  # never close a connection under a caller's open transaction
                close_old_connections()  # drops a connection the server closed (or errored) since the last sweep
            try:
                counts = sweep()
            except Exception:
                if once:
                    raise
                logger.exception("sweep failed; sweeping again in %s s", interval)
                counts = {}
            if any(counts.values()):
                self.stdout.write(", ".join(f"{name} {n}" for name, n in counts.items() if n))
            if once or stop.wait(interval):
                return
