"""What the benchmarks share: percentiles, free ports, scratch databases, servers started and always stopped,
and a small HTTP load generator (closed loop at a concurrency, or open loop at a fixed rate)."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def percentile(values, fraction: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


# Scratch PostgreSQL databases ------------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def create_pg_database(prefix: str = "mlc_bench") -> str:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    try:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # a leftover scratch database is untidy, not a failed benchmark
        print(f"  (could not drop {name}: {exc})", file=sys.stderr)


def flush_redis(url: str = BENCH_REDIS) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


# Processes -------------------------------------------------------------------------------------------------


class Processes:
    """Children started for one benchmark; `stop()` (also on exit of a `with`) ends each one, by its own pid."""

    def __init__(self):
        self.children: list[subprocess.Popen] = []

    def start(self, args, env, **kwargs) -> subprocess.Popen:
        child = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kwargs)
        self.children.append(child)
        return child

    def stop(self, child=None) -> None:
        for p in [child] if child else list(self.children):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            if p in self.children:
                self.children.remove(p)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_gunicorn(processes: Processes, env: dict, port: int, workers: int) -> subprocess.Popen:
    child = processes.start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "mlconnector.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        env,
    )
    wait_for_http(f"http://127.0.0.1:{port}/bench/bare/", timeout=30)
    return child


def wait_for_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", parts.path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


# FreshBooks deliveries -------------------------------------------------------------------------------------


def freshbooks_delivery(verifier: str, object_id, account_id: str, name: str = "invoice.update", valid=True):
    pairs = [
        ("name", name),
        ("object_id", str(object_id)),
        ("account_id", account_id),
        ("business_id", "1"),
        ("identity_id", "1"),
        ("user_id", "1"),
    ]
    message = json.dumps({k: str(v) for k, v in pairs}).encode()
    digest = hmac.new(verifier.encode(), message, hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode() if valid else "bm90LXZhbGlk"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-FreshBooks-Hmac-SHA256": signature}
    return urlencode(pairs).encode(), headers


# Load generation -------------------------------------------------------------------------------------------


def post(host: str, port: int, path: str, body: bytes, headers: dict) -> tuple[int, float, float]:
    """One POST on a fresh connection (gunicorn's sync workers close each): status, start, milliseconds."""
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        status = response.status
    except OSError:
        status = 0
    return status, started, (time.perf_counter() - started) * 1000


def closed_loop(url: str, requests_: list[tuple[bytes, dict]], concurrency: int) -> dict:
    """Every request as fast as `concurrency` clients allow: throughput and latency."""
    parts = urlsplit(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda r: post(parts.hostname, parts.port, parts.path, *r), requests_))
    return summarise(results, time.perf_counter() - started)


def open_loop(url: str, requests_: list[tuple[bytes, dict]], rate: float, max_threads: int = 64) -> dict:
    """Requests sent at a fixed rate, whatever the answers' pace (so a slow server shows in its latency)."""
    parts = urlsplit(url)
    t0 = time.perf_counter() + 0.05
    lock = threading.Lock()
    results = []

    def one(item):
        n, (body, headers) = item
        delay = t0 + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        result = post(parts.hostname, parts.port, parts.path, body, headers)
        with lock:
            results.append(result)

    with ThreadPoolExecutor(max_threads) as pool:
        list(pool.map(one, enumerate(requests_)))
    return summarise(results, time.perf_counter() - t0) | {"offered_rate": rate}


def summarise(results, elapsed: float) -> dict:
    latencies = [ms for _, _, ms in results]
    statuses: dict[str, int] = {}
    for status, _, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "requests": len(results),
        "seconds": round(elapsed, 3),
        "rate": round(len(results) / elapsed, 1) if elapsed else None,
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "statuses": statuses,
    }
