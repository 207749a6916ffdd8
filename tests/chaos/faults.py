"""The faults of a chaos run, on a schedule drawn from its seed: which fault, when, for how long.

Process faults: a `qcluster` or a sweeper killed with SIGKILL (its whole process group) and started again a
moment later, PostgreSQL restarted (cleanly, and as a crash), Redis restarted (without persistence: queue,
locks and pauses are gone). Provider faults, through each emulator's control API: the sandbox stopped
(calls refused) then started with its state, 30% of calls answering 5xx, a 429 storm, held connections
(timeouts before anything is done), slow answers that arrive after the client gave up (done, answer lost),
Zuora writes whose answers are lost, and Zendesk's tokens revoked: the access token alone (the app refreshes),
then every token (the app parks the jobs until a person reconnects, which the run does a few seconds later).
"""

import json
import random
import time
from dataclasses import dataclass, field

from connections.sandbox.wire import Request

PROVIDERS = ("freshbooks", "zendesk", "salesforce", "zuora")


@dataclass
class Fault:
    at: float  # seconds into the chaos phase
    kind: str
    args: dict = field(default_factory=dict)


def schedule(duration: float, outage: float, rng: random.Random, kill_every: float) -> list[Fault]:
    """Each kind of fault at least once, spread over `duration`; kills throughout."""
    d = duration
    faults = [
        Fault(0.05 * d, "errors_5xx", {"rate": 0.3, "seconds": 0.15 * d}),
        Fault(0.17 * d, "timeouts", {"count": 2, "seconds": max(8.0, 0.06 * d)}),
        Fault(0.22 * d, "postgres_restart", {"mode": "fast"}),
        Fault(0.30 * d, "rate_limit_storm", {"seconds": max(5.0, 0.06 * d), "retry_after": 3}),
        Fault(0.38 * d, "token_revoked", {"which": "access"}),
        Fault(0.45 * d, "redis_restart"),
        Fault(0.52 * d, "sandbox_stopped", {"seconds": outage}),
        Fault(0.52 * d + outage + 2, "token_revoked", {"which": "all", "reconnect_after": 5.0}),
        Fault(0.86 * d, "postgres_restart", {"mode": "immediate"}),
    ]
    at = rng.uniform(0.5, 1.5) * kill_every
    while at < d:
        victim = rng.choice(("qcluster-a", "qcluster-b", "qcluster-a", "qcluster-b", "sweeper-a", "sweeper-b"))
        faults.append(Fault(at, "sigkill", {"process": victim, "down": rng.uniform(0.5, 3.0)}))
        at += rng.uniform(0.6, 1.4) * kill_every
    return sorted(faults, key=lambda f: f.at)


class Injector:
    """Carries out one fault at a time; provider faults are lifted by `lift_due()` when their time is up."""

    def __init__(self, run):
        self.run = run  # the ChaosRun: services, sandbox, company
        self.counts: dict[str, int] = {}
        self.lifts: list[tuple[float, str, callable]] = []
        self.log: list[str] = []
        self.zuora_answers_lost = 0

    def control(self, slug: str, action: str, body: dict) -> dict:
        """The emulator's control API, called in process: a fault is set or lifted even while the sandbox's
        port is closed."""
        request = Request("POST", action, "", {"Content-Type": "application/json"}, json.dumps(body).encode())
        answer = self.run.sandbox[slug].handle_control(request)
        if answer.status >= 400:
            raise RuntimeError(f"{slug} {action}: {answer.status} {answer.body[:200]!r}")
        return json.loads(answer.body)

    def later(self, seconds: float, what: str, undo) -> None:
        self.lifts.append((time.monotonic() + seconds, what, undo))

    def lift_due(self, force: bool = False) -> None:
        now = time.monotonic()
        for item in list(self.lifts):
            if force or item[0] <= now:
                self.lifts.remove(item)
                item[2]()
                self.note(f"lifted: {item[1]}")

    def note(self, text: str) -> None:
        self.log.append(f"{time.monotonic() - self.run.started:7.1f}s {text}")

    def apply(self, fault: Fault) -> None:
        self.counts[fault.kind] = self.counts.get(fault.kind, 0) + 1
        self.note(f"{fault.kind} {fault.args or ''}".strip())
        getattr(self, fault.kind)(**fault.args)

    # Processes and services ---------------------------------------------------------------------------

    def sigkill(self, process: str, down: float) -> None:
        apps = self.run.apps
        apps.kill(process)
        self.later(down, f"{process} started again", lambda: apps.start(process))

    def postgres_restart(self, mode: str) -> None:
        self.run.postgres.restart(mode)

    def redis_restart(self) -> None:
        self.run.redis.restart()

    # The providers ------------------------------------------------------------------------------------

    def sandbox_stopped(self, seconds: float) -> None:
        sandbox = self.run.sandbox
        sandbox.stop()
        self.later(seconds, "sandbox started again", sandbox.start)

    def errors_5xx(self, rate: float, seconds: float) -> None:
        for slug in PROVIDERS:
            self.control(slug, "faults", {"error_rate": rate, "error_status": 503})
        self.later(seconds, "5xx", lambda: [self.control(s, "faults", {"error_rate": 0}) for s in PROVIDERS])

    def rate_limit_storm(self, seconds: float, retry_after: int) -> None:
        """Zendesk and Zuora (Salesforce's answer to too many calls is its daily allocation, paused 30 min)."""
        for slug in ("zendesk", "zuora"):
            self.control(slug, "faults", {"rate_limit_seconds": seconds, "retry_after": retry_after})

    def timeouts(self, count: int, seconds: float) -> None:
        """Zendesk holds a few connections past the app's read timeout before doing anything, then its ticket
        calls are done but answered too late (the notes land, the app never hears it); Zuora loses the answers
        of a few writes it made."""
        hold = self.run.read_timeout + 2
        self.control("zendesk", "faults", {"timeouts": count, "timeout_seconds": hold})
        self.control("zendesk", "faults", {"latency_ms": hold * 1000, "path_contains": "/tickets/"})
        zu = self.run.sandbox["zuora"]
        with zu.lock:
            zu.tenant("us-sandbox-2").lose_answers = count

        def lift():
            self.control("zendesk", "faults", {"clear": True})
            with zu.lock:
                self.zuora_answers_lost += count - zu.tenant("us-sandbox-2").lose_answers
                zu.tenant("us-sandbox-2").lose_answers = 0

        self.later(seconds, "timeouts", lift)

    def token_revoked(self, which: str, reconnect_after: float = 0.0) -> None:
        zd = self.run.sandbox["zendesk"]
        with zd.lock:
            if which == "access":
                for token in zd.oauth.access_tokens.values():
                    token.revoked = True
            else:
                zd.oauth.revoke()
        if which == "all":
            self.later(reconnect_after, "Zendesk reconnected by a person", self.run.reconnect_zendesk)
