"""Measure name scorers and thresholds on the labelled pairs, to choose matching's defaults by evidence.

    .venv/bin/python -m tests.bench.measure_matching [--verbose]

For each scorer (rapidfuzz's, on normalised names; exact normalised equality scores 100) and each guard
(none, or `distinctive_difference` with a given shortest typo-tolerant word), it prints the precision and
recall of "link automatically when score >= threshold", the lowest threshold with no false link, and the
recall there. A second table checks the defaults end to end through `MatchIndex`, margin included.
"""

import argparse
from collections import Counter, defaultdict

from rapidfuzz import fuzz

from syncs.matching import (
    DEFAULT_THRESHOLDS,
    MatchIndex,
    MatchKind,
    distinctive_difference,
    name_score,
    normalise_name,
)
from syncs.matching.names import name_forms, reordered
from tests.syncs.matching.matching_pairs import PAIRS

SCORERS = {
    "ratio": fuzz.ratio,
    "QRatio": fuzz.QRatio,
    "WRatio": fuzz.WRatio,
    "partial_ratio": fuzz.partial_ratio,
    "token_sort_ratio": fuzz.token_sort_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
    "name_score": name_score,
}
LINKED = {MatchKind.EXTERNAL_ID, MatchKind.ALIAS, MatchKind.EMAIL, MatchKind.NAME, MatchKind.FUZZY}
# False: no guard; else the guard, tolerating one-letter typos in words at least that long (None: no typos).
GUARDS = {
    "no guard": False,
    "guard, typos in words >= 4": 4,
    "guard, typos >= 6": 6,
    "guard, typos >= 8": 8,
    "guard, no typos (default)": None,
}
THRESHOLDS = (80, 85, 88, 90, 92, 95, 97, 100)


def score(scorer, a: str, b: str) -> float:
    if a == b:
        return 100.0
    return scorer(a, b) if scorer is name_score else scorer(a, b, processor=None)


def blocked(a: str, b: str, typo_min_length: int | bool | None) -> bool:
    """The guard as matching applies it: a distinctive difference, or the same words in another order."""
    if typo_min_length is False or a == b:
        return False
    return distinctive_difference(a, b, typo_min_length=typo_min_length) is not None or reordered(a, b)


def closest(a: str, b: str) -> tuple[str, str]:
    """The normalised forms of two names that meet, when a transliteration makes them meet."""
    pairs = [(x, y) for x in name_forms(a) for y in name_forms(b)]
    return next(((x, y) for x, y in pairs if x == y), pairs[0])


def precision_recall(rows, threshold: float) -> tuple[float, float, int, int]:
    """rows: (score, is_blocked, same). Returns precision, recall, true links, false links."""
    positives = sum(1 for _score, _blocked, same in rows if same)
    true_links = sum(1 for s, b, same in rows if same and s >= threshold and not b)
    false_links = sum(1 for s, b, same in rows if not same and s >= threshold and not b)
    linked = true_links + false_links
    return (true_links / linked if linked else 1.0), true_links / positives, true_links, false_links


def measure(verbose: bool = False) -> None:
    normalised = [(*closest(a, b), same, group) for a, b, same, group in PAIRS]
    positives = sum(1 for *_rest, same, _group in normalised if same)
    exact = sum(1 for a, b, same, _group in normalised if same and a == b)
    print(f"{len(PAIRS)} labelled pairs: {positives} same, {len(PAIRS) - positives} different;", end=" ")
    print(f"{exact} of the {positives} same pairs are equal after normalisation alone\n")
    header = f"{'scorer':<18} {'guard':<27} " + " ".join(f"{f'@{t}':>13}" for t in THRESHOLDS)
    print(header + "   lowest t with precision 1.0 (recall)")
    print(" " * 47 + " ".join(f"{'P    R':>13}" for _t in THRESHOLDS))
    for scorer_name, scorer in SCORERS.items():
        for guard_name, guard in GUARDS.items():
            rows = [(score(scorer, a, b), blocked(a, b, guard), same) for a, b, same, _group in normalised]
            cells = []
            for threshold in THRESHOLDS:
                precision, recall, _tp, _fp = precision_recall(rows, threshold)
                cells.append(f"{precision:.3f} {recall:.3f}")
            safe = next(
                (t for t in range(50, 101) if precision_recall(rows, t)[0] == 1.0),
                None,
            )
            lowest = f"{safe} ({precision_recall(rows, safe)[1]:.3f})" if safe is not None else "-"
            print(f"{scorer_name:<18} {guard_name:<27} " + " ".join(f"{cell:>13}" for cell in cells) + f"   {lowest}")

    thresholds = DEFAULT_THRESHOLDS
    rows = [(name_score(a, b), same) for a, b, same, _group in normalised]
    print("\nReview band (name_score, no guard): same pairs and different pairs scoring at least t")
    for threshold in (40, 50, 60, 70, 80):
        caught = sum(1 for s, same in rows if same and s >= threshold)
        load = sum(1 for s, same in rows if not same and s >= threshold)
        print(f"  t={threshold}: {caught} of {positives} same, {load} of {len(rows) - positives} different")

    print(f"\nDefaults through MatchIndex, one target per pair: {thresholds}")
    outcomes: Counter = Counter()
    wrong, missed = [], []
    for a, b, same, group in PAIRS:
        decision = MatchIndex([("target", b)], thresholds=thresholds).match(a)
        outcomes[(same, decision.kind)] += 1
        if decision.linked and not same:
            wrong.append((group, a, b, decision))
        if same and not decision.linked:
            missed.append((group, a, b, decision))
    report(outcomes, positives)
    by_group(PAIRS, thresholds)
    for label, cases in (("WRONG", wrong), ("to review", missed if verbose else [])):
        for group, a, b, decision in cases:
            print(f"  {label} [{group}] {a!r} ~ {b!r}: {decision.kind.value} ({decision.reason})")

    print("\nDefaults through MatchIndex, every name of the list in one mirror (candidates compete, margin applies)")
    known_same: dict[str, set[str]] = defaultdict(set)
    for a, b, same, _group in normalised:
        if same:
            known_same[a].add(b)
            known_same[b].add(a)
    names = sorted({name for a, b, _same, _group in PAIRS for name in (a, b)})
    outcomes = Counter()
    for name in names:
        others = MatchIndex(
            [(str(number), other) for number, other in enumerate(names) if other != name], thresholds=thresholds
        )
        decision = others.match(name)
        query = normalise_name(name)
        if decision.linked:
            target = normalise_name(decision.candidate.name)
            verdict = "right" if target == query or target in known_same[query] else "WRONG"
            if verdict == "WRONG":
                print(f"  WRONG {name!r} -> {decision.candidate.name!r} ({decision.reason})")
        else:
            verdict = "review"
        outcomes[(verdict, decision.kind)] += 1
    print("  " + ", ".join(f"{verdict} {kind.value}: {count}" for (verdict, kind), count in sorted(outcomes.items())))


def by_group(pairs, thresholds) -> None:
    """Per kind of pair: same pairs linked automatically (recall), different pairs linked (wrong links)."""
    counts: dict[tuple[bool, str], list[int]] = defaultdict(lambda: [0, 0])  # linked, total
    for a, b, same, group in pairs:
        decision = MatchIndex([("target", b)], thresholds=thresholds).match(a)
        counts[(same, group)][0] += decision.linked
        counts[(same, group)][1] += 1
    print("  by kind of pair (linked automatically / pairs):")
    for (same, group), (linked, total) in counts.items():
        verdict = f"recall {linked / total:.2f}" if same else ("no wrong link" if not linked else f"{linked} WRONG")
        print(f"    {'same' if same else 'different'}: {group:<40} {linked:>3} / {total:<3} {verdict}")


def report(outcomes: Counter, positives: int) -> None:
    true_links = sum(count for (same, kind), count in outcomes.items() if same and kind in LINKED)
    false_links = sum(count for (same, kind), count in outcomes.items() if not same and kind in LINKED)
    precision = true_links / (true_links + false_links) if true_links + false_links else 1.0
    print(f"  automatic links: {true_links} right, {false_links} wrong: precision {precision:.3f}, ", end="")
    print(f"recall {true_links / positives:.3f} ({positives - true_links} same pairs go to a person)")
    for same in (True, False):
        kinds = ", ".join(f"{kind.value} {count}" for (s, kind), count in sorted(outcomes.items()) if s == same)
        print(f"  {'same' if same else 'different'} pairs by decision: {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="list every same pair that goes to review")
    measure(verbose=parser.parse_args().verbose)


if __name__ == "__main__":
    main()
