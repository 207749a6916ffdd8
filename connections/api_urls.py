from django.urls import path
from rest_framework.routers import SimpleRouter

from audit.api import AuditEventViewSet
from connections import api

router = SimpleRouter()
router.register("connections", api.ConnectionViewSet, basename="api-connection")
router.register("integrations", api.IntegrationViewSet, basename="api-integration")
router.register("audit-events", AuditEventViewSet, basename="api-audit-event")

urlpatterns = [path("me/", api.MeView.as_view(), name="api-me"), *router.urls]
