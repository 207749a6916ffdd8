"""The match index: every target record of one mirror in memory, answering with a typed decision.

Built once per integration and record type from the mirror and kept fresh with `add`/`remove`; exact answers
are dictionary lookups, and the fuzzy step scores only the names that share a word with the query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process

from syncs.matching.names import (
    STOPWORDS,
    company_domain,
    distinctive_difference,
    name_forms,
    name_score,
    normalise_email,
    reordered,
    sort_key,
)


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
    name: str = ""
    forms: tuple[str, ...] = ()  # every normalised form: the folded one first, then a transliterated one


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
        self._alternate: dict[int, str] = {}  # a second normalised form ("mueller bau" beside "muller bau")
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
        for position, alternate in self._alternate.items():
            self._add_choice(alternate, position)
        for source_name, record_id in aliases:
            self.add_alias(source_name, record_id)

    def __len__(self) -> int:
        return len(self._position)

    @property
    def names(self) -> int:
        """The name strings it holds (records, their second forms, aliases, and those replaced since): what its
        memory grows with, and what a process's cap on its indexes counts."""
        return len(self._choices)

    def add(self, record: TargetRecord | Sequence) -> None:
        """Add a target record, or replace the one with the same record id (its aliases stay with it)."""
        record = _as_record(record)
        position = self._position.get(record.record_id)
        if position is None:
            position = self._add_record(record)
        else:
            self._unindex(position)
            self._records[position] = record
            self._set_forms(position, record.name)
            self._index(position)
        if self._normalised[position]:
            self._add_choice(self._normalised[position], position)
        if position in self._alternate:
            self._add_choice(self._alternate[position], position)
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
        if position is None:
            return
        for normalised in name_forms(source_name):
            if not normalised or position in self._by_alias.get(normalised, ()):
                continue
            self._by_alias[normalised].append(position)
            self._aliases_of.setdefault(position, []).append(normalised)
            self._add_choice(normalised, position)

    def _add_record(self, record: TargetRecord) -> int:
        position = len(self._records)
        self._records.append(record)
        self._normalised.append("")
        self._set_forms(position, record.name)
        self._position[record.record_id] = position
        self._index(position)
        return position

    def _set_forms(self, position: int, name: str) -> None:
        forms = name_forms(name)
        self._normalised[position] = forms[0]
        if len(forms) > 1:
            self._alternate[position] = forms[1]
        else:
            self._alternate.pop(position, None)

    def _forms_of(self, position: int) -> tuple[str, ...]:
        alternate = self._alternate.get(position)
        return (self._normalised[position], alternate) if alternate else (self._normalised[position],)

    def _index(self, position: int) -> None:
        record = self._records[position]
        for normalised in self._forms_of(position):
            if normalised:
                self._by_name[normalised].append(position)
        for email in _emails(record):
            self._by_email[email].append(position)
        if record.external_id:
            self._by_external_id[str(record.external_id)].append(position)

    def _unindex(self, position: int) -> None:
        """Take a record out of the exact lookups and blank its choices (blank choices are never candidates)."""
        record = self._records[position]
        for normalised in self._forms_of(position):
            if normalised:
                self._by_name[normalised].remove(position)
        for email in _emails(record):
            self._by_email[email].remove(position)
        if record.external_id:
            self._by_external_id[str(record.external_id)].remove(position)
        for choice in self._choices_of.pop(position, ()):
            for token in set(self._choices[choice].split()) - STOPWORDS:
                numbers, strings = self._postings[token]
                where = numbers.index(choice)
                del numbers[where], strings[where]
            self._choices[choice] = ""

    def _add_choice(self, normalised: str, position: int) -> None:
        choice, key = len(self._choices), sort_key(normalised)
        self._choices.append(key)
        self._choice_owner.append(position)
        self._choices_of.setdefault(position, []).append(choice)
        for token in set(normalised.split()) - STOPWORDS:
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
        forms = name_forms(name)
        query = _Query(
            normalised=forms[0],
            emails=frozenset(normalise_email(email) for email in emails) - {""},
            external_id=str(external_id) if external_id else None,
            name=name or "",
            forms=forms,
        )
        if linked_record_id is not None and str(linked_record_id) in self._position:
            return self._single(MatchKind.MANUAL, self._position[str(linked_record_id)], query, "manual link")
        if query.external_id and (hits := self._by_external_id.get(query.external_id)):
            return self._exact(MatchKind.EXTERNAL_ID, hits, query, "same external id", check_conflict=False)
        if hits := self._hits(self._by_alias, query):
            return self._exact(MatchKind.ALIAS, hits, query, "a person linked this name before", check_conflict=False)
        if use_email and query.emails:
            hits = sorted({position for email in query.emails for position in self._by_email.get(email, ())})
            if hits:
                return self._exact(MatchKind.EMAIL, hits, query, "same e-mail")
        if not query.normalised:
            return MatchDecision(MatchKind.NONE, None, (), "no name to match")
        if hits := self._hits(self._by_name, query):
            return self._exact(MatchKind.NAME, hits, query, "same name after normalisation" + self._spelt(hits, query))
        return self._fuzzy(query)

    @staticmethod
    def _hits(lookup: dict[str, list[int]], query: _Query) -> list[int]:
        """Positions found under any form of the query's name, each once, in order."""
        found: list[int] = []
        for form in query.forms:
            found += [position for position in lookup.get(form, ()) if position not in found] if form else []
        return found

    def _spelt(self, hits: Sequence[int], query: _Query) -> str:
        """ " (Mueller = Müller)" when the names meet only by a transliteration: the reason says so in words."""
        record = self._records[hits[0]]
        if self._normalised[hits[0]] == query.normalised or len(hits) > 1:
            return ""
        return f" ({query.name} = {record.name})"

    def search(self, text: str, limit: int = 10) -> list[Candidate]:
        """Target records whose names resemble `text`, best first (the review queue's Search box)."""
        forms = name_forms(text)
        query = _Query(forms[0], frozenset(), None, text, forms)
        if not query.normalised:
            return []
        return self._ranked(query, limit=limit, floor=0.0)

    def _candidate(self, position: int, query: _Query, score: float | None = None) -> Candidate:
        record = self._records[position]
        mine, theirs = self._closest(position, query)
        agrees, differs = [], []
        if score is None:
            score = 100.0 if mine == theirs else name_score(mine, theirs)
        if mine == theirs:
            agrees.append(
                "name"
                if mine == query.normalised == self._normalised[position]
                else f"name ({query.name} = {record.name})"
            )
        elif reordered(mine, theirs):
            differs.append("name (same words in another order)")
        else:
            difference = distinctive_difference(mine, theirs)
            differs.append(f"name ({difference})" if difference else "name (spelling)")
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

    def _closest(self, position: int, query: _Query) -> tuple[str, str]:
        """The pair of forms (the query's, the record's) that agree best: equal, else without a distinctive
        difference, else the folded ones."""
        if len(query.forms) < 2 and position not in self._alternate:
            return query.normalised, self._normalised[position]
        pairs = [(mine, theirs) for mine in query.forms or (query.normalised,) for theirs in self._forms_of(position)]
        equal = next(((mine, theirs) for mine, theirs in pairs if mine == theirs), None)
        if equal:
            return equal
        return next(((m, t) for m, t in pairs if distinctive_difference(m, t) is None), pairs[0])

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
        best: dict[int, float] = {}
        for form in query.forms or (query.normalised,):
            self._rank_form(form, limit, floor, best)
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._normalised[item[0]], item[0]))
        return [self._candidate(position, query, score) for position, score in ranked[:limit]]

    def _rank_form(self, normalised: str, limit: int, floor: float, best: dict[int, float]) -> None:
        key = sort_key(normalised)
        hits = []
        postings = [self._postings[token] for token in set(normalised.split()) - STOPWORDS if token in self._postings]
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
        spaceless = normalised.replace(" ", "")
        for score, choice in hits:
            if not self._choices[choice]:
                continue
            owner = self._choice_owner[choice]
            joined = max(fuzz.ratio(spaceless, form.replace(" ", "")) for form in self._forms_of(owner))
            best[owner] = max(score, joined, best.get(owner, 0.0))

    def _fuzzy(self, query: _Query) -> MatchDecision:
        thresholds = self.thresholds
        candidates = tuple(self._ranked(query, limit=self.limit, floor=min(self.floor, thresholds.review)))
        if not candidates:  # still the nearest, so a person never has to search for the obvious one
            candidates = tuple(self._ranked(query, limit=3, floor=0.0))
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
        mine, theirs = self._closest(position, query)
        difference = distinctive_difference(mine, theirs)
        if difference:
            return MatchDecision(MatchKind.REVIEW, None, candidates, f"names differ: {difference}")
        if reordered(mine, theirs):
            return MatchDecision(MatchKind.REVIEW, None, candidates, "same words in another order")
        return MatchDecision(MatchKind.FUZZY, top, candidates, f"fuzzy name score {top.score:g}")
