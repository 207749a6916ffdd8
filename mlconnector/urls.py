from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from audit import views as audit_views
from connections.accounts import views as accounts_views
from connections.integrations import views
from mlconnector import health

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/switch/", views.switch_tenant, name="switch-tenant"),
    path("", include("connections.accounts.urls")),
    path("", include("connections.credentials.urls")),
    path("webhooks/", include("syncs.ingest.urls")),
    path("connections/", views.connection_list, name="connection-list"),
    path("connections/<uuid:uuid>/", views.connection_detail, name="connection-detail"),
    path("", include("connections.integrations.urls")),
    path("", include("syncs.review.urls")),
    path("", include("syncs.operating.urls")),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("audit/<uuid:uuid>/", audit_views.audit_event, name="audit-event"),
    path("api/v1/", include("connections.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file, which the Content-Security-Policy allows (no inline script).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]

handler404 = "mlconnector.errors.page_not_found"
