"""`manage.py seed_sandbox`: give the running sandbox a small, realistic company to show.

Each registered provider with a demo seed (its package's `seed.py`) creates its side of the same company, with
a few customers named differently on each side, so the fit check, the review queue and the notes have
something real to show. It only talks to the sandbox's control API (`/_sandbox/<slug>/api/...`), never to the
app, and each side seeds once: a sandbox that already has its records is left alone.
"""

import time

import requests
from django.core.management.base import BaseCommand, CommandError

from connections import registry


class Command(BaseCommand):
    help = "Seed the running provider sandbox with a small demo company (every provider's demo seed)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8765", help="The sandbox's base URL")
        parser.add_argument("--wait", type=float, default=20.0, help="Seconds to wait for the sandbox to answer")

    def handle(self, url, wait, **options):
        self.base = url.rstrip("/")
        self.wait_for_sandbox(wait)
        counts = {}
        for slug, spec in registry.PROVIDERS.items():
            seed = spec.load("seed")
            if seed is None:
                continue
            seeded = seed(lambda method, action, body=None, slug=slug: self.control(method, slug, action, body))
            if seeded is None:
                self.stdout.write(f"The sandbox already has {spec.declaration.name} records; not seeding again.")
            counts.update(seeded or {})
        if counts:
            summary = ", ".join(f"{value} {key}" for key, value in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Seeded the sandbox: {summary}."))

    def wait_for_sandbox(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        slug = next(iter(registry.PROVIDERS))
        while True:
            try:
                requests.get(f"{self.base}/_sandbox/{slug}/api/state", timeout=2).raise_for_status()
                return
            except requests.RequestException as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"The sandbox at {self.base} does not answer: {exc}") from None
                time.sleep(0.3)

    def control(self, method: str, slug: str, action: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{self.base}/_sandbox/{slug}/api/{action}", json=body, timeout=10)
        if response.status_code >= 400:
            raise CommandError(f"{slug} {action}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()
