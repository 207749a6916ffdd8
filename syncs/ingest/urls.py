from django.urls import path

from syncs.ingest import webhooks

urlpatterns = [
    path("<slug:provider>/<uuid:connection_uuid>/", webhooks.receive, name="webhook-receive"),
    path("<slug:provider>/", webhooks.receive_app, name="webhook-receive-app"),
]
