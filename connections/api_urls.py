from django.urls import path
from rest_framework.routers import SimpleRouter

from audit.api import AuditEventViewSet
from connections import api
from syncs.operating.api import JobViewSet
from syncs.review.api import ReviewItemViewSet

router = SimpleRouter()
router.register("connections", api.ConnectionViewSet, basename="api-connection")
router.register("integrations", api.IntegrationViewSet, basename="api-integration")
router.register("audit-events", AuditEventViewSet, basename="api-audit-event")
router.register("jobs", JobViewSet, basename="api-job")
router.register("review-items", ReviewItemViewSet, basename="api-review-item")

urlpatterns = [path("me/", api.MeView.as_view(), name="api-me"), *router.urls]
