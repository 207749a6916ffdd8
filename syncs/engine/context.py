"""What a flow's steps get: the job, its integration and connections, the audit trail, links and ledger.

The link helpers (`RecordLink`: who is who) and the ledger helpers (`WriteLedger`: what was written, part by
part) are offered on the context so that a provider's writer, given this context by a flow, keeps its
bookkeeping without knowing the sync models. Each of them first holds the job's lease (`claims.hold`): a run
whose job was taken over stops there, before it writes a timeline entry, a link or a ledger row.
"""

from dataclasses import dataclass

from django.utils import timezone

import audit
from connections.models import Connection, Integration
from syncs.engine.claims import hold
from syncs.engine.jobs import release_dependents
from syncs.models import RecordLink, SyncJob, WriteLedger


@dataclass
class Context:
    """What a flow's steps get: the job, its integration and connections, and an audit helper."""

    job: SyncJob | None  # None while polling
    integration: Integration

    @property
    def source(self) -> Connection:
        return self.integration.source

    @property
    def target(self) -> Connection:
        return self.integration.target

    @property
    def flow(self):
        return self.integration.flow

    @property
    def options(self) -> dict:
        return self.integration.options

    def record(self, kind: str, message: str, level: str = "info", data: dict | None = None, target_ref=None):
        job = self.job
        hold(job)
        audit.record(
            kind,
            tenant=self.integration.tenant,
            integration=self.integration,
            level=level,
            message=message,
            source_ref=f"{job.source_type}:{job.source_id}" if job else None,
            target_ref=target_ref,
            data={"job": str(job.uuid), **(data or {})} if job else data,
            job=job,
            pinned=bool(job and job.status == SyncJob.Status.FAILED and not job.dry_run),
        )

    # Links: identity (this client is that organization, that Account) ------------------------------------

    def link(self, source_type: str, source_id, target_type: str) -> RecordLink | None:
        return RecordLink.objects.filter(
            integration=self.integration, source_type=source_type, source_id=str(source_id), target_type=target_type
        ).first()

    def save_link(self, source_type: str, source_id, target_type: str, target_id, method: str = "created") -> None:
        hold(self.job)
        RecordLink.objects.update_or_create(
            integration=self.integration,
            source_type=source_type,
            source_id=str(source_id),
            target_type=target_type,
            defaults={
                "tenant": self.integration.tenant,
                "target_id": str(target_id),
                "method": method,
            },
        )
        if self.flow is not None and target_type == self.flow.target_record_type:
            release_dependents(self.integration, source_type, source_id)

    def source_of(self, source_type: str, target_type: str, target_id) -> str | None:
        """The source record linked to a target record (the client of an organization), or None."""
        found = RecordLink.objects.filter(
            integration=self.integration, source_type=source_type, target_type=target_type, target_id=str(target_id)
        ).first()
        return found.source_id if found else None

    # Ledger: what each part of a source record's write plan last wrote, and whether it surely landed --------

    def written(self, source_type: str, source_id, part: str) -> WriteLedger | None:
        return WriteLedger.objects.filter(
            integration=self.integration, source_type=source_type, source_id=str(source_id), part=part
        ).first()

    def writing(
        self,
        source_type: str,
        source_id,
        part: str,
        target_type: str,
        target_id,
        fingerprint: str,
        attempted=None,
        attempt: str = "",
    ) -> None:
        """Just before the call: from now until `wrote`, the part may or may not have landed. A retry of the same
        payload keeps the time of its first attempt (`attempted`, when the engine already chose it)."""
        if attempted is None:
            before = self.written(source_type, source_id, part)
            again = before is not None and before.state == WriteLedger.State.PENDING
            again = again and before.fingerprint == fingerprint and before.attempted_at
            attempted = before.attempted_at if again else timezone.now()
        self._ledger(
            source_type, source_id, part, target_type, target_id, fingerprint, WriteLedger.State.PENDING, attempted
        )
        if attempt:
            WriteLedger.objects.filter(
                integration=self.integration, source_type=source_type, source_id=str(source_id), part=part
            ).update(attempt=attempt)

    def wrote(self, source_type: str, source_id, part: str, target_type: str, target_id, fingerprint: str) -> None:
        self._ledger(source_type, source_id, part, target_type, target_id, fingerprint, WriteLedger.State.WRITTEN)

    def unwritten(self, source_type: str, source_id, part: str) -> None:
        """The provider refused before writing anything: the next attempt starts afresh. Only a pending mark is
        undone: a row another job has completed meanwhile says the part is written, and stays."""
        hold(self.job)
        WriteLedger.objects.filter(
            integration=self.integration,
            source_type=source_type,
            source_id=str(source_id),
            part=part,
            state=WriteLedger.State.PENDING,
        ).delete()

    def _ledger(self, source_type, source_id, part, target_type, target_id, fingerprint, state, attempted=None):
        hold(self.job)
        WriteLedger.objects.update_or_create(
            integration=self.integration,
            source_type=source_type,
            source_id=str(source_id),
            part=part,
            defaults={
                "tenant": self.integration.tenant,
                "target_type": target_type,
                "target_id": "" if target_id is None else str(target_id),
                "fingerprint": fingerprint,
                "state": state,
                **({"attempted_at": attempted} if attempted else {}),
            },
        )
