"""REST API at /api/v1/: the active tenant's connections and integrations. Secrets are never serialised."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

import audit
from connections.api_base import CanManageOrReadOnly, IsTenantMember, JSONParser, TenantScopedMixin
from connections.api_fields import StrictBooleanField
from connections.api_schema import errors
from connections.credentials.views import ping
from connections.models import Connection, Integration
from connections.tenancy import memberships_of
from syncs import fitcheck
from syncs.models import FitCheck
from syncs.polling import start_backfill


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    tenant = serializers.DictField()
    role = serializers.CharField()
    workspaces = serializers.ListField(child=serializers.DictField())


class MeView(TenantScopedMixin, APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        def describe(tenant):
            return {"uuid": str(tenant.uuid), "name": tenant.name, "slug": tenant.slug}

        return Response(
            {
                "email": request.user.email,
                "name": request.user.get_full_name() or request.user.get_username(),
                "tenant": describe(request.tenant),
                "role": request.membership.role,
                "workspaces": [{**describe(m.tenant), "role": m.role} for m in memberships_of(request.user)],
            }
        )


class ConnectionSerializer(serializers.ModelSerializer):
    """Everything about a connection a caller may see: which secrets are set, never their values."""

    provider_name = serializers.CharField(read_only=True)
    has_secrets = serializers.DictField(child=serializers.BooleanField(), read_only=True)

    class Meta:
        model = Connection
        fields = [
            "uuid",
            "provider",
            "provider_name",
            "label",
            "status",
            "addresses",
            "access_expires_at",
            "refresh_expires_at",
            "last_ping_at",
            "last_ping_ok",
            "last_error",
            "has_secrets",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PingSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    checked_at = serializers.DateTimeField()


@extend_schema_view(list=extend_schema(responses={200: ConnectionSerializer, **errors(404)}))
class ConnectionViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Connections are made through the connect flows in the browser; the API reads them."""

    serializer_class = ConnectionSerializer
    queryset = Connection.objects.none()  # for the schema; requests use get_queryset
    lookup_field = "uuid"

    def get_queryset(self):
        return Connection.objects.filter(tenant=self.request.tenant)

    @extend_schema(request=None, responses=PingSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, uuid=None):
        """Test connection: call the provider's cheapest real endpoint and say what came back."""
        connection = self.get_object()
        ok, message = ping(connection)
        return Response({"ok": ok, "message": message, "checked_at": connection.last_ping_at})


class TenantConnectionField(serializers.SlugRelatedField):
    """A connection named by uuid, looked up among the caller's tenant's connections only."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="uuid", **kwargs)

    def get_queryset(self):
        return Connection.objects.filter(tenant=self.context["request"].tenant)

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(uuid=data)
        except (Connection.DoesNotExist, DjangoValidationError, ValueError, TypeError):
            self.fail("does_not_exist", slug_name="uuid", value=data)


# At least a minute and under 1,000 days (longer ones overflow the database's interval), as the API writes
# durations: "00:15:00", "1 00:00:00" (a day), fractions of a second after a dot.
POLL_INTERVAL = (
    r"^(?:[1-9][0-9]{0,2} [0-9]{2}:[0-5][0-9]:[0-5][0-9]|(?:0[1-9]|[1-9][0-9]):[0-5][0-9]:[0-5][0-9]"
    r"|00:(?:0[1-9]|[1-5][0-9]):[0-5][0-9])(?:\.[0-9]{1,6})?$"
)


@extend_schema_field({"type": "string", "nullable": True, "pattern": POLL_INTERVAL})
class PollIntervalField(serializers.DurationField):
    """How often to poll the source; null turns polling off. Read and written in one spelling, the schema's."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(POLL_INTERVAL, value):
            self.fail("invalid", format='"HH:MM:SS" or "D HH:MM:SS", at least a minute and under 1,000 days')
        return super().to_internal_value(value)


@extend_schema_field({"type": "object", "additionalProperties": True})
class OptionsField(serializers.JSONField):
    """The flow's options by name; which names and values a kind takes is the flow's (`Flow.option_fields`)."""


class IntegrationSerializer(serializers.ModelSerializer):
    source = TenantConnectionField(help_text="A connection of the workspace, by uuid.")
    target = TenantConnectionField(help_text="A connection of the workspace, by uuid.")
    kind_name = serializers.CharField(read_only=True)
    options = OptionsField(required=False)
    poll_interval = PollIntervalField(required=False, allow_null=True)
    enabled = StrictBooleanField(required=False)

    class Meta:
        model = Integration
        fields = [
            "uuid",
            "kind",
            "kind_name",
            "source",
            "target",
            "enabled",
            "options",
            "poll_interval",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["uuid", "kind_name", "archived_at", "created_at", "updated_at"]

    def validate(self, attrs):
        instance = self.instance or Integration(tenant=self.context["request"].tenant)
        before = dict(instance.options or {})
        for key, value in attrs.items():
            setattr(instance, key, value)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        if "options" in attrs:
            attrs["options"] = self.clean_options(instance.flow, attrs["options"], before)
        return attrs

    def clean_options(self, flow, options, before: dict) -> dict:
        """The same checks as the integration page (`Flow.clean_options`): known options, right kinds."""
        if not isinstance(options, dict):
            raise ValidationError({"options": ["Options must be a JSON object."]})
        chosen, errors = flow.clean_options(options, from_form=False, current=before)
        if errors:
            raise ValidationError({"options": errors})
        return chosen

    def create(self, validated_data):
        return Integration.objects.create(tenant=self.context["request"].tenant, **validated_data)


class FitCheckSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    status = serializers.ChoiceField(choices=FitCheck.Status.choices)
    progress = serializers.DictField()
    report = serializers.DictField()
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)  # None until it has run


def query_flag(request, name: str) -> bool:
    """A boolean query parameter, spelt as the schema says ("true" or "false", once); anything else is a 400."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    if len(values) > 1 or values[0] not in ("true", "false"):
        raise ValidationError({name: ['Use "true" or "false".']})
    return values[0] == "true"


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("archived", bool, description="List the archived integrations too.")],
        responses={200: IntegrationSerializer, **errors(400, 404)},
    ),
    create=extend_schema(responses={201: IntegrationSerializer, **errors(400)}),
    update=extend_schema(responses={200: IntegrationSerializer, **errors(400)}),
    partial_update=extend_schema(responses={200: IntegrationSerializer, **errors(400)}),
)
class IntegrationViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IntegrationSerializer
    queryset = Integration.objects.none()  # for the schema; requests use get_queryset
    lookup_field = "uuid"
    permission_classes = [IsTenantMember, CanManageOrReadOnly]
    parser_classes = [JSONParser]  # `options` is a JSON object, which no form encoding carries

    def get_queryset(self):
        integrations = Integration.objects.filter(tenant=self.request.tenant).select_related("source", "target")
        if self.action == "list" and not query_flag(self.request, "archived"):
            return integrations.filter(archived_at__isnull=True)  # archived ones are listed with ?archived=true
        return integrations

    def _record(self, verb, integration, **data):
        audit.record(
            f"integration.{verb}",
            tenant=self.request.tenant,
            actor=self.request.user,
            integration=integration if verb != "deleted" else None,
            message=f"{self.request.user.email} {verb} the integration {integration} through the API.",
            data={"integration": str(integration.uuid), **data},
        )

    def perform_create(self, serializer):
        integration = serializer.save()
        self._record("created", integration)
        if integration.enabled:
            start_backfill(integration)

    def perform_update(self, serializer):
        was_enabled = serializer.instance.enabled
        integration = serializer.save()
        self._record("updated", integration)
        if integration.enabled and not was_enabled:
            start_backfill(integration)

    @extend_schema(
        parameters=[
            OpenApiParameter("permanently", bool, description="Delete for good (owners; archived ones only)."),
            OpenApiParameter("confirm", str, description="With `permanently`: the integration's uuid."),
        ],
        responses={204: None, **errors(400, 409)},
    )
    def destroy(self, request, *args, **kwargs):
        """Archive: switched off and out of the list, its jobs, links, review items and audit trail kept
        (POST `restore/` brings it back). With `?permanently=true&confirm=<uuid>` an owner deletes an archived
        integration and its history for good; the audit trail of it stays."""
        integration = self.get_object()
        if not query_flag(request, "permanently"):
            integration.archive()
            self._record("archived", integration)
            return Response(status=204)
        if request.membership.role != request.membership.Role.OWNER:
            raise PermissionDenied("Only owners can delete an integration for good; admins can archive it.")
        if integration.archived_at is None:
            return Response({"detail": "Archive the integration first (DELETE without permanently)."}, status=409)
        if request.query_params.get("confirm") != str(integration.uuid):
            raise ValidationError({"confirm": ["Confirm with the integration's uuid: every job and link goes."]})
        kept = {"jobs": integration.jobs.count(), "links": integration.links.count(), "kind": integration.kind}
        integration.delete()
        self._record("deleted", integration, **kept)
        return Response(status=204)

    @extend_schema(request=None, responses=IntegrationSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, uuid=None):
        """Bring an archived integration back, switched off: enable it when you are ready."""
        integration = self.get_object()
        if integration.archived_at is not None:
            integration.archived_at = None
            integration.save(update_fields=["archived_at", "updated_at"])
            self._record("restored", integration)
        return Response(IntegrationSerializer(integration, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], request=None, responses=FitCheckSerializer)
    @extend_schema(methods=["POST"], request=None, responses={202: FitCheckSerializer})
    @action(detail=True, methods=["get", "post"], url_path="fit-check")
    def fit_check(self, request, uuid=None):
        """GET: the latest fit check (404 when none ran). POST (owners and admins): run a new one in the
        background; poll GET for its progress and report. Nothing is written to either system."""
        integration = self.get_object()
        if request.method == "POST":
            return Response(FitCheckSerializer(fitcheck.start(integration, request.user)).data, status=202)
        check = FitCheck.objects.filter(integration=integration).first()
        if check is None:
            raise NotFound("No fit check has run for this integration.")
        return Response(FitCheckSerializer(check).data)
