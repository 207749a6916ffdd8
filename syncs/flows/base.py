"""The flow interface: what an integration does, in small steps the engine calls in order.

    fetch(ctx, ref)            the full, current source record (None when it is gone)
    map(ctx, record)           -> Mapped, or a Plan of several Mapped parts written in order (pure)
    find_target(ctx, ...)      the target id for a part without a link (match, or None to create)
    write(ctx, mapped, link)   create or update one part on the target; returns the target id

The engine owns everything else: claiming the job, the links (identity) and the ledger of what each part
last wrote (an unchanged part is never written again; a retry resumes at the part that did not land),
retries, rate limits, parking, the audit trail and dry runs. A flow raises the typed errors of
`connections.providers.errors` and `NeedsReview`; it never retries or sleeps itself.

A flow also declares its options (`default_options`, `option_fields`) and what it would write (`preview`);
`clean_options` checks a change of options in one place for the integration page and the API alike.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from syncs.matching import DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class SourceRef:
    type: str
    id: str


@dataclass
class Mapped:
    """One part of what a source record becomes on the target: its type, the payload, and whose it is.

    `name` tells the parts of a plan apart in the ledger (default: the target type). `source` is the source
    record the part stands for when it is not the job's own (an invoice's plan may carry its client's
    Account). `identity` says the part's target *is* that source record's counterpart, so the engine links the
    two; by default, a part is identity when it writes the flow's target record type for its source type.
    """

    target_type: str
    payload: dict
    # A human summary for the audit log and the fit check ("Acme Corp -> organization").
    summary: str = ""
    extra: dict = field(default_factory=dict)
    name: str = ""
    source: SourceRef | None = None
    identity: bool | None = None

    @property
    def part(self) -> str:
        return self.name or self.target_type

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps([self.target_type, self.payload], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Plan:
    """The ordered parts one source record becomes (an Account, then an Opportunity); each is written on its
    own, idempotently, so a part already holding its payload costs no call."""

    parts: list[Mapped]
    summary: str = ""

    @classmethod
    def of(cls, mapped) -> "Plan":
        return mapped if isinstance(mapped, Plan) else cls([mapped], mapped.summary)


class NeedsReview(Exception):
    """No confident match: the job waits for a person's decision (see the review queue)."""

    def __init__(self, message: str, *, review_item=None):
        super().__init__(message)
        self.review_item = review_item


class Skip(Exception):
    """Nothing to write for this record (e.g. an expense without a client); succeeded, with the reason."""


@dataclass(frozen=True)
class OptionField:
    """One option of a flow as the integration page shows it: a checkbox, a number in a range, a choice, or a
    short text (a stage name of the customer's own)."""

    name: str
    label: str
    kind: str  # "bool", "int", "float", "choice" or "text"
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    def clean(self, raw, *, from_form: bool):
        """(value, error): a form sends strings ("on" for a ticked box); the API sends JSON values."""
        if self.kind == "bool":
            if from_form:
                return raw is not None, None
            return (raw, None) if isinstance(raw, bool) else (None, f"{self.label}: true or false, please.")
        if self.kind == "text":
            if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > 255:
                return None, f"{self.label}: up to 255 characters of text, please."
            return raw.strip(), None
        if self.kind == "choice":
            error = None if raw in self.choices else f"{self.label}: choose one of {', '.join(self.choices)}."
            return raw, error
        if isinstance(raw, bool):
            return None, f"{self.label}: a number, please."
        try:
            value = int(raw) if self.kind == "int" else float(raw)
        except (TypeError, ValueError):
            return None, f"{self.label}: a number, please."
        if self.kind == "int" and not from_form and isinstance(raw, float) and raw != value:
            return None, f"{self.label}: a whole number, please."
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            return value, f"{self.label}: between {self.low:g} and {self.high:g}."
        return value, None


# The matching thresholds every flow that matches customers offers (`syncs.review` reads them from the options).
THRESHOLD_DEFAULTS = {"auto_link": DEFAULT_THRESHOLDS.auto_link, "review": DEFAULT_THRESHOLDS.review}
THRESHOLD_FIELDS = (
    OptionField("auto_link", "Link automatically from this fuzzy score (0-100)", "float", low=0, high=100),
    OptionField("review", "Ask a person from this fuzzy score (0-100)", "float", low=0, high=100),
)


def threshold_errors(options: dict) -> list[str]:
    if float(options["review"]) > float(options["auto_link"]):
        return ["Asking a person must start at or below the automatic link score."]
    return []


class Flow:
    slug = ""
    name = ""
    source_provider = ""
    target_provider = ""
    # The customer records matched across the two systems (a client, an organization): the
    # mirror, the fit check, the backfill and the review queue read these.
    source_record_type = ""
    target_record_type = ""
    listens_to: frozenset[str] = frozenset()
    # Events from the *target* connection this flow also acts on (e.g. organization.created, checked
    # against the source's customers); their jobs carry a `source_type` the flow knows lives on the target.
    target_listens_to: frozenset[str] = frozenset()
    # The record types polling and backfill read from the source, each listed page by page by `changes()`.
    polled_types: tuple[str, ...] = ()
    default_options: Mapping = {}
    option_fields: tuple[OptionField, ...] = ()

    def external_id_of(self, source_id) -> str:
        """How a target record carries this source record's id, as the mirror reads it (the matcher's exact
        external-id step, and its guard against linking a record that carries another one's)."""
        return str(source_id)

    def options(self, integration_options: dict | None) -> dict:
        """The options in force: the defaults, overridden by what the integration saved."""
        return {**self.default_options, **(integration_options or {})}

    def clean_options(self, values: Mapping, *, from_form: bool, current: dict | None = None) -> tuple[dict, list[str]]:
        """(options to save, errors): every option field from `values`, checked; nothing else is accepted.

        From a form, every field is read (an unticked box is absent, so False); from the API, only the keys
        given, and a key the flow does not know is an error.
        """
        chosen, errors = {}, []
        known = {option.name: option for option in self.option_fields}
        if not from_form:
            errors += [f"{name}: this integration has no such option." for name in values if name not in known]
        for option in self.option_fields:
            if not from_form and option.name not in values:
                continue
            raw = values.get(option.name) if not from_form or option.kind == "bool" else values.get(option.name, "")
            value, error = option.clean(raw, from_form=from_form)
            if error:
                errors.append(error)
                if value is None:
                    continue
            chosen[option.name] = value
        if not errors:
            errors += self.check_options({**self.options(current), **chosen})
        return chosen, errors

    def check_options(self, options: dict) -> list[str]:
        """Rules across the options in force (e.g. one threshold below another); an error message per rule broken."""
        return []

    def preview(self, options: dict) -> dict:
        """What the flow writes, on made-up data, for the integration page: {what: text}."""
        return {}

    def source_ref(self, event) -> SourceRef:
        return SourceRef(event.object_type, event.object_id)

    def fetch(self, ctx, ref: SourceRef) -> dict | None:
        raise NotImplementedError

    def map(self, ctx, record: dict) -> "Mapped | Plan":
        raise NotImplementedError

    def find_target(self, ctx, record: dict, mapped: Mapped) -> tuple[str | None, str]:
        """(target id or None to create, how it was found: "exact", "fuzzy", "manual")."""
        return None, "created"

    def write(self, ctx, mapped: Mapped, target_id: str | None) -> str:
        raise NotImplementedError

    def changes(self, ctx, record_type: str, since, page: int) -> tuple[list[dict], bool]:
        """One page of source records of `record_type` changed since `since` (None: all); (records, more)."""
        raise NotImplementedError
