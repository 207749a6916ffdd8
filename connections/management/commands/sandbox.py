"""`python manage.py sandbox [--port 8765]`: every emulator on one local HTTP server until Ctrl-C."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from connections.sandbox.registry import build_emulators
from connections.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = "Serve every provider emulator under /<slug>/ with a control API and pages under /_sandbox/."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1", help="Address to bind (default: loopback only)")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, addr, port, **options):
        emulators = build_emulators()
        server = SandboxServer(emulators, host=addr, port=port).start()
        self.stdout.write(self.style.SUCCESS(f"Sandbox at {server.url}/_sandbox/"))
        for slug in emulators:
            self.stdout.write(f"  {slug}: API {server.url}/{slug}/  page {server.url}/_sandbox/{slug}/")
        if settings.SANDBOX_URL.rstrip("/") != server.url:
            self.stdout.write(f"Point the app at it with SANDBOX_URL={server.url}")
        # `make demo` stops its children with SIGTERM: shut down as cleanly as on Ctrl-C.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
