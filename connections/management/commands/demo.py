"""`make demo`: seed the demo tenant, then run the web server, the worker and the sandbox (seeded with a small
company by `seed_sandbox`) until Ctrl-C.

Unless SANDBOX_URL is already set, the web server and the worker are pointed at the sandbox started here, so
the demo never reaches a real provider.
"""

import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = "Seed a demo tenant and run the web server, the task worker and the sandbox; Ctrl-C stops all of them."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--sandbox-port", type=int, default=8765)
        parser.add_argument("--no-serve", action="store_true", help="Seed only, start nothing")

    def handle(self, addr, sandbox_port, no_serve, **options):
        # settings loaded `.env` into the environment; `make demo` wrote DEMO_PASSWORD there once.
        password = os.environ.get("DEMO_PASSWORD") or "demo-password"
        call_command(
            "create_tenant",
            "Demo Company",
            slug="demo",
            owner_email=DEMO_EMAIL,
            password=password,
            existing_ok=True,
            stdout=self.stdout,
        )
        call_command("setup_schedules", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"\nml-connector is starting at http://{addr}/\n  log in as {DEMO_EMAIL} / {password}\n")
        )
        if no_serve:
            return
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        sandbox_url = settings.SANDBOX_URL or f"http://127.0.0.1:{sandbox_port}"
        env = {**os.environ, "SANDBOX_URL": sandbox_url}
        self.stdout.write(f"  provider sandbox: {sandbox_url}/_sandbox/\n")
        processes = [
            subprocess.Popen([*manage, "sandbox", "--port", str(sandbox_port)], env=env),
            subprocess.Popen([*manage, "runserver", addr, "--noreload"], env=env),
            subprocess.Popen([*manage, "qcluster"], env=env),
            subprocess.Popen([*manage, "run_sweeper"], env=env),
        ]
        try:
            call_command("seed_sandbox", url=sandbox_url, stdout=self.stdout)
        except CommandError as exc:
            self.stderr.write(f"  the sandbox was not seeded: {exc}\n")
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in processes:
                if p.poll() is None:
                    p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
