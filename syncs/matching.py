"""Matching a source customer to a target record: normalisation, an in-memory index, and a typed decision.

A wrong automatic link shows one customer's invoices on another customer's record, so this module favours
precision over recall: everything it is not sure of comes back as a decision that a person reviews.

The order of evidence, strongest first: a manual link, an exact external id, an alias (a source name a
person already linked), an exact e-mail (only where the flow matches on e-mail), an exact normalised name,
then a fuzzy score over the normalised names. Several exact hits, or two fuzzy candidates within `margin`
of each other, are ambiguous and never linked automatically. A fuzzy candidate links automatically only
at or above `auto_link` *and* when the two names differ in no distinctive token (a number, a whole word, a
short word): "First National Bank of Omaha" never links to "First National Bank of Chicago".

Scorer and thresholds were chosen by measurement on the labelled pairs in `tests/syncs/matching_pairs.py`
(`python -m tests.bench.measure_matching`; method and tables in `docs/matching.md`). The scorer is
`name_score`, rapidfuzz's token-sort ratio over normalised names (or the ratio without spaces when higher),
behind the distinctive-word guard. On 379 pairs (198 same company, 181 hard negatives), with the defaults
(auto_link 90, review 60, margin 3): precision of automatic links 1.000 (137 right, 0 wrong), recall 0.692
(137 of 198; exact normalised names alone give 0.626), and 193 of the 198 same pairs score at least
`review`. Every same pair not linked goes to a person. Without the guard, no scorer of the six measured
(ratio, QRatio, WRatio, partial_ratio, token_sort_ratio, token_set_ratio) reaches precision 1.0 below a
threshold of 100; with it, precision is 1.0 at every threshold from 50 up. Tolerating one-letter typos in
the guard raised recall (0.81 for words of 8+ letters) but always cost precision.

The index is pure Python over plain tuples, built once per tenant and target from the mirror and kept
fresh with `add`/`remove`. Against 100,000 names it builds in 1.2-2 s and answers in 0.6 ms at p50 and
2-5 ms at p99 on a shared 2-core machine (`tests/bench/bench_matching.py`): exact answers are dictionary
lookups; the fuzzy step scores only the names that share a word with the query, and all names (about
7 ms) only when none of those reaches `review`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FREE_MAIL_DOMAINS",
    "Candidate",
    "MatchDecision",
    "MatchIndex",
    "MatchKind",
    "TargetRecord",
    "Thresholds",
    "company_domain",
    "distinctive_difference",
    "email_domain",
    "is_deleted_name",
    "name_score",
    "normalise_email",
    "normalise_name",
]


def _suffixes(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(item.split()) for item in text.split(","))


# Legal forms removed from the end of a name, as token sequences after punctuation is dropped
# ("S.A. de C.V." -> "sa de cv"). Longer sequences are tried first; stripping repeats ("Co., Ltd.").
_LEGAL_SUFFIXES = _suffixes(
    "inc, incorporated, corp, corporation, co, company, cos, companies, llc, lc, pllc, ltd, limited, ltda, "
    "lda, gmbh, mbh, ag, kg, kgaa, ohg, ug, se, sa, sas, sasu, sarl, srl, spa, sl, slu, bv, nv, cv, vof, "
    "bvba, sprl, plc, pty, pte, pvt, llp, lllp, lp, pc, oy, oyj, ab, as, asa, aps, sro, kft, zrt, bhd, kk, "
    "pty ltd, pte ltd, pvt ltd, private limited, sdn bhd, co ltd, co inc, co llc, and co, and company, "
    "and cie, et cie, sa de cv, s de rl, s de rl de cv, sab de cv, gmbh and co, gmbh and co kg, "
    "gmbh co kg, ag and co kg, limited liability company, limited partnership, public limited company"
)
_LONGEST_SUFFIX = max(len(suffix) for suffix in _LEGAL_SUFFIXES)

# Abbreviations that mean the same word, so "Acme Intl" and "Acme International" normalise alike.
_ABBREVIATIONS = {
    "intl": "international",
    "natl": "national",
    "mfg": "manufacturing",
    "svc": "service",
    "svcs": "services",
    "bros": "brothers",
    "dept": "department",
    "mgmt": "management",
    "ctr": "center",
    "centre": "center",
    "univ": "university",
    "grp": "group",
    "hldg": "holding",
    "hldgs": "holdings",
    "assn": "association",
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
}

# Words that carry no identity: ignored when looking for a distinctive difference between two names.
_STOPWORDS = frozenset({"the", "of", "and", "a", "an", "for", "de", "du", "des", "la", "le", "el", "y", "und", "et"})

_DELETED = re.compile(r"\s*\(deleted(?:[\s-]*\d+)?\)\s*$", re.IGNORECASE)
_JOINERS = re.compile(r"['\u2019\u2018`\u00b4.]")  # dropped without a space: "L.L.C." -> "llc"
_NON_WORD = re.compile(r"[^\w&+]+|_")
_AMPERSAND = re.compile(r"\s*[&+]\s*")


def is_deleted_name(name: str) -> bool:
    """QuickBooks renames a deleted customer "Name (deleted)"."""
    return bool(_DELETED.search(name or ""))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise_name(name: str | None) -> str:
    """The comparable form of a company name: "The ACME Corp., Inc. (deleted)" -> "acme".

    NFKC, casefold and accents folded; QuickBooks' " (deleted)" dropped; apostrophes and dots removed
    ("L.L.C." is "llc"), other punctuation is a space; "&" and "+" are "and"; common abbreviations spelled
    out; a leading "The" and trailing legal forms removed, but never the whole name ("The Company" is
    "company").
    """
    if not name:
        return ""
    text = _fold(_DELETED.sub("", name))
    text = _JOINERS.sub("", text)
    text = _AMPERSAND.sub(" and ", text)
    tokens = [_ABBREVIATIONS.get(token, token) for token in _NON_WORD.sub(" ", text).split()]
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(_LONGEST_SUFFIX, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _LEGAL_SUFFIXES:
                tokens = tokens[:-size]
                stripped = True
                break
    if len(tokens) > 1 and tokens[-1] == "and":
        tokens = tokens[:-1]
    return " ".join(tokens)


def _sort_key(normalised: str) -> str:
    return " ".join(sorted(normalised.split()))


def normalise_email(email: str | None) -> str:
    """An e-mail address as compared: trimmed and casefolded; "" when it is not an address."""
    email = (email or "").strip().casefold()
    return email if email.count("@") == 1 and all(email.split("@")) else ""


def email_domain(email: str | None) -> str:
    """The domain of an e-mail address ("Ann@Mail.Acme.com" -> "mail.acme.com"), "" when there is none."""
    email = normalise_email(email)
    return email.rpartition("@")[2] if email else ""


# Mailbox providers: two customers with addresses there share nothing but the provider.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "hotmail.com",
        "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com",
        "aol.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "orange.fr", "free.fr", "laposte.net",
        "proton.me", "protonmail.com", "zoho.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "comcast.net",
    }
)  # fmt: skip


def company_domain(email: str | None) -> str:
    """The domain of an e-mail address when it can say which company it is: "" for gmail.com and the like."""
    domain = email_domain(email)
    return "" if domain in FREE_MAIL_DOMAINS else domain


def name_score(a: str, b: str) -> float:
    """The score of two *normalised* names, 0 to 100: the ratio of their words sorted (rapidfuzz's
    token_sort_ratio: word order is free), or of the names without spaces when that is higher ("pine crest",
    "pinecrest")."""
    return max(fuzz.ratio(_sort_key(a), _sort_key(b)), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def _typo_of(a: str, b: str, min_length: int | None) -> bool:
    if min_length is None or len(a) < min_length or len(b) < min_length or a.isdigit() or b.isdigit():
        return False
    return OSA.distance(a, b, score_cutoff=1) <= 1


def distinctive_difference(a: str, b: str, *, typo_min_length: int | None = None) -> str | None:
    """How two *normalised* names differ in a way that may name another company, or None.

    Word order, stopwords ("of", "and") and a split word ("coca cola", "cocacola") are not distinctive;
    any other word on one side only is, and so is a number. A one-letter typo is tolerated only in words
    of at least `typo_min_length` letters, and by default not at all: measured on the labelled pairs,
    tolerating typos always cost precision ("Katherine"/"Catherine", "Christian"/"Christina").
    """
    only_a = [token for token in a.split() if token not in set(b.split()) and token not in _STOPWORDS]
    only_b = [token for token in b.split() if token not in set(a.split()) and token not in _STOPWORDS]
    if not only_a and not only_b:
        return None
    for token in (*only_a, *only_b):
        if any(char.isdigit() for char in token):
            return f"number {' '.join(only_a) or '-'} vs {' '.join(only_b) or '-'}"
    left_a, left_b = list(only_a), list(only_b)
    for token in only_a:
        partner = next((other for other in left_b if _typo_of(token, other, typo_min_length)), None)
        if partner is not None:
            left_a.remove(token)
            left_b.remove(partner)
    _remove_joined(left_a, b.split(), left_b)
    _remove_joined(left_b, a.split(), left_a)
    if not left_a and not left_b:
        return None
    return f"word {' '.join(left_a) or '-'} vs {' '.join(left_b) or '-'}"


def _remove_joined(left: list[str], other: list[str], other_left: list[str]) -> None:
    """Drop each word of `left` that is a run of `other`'s words written together, and drop that run."""
    for token in list(left):
        runs = (other[start:end] for start in range(len(other)) for end in range(start + 2, len(other) + 1))
        run = next((run for run in runs if "".join(run) == token and all(w in other_left for w in run)), None)
        if run:
            left.remove(token)
            for word in run:
                other_left.remove(word)


@dataclass(frozen=True, slots=True)
class TargetRecord:
    """One record on the target as the mirror knows it. `external_id` is the source id stored on it, if any."""

    record_id: str
    name: str
    emails: tuple[str, ...] = ()
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Fuzzy thresholds of one integration, on the 0-100 score of `name_score`."""

    auto_link: float = 90.0
    review: float = 60.0
    margin: float = 3.0

    def __post_init__(self):
        if not 0 <= self.review <= self.auto_link <= 100 or self.margin < 0:
            raise ValueError(f"need 0 <= review <= auto_link <= 100 and margin >= 0, got {self}")


DEFAULT_THRESHOLDS = Thresholds()


class MatchKind(StrEnum):
    MANUAL = "manual"
    EXTERNAL_ID = "exact_external_id"
    ALIAS = "alias"
    EMAIL = "exact_email"
    NAME = "exact_name"
    FUZZY = "fuzzy"
    REVIEW = "review"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A target record with its name score and the fields that agree or differ with the source."""

    record_id: str
    name: str
    score: float
    agrees: tuple[str, ...] = ()
    differs: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        """A short line for people: "agrees: e-mail; differs: name (word omaha vs chicago)"."""
        parts = [f"agrees: {', '.join(self.agrees)}" if self.agrees else "", ""]
        if self.differs:
            parts[1] = f"differs: {', '.join(self.differs)}"
        return "; ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """What matching concluded. `candidate` is set only when the source may be linked without a person."""

    kind: MatchKind
    candidate: Candidate | None
    candidates: tuple[Candidate, ...] = field(default=())
    reason: str = ""

    @property
    def linked(self) -> bool:
        return self.candidate is not None

    @property
    def needs_review(self) -> bool:
        return self.candidate is None

    @property
    def warn(self) -> bool:
        """A fuzzy automatic link: the caller records it with a warning in the audit log."""
        return self.kind is MatchKind.FUZZY


def _as_record(record: TargetRecord | Sequence) -> TargetRecord:
    if isinstance(record, TargetRecord):
        return record
    record_id, name, *rest = record
    emails = tuple(rest[0] or ()) if rest else ()
    return TargetRecord(str(record_id), name or "", emails, rest[1] if len(rest) > 1 else None)


def _emails(record: TargetRecord) -> set[str]:
    return {normalise_email(email) for email in record.emails} - {""}


@dataclass(slots=True)
class _Query:
    normalised: str
    emails: frozenset[str]
    external_id: str | None


class MatchIndex:
    """Target records of one tenant and target, prepared once, matched many times.

    `records` are `TargetRecord`s or `(record_id, name, emails, external_id)` tuples; `aliases` are
    `(source_name, record_id)` pairs a person already decided; record ids are unique. Keep it fresh with
    `add` (new or changed record), `remove` and `add_alias`; those are not safe alongside lookups in other
    threads, lookups among themselves are.
    """

    def __init__(
        self,
        records: Iterable[TargetRecord | Sequence] = (),
        *,
        aliases: Iterable[tuple[str, str]] = (),
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        limit: int = 5,
        floor: float = 50.0,
    ):
        self.thresholds = thresholds
        self.limit = limit
        self.floor = floor
        self._records: list[TargetRecord] = []
        self._normalised: list[str] = []
        self._position: dict[str, int] = {}
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._by_email: dict[str, list[int]] = defaultdict(list)
        self._by_external_id: dict[str, list[int]] = defaultdict(list)
        self._by_alias: dict[str, list[int]] = defaultdict(list)
        self._choices: list[str] = []
        self._choice_owner: list[int] = []
        # word -> (choice numbers, choice strings) of the choices with that word, for the fuzzy step
        self._postings: dict[str, tuple[list[int], list[str]]] = {}
        self._choices_of: dict[int, list[int]] = {}
        self._aliases_of: dict[int, list[str]] = {}
        for record in records:
            record = _as_record(record)
            if record.record_id in self._position:
                raise ValueError(f"record id {record.record_id!r} appears twice")
            self._add_record(record)
        # The choices are made in one pass after the records, so the strings lie together in memory:
        # a full scan over 100,000 of them runs about three times faster than over interleaved ones.
        for position, normalised in enumerate(self._normalised):
            if normalised:
                self._add_choice(normalised, position)
        for source_name, record_id in aliases:
            self.add_alias(source_name, record_id)

    def __len__(self) -> int:
        return len(self._position)

    def add(self, record: TargetRecord | Sequence) -> None:
        """Add a target record, or replace the one with the same record id (its aliases stay with it)."""
        record = _as_record(record)
        position = self._position.get(record.record_id)
        if position is None:
            position = self._add_record(record)
        else:
            self._unindex(position)
            self._records[position] = record
            self._normalised[position] = normalise_name(record.name)
            self._index(position)
        if self._normalised[position]:
            self._add_choice(self._normalised[position], position)
        for alias in self._aliases_of.get(position, ()):
            self._add_choice(alias, position)

    def remove(self, record_id: str) -> None:
        """Forget a target record (deleted on the target) and the aliases that pointed to it."""
        position = self._position.pop(str(record_id), None)
        if position is None:
            return
        self._unindex(position)
        for alias in self._aliases_of.pop(position, ()):
            self._by_alias[alias].remove(position)

    def add_alias(self, source_name: str, record_id: str) -> None:
        """Remember that a person linked `source_name` to `record_id`; unknown record ids are ignored."""
        position = self._position.get(str(record_id))
        normalised = normalise_name(source_name)
        if position is None or not normalised or position in self._by_alias.get(normalised, ()):
            return
        self._by_alias[normalised].append(position)
        self._aliases_of.setdefault(position, []).append(normalised)
        self._add_choice(normalised, position)

    def _add_record(self, record: TargetRecord) -> int:
        position = len(self._records)
        self._records.append(record)
        self._normalised.append(normalise_name(record.name))
        self._position[record.record_id] = position
        self._index(position)
        return position

    def _index(self, position: int) -> None:
        record, normalised = self._records[position], self._normalised[position]
        if normalised:
            self._by_name[normalised].append(position)
        for email in _emails(record):
            self._by_email[email].append(position)
        if record.external_id:
            self._by_external_id[str(record.external_id)].append(position)

    def _unindex(self, position: int) -> None:
        """Take a record out of the exact lookups and blank its choices (blank choices are never candidates)."""
        record, normalised = self._records[position], self._normalised[position]
        if normalised:
            self._by_name[normalised].remove(position)
        for email in _emails(record):
            self._by_email[email].remove(position)
        if record.external_id:
            self._by_external_id[str(record.external_id)].remove(position)
        for choice in self._choices_of.pop(position, ()):
            for token in set(self._choices[choice].split()) - _STOPWORDS:
                numbers, strings = self._postings[token]
                where = numbers.index(choice)
                del numbers[where], strings[where]
            self._choices[choice] = ""

    def _add_choice(self, normalised: str, position: int) -> None:
        choice, key = len(self._choices), _sort_key(normalised)
        self._choices.append(key)
        self._choice_owner.append(position)
        self._choices_of.setdefault(position, []).append(choice)
        for token in set(normalised.split()) - _STOPWORDS:
            numbers, strings = self._postings.setdefault(token, ([], []))
            numbers.append(choice)
            strings.append(key)

    def get(self, record_id: str) -> TargetRecord | None:
        position = self._position.get(str(record_id))
        return None if position is None else self._records[position]

    def match(
        self,
        name: str,
        *,
        emails: Iterable[str] = (),
        external_id: str | None = None,
        use_email: bool = False,
        linked_record_id: str | None = None,
    ) -> MatchDecision:
        """Decide which target record the source record (name, e-mails, own id) is, or that a person must."""
        query = _Query(
            normalised=normalise_name(name),
            emails=frozenset(normalise_email(email) for email in emails) - {""},
            external_id=str(external_id) if external_id else None,
        )
        if linked_record_id is not None and str(linked_record_id) in self._position:
            return self._single(MatchKind.MANUAL, self._position[str(linked_record_id)], query, "manual link")
        if query.external_id and (hits := self._by_external_id.get(query.external_id)):
            return self._exact(MatchKind.EXTERNAL_ID, hits, query, "same external id", check_conflict=False)
        if query.normalised and (hits := self._by_alias.get(query.normalised)):
            return self._exact(MatchKind.ALIAS, hits, query, "a person linked this name before", check_conflict=False)
        if use_email and query.emails:
            hits = sorted({position for email in query.emails for position in self._by_email.get(email, ())})
            if hits:
                return self._exact(MatchKind.EMAIL, hits, query, "same e-mail")
        if not query.normalised:
            return MatchDecision(MatchKind.NONE, None, (), "no name to match")
        if hits := self._by_name.get(query.normalised):
            return self._exact(MatchKind.NAME, hits, query, "same name after normalisation")
        return self._fuzzy(query)

    def search(self, text: str, limit: int = 10) -> list[Candidate]:
        """Target records whose names resemble `text`, best first (the review queue's Search box)."""
        query = _Query(normalise_name(text), frozenset(), None)
        if not query.normalised:
            return []
        return self._ranked(query, limit=limit, floor=0.0)

    def _candidate(self, position: int, query: _Query, score: float | None = None) -> Candidate:
        record = self._records[position]
        normalised = self._normalised[position]
        agrees, differs = [], []
        if score is None:
            score = 100.0 if normalised == query.normalised else name_score(query.normalised, normalised)
        if normalised == query.normalised:
            agrees.append("name")
        else:
            difference = distinctive_difference(query.normalised, normalised)
            differs.append(f"name ({difference})" if difference else "name (spelling or word order)")
        target_emails = _emails(record)
        if query.emails and target_emails:
            if query.emails & target_emails:
                agrees.append("e-mail")
            elif ({company_domain(e) for e in query.emails} & {company_domain(e) for e in target_emails}) - {""}:
                agrees.append("e-mail domain")
            else:
                differs.append("e-mail")
        if query.external_id and record.external_id:
            (agrees if str(record.external_id) == query.external_id else differs).append("external id")
        return Candidate(record.record_id, record.name, round(float(score), 1), tuple(agrees), tuple(differs))

    def _conflict(self, position: int, query: _Query) -> bool:
        """The target record already carries another source record's id: linking it would merge two."""
        external_id = self._records[position].external_id
        return bool(query.external_id and external_id and str(external_id) != query.external_id)

    def _single(self, kind: MatchKind, position: int, query: _Query, reason: str) -> MatchDecision:
        candidate = self._candidate(position, query)
        return MatchDecision(kind, candidate, (candidate,), reason)

    def _exact(
        self, kind: MatchKind, hits: Sequence[int], query: _Query, reason: str, *, check_conflict: bool = True
    ) -> MatchDecision:
        candidates = tuple(self._candidate(position, query) for position in hits[: self.limit])
        if len(hits) > 1:
            return MatchDecision(MatchKind.AMBIGUOUS, None, candidates, f"{reason}: {len(hits)} target records")
        if check_conflict and self._conflict(hits[0], query):
            return MatchDecision(MatchKind.REVIEW, None, candidates, f"{reason}, but linked to another record")
        return MatchDecision(kind, candidates[0], candidates, reason)

    def _ranked(self, query: _Query, *, limit: int, floor: float) -> list[Candidate]:
        """The best candidates for `query`, from the choices sharing a word with it when one of those
        scores at least `review` (a candidate sharing no word never passes the distinctive-word guard,
        so it could not be linked anyway), else from all choices."""
        key = _sort_key(query.normalised)
        hits = []
        postings = [
            self._postings[token] for token in set(query.normalised.split()) - _STOPWORDS if token in self._postings
        ]
        if 0 < sum(len(numbers) for numbers, _strings in postings) <= len(self._choices) // 4:
            for numbers, strings in postings:
                found = process.extract(
                    key, strings, scorer=fuzz.ratio, processor=None, score_cutoff=floor, limit=limit * 3
                )
                hits.extend((score, numbers[index]) for _choice, score, index in found)
        if not hits or max(score for score, _choice in hits) < self.thresholds.review:
            found = process.extract(
                key, self._choices, scorer=fuzz.ratio, processor=None, score_cutoff=floor, limit=limit * 3
            )
            hits = [(score, index) for _choice, score, index in found]
        best: dict[int, float] = {}
        spaceless = query.normalised.replace(" ", "")
        for score, choice in hits:
            if not self._choices[choice]:
                continue
            owner = self._choice_owner[choice]
            joined = fuzz.ratio(spaceless, self._normalised[owner].replace(" ", ""))
            best[owner] = max(score, joined, best.get(owner, 0.0))
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._normalised[item[0]], item[0]))
        return [self._candidate(position, query, score) for position, score in ranked[:limit]]

    def _fuzzy(self, query: _Query) -> MatchDecision:
        thresholds = self.thresholds
        candidates = tuple(self._ranked(query, limit=self.limit, floor=min(self.floor, thresholds.review)))
        if not candidates or candidates[0].score < thresholds.review:
            return MatchDecision(MatchKind.NONE, None, candidates, "no candidate reaches the review score")
        top = candidates[0]
        if len(candidates) > 1 and candidates[1].score >= top.score - thresholds.margin:
            return MatchDecision(
                MatchKind.AMBIGUOUS, None, candidates, f"{top.score:g} and {candidates[1].score:g} are too close"
            )
        if top.score < thresholds.auto_link:
            return MatchDecision(MatchKind.REVIEW, None, candidates, f"score {top.score:g} is below auto-link")
        position = self._position[top.record_id]
        if self._conflict(position, query):
            return MatchDecision(MatchKind.REVIEW, None, candidates, "candidate is linked to another record")
        difference = distinctive_difference(query.normalised, self._normalised[position])
        if difference:
            return MatchDecision(MatchKind.REVIEW, None, candidates, f"names differ: {difference}")
        return MatchDecision(MatchKind.FUZZY, top, candidates, f"fuzzy name score {top.score:g}")
