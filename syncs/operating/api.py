"""REST API for jobs: `GET /api/v1/jobs/` (the jobs list's filters), one job, replay, dry run, bulk replay.

Every member reads; replaying is for owners and admins. The filters are syncs.operating.jobs', the same the pages use;
replaying is the engine's. A dry run is a new job like a replay that writes nothing: the answer is 202 with
that job, whose `result` says what would be written once it has run (poll the job).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from connections.api_base import IsTenantMember, TenantScopedMixin
from syncs import engine
from syncs.models import SyncJob
from syncs.operating.jobs import JobFilterForm, filter_jobs, open_failures, tenant_jobs


class CanManage(permissions.BasePermission):
    message = "Only owners and admins can replay jobs."

    def has_permission(self, request, view):
        return request.membership.can_manage


class JobSerializer(serializers.ModelSerializer):
    integration = serializers.UUIDField(source="integration.uuid", read_only=True)
    event = serializers.UUIDField(source="event.uuid", default=None, read_only=True)
    replay_of = serializers.UUIDField(source="replay_of.uuid", default=None, read_only=True)
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
    OpenApiParameter("status", str, enum=SyncJob.Status.values),
    OpenApiParameter("integration", OpenApiTypes.UUID, description="Jobs of this integration."),
    OpenApiParameter("trigger", str, enum=SyncJob.Trigger.values),
    OpenApiParameter("error", str, description='The last error\'s type, e.g. "Invalid" or "NeedsReauth".'),
    OpenApiParameter("record", str, description='The source record: "client:100001", or a bare "100001".'),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Created at or after this moment."),
]

BULK_REQUEST = inline_serializer(
    "BulkReplayRequest",
    {
        "status": serializers.ChoiceField(choices=["failed", "parked"], required=False),
        "integration": serializers.UUIDField(required=False),
        "trigger": serializers.CharField(required=False),
        "error": serializers.CharField(required=False),
        "record": serializers.CharField(required=False),
        "since": serializers.DateTimeField(required=False),
    },
)
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
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        return filter_jobs(self.get_queryset(), **form.cleaned_data)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return self.filtered(self.request.query_params)

    @extend_schema(parameters=FILTER_PARAMETERS)
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

    @extend_schema(request=BULK_REQUEST, responses=BULK_RESPONSE, operation_id="v1_jobs_replay_matching")
    @action(detail=False, methods=["post"], url_path="replay")
    def replay_matching(self, request):
        """Replay every open failure (failed or parked, not since put right) that matches the filters."""
        jobs = open_failures(self.filtered(request.data))
        return Response({"replayed": engine.replay_matching(jobs, request.user)})
