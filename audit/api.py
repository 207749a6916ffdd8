"""REST API for the audit log: `GET /api/v1/audit-events/` (the page's filters) and one event by uuid.

Read-only for every member of the tenant. The filters and the keyset pagination are audit.queries', the
same the log page uses; `next` is a link to the following page, absent on the last one.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from audit.models import AuditEvent
from audit.queries import MAX_PAGE_SIZE, PAGE_SIZE, AuditFilterForm, filter_events, page_of, tenant_events
from audit.redaction import redact
from connections.api_base import TenantScopedMixin
from connections.api_schema import MOMENT, UUID, errors, one_of, or_empty, text


class AuditEventSerializer(serializers.ModelSerializer):
    # None for an event of no person, connection or integration (a webhook, a sweep).
    actor = serializers.EmailField(source="actor.email", default=None, allow_null=True, read_only=True)
    connection = serializers.UUIDField(source="connection.uuid", default=None, allow_null=True, read_only=True)
    integration = serializers.UUIDField(source="integration.uuid", default=None, allow_null=True, read_only=True)
    data = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "uuid",
            "created_at",
            "kind",
            "level",
            "message",
            "actor",
            "connection",
            "integration",
            "source_ref",
            "target_ref",
            "pinned",
            "data",
        ]
        read_only_fields = fields

    def get_data(self, event) -> dict:
        """Redacted again on the way out, like the detail page does."""
        return redact(event.data)


class AuditKeysetPagination(BasePagination):
    """Keyset pages from audit.queries.page_of; the cursor and page size are read by AuditFilterForm."""

    def paginate_queryset(self, queryset, request, view=None):
        form = view.filter_form
        self.request = request
        self.page = page_of(
            queryset, cursor=form.cleaned_data["cursor"], size=form.cleaned_data["page_size"] or view.page_size
        )
        return self.page.events

    def get_next_link(self):
        if not self.page.next_cursor:
            return None
        query = self.request.query_params.copy()
        query["cursor"] = self.page.next_cursor
        return self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


FILTER_PARAMETERS = [
    OpenApiParameter("connection", or_empty(UUID), description="Events of this connection of the workspace."),
    OpenApiParameter("integration", or_empty(UUID), description="Events of this integration of the workspace."),
    OpenApiParameter("kind", text(60), description='Kinds starting with this: "api." or "webhook.received".'),
    OpenApiParameter("level", or_empty(one_of(AuditEvent.Level.values))),
    OpenApiParameter("since", or_empty(MOMENT), description="From this date or moment on (inclusive)."),
    OpenApiParameter("until", or_empty(MOMENT), description="Before this moment; a bare date includes the day."),
    OpenApiParameter("record", text(200), description="A source or target record's id: that record's story."),
    OpenApiParameter("q", text(200), description="Text in the message (case-insensitive)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` link's cursor; any other is a 400."),
    OpenApiParameter(
        "page_size",
        or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
        description=f"Events per page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE}).",
    ),
]


class AuditEventViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The tenant's audit events, newest first. Every member may read them; nobody writes them here."""

    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()  # for the schema; requests use get_queryset
    lookup_field = "uuid"
    pagination_class = AuditKeysetPagination
    page_size = PAGE_SIZE

    def get_queryset(self):
        return tenant_events(self.request.tenant)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        self.filter_form = AuditFilterForm(self.request.query_params, tenant=self.request.tenant)
        if not self.filter_form.is_valid():
            raise ValidationError({name: list(messages) for name, messages in self.filter_form.errors.items()})
        return filter_events(queryset, **self.filter_form.cleaned_data)

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: AuditEventSerializer, **errors(400)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
