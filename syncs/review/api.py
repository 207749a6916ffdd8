"""REST API for the review queue: `GET /api/v1/review-items/` (open ones unless `?status=`), one item, and the
decisions `link` (`{"record_id": ...}`), `create-new` and `dismiss`. Agents decide as on the page; every
decision is `syncs.review`'s, audited with the caller."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from connections.api_base import IsTenantMember, TenantScopedMixin
from connections.api_fields import StrictCharField
from connections.api_schema import errors, one_of
from syncs import review
from syncs.models import ReviewItem


class ReviewItemSerializer(serializers.ModelSerializer):
    integration = serializers.UUIDField(source="integration.uuid", read_only=True)
    # None while the item is open.
    decided_by = serializers.EmailField(source="decided_by.email", default=None, allow_null=True, read_only=True)

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


class ReviewLinkSerializer(serializers.Serializer):
    record_id = StrictCharField(max_length=100, help_text="A candidate's id, or any record of the mirror.")


DECIDED = {200: ReviewItemSerializer, **errors(409)}


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

    @extend_schema(
        parameters=[OpenApiParameter("status", one_of(ReviewItem.Status.values), description="Default: open.")],
        responses={200: ReviewItemSerializer, **errors(400, 404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _decide(self, decision, item=None):
        item = item or self.get_object()
        try:
            decision(item)
        except review.AlreadyDecided as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        item.refresh_from_db()
        return Response(ReviewItemSerializer(item).data)

    @extend_schema(request=ReviewLinkSerializer, responses={**DECIDED, **errors(400)})
    @action(detail=True, methods=["post"])
    def link(self, request, uuid=None):
        """Link the record to a candidate, or to any record of the mirror: a manual link and an alias."""
        item = self.get_object()  # another workspace's item is a 404 whatever the body says
        body = ReviewLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record_id = body.validated_data["record_id"]
        return self._decide(lambda item: review.link(item, record_id, request.user), item)

    @extend_schema(request=None, responses=DECIDED)
    @action(detail=True, methods=["post"], url_path="create-new")
    def create_new(self, request, uuid=None):
        """None of the candidates: the waiting job creates the record on the target."""
        return self._decide(lambda item: review.create_new(item, request.user))

    @extend_schema(request=None, responses=DECIDED)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, uuid=None):
        """Not a match: the candidates are never linked automatically; the waiting jobs finish unwritten."""
        return self._decide(lambda item: review.dismiss(item, request.user))
