"""REST API for jobs: `GET /api/v1/jobs/` (the jobs list's filters), one job, replay, dry run, bulk replay.

Every member reads; replaying is for owners and admins. The filters are syncs.operating.jobs', the same the pages use;
replaying is the engine's. A dry run is a new job like a replay that writes nothing: the answer is 202 with
that job, whose `result` says what would be written once it has run (poll the job).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from connections.api_base import IsTenantMember, JSONParser, TenantScopedMixin
from connections.api_fields import StrictCharField
from connections.api_schema import MOMENT, UUID, errors, one_of, or_empty, text
from syncs import engine
from syncs.models import SyncJob
from syncs.operating.jobs import JobFilterForm, filter_jobs, open_failures, tenant_jobs


class CanManage(permissions.BasePermission):
    message = "Only owners and admins can replay jobs."

    def has_permission(self, request, view):
        return request.membership.can_manage


class JobSerializer(serializers.ModelSerializer):
    integration = serializers.UUIDField(source="integration.uuid", read_only=True)
    # None for a job no inbound event started (a poll, a backfill) and for one that is no replay.
    event = serializers.UUIDField(source="event.uuid", default=None, allow_null=True, read_only=True)
    replay_of = serializers.UUIDField(source="replay_of.uuid", default=None, allow_null=True, read_only=True)
    source_ref = serializers.SerializerMethodField()

    class Meta:
        model = SyncJob
        fields = [
            "uuid",
            "integration",
            "event",
            "replay_of",
            "trigger",
            "source_ref",
            "source_type",
            "source_id",
            "status",
            "dry_run",
            "attempts",
            "next_attempt_at",
            "last_error_type",
            "last_error_message",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_source_ref(self, job) -> str:
        return f"{job.source_type}:{job.source_id}"


FILTER_PARAMETERS = [
    OpenApiParameter("status", or_empty(one_of(SyncJob.Status.values))),
    OpenApiParameter("integration", or_empty(UUID), description="Jobs of this integration of the workspace."),
    OpenApiParameter("trigger", or_empty(one_of(SyncJob.Trigger.values))),
    OpenApiParameter("error", text(60), description='The last error\'s type, e.g. "Invalid" or "NeedsReauth".'),
    OpenApiParameter("record", text(200), description='The source record: "client:100001", or a bare "100001".'),
    OpenApiParameter("since", or_empty(MOMENT), description="Created at or after this date or moment."),
]


class BulkReplaySerializer(serializers.Serializer):
    """The filters of a bulk replay; each one given narrows the open failures replayed."""

    status = serializers.ChoiceField(choices=[SyncJob.Status.FAILED, SyncJob.Status.PARKED], required=False)
    integration = serializers.UUIDField(required=False, help_text="An integration of the workspace.")
    trigger = serializers.ChoiceField(choices=SyncJob.Trigger.choices, required=False)
    error = StrictCharField(max_length=60, required=False)
    record = StrictCharField(max_length=200, required=False)
    since = serializers.DateTimeField(required=False)


BULK_RESPONSE = inline_serializer("BulkReplayResponse", {"replayed": serializers.IntegerField()})


class JobViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The tenant's sync jobs, newest first."""

    serializer_class = JobSerializer
    queryset = SyncJob.objects.none()  # for the schema; requests use get_queryset
    lookup_field = "uuid"

    def get_permissions(self):
        if self.action in ("replay", "dry_run", "replay_matching"):
            return [IsTenantMember(), CanManage()]
        return super().get_permissions()

    def get_queryset(self):
        return tenant_jobs(self.request.tenant).select_related("replay_of")

    def filtered(self, data):
        form = JobFilterForm(data, tenant=self.request.tenant)
        if not form.is_valid():
            raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
        return filter_jobs(self.get_queryset(), **form.cleaned_data)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return self.filtered(self.request.query_params)

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: JobSerializer, **errors(400, 404)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, uuid=None):
        """A new job for the same source record; it fetches the record again and writes it if it changed."""
        new = engine.replay(self.get_object(), request.user)
        return Response(JobSerializer(new).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request, uuid=None):
        """Like replay, but writes nothing: the new job's `result` says what it would write."""
        new = engine.replay(self.get_object(), request.user, dry_run=True)
        return Response(JobSerializer(new).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=BulkReplaySerializer,
        responses={200: BULK_RESPONSE, **errors(400)},
        operation_id="v1_jobs_replay_matching",
    )
    @action(detail=False, methods=["post"], url_path="replay", parser_classes=[JSONParser])
    def replay_matching(self, request):
        """Replay every open failure (failed or parked, not since put right) that matches the filters."""
        body = BulkReplaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        jobs = open_failures(self.filtered(body.validated_data))
        return Response({"replayed": engine.replay_matching(jobs, request.user)})
