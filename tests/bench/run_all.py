"""`make bench`: every benchmark of the set, one after another, then `docs/benchmarks.md` and a JSON beside it.

    make bench                                  # BENCH_SCALE=small (the default): a few minutes
    BENCH_SCALE=full make bench                 # the sizes the targets speak of (much longer: the rate limit run
                                                # alone drains 2,000 events at 700 requests a minute)
    BENCH_SCALE=tiny BENCH_OUTPUT=/tmp/b make bench   # what CI runs: proves the benchmarks still work
    .venv/bin/python -m tests.bench.run_all --report-only   # rewrite the .md from the .json and the notes
    BENCH_ONLY=ingest,end_to_end make bench     # some of them (ingest, end_to_end, rate_limit, matching,
                                                # backfill, embedded, salesforce, zuora)

Sizes per benchmark: BENCH_WEBHOOK_REQUESTS, BENCH_E2E_EVENTS, BENCH_E2E_LATENCY_EVENTS, BENCH_RATE_EVENTS,
BENCH_RATE_LIMIT, BENCH_MATCH_SIZE, BENCH_MATCH_LOOKUPS, BENCH_BACKFILL_RECORDS, BENCH_EMBEDDED_EVENTS,
BENCH_SALESFORCE_INVOICES, BENCH_ZUORA_INVOICES.
Services: PostgreSQL at BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch database
is created and dropped per benchmark) and Redis at BENCH_REDIS_URL (default database 13, which is flushed).
Each benchmark runs in a process of its own with a time limit (BENCH_TIMEOUT seconds, default by scale); one
that fails or overruns is reported as such and the others still run. Benchmarks print; they never fail CI
for being slow, only for being broken.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.common import ROOT

SCALES = {
    "tiny": dict(
        webhook_requests=30,
        webhook_concurrency=[1, 4],
        webhook_rate=50,
        e2e_events=5,
        e2e_latency_events=3,
        rate_events=10,
        rate_limit=700,
        match_size=2000,
        match_lookups=200,
        backfill_records=300,
        embedded_events=5,
        salesforce_invoices=200,
        zuora_invoices=200,
        timeout=240,
    ),
    "small": dict(
        webhook_requests=1000,
        webhook_concurrency=[1, 4, 16, 64],
        webhook_rate=200,
        e2e_events=200,
        e2e_latency_events=40,
        rate_events=600,
        rate_limit=700,
        match_size=100_000,
        match_lookups=10_000,
        backfill_records=10_000,
        embedded_events=100,
        salesforce_invoices=1000,
        zuora_invoices=1000,
        timeout=900,
    ),
    "full": dict(
        webhook_requests=3000,
        webhook_concurrency=[1, 4, 16, 64],
        webhook_rate=200,
        e2e_events=1000,
        e2e_latency_events=100,
        rate_events=2000,
        rate_limit=700,
        match_size=100_000,
        match_lookups=10_000,
        backfill_records=50_000,
        embedded_events=300,
        salesforce_invoices=5000,
        zuora_invoices=5000,
        timeout=2400,
    ),
}
ORDER = ("ingest", "end_to_end", "rate_limit", "matching", "backfill", "embedded", "salesforce", "zuora")


def sizes() -> dict:
    scale = os.environ.get("BENCH_SCALE", "small")
    chosen = {"scale": scale, **SCALES[scale]}
    for key in chosen:
        value = os.environ.get(f"BENCH_{key.upper()}")
        if value and key not in ("scale", "webhook_concurrency"):
            chosen[key] = type(SCALES["small"][key])(value)
    return chosen


def run_module(module: str, args: list[str], timeout: float, env: dict | None = None) -> dict:
    """One benchmark in its own process; its figures come back through a JSON file."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    started = time.monotonic()
    command = [sys.executable, "-m", f"tests.bench.{module}", *map(str, args), "--json", out]
    print(f"\n$ {' '.join(command[1:])}", flush=True)
    try:
        subprocess.run(command, cwd=ROOT, timeout=timeout, check=True, env={**os.environ, **(env or {})})
        with open(out) as handle:
            return {"ok": True, "seconds": round(time.monotonic() - started, 1), **json.load(handle)}
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"stopped after {timeout:.0f} s"}
    except (subprocess.CalledProcessError, json.JSONDecodeError, FileNotFoundError) as exc:
        return {"ok": False, "error": str(exc)}
    finally:
        Path(out).unlink(missing_ok=True)


def run_all(s: dict, only: set[str]) -> dict:
    t = s["timeout"]
    results = {}
    if "ingest" in only:
        levels = s["webhook_concurrency"]
        results["ingest"] = run_module(
            "bench_webhooks",
            [*("--requests", s["webhook_requests"], "--rate", s["webhook_rate"]), "--concurrency", *levels],
            t,
        )
    e2e = ["--events", s["e2e_events"], "--latency-events", s["e2e_latency_events"], "--timeout", t / 3]
    if "end_to_end" in only:
        results["end_to_end"] = run_module("bench_end_to_end", [*e2e, "--workers", 1, 2, 4], t)
    if "rate_limit" in only:
        results["rate_limit"] = run_module(
            "bench_end_to_end",
            ["--events", s["rate_events"], "--rate-limit", s["rate_limit"], "--workers", 2, "--timeout", t - 60],
            t,
        )
    if "matching" in only:
        results["matching"] = run_module(
            "bench_matching", ["--size", s["match_size"], "--lookups", s["match_lookups"]], t
        )
    if "backfill" in only:
        from tests.bench.common import create_pg_database, drop_pg_database

        url = create_pg_database()
        try:
            results["backfill"] = run_module(
                "bench_backfill", ["--records", s["backfill_records"], "--run-jobs", 200], t, {"DATABASE_URL": url}
            )
        finally:
            drop_pg_database(url)
    if "embedded" in only:
        embedded = ["--events", s["embedded_events"], "--latency-events", s["e2e_latency_events"], "--timeout", t / 3]
        results["embedded"] = run_module("bench_end_to_end", [*embedded, "--database", "sqlite", "--workers", 1], t)
    if "salesforce" in only:
        results["salesforce"] = run_module("bench_salesforce", ["--invoices", s["salesforce_invoices"]], t)
    if "zuora" in only:
        results["zuora"] = run_module("bench_zuora", ["--invoices", s["zuora_invoices"]], t)
    return results


# The report ------------------------------------------------------------------------------------------------


def ratio(value, reference) -> str:
    if value is None or not reference:
        return ""
    return f"{value / reference:.2f}"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, reference or target, ratio) for the table."""
    out = []
    ingest = results.get("ingest") or {}
    if ingest.get("ok"):
        runs = ingest["runs"]
        by = {(r["kind"], str(r["concurrency"])): r for r in runs}
        for level in sorted({str(r["concurrency"]) for r in runs if r["concurrency"] != "fixed rate"}, key=int):
            valid, bare, bad = by[("valid", level)], by[("bare", level)], by[("bad signature", level)]
            out.append(
                (
                    f"Ingest, concurrency {level}: signed deliveries acknowledged per second (p50 / p99 ms)",
                    f"{valid['rate']:.0f}/s ({valid['p50_ms']:.1f} / {valid['p99_ms']:.1f})",
                    f"bare view {bare['rate']:.0f}/s ({bare['p50_ms']:.1f} / {bare['p99_ms']:.1f}); target >= 0.5",
                    ratio(valid["rate"], bare["rate"]),
                )
            )
            out.append(
                (
                    f"Ingest, concurrency {level}: bad signatures refused per second (p50 / p99 ms)",
                    f"{bad['rate']:.0f}/s ({bad['p50_ms']:.1f} / {bad['p99_ms']:.1f})",
                    f"bare view {bare['rate']:.0f}/s",
                    ratio(bad["rate"], bare["rate"]),
                )
            )
        for kind in ("valid", "bad signature", "bare"):
            run = by.get((kind, "fixed rate"))
            if run:
                out.append(
                    (
                        f"Ingest at a fixed {run['offered_rate']:.0f} req/s, {kind}: achieved rate, p99",
                        f"{run['rate']:.0f}/s, p99 {run['p99_ms']:.1f} ms",
                        "p99 < 50 ms" if kind == "valid" else "",
                        ratio(run["p99_ms"], 50) if kind == "valid" else "",
                    )
                )
    for key, label in (("end_to_end", "PostgreSQL + Redis"), ("embedded", "embedded: SQLite + ORM broker")):
        e2e = results.get(key) or {}
        if not e2e.get("ok"):
            continue
        for run in e2e["runs"]:
            w = run["workers"]
            prefix = f"End to end, {label}, {w} worker{'s' if w > 1 else ''}"
            out.append(
                (
                    f"{prefix}: records per second ({run['synced']} events at once)",
                    f"{run['records_per_second']}",
                    "",
                    "",
                )
            )
            out.append(
                (
                    f"{prefix}: webhook-to-note latency p50 / p95 / p99 ({run['latency_events']} events at "
                    f"{run['latency_rate']:g}/s)",
                    f"{run['p50_ms']:.0f} / {run['p95_ms']:.0f} / {run['p99_ms']:.0f} ms",
                    "p50 < 1000 ms",
                    ratio(run["p50_ms"], 1000),
                )
            )
            c = run["calls_per_record"]
            out.append(
                (
                    f"{prefix}: API calls per record (token + fetch + lookup + write)",
                    f"{run['calls_per_record_total']} ({c['token']} + {c['fetch']} + {c['lookup']} + {c['write']})",
                    f"minimum {run['minimum_calls_per_record']} (1 fetch + 1 summary write + 1 note); target <= 1.05",
                    ratio(run["calls_per_record_total"], run["minimum_calls_per_record"]),
                )
            )
    rate = results.get("rate_limit") or {}
    if rate.get("ok"):
        out.append(
            (
                f"Rate limit {rate['limit_per_minute']}/min, {rate['events']} events: "
                "Zendesk calls accepted per minute (of which writes)",
                f"{rate['accepted_per_minute']:.0f} ({rate['writes_per_minute']:.0f})",
                f"limit {rate['limit_per_minute']}; target >= 90% used",
                ratio(rate["accepted_per_minute"], rate["limit_per_minute"]),
            )
        )
        out.append(
            (
                "Rate limit: calls answered 429",
                f"{rate['responses_429']} of {rate['zendesk_calls']} ({rate['fraction_429']:.1%})",
                "target < 1%",
                ratio(rate["fraction_429"], 0.01),
            )
        )
        out.append(
            (
                "Rate limit: time to drain",
                f"{rate['drain_seconds']:.0f} s",
                f"{rate['minimum_drain_seconds']:.0f} s at exactly the limit",
                ratio(rate["drain_seconds"], rate["minimum_drain_seconds"]),
            )
        )
    match = results.get("matching") or {}
    if match.get("ok"):
        out.append((f"Matching: index build, {match['names']:,} names", f"{match['build_seconds']:.2f} s", "", ""))
        out.append(
            (
                f"Matching: per lookup p50 / p99 ({match['lookups']:,} lookups)",
                f"{match['p50_ms']:.2f} / {match['p99_ms']:.2f} ms",
                "milliseconds (DESIGN 5)",
                "",
            )
        )
    backfill = results.get("backfill") or {}
    if backfill.get("ok"):
        out.append(
            (
                f"Backfill, {backfill['records']:,} records ({backfill['database']}): walk and create jobs",
                f"{backfill['walk_seconds']:.1f} s ({backfill['walk_records_per_second']:.0f}/s)",
                "",
                "",
            )
        )
        out.append(
            (
                "Backfill: peak resident memory of the worker (at start of the walk)",
                f"{backfill['peak_rss_mb']:.0f} MB ({backfill['rss_at_start_mb']:.0f} MB)",
                "flat",
                "",
            )
        )
        out.append(
            (
                "Backfill: memory growth per 10,000 records (largest step after the first)",
                f"{backfill['growth_mb_per_10k']} MB",
                "0 (flat)",
                "",
            )
        )
    sf = results.get("salesforce") or {}
    if sf.get("ok"):
        out.extend(steady_rows("FreshBooks -> Salesforce", sf, "salesforce"))
        b = sf["backfill"]
        out.append(
            (
                f"FreshBooks -> Salesforce backfill, {b['invoices']:,} invoices of {b['clients']} clients: "
                "Salesforce write calls (sObject Collections)",
                f"{b['salesforce_writes']} ({b['salesforce_calls']} calls in all), {b['records_per_second']}/s",
                f"about {b['target_writes']} (200 records a call)",
                ratio(b["salesforce_writes"], b["target_writes"]),
            )
        )
    zu = results.get("zuora") or {}
    if zu.get("ok"):
        out.extend(steady_rows("FreshBooks -> Zuora", zu, "zuora"))
        b = zu["backfill"]
        out.append(
            (
                f"FreshBooks -> Zuora backfill, {b['invoices']:,} invoices and {b['payments']:,} payments of "
                f"{b['clients']} clients: Zuora write calls per record",
                f"{b['writes_per_record']} ({b['zuora_writes']} writes, {b['zuora_calls']} calls in all), "
                f"{b['records_per_second']}/s",
                "1 (one create each; `POST /v1/invoices/batch` would take 50 invoices a call: not used yet)",
                ratio(b["writes_per_record"], 1),
            )
        )
    for key, result in results.items():
        if not result.get("ok"):
            out.append((f"{key}: did not run to the end", result.get("error", "?"), "", ""))
    return out


def steady_rows(flow: str, result: dict, slug: str) -> list[tuple]:
    """Calls per event by kind against the flow's minimum."""
    rows = []
    for kind, calls in result["steady"].items():
        target = sum(v for k, v in calls.items() if k.startswith(f"{slug}_"))
        floor = result["minimum"][kind]
        rows.append(
            (
                f"{flow}, {kind} event: API calls (FreshBooks reads + {slug.capitalize()} calls)",
                f"{calls['fetch'] + target} ({calls['fetch']} + {target})",
                f"minimum {floor}",
                ratio(calls["fetch"] + target, floor),
            )
        )
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as info:
            mem = int(info.readline().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, Python {platform.python_version()}, {platform.system()}"


def write_report(directory: Path, s: dict, results: dict, started: datetime, seconds: float) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"date": started.isoformat(timespec="seconds"), "machine": machine(), "seconds": round(seconds), "sizes": s}
    (directory / "benchmarks.json").write_text(json.dumps({**meta, "results": results}, indent=2, default=str) + "\n")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`tests/bench/run_all.py`); the figures with their details are in "
        "[benchmarks.json](benchmarks.json). Everything runs on one machine on loopback: the load generator, "
        "gunicorn, the `qcluster` workers, PostgreSQL, Redis and the provider emulators (the sandbox server) "
        "share its cores, so absolute figures are a floor and the ratios are what to compare.",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']}",
        f"- Scale: `{s['scale']}` ({', '.join(f'{k} {v}' for k, v in s.items() if k != 'scale')}); "
        f"ran in {meta['seconds']} s",
        "",
        "| Figure | Measured | Reference or target | Ratio |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    notes = directory / "benchmarks-notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    (directory / "benchmarks.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    s = sizes()
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(","))) or set(ORDER)
    directory = Path(os.environ.get("BENCH_OUTPUT") or ROOT / "docs")
    if "--report-only" in sys.argv:  # rewrite benchmarks.md from benchmarks.json (after editing the notes)
        saved = json.loads((directory / "benchmarks.json").read_text())
        started = datetime.fromisoformat(saved["date"])
        write_report(directory, saved["sizes"], saved["results"], started, saved["seconds"])
        return
    started = datetime.now(UTC)
    t0 = time.monotonic()
    print(f"benchmarks at scale {s['scale']}: {', '.join(k for k in ORDER if k in only)}", flush=True)
    results = run_all(s, only)
    write_report(directory, s, results, started, time.monotonic() - t0)
    print(f"\nwrote {directory / 'benchmarks.md'} and {directory / 'benchmarks.json'}")
    print((directory / "benchmarks.md").read_text())
    broken = [key for key, result in results.items() if not result.get("ok")]
    if broken:
        sys.exit(f"did not run to the end: {', '.join(broken)}")


if __name__ == "__main__":
    main()
