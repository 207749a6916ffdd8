"""Names and e-mails as matching compares them: normalisation, the fuzzy score and the distinctive-word guard.

What each step does and why, with the measurements behind the choices, is in `syncs.matching` (the package's
docstring) and `docs/matching.md`.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA


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

# Legal forms long enough that a one-letter slip ("Corporaiton", "Limtied") still says what they are; shorter
# ones ("Co", "Inc") are too close to other words to guess at.
_MISSPELLABLE_SUFFIXES = tuple(s[0] for s in _LEGAL_SUFFIXES if len(s) == 1 and len(s[0]) >= 7)
_MISSPELLABLE_START = {suffix[0] for suffix in _MISSPELLABLE_SUFFIXES}  # a cheap test before the distance

# Abbreviations that mean the same word, so "Acme Intl" and "Acme International" normalise alike.
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "mt": "mount",
    "ft": "fort",
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

# Professional suffixes whose plural names the same firm ("Lee & Chen CPAs" is "Lee & Chen CPA").
_PLURALS = {
    "cpas": "cpa",
    "associates": "associate",
    "partners": "partner",
    "architects": "architect",
    "engineers": "engineer",
    "consultants": "consultant",
    "attorneys": "attorney",
    "lawyers": "lawyer",
    "accountants": "accountant",
    "advisors": "advisor",
    "advisers": "adviser",
    "solicitors": "solicitor",
    "surveyors": "surveyor",
    "dentists": "dentist",
}

_SPELLED_OUT = {**_ABBREVIATIONS, **_PLURALS}  # one lookup per word

# Letters with a usual transliteration besides the plain letter: "Müller" is written "Mueller" as well as
# "Muller", so a name holding one has a second normalised form. `_PLAIN`: letters NFKD does not decompose.
TRANSLITERATIONS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "å": "aa", "æ": "ae", "œ": "oe"})
_PLAIN = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"})

# Words that carry no identity: ignored when looking for a distinctive difference between two names.
STOPWORDS = frozenset({"the", "of", "and", "a", "an", "for", "de", "du", "des", "la", "le", "el", "y", "und", "et"})

_DELETED = re.compile(r"\s*\(deleted(?:[\s-]*\d+)?\)\s*$", re.IGNORECASE)
_JOINERS = re.compile(r"['\u2019\u2018`\u00b4.]")  # dropped without a space: "L.L.C." -> "llc"
_NON_WORD = re.compile(r"[^\w&+]+|_")
_AMPERSAND = re.compile(r"\s*[&+]\s*")


def is_deleted_name(name: str) -> bool:
    """QuickBooks renames a deleted customer "Name (deleted)"."""
    return bool(_DELETED.search(name or ""))


def _fold(text: str, transliterate: bool = False) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    if transliterate:
        text = text.translate(TRANSLITERATIONS)
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _surname_first(text: str) -> str:
    """ "Doe, John" -> "John Doe": one comma between two short parts, the second no legal form."""
    head, comma, tail = text.partition(",")
    if not comma or "," in tail:
        return text
    head_words, tail_words = head.split(), _NON_WORD.sub(" ", _JOINERS.sub("", tail.casefold())).split()
    if not (1 <= len(head_words) <= 2 and 1 <= len(tail_words) <= 2) or _is_legal(tail_words):
        return text
    return f"{tail.strip()} {head.strip()}"


def _is_legal(tokens: list[str]) -> bool:
    return tuple(tokens) in _LEGAL_SUFFIXES or (len(tokens) == 1 and _misspelt_suffix(tokens[0]))


def _misspelt_suffix(token: str) -> bool:
    if len(token) < 6 or (token[0] not in _MISSPELLABLE_START and token[1:2] not in _MISSPELLABLE_START):
        return False
    return any(OSA.distance(token, suffix, score_cutoff=1) <= 1 for suffix in _MISSPELLABLE_SUFFIXES)


def normalise_name(name: str | None, *, transliterate: bool = False) -> str:
    """The comparable form of a company name: "The ACME Corp., Inc. (deleted)" -> "acme".

    NFKC, casefold and accents folded ("ü" is "u"; with `transliterate`, "ue": see `name_forms`); QuickBooks'
    " (deleted)" dropped; "Doe, John" turned round; apostrophes and dots removed ("L.L.C." is "llc"), other
    punctuation is a space; "&" and "+" are "and"; common abbreviations spelled out and professional plurals
    made singular; a leading "The" and trailing legal forms (one letter off for the long ones) removed, but
    never the whole name ("The Company" is "company").
    """
    if not name:
        return ""
    text = _fold(_surname_first(_DELETED.sub("", name)), transliterate)
    text = _JOINERS.sub("", text)
    text = _AMPERSAND.sub(" and ", text)
    tokens = [_SPELLED_OUT.get(token, token) for token in _NON_WORD.sub(" ", text).split()]
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(_LONGEST_SUFFIX, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _LEGAL_SUFFIXES or (size == 1 and _misspelt_suffix(tokens[-1])):
                tokens = tokens[:-size]
                stripped = True
                break
    if len(tokens) > 1 and tokens[-1] == "and":
        tokens = tokens[:-1]
    return " ".join(tokens)


def name_forms(name: str | None) -> tuple[str, ...]:
    """Every normalised form of a name: the folded one, then the transliterated one when it differs
    ("Müller Bau" -> ("muller bau", "mueller bau")), so both "Muller" and "Mueller" find it."""
    folded = normalise_name(name)
    other = normalise_name(name, transliterate=True) if name and not name.isascii() else folded
    return (folded,) if other == folded else (folded, other)


def reordered(a: str, b: str) -> bool:
    """Two *normalised* names of the same words in another order: "north south partners" and "south north
    partners" may be two firms, so that is never an automatic link. Connectives ("and", "of") do not count."""
    words_a = [token for token in a.split() if token not in STOPWORDS]
    words_b = [token for token in b.split() if token not in STOPWORDS]
    return words_a != words_b and sorted(words_a) == sorted(words_b)


def sort_key(normalised: str) -> str:
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
    return max(fuzz.ratio(sort_key(a), sort_key(b)), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


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
    only_a = [token for token in a.split() if token not in set(b.split()) and token not in STOPWORDS]
    only_b = [token for token in b.split() if token not in set(a.split()) and token not in STOPWORDS]
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
