"""REST API for the review queue: `GET /api/v1/review-items/` (open ones unless `?status=`), one item, and the
decisions `link` (`{"record_id": ...}`), `create-new` and `dismiss`. Agents decide as on the page; every
decision is `syncs.review`'s, audited with the caller."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from connections.api_base import IsTenantMember, TenantScopedMixin
from syncs import review
from syncs.models import ReviewItem


class ReviewItemSerializer(serializers.ModelSerializer):
    integration = serializers.UUIDField(source="integration.uuid", read_only=True)
    decided_by = serializers.EmailField(source="decided_by.email", default=None, read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "uuid",
            "integration",
            "kind",
            "source_type",
            "source_id",
            "source_summary",
            "target_type",
            "candidate_type",
            "candidates",
            "reason",
            "status",
            "linked_record_id",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class ReviewItemViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewItemSerializer
    queryset = ReviewItem.objects.none()  # for the schema; requests use get_queryset
    lookup_field = "uuid"
    permission_classes = [IsTenantMember]

    def get_queryset(self):
        items = ReviewItem.objects.filter(tenant=self.request.tenant).select_related("integration", "decided_by")
        if self.action == "list":
            wanted = self.request.query_params.get("status", ReviewItem.Status.OPEN)
            if wanted not in ReviewItem.Status.values:
                raise ValidationError({"status": f"One of {', '.join(ReviewItem.Status.values)}."})
            items = items.filter(status=wanted)
        return items.order_by("created_at", "id")

    @extend_schema(parameters=[OpenApiParameter("status", str, description="open (default), linked, ...")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _decide(self, decision):
        item = self.get_object()
        try:
            decision(item)
        except review.AlreadyDecided as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        item.refresh_from_db()
        return Response(ReviewItemSerializer(item).data)

    @extend_schema(
        request=inline_serializer("ReviewLink", {"record_id": serializers.CharField()}),
        responses=ReviewItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def link(self, request, uuid=None):
        """Link the record to a candidate, or to any record of the mirror: a manual link and an alias."""
        record_id = str(request.data.get("record_id") or "")
        return self._decide(lambda item: review.link(item, record_id, request.user))

    @extend_schema(request=None, responses=ReviewItemSerializer)
    @action(detail=True, methods=["post"], url_path="create-new")
    def create_new(self, request, uuid=None):
        """None of the candidates: the waiting job creates the record on the target."""
        return self._decide(lambda item: review.create_new(item, request.user))

    @extend_schema(request=None, responses=ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, uuid=None):
        """Not a match: the candidates are never linked automatically; the waiting jobs finish unwritten."""
        return self._decide(lambda item: review.dismiss(item, request.user))
