"""Benchmark of `syncs.matching.MatchIndex`: build time and lookup latency against a large mirror.

    .venv/bin/python -m tests.bench.bench_matching [--size 100000] [--lookups 10000] [--seed 7]

Builds `size` synthetic company names (deterministic for a seed), indexes them, then times `lookups`
matches: 40% exact (a known name re-spelled: case, punctuation, another legal suffix), 40% fuzzy (a known
name with a typo), 20% misses (a name not in the mirror). Prints the build time and per-lookup p50/p99.
A benchmark, not a test: it asserts nothing, so CI can run it with a tiny `--size` just to keep it working.
"""

import argparse
import random
import statistics
import time
from collections import Counter

from syncs.matching import MatchIndex, normalise_name

SYLLABLES = (
    "ka",
    "lo",
    "ri",
    "man",
    "tor",
    "vel",
    "sa",
    "ne",
    "qui",
    "bra",
    "dor",
    "fen",
    "gal",
    "hu",
    "ix",
    "jo",
    "lem",
    "mar",
    "nor",
    "pel",
    "rus",
    "sten",
    "tal",
    "ur",
    "vin",
    "wex",
    "yor",
    "zan",
    "ber",
    "cal",
    "dun",
    "el",
    "fro",
    "gri",
    "hal",
    "ine",
    "kor",
    "lux",
    "mon",
    "nix",
    "ost",
    "pra",
    "quo",
    "ren",
    "sol",
    "tri",
    "uva",
    "ver",
    "wil",
    "xan",
    "yel",
    "zor",
)
PLACES = (
    "North",
    "South",
    "East",
    "West",
    "Pacific",
    "Atlantic",
    "Harbor",
    "River",
    "Lake",
    "Mountain",
    "Valley",
    "Summit",
    "Coastal",
    "Prairie",
    "Metro",
    "Central",
    "Union",
    "Liberty",
    "Pioneer",
    "Heritage",
    "Golden",
    "Silver",
    "Blue",
    "Green",
    "Red",
    "Oak",
    "Pine",
    "Cedar",
    "Maple",
    "Willow",
)
TRADES = (
    "Dental",
    "Plumbing",
    "Roofing",
    "Consulting",
    "Logistics",
    "Bakery",
    "Realty",
    "Capital",
    "Partners",
    "Systems",
    "Solutions",
    "Labs",
    "Media",
    "Foods",
    "Motors",
    "Insurance",
    "Legal",
    "Accounting",
    "Marketing",
    "Design",
    "Construction",
    "Electric",
    "Landscaping",
    "Pharmacy",
    "Clinic",
    "Studio",
    "Holdings",
    "Ventures",
    "Trading",
    "Imports",
    "Textiles",
    "Analytics",
    "Robotics",
    "Energy",
    "Brewing",
)
SUFFIXES = ("", "", "Inc", "Inc.", "LLC", "Ltd", "Corp", "Corporation", "GmbH", "Co.", "Pty Ltd", "S.A.", "PLC")


def synthetic_names(size: int, rng: random.Random) -> list[str]:
    """`size` distinct company names such as "Korvel Harbor Logistics LLC"."""
    names: dict[str, None] = {}
    while len(names) < size:
        core = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        words = [core]
        if rng.random() < 0.5:
            words.append(rng.choice(PLACES))
        words.append(rng.choice(TRADES))
        if suffix := rng.choice(SUFFIXES):
            words.append(suffix)
        names.setdefault(" ".join(words), None)
    return list(names)


def respelled(name: str, rng: random.Random) -> str:
    """The same company as another system might spell it: case, punctuation and legal suffix changed."""
    words = name.split()
    if words[-1].rstrip(".") in {suffix.rstrip(".").split()[-1] for suffix in SUFFIXES if suffix}:
        words = words[:-1]
    return f"{' '.join(words).upper() if rng.random() < 0.5 else ' '.join(words)}, {rng.choice(SUFFIXES[2:])}"


def with_typo(name: str, rng: random.Random) -> str:
    """A known name with one character dropped or two swapped in its first word."""
    core, _, rest = name.partition(" ")
    position = rng.randrange(1, len(core) - 1)
    if rng.random() < 0.5:
        core = core[:position] + core[position + 1 :]
    else:
        core = core[:position] + core[position + 1] + core[position] + core[position + 2 :]
    return f"{core} {rest}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(size: int, lookups: int, seed: int) -> dict:
    rng = random.Random(seed)
    names = synthetic_names(size, rng)
    records = [(f"org-{number}", name, (), None) for number, name in enumerate(names)]

    started = time.perf_counter()
    index = MatchIndex(records)
    build_seconds = time.perf_counter() - started

    misses = synthetic_names(size + lookups // 5, random.Random(seed + 1))
    known = {normalise_name(name) for name in names}
    misses = [name for name in misses if normalise_name(name) not in known]
    queries = []
    for number in range(lookups):
        roll = number % 5
        if roll < 2:
            queries.append(("exact", respelled(rng.choice(names), rng)))
        elif roll < 4:
            queries.append(("fuzzy", with_typo(rng.choice(names), rng)))
        else:
            queries.append(("miss", misses[number % len(misses)]))

    timings: dict[str, list[float]] = {"exact": [], "fuzzy": [], "miss": []}
    kinds: Counter = Counter()
    for family, query in queries:
        started = time.perf_counter()
        decision = index.match(query)
        timings[family].append((time.perf_counter() - started) * 1000)
        kinds[(family, decision.kind.value)] += 1

    every = [ms for values in timings.values() for ms in values]
    print(f"mirror: {len(names):,} names; index built in {build_seconds:.2f} s")
    print(f"{len(every):,} lookups: p50 {percentile(every, 0.5):.2f} ms, p99 {percentile(every, 0.99):.2f} ms")
    for family, values in timings.items():
        if values:
            print(
                f"  {family:<6} {len(values):>6,}: p50 {percentile(values, 0.5):.2f} ms,"
                f" p99 {percentile(values, 0.99):.2f} ms, mean {statistics.fmean(values):.2f} ms"
            )
    print("decisions: " + ", ".join(f"{family}->{kind} {count}" for (family, kind), count in sorted(kinds.items())))
    return {
        "names": len(names),
        "lookups": len(every),
        "build_seconds": round(build_seconds, 3),
        "p50_ms": round(percentile(every, 0.5), 3),
        "p99_ms": round(percentile(every, 0.99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="names in the mirror (default 100000)")
    parser.add_argument("--lookups", type=int, default=10_000, help="timed lookups (default 10000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    result = run(arguments.size, arguments.lookups, arguments.seed)
    if arguments.json:
        import json

        with open(arguments.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
