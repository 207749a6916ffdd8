"""FreshBooks <-> Zendesk: billing context where support agents work (seed 000, issue 8).

What moves, by the source record a job is about:

    invoice, payment   FreshBooks invoice.create/update, payment.create (webhook or polling). The client's
                       Zendesk organization gets a billing summary (last three invoices, total outstanding, last
                       payment) in a managed section of its `notes` and in three custom fields, and each of its
                       open tickets gets an internal note for this invoice version, once.
    expense            The same for an expense of a client (category, amount, date, vendor); an expense without
                       a client is skipped, with the reason in the audit log.
    client             Name, e-mail and address go to the linked organization (name, and a managed section of
                       `details`). A rename that collides with another organization opens a review item.
    organization       Zendesk organization.created: checked against FreshBooks clients; a likely duplicate
                       opens a "possible duplicate" review item with both records.
    ticket             Zendesk ticket.created by a requester whose organization is linked: an internal note with
                       the billing summary, so the agent sees it when opening the ticket.

Matching: a client's organization is its RecordLink (client -> organization), else `review.match_or_review`
(exact, then fuzzy, else a person decides). Jobs of the client's invoices, payments and expenses that wait for
that decision (`engine.wait_for`) are released when the link appears.

What is said lives beside this module (`freshbooks_zendesk_billing`); how Zendesk takes it, with every write
idempotent on its own (a managed section with its fingerprint, notes once per version with a marker, one job
at a time per organization), is the Zendesk package's `OrganizationWriter`.

API calls per invoice event (client linked, custom fields known, summary changed, N open tickets):
FreshBooks 3 (the invoice with lines, the client's invoices, the client's payments; a payment event adds the
payment itself), Zendesk 3 + N (read the organization, write it once with section and fields, list its
tickets, one note per open ticket). The first event of an unlinked client adds one FreshBooks call (the client,
for matching, which reads the local mirror and calls nothing); the first event on a Zendesk account adds one
call to list custom fields (and one create per missing field), then cached for a day. A replay or duplicate of
an unchanged invoice costs the 3 FreshBooks reads and nothing on Zendesk.
"""

from __future__ import annotations

from connections.providers.freshbooks import client as freshbooks
from connections.providers.freshbooks.domain import client_name
from connections.providers.zendesk import client as zendesk
from connections.providers.zendesk.organizations import OrganizationWriter
from syncs import engine, review
from syncs.flows.base import (
    THRESHOLD_DEFAULTS,
    THRESHOLD_FIELDS,
    Flow,
    Mapped,
    NeedsReview,
    OptionField,
    Skip,
    SourceRef,
    threshold_errors,
)
from syncs.flows.freshbooks_zendesk_billing import (
    CUSTOM_FIELDS,
    SECTION_TITLES,
    billing_summary,
    expense_line,
    expense_note,
    invoice_note,
    preview,
    summary_fields,
    summary_lines,
    ticket_note,
)
from syncs.matching import Candidate, MatchDecision, MatchKind
from syncs.models import RecordLink, RemoteRecord, ReviewItem

SLUG = "freshbooks_zendesk"

# What an integration does unless its options say otherwise (the integration page edits `options`).
DEFAULT_OPTIONS = {
    "invoices": True,  # invoice and payment events: summary, fields and ticket notes
    "expenses": True,
    "clients": True,  # client name, e-mail and address to the organization
    "duplicates": True,  # new Zendesk organizations checked against FreshBooks clients
    "tickets": True,  # ticket.created gets the billing summary
    "ticket_notes": True,  # invoice and expense notes on the organization's open tickets
    "include_drafts": False,  # draft invoices were never sent: agents should not quote them
    "recent_invoices": 3,
    "summary_field": "notes",  # where the billing section lives: "notes" or "details"
    **THRESHOLD_DEFAULTS,
}

# How the integration page shows and edits them.
OPTION_FIELDS = (
    OptionField("invoices", "Invoices and payments: billing summary, custom fields and ticket notes", "bool"),
    OptionField("expenses", "Expenses of a client: summary section and ticket notes", "bool"),
    OptionField("clients", "Client name, e-mail and address to the organization", "bool"),
    OptionField("duplicates", "Check new Zendesk organizations against FreshBooks clients", "bool"),
    OptionField("tickets", "New tickets get the billing summary as an internal note", "bool"),
    OptionField("ticket_notes", "Invoice and expense notes on the organization's open tickets", "bool"),
    OptionField("include_drafts", "Count draft invoices (never sent to the customer)", "bool"),
    OptionField("recent_invoices", "Invoices listed in the summary", "int", low=1, high=10),
    OptionField("summary_field", "Organization field that holds the summary", "choice", ("notes", "details")),
    *THRESHOLD_FIELDS,
)

WRITER = OrganizationWriter(source_type="client", sections=SECTION_TITLES, custom_fields=CUSTOM_FIELDS)


class FreshBooksZendesk(Flow):
    slug = SLUG
    name = "FreshBooks -> Zendesk: billing context for support"
    source_provider = "freshbooks"
    target_provider = "zendesk"
    listens_to = frozenset(
        {
            "invoice.create",
            "invoice.update",
            "payment.create",
            "payment.update",
            "expense.create",
            "expense.update",
            "client.create",
            "client.update",
        }
    )
    target_listens_to = frozenset({"organization.created", "ticket.created"})
    source_record_type, target_record_type = "client", "organization"
    polled_types = ("client", "invoice", "payment", "expense")
    default_options = DEFAULT_OPTIONS
    option_fields = OPTION_FIELDS

    def preview(self, options: dict) -> dict:
        return preview(self.options(options))

    def check_options(self, options: dict) -> list[str]:
        return threshold_errors(options)

    def external_id_of(self, source_id) -> str:
        return f"freshbooks:client:{source_id}"  # what this flow gives the organizations it creates

    # Fetch: the full, current records, from the system each one lives on ------------------------------

    def fetch(self, ctx, ref: SourceRef) -> dict | None:
        return getattr(self, f"fetch_{ref.type}")(ctx, ref.id)

    def fetch_invoice(self, ctx, invoice_id, payment=None) -> dict | None:
        invoice = freshbooks.get_invoice(ctx.source, invoice_id, integration=ctx.integration)
        if invoice is None:
            return None
        return {"kind": "invoice", "invoice": invoice, "payment": payment, **self.billing(ctx, invoice["customerid"])}

    def fetch_payment(self, ctx, payment_id) -> dict | None:
        payment = freshbooks.get_record(ctx.source, "payment", payment_id, integration=ctx.integration)
        if payment is None:
            return None
        record = self.fetch_invoice(ctx, payment["invoiceid"], payment)
        return record and {**record, "kind": "payment"}

    def fetch_expense(self, ctx, expense_id) -> dict | None:
        expense = freshbooks.get_record(ctx.source, "expense", expense_id, integration=ctx.integration)
        if expense is None:
            return None
        record = {"kind": "expense", "expense": expense, "client_id": str(expense.get("clientid") or "")}
        project_id = expense.get("projectid") or 0
        if record["client_id"] in ("", "0") and project_id:  # tagged with a project: its client's expense
            project = freshbooks.get_project(ctx.source, project_id, integration=ctx.integration)
            record["project"] = project or {"id": project_id, "title": None, "client_id": None, "missing": True}
            record["client_id"] = str((project or {}).get("client_id") or "")
        if record["client_id"] and record["client_id"] != "0":
            search = {"clientid": record["client_id"]}
            record["expenses"] = freshbooks.list_all(ctx.source, "expense", search=search, integration=ctx.integration)
        return record

    def fetch_client(self, ctx, client_id) -> dict | None:
        client = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration)
        return client and {"kind": "client", "client": client, "client_id": str(client["id"])}

    def fetch_organization(self, ctx, org_id) -> dict | None:
        org = zendesk.get_organization(ctx.target, org_id, integration=ctx.integration)
        return org and {"kind": "organization", "organization": org}

    def fetch_ticket(self, ctx, ticket_id) -> dict | None:
        """The ticket, its organization (the requester's when the ticket names none) and, when that
        organization is linked to a client, the client's billing."""
        ticket = zendesk.get_ticket(ctx.target, ticket_id, integration=ctx.integration)
        if ticket is None:
            return None
        org_id = ticket.get("organization_id")
        if not org_id and ticket.get("requester_id"):
            requester = zendesk.get_user(ctx.target, ticket["requester_id"], integration=ctx.integration) or {}
            org_id = requester.get("organization_id")
        record = {"kind": "ticket", "ticket": ticket, "organization_id": org_id and str(org_id)}
        client_id = ctx.source_of("client", "organization", org_id) if org_id else None
        if client_id:
            record.update(self.billing(ctx, client_id))
        return record

    def billing(self, ctx, client_id) -> dict:
        """The client's invoices and payments, every page: two list calls up to 100 of each, one more per 100."""
        invoices = freshbooks.list_all(
            ctx.source, "invoice", search={"customerid": client_id}, integration=ctx.integration
        )
        payments = freshbooks.list_all(
            ctx.source, "payment", search={"clientid": client_id}, integration=ctx.integration
        )
        return {"client_id": str(client_id), "invoices": invoices, "payments": payments}

    # Map: what each record means on Zendesk (no calls; Skip when there is nothing to write) -------------

    def map(self, ctx, record: dict) -> Mapped:
        return getattr(self, f"map_{record['kind']}")(ctx, record)

    def summary_of(self, ctx, record) -> dict:
        opts = self.options(ctx.options)
        return billing_summary(
            record["invoices"],
            record["payments"],
            recent=int(opts["recent_invoices"]),
            include_drafts=bool(opts["include_drafts"]),
        )

    def map_invoice(self, ctx, record) -> Mapped:
        opts = self.options(ctx.options)
        if not opts["invoices"]:
            raise Skip("Invoices are switched off for this integration.")
        invoice = record["invoice"]
        summary = self.summary_of(ctx, record)
        name = invoice.get("current_organization") or invoice.get("organization") or f"client {invoice['customerid']}"
        note = None
        countable = invoice.get("vis_state", 0) == 0 and (opts["include_drafts"] or invoice.get("v3_status") != "draft")
        if countable and opts["ticket_notes"]:
            version, body = invoice_note(invoice, name, summary)
            note = {"source": ["invoice", str(invoice["id"])], "version": version, "body": body}
        payload = {
            "client_id": record["client_id"],
            "section": {
                "field": opts["summary_field"],
                "name": "billing",
                "text": WRITER.section_text("billing", summary_lines(summary)),
            },
            "fields": summary_fields(summary),
            "note": note,
        }
        return Mapped(
            "organization",
            payload,
            summary=f"Invoice {invoice.get('invoice_number')} of {name}: outstanding {summary['outstanding']}, "
            f"{summary['payment_status']}",
        )

    map_payment = map_invoice

    def map_expense(self, ctx, record) -> Mapped:
        opts = self.options(ctx.options)
        expense = record["expense"]
        if not opts["expenses"]:
            raise Skip("Expenses are switched off for this integration.")
        project = record.get("project")
        if project and (not record["client_id"] or record["client_id"] == "0"):
            what = "no longer exists in FreshBooks" if project.get("missing") else "belongs to no client (internal)"
            raise Skip(
                f"Expense {expense['id']} ({expense_line(expense)}) is tagged with project "
                f"{project.get('title') or project['id']}, which {what}; nothing is posted to Zendesk."
            )
        if not record["client_id"] or record["client_id"] == "0":
            raise Skip(
                f"Expense {expense['id']} ({expense_line(expense)}) has no client; nothing is posted to Zendesk."
            )
        recent = sorted(
            (e for e in record["expenses"] if e.get("vis_state", 0) == 0),
            key=lambda e: (e.get("date") or "", e["id"]),
            reverse=True,
        )[: int(opts["recent_invoices"])]
        note = None
        if expense.get("vis_state", 0) == 0 and opts["ticket_notes"]:
            version, body = expense_note(expense)
            note = {"source": ["expense", str(expense["id"])], "version": version, "body": body}
        lines = [f"• {expense_line(e)}" for e in recent] or ["No expenses."]
        payload = {
            "client_id": record["client_id"],
            "section": {
                "field": opts["summary_field"],
                "name": "expenses",
                "text": WRITER.section_text("expenses", lines),
            },
            "fields": {},
            "note": note,
        }
        return Mapped("organization", payload, summary=f"Expense {expense['id']}: {expense_line(expense)}")

    def map_client(self, ctx, record) -> Mapped:
        if not self.options(ctx.options)["clients"]:
            raise Skip("Client updates are switched off for this integration.")
        client = record["client"]
        address = ", ".join(
            part
            for part in (client.get(f"p_{key}") for key in ("street", "street2", "city", "province", "code", "country"))
            if part
        )
        lines = [f"Email: {client.get('email') or 'none'}", f"Address: {address or 'none'}"]
        payload = {
            "client_id": record["client_id"],
            "name": client_name(client),
            "section": {"field": "details", "name": "contact", "text": WRITER.section_text("contact", lines)},
            "fields": {},
            "note": None,
        }
        return Mapped("organization", payload, summary=f"Client {client_name(client)} -> organization")

    def map_organization(self, ctx, record) -> Mapped:
        """A new Zendesk organization that looks like an existing FreshBooks client opens a review item."""
        org = record["organization"]
        if not self.options(ctx.options)["duplicates"]:
            raise Skip("The duplicate check is switched off for this integration.")
        if ctx.source_of("client", "organization", org["id"]):
            raise Skip(f"Organization {org['name']!r} is already linked to a FreshBooks client.")
        item = review.possible_duplicate(
            ctx,
            record_id=str(org["id"]),
            name=org["name"],
            external_id=org.get("external_id"),
            record_type="organization",
            source_type="client",
            candidates=self.client_candidates(ctx),
            summary={"details": org.get("details") or "", "domains": org.get("domain_names") or []},
        )
        if item is None:
            raise Skip(f"No FreshBooks client looks like the new organization {org['name']!r}.")
        ctx.record(
            "match.possible_duplicate",
            f"The new Zendesk organization {org['name']!r} looks like an existing FreshBooks client; "
            "flagged for review.",
            "warning",
            {"review_item": str(item.uuid), "candidates": item.candidates[:3]},
            target_ref=f"organization:{org['id']}",
        )
        raise Skip(f"Organization {org['name']!r} may duplicate a FreshBooks client: a review item is open.")

    def client_candidates(self, ctx):
        """FreshBooks clients to compare with: the mirror when there is one, else a paged read (100 a call)."""
        if RemoteRecord.objects.filter(connection=ctx.source, record_type="client").exists():
            return None
        candidates, page, more = [], 1, True
        while more:
            clients, more = freshbooks.list_records(ctx.source, "client", page=page, integration=ctx.integration)
            candidates += [(str(c["id"]), client_name(c), (c.get("email") or "",), None) for c in clients]
            page += 1
        return candidates

    def map_ticket(self, ctx, record) -> Mapped:
        ticket = record["ticket"]
        if not self.options(ctx.options)["tickets"]:
            raise Skip("Ticket notes are switched off for this integration.")
        if not record["organization_id"]:
            raise Skip(f"Ticket {ticket['id']} has no organization; no billing to show.")
        if "invoices" not in record:
            raise Skip(f"Ticket {ticket['id']}: organization {record['organization_id']} is not linked to a client.")
        summary = self.summary_of(ctx, record)
        body = ticket_note(summary, record["client_id"], ticket["id"])
        note = {"source": ["ticket", str(ticket["id"])], "version": "summary", "body": body}
        return Mapped(
            "ticket_note",
            {"ticket_id": str(ticket["id"]), "note": note},
            summary=f"Billing summary for ticket {ticket['id']}: {summary['outstanding']}, {summary['payment_status']}",
        )

    # Find the target: the client's link, else matching (or a person) --------------------------------------

    def find_target(self, ctx, record: dict, mapped: Mapped) -> tuple[str | None, str]:
        if mapped.target_type == "ticket_note":
            return mapped.payload["ticket_id"], RecordLink.Method.EXACT
        client_id = mapped.payload["client_id"]
        linked = ctx.link("client", client_id, "organization")
        if linked:
            return linked.target_id, linked.method
        return self.match_client(ctx, record, client_id)

    def match_client(self, ctx, record, client_id) -> tuple[str | None, str]:
        client = record.get("client") or freshbooks.get_record(
            ctx.source, "client", client_id, integration=ctx.integration
        )
        if client is None:
            raise Skip(f"FreshBooks client {client_id} no longer exists.")
        try:
            target_id, method = review.match_or_review(
                ctx,
                source_type="client",
                source_id=str(client_id),
                name=client_name(client),
                emails=tuple(e for e in (client.get("email"),) if e),
                external_id=self.external_id_of(client_id),
                record_type="organization",
                summary={"email": client.get("email") or "", "city": client.get("p_city") or ""},
            )
        except NeedsReview:
            if ctx.job is not None and ctx.job.source_type != "client":
                reason = f"Waits for a person to decide which organization client {client_id} is."
                engine.wait_for(ctx, "client", client_id, reason)
            raise
        if target_id and not (ctx.job and ctx.job.dry_run):
            ctx.save_link("client", client_id, "organization", target_id, method)
            self.warn_if_names_differ(ctx, client_name(client), target_id)
        return target_id, method

    def warn_if_names_differ(self, ctx, name: str, org_id) -> None:
        """'Acme Corp' linked to 'Acme Corporation' is right, but a person may want to know (seed 000)."""
        mirrored = RemoteRecord.objects.filter(
            connection=ctx.target, record_type="organization", remote_id=str(org_id)
        ).first()
        if mirrored and mirrored.name.casefold() != name.casefold():
            ctx.record(
                "match.names_differ",
                f"FreshBooks client {name!r} is linked to the Zendesk organization {mirrored.name!r}: the names "
                "differ; change the link on the review page if this is wrong.",
                "warning",
                target_ref=f"organization:{org_id}",
            )

    # Write: each part idempotent on its own (see OrganizationWriter) --------------------------------------

    def write(self, ctx, mapped: Mapped, target_id: str | None) -> str:
        if mapped.target_type == "ticket_note":
            ticket_id = mapped.payload["ticket_id"]
            WRITER.post_note_once(ctx, ticket_id, mapped.payload["note"])
            return ticket_id
        payload = mapped.payload
        client_id = payload["client_id"]
        linked = ctx.link("client", client_id, "organization")
        if linked and linked.target_id != target_id:
            target_id = linked.target_id  # a person re-linked the client since this record was written
        if target_id is None:
            target_id = WRITER.create(
                ctx,
                client_id,
                name_of=lambda: self.new_organization_name(ctx, client_id, payload),
                external_id=self.external_id_of(client_id),
            )
        with WRITER.lock(ctx, target_id):
            section, fields = payload["section"], payload["fields"]
            collision = WRITER.update(
                ctx, target_id, client_id, section=section, fields=fields, name=payload.get("name")
            )
            if collision:
                self.review_name_collision(ctx, client_id, collision)  # unless a person decided: raises
            if payload["note"]:
                WRITER.post_to_open_tickets(ctx, target_id, payload["note"])
        return target_id

    def new_organization_name(self, ctx, client_id, payload) -> str:
        """A person chose "create new" for this client: the organization takes the client's name."""
        if payload.get("name"):
            return payload["name"]
        client = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration) or {}
        return client_name(client) if client else f"FreshBooks client {client_id}"

    def review_name_collision(self, ctx, client_id, collision) -> None:
        """A rename Zendesk refused because another organization has that name: a person decides whether the
        client is that other organization (the link moves there) or keeps its organization (the name is left).
        The rest of the update is written; the job waits for the decision, which runs it again at once."""
        org, wanted_name = collision.organization, collision.wanted_name
        decided = self.collision_decision(ctx, client_id, wanted_name)
        if decided is not None and (decided.status == "dismissed" or decided.linked_record_id == str(org["id"])):
            WRITER.remember_name(ctx, client_id, str(org["id"]), wanted_name)
            ctx.record(
                "match.rename_left",
                f"{org['name']!r} keeps its name: another Zendesk organization is called {wanted_name!r}, and "
                f"{decided.decided_by or 'a person'} decided the client stays linked here.",
                target_ref=f"organization:{org['id']}",
            )
            return
        candidates = (
            *(Candidate(str(o["id"]), o["name"], 100.0, ("name",)) for o in collision.others),
            Candidate(str(org["id"]), org["name"], 0.0, ("linked now",), ("name",)),
        )
        item = review.open_item(
            ctx,
            kind="match",
            source_type="client",
            source_id=str(client_id),
            summary={
                "name": wanted_name,
                "emails": [],
                "external_id": "",
                "linked_to": org["name"],
                "collision": wanted_name,
            },
            target_type="organization",
            decision=MatchDecision(MatchKind.REVIEW, None, candidates, "rename collides"),
            reason=f"renaming {org['name']!r} to {wanted_name!r} collides with another Zendesk organization",
        )
        ctx.record(
            "match.name_collision",
            f"FreshBooks renamed the client to {wanted_name!r}, which another Zendesk organization already has; "
            f"{org['name']!r} keeps its name until a person decides.",
            "warning",
            {"review_item": str(item.uuid)},
            target_ref=f"organization:{org['id']}",
        )
        raise NeedsReview(
            f"The rename of {org['name']!r} to {wanted_name!r} waits for a person (another organization has "
            "that name); the rest of the client's details were written.",
            review_item=item,
        )

    def collision_decision(self, ctx, client_id, wanted_name: str):
        """The latest decision a person made about this client's rename to `wanted_name`, or None."""
        return (
            ReviewItem.objects.filter(
                integration=ctx.integration,
                kind=ReviewItem.Kind.MATCH,
                source_type="client",
                source_id=str(client_id),
                source_summary__collision=wanted_name,
            )
            .exclude(status=ReviewItem.Status.OPEN)
            .order_by("-decided_at", "-id")
            .first()
        )

    # Polling and backfill --------------------------------------------------------------------------------

    def changes(self, ctx, record_type: str, since, page: int) -> tuple[list[dict], bool]:
        return freshbooks.list_records(ctx.source, record_type, since=since, page=page, integration=ctx.integration)


FLOW = FreshBooksZendesk()
