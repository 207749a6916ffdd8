from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from audit import views as audit_views
from connections import accounts_views, views
from mlconnector import health

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/switch/", views.switch_tenant, name="switch-tenant"),
    path("", include("connections.account_urls")),
    path("", include("connections.connect_urls")),
    path("webhooks/", include("syncs.webhook_urls")),
    path("connections/", views.connection_list, name="connection-list"),
    path("connections/<uuid:uuid>/", views.connection_detail, name="connection-detail"),
    path("integrations/", views.integration_list, name="integration-list"),
    path("integrations/<uuid:uuid>/", views.integration_detail, name="integration-detail"),
    path("", include("syncs.urls")),
    path("", include("syncs.job_urls")),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("audit/<uuid:uuid>/", audit_views.audit_event, name="audit-event"),
    path("api/v1/", include("connections.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
