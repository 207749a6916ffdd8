"""Writing to Zendesk organizations for a flow: managed sections, custom fields, notes written once, renames.

A flow decides what to say; this writer knows how Zendesk takes it, so every flow that writes organizations
(FreshBooks clients today, QuickBooks customers next) writes the same way:
- a managed section is a block of an organization's free text (`notes` or `details`) between marker lines,
  replaced on every write and never appended, so what people wrote around it stays;
- custom organization fields are created when missing (checked once a day per account);
- one PUT carries the section, the fields and a rename, and none is sent when the section's fingerprint says
  Zendesk already holds exactly this;
- a rename Zendesk refuses because another organization has that name comes back as a `RenameCollision` for
  the flow to put to a person; the rest of the update is written;
- an internal note goes on a ticket once per source record and version: it ends with a marker, and a ledger
  ledger row is written as pending before the call and completed after it, so only an uncertain earlier
  attempt reads the ticket's comments to look for the marker;
- one job at a time writes to one organization (`OrganizationLock`, a short cache lock kept alive by the
  write's calls).

Its bookkeeping goes through the context a flow passes in (`ctx.link` for who is who, `ctx.written` and
`ctx.wrote` for the ledger of what was written, `ctx.record`), so this package needs nothing of `syncs`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from time import monotonic

from django.conf import settings
from django.core.cache import cache

from connections.providers import http
from connections.providers.errors import Invalid, RateLimited, Retryable
from connections.providers.zendesk import client as zendesk

FIELDS_CACHE_SECONDS = 24 * 3600


def digest(*parts) -> str:
    """A short, stable fingerprint of what was written (or of what a note says)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def section_text(title: str, lines: list[str]) -> str:
    return "\n".join(
        [
            f"=== {title} (kept up to date by ml-connector; edits inside are replaced) ===",
            *lines,
            f"=== end of {title} ===",
        ]
    )


def with_section(text: str | None, title: str, section: str) -> str:
    """`text` with the managed section `title` replaced by `section` (appended when absent); the rest is kept."""
    escaped = re.escape(title)
    pattern = re.compile(rf"=== {escaped} \(.*?=== end of {escaped} ===", re.S)
    text = text or ""
    if pattern.search(text):
        return pattern.sub(lambda _m: section, text, count=1)
    return f"{text.rstrip()}\n\n{section}" if text.strip() else section


def marker_of(body: str) -> str:
    """A note's marker: its last line (source record and version)."""
    return body.rsplit("\n", 1)[-1]


def same_value(current, wanted) -> bool:
    if current is None or wanted is None:
        return current == wanted
    try:
        return Decimal(str(current)) == Decimal(str(wanted))
    except ArithmeticError:
        return str(current) == str(wanted)


def name_taken(exc: Invalid) -> bool:
    details = (exc.details or {}).get("details") if isinstance(exc.details, dict) else None
    return any(item.get("error") == "DuplicateValue" for item in ((details or {}).get("name") or []))


@dataclass
class RenameCollision:
    """Zendesk refused to rename `organization` to `wanted_name`: `others` already have that name."""

    organization: dict
    wanted_name: str
    others: list[dict]


class OrganizationLock:
    """One job at a time writes to an organization (its managed sections and its tickets' notes).

    It lasts a job's lease (`SYNC_LEASE_SECONDS`), so a worker killed while holding it frees the organization
    when its job is taken over; a longer write (notes on many tickets) renews it at its calls' heartbeats.
    """

    def __init__(self, ctx, org_id):
        self.key = f"zendesk-organization-lock:{ctx.integration.pk}:{org_id}"
        self.token = uuid.uuid4().hex
        self.org_id = org_id
        self.kept_at = 0.0
        self.beating = contextlib.ExitStack()

    def __enter__(self):
        if not cache.add(self.key, self.token, timeout=settings.SYNC_LEASE_SECONDS):
            raise Retryable(f"Another job is writing to organization {self.org_id}; trying again shortly.")
        self.kept_at = monotonic()
        self.beating.enter_context(http.heartbeat(self.keep))
        return self

    def keep(self) -> None:
        """Renewed once a third of its time has passed, while it is still ours."""
        if monotonic() - self.kept_at >= settings.SYNC_LEASE_SECONDS / 3 and cache.get(self.key) == self.token:
            cache.touch(self.key, timeout=settings.SYNC_LEASE_SECONDS)
            self.kept_at = monotonic()

    def __exit__(self, *exc):
        self.beating.close()
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


class OrganizationWriter:
    """How one flow writes its source records onto organizations.

    `source_type` names the source records (their links are `source_type -> organization`), `sections` maps a
    section's name to its title, `custom_fields` are (key, type, title) of the fields the flow keeps.
    """

    target_type = "organization"

    def __init__(self, *, source_type: str, sections: dict[str, str], custom_fields: tuple = ()):
        self.source_type = source_type
        self.sections = sections
        self.custom_fields = custom_fields

    def section_text(self, name: str, lines: list[str]) -> str:
        return section_text(self.sections[name], lines)

    def lock(self, ctx, org_id) -> OrganizationLock:
        return OrganizationLock(ctx, org_id)

    def create(self, ctx, source_id, *, name_of, external_id: str) -> str:
        """One organization for a source record a person said is new, whichever of its jobs gets here first.

        Created by `external_id` (Zendesk matches on it, never on the name), so a retry after a lost answer
        finds the organization instead of making a second one. `name_of()` is asked only when one is made.
        """
        with OrganizationLock(ctx, f"{self.source_type}-{source_id}"):
            linked = ctx.link(self.source_type, source_id, self.target_type)
            if linked:
                return linked.target_id
            fields = {"name": name_of(), "external_id": external_id}
            created = zendesk.create_or_update_organization(ctx.target, fields, integration=ctx.integration)
            ctx.save_link(self.source_type, source_id, self.target_type, created["id"], "created")
            return str(created["id"])

    def update(self, ctx, org_id: str, source_id, *, section: dict, fields: dict, name: str | None):
        """Replace the managed section, set the custom fields and (when the source renamed it) the name, in one
        PUT, unless the section's fingerprint says Zendesk already holds exactly this.

        `section` is {"field", "name", "text"}. Returns a `RenameCollision` when Zendesk refused the name.
        """
        fingerprint = digest(org_id, section, fields, name)
        part = f"section:{section['name']}"
        kept = ctx.written(self.source_type, source_id, part)
        if kept and kept.holds(fingerprint, org_id):
            return None
        if fields:
            self.ensure_custom_fields(ctx)
        org = zendesk.get_organization(ctx.target, org_id, integration=ctx.integration)
        if org is None:
            raise Invalid(
                f"Zendesk organization {org_id} no longer exists; link the {self.source_type} again.",
                provider="zendesk",
            )
        changes = {}
        text = with_section(org.get(section["field"]), self.sections[section["name"]], section["text"])
        if text != (org.get(section["field"]) or ""):
            changes[section["field"]] = text
        current = org.get("organization_fields") or {}
        changed_fields = {k: v for k, v in fields.items() if not same_value(current.get(k), v)}
        if changed_fields:
            changes["organization_fields"] = changed_fields
        seen_name = ctx.written(self.source_type, source_id, "name")
        if name and seen_name and seen_name.fingerprint != digest(name) and name != org["name"]:
            changes["name"] = name  # renamed at the source since we last looked (a first link renames nothing)
        collision = None
        if changes:
            try:
                zendesk.update_organization(ctx.target, org_id, changes, integration=ctx.integration)
            except Invalid as exc:
                if "name" not in changes or not name_taken(exc):
                    raise
                changes.pop("name")
                if changes:
                    zendesk.update_organization(ctx.target, org_id, changes, integration=ctx.integration)
                same_name = zendesk.organizations_named(ctx.target, name, integration=ctx.integration)
                others = [o for o in same_name if str(o["id"]) != str(org["id"])]
                collision = RenameCollision(org, name, others)
        if collision:  # the rest is written, the name is not: the next run tries the rename again
            return collision
        if name:
            self.remember_name(ctx, source_id, org_id, name)
        ctx.wrote(self.source_type, source_id, part, self.target_type, org_id, fingerprint)
        return None

    def remember_name(self, ctx, source_id, org_id, name: str) -> None:
        """The source's name as handled: written, or left as a person decided after a collision."""
        ctx.wrote(self.source_type, source_id, "name", self.target_type, org_id, digest(name))

    def ensure_custom_fields(self, ctx) -> None:
        """The flow's organization fields exist on this Zendesk account (checked once a day)."""
        key = f"zendesk-organization-fields:{ctx.target.uuid}:{digest(self.custom_fields)}"
        if cache.get(key):
            return
        existing = {f["key"] for f in zendesk.organization_fields(ctx.target, integration=ctx.integration)}
        for field_key, field_type, title in self.custom_fields:
            if field_key not in existing:
                zendesk.create_organization_field(ctx.target, field_key, field_type, title, integration=ctx.integration)
                ctx.record("zendesk.field_created", f"Created the organization field {title!r} on Zendesk.")
        cache.set(key, True, timeout=FIELDS_CACHE_SECONDS)

    def post_note_once(self, ctx, ticket_id, note: dict) -> None:
        """An internal note on a ticket, once per source record and version.

        `note` is {"source": [type, id], "version", "body"}; the body's last line is its marker.
        """
        source_type, source_id = note["source"]
        part, version = f"note:{ticket_id}", note["version"]
        text = marker_of(note["body"])
        done = ctx.written(source_type, source_id, part)
        if done and done.holds(version):
            return
        if done and done.state == done.State.PENDING and done.fingerprint == version:
            comments = zendesk.ticket_comments(ctx.target, ticket_id, integration=ctx.integration)
            if any(text in (c.get("body") or "") for c in comments):
                ctx.wrote(source_type, source_id, part, "ticket", ticket_id, version)
                return
        ctx.writing(source_type, source_id, part, "ticket", ticket_id, version)
        try:
            zendesk.add_internal_note(ctx.target, ticket_id, note["body"], integration=ctx.integration)
        except Invalid as exc:
            if not zendesk.refused_as_closed(ctx.target, ticket_id, exc, integration=ctx.integration):
                raise
            ctx.record("note.skipped", f"Ticket {ticket_id} was closed before the note could be added.")
            ctx.wrote(source_type, source_id, part, "ticket", ticket_id, version)
            return
        except RateLimited:
            # Refused before anything was written; any other failure leaves it uncertain (pending).
            ctx.unwritten(source_type, source_id, part)
            raise
        ctx.wrote(source_type, source_id, part, "ticket", ticket_id, version)
        ctx.record(
            "note.posted",
            f"Internal note on ticket {ticket_id} for {source_type} {source_id}.",
            data={"version": note["version"]},
            target_ref=f"ticket:{ticket_id}",
        )

    def post_to_open_tickets(self, ctx, org_id, note: dict) -> None:
        for ticket in zendesk.open_tickets_of_organization(ctx.target, org_id, integration=ctx.integration):
            self.post_note_once(ctx, ticket["id"], note)
