"""Routes of the integration pages and their fit check."""

from django.urls import path

from connections.integrations import views

urlpatterns = [
    path("integrations/", views.integration_list, name="integration-list"),
    path("integrations/<uuid:uuid>/", views.integration_detail, name="integration-detail"),
    path("integrations/<uuid:uuid>/insights/", views.integration_insights, name="integration-insights"),
    path("integrations/<uuid:uuid>/fit-check/", views.fit_check, name="fit-check"),
    path("integrations/<uuid:uuid>/fit-check/run/", views.fit_check_start, name="fit-check-start"),
]
