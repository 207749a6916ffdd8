from django.urls import path

from connections.credentials import views as connect

urlpatterns = [
    path("connections/connect/<slug:provider>/", connect.connect, name="connect"),
    path("connections/connect/<slug:provider>/api-token/", connect.connect_api_token, name="connect-api-token"),
    path("oauth/complete/<slug:provider>/", connect.oauth_complete, name="oauth-complete"),
    path("connections/<uuid:uuid>/choose/", connect.choose_account, name="connection-choose"),
    path("connections/<uuid:uuid>/test/", connect.test_connection, name="connection-test"),
    path("connections/<uuid:uuid>/disconnect/", connect.disconnect_view, name="connection-disconnect"),
    path("connections/<uuid:uuid>/webhooks/", connect.register_webhooks, name="connection-webhooks"),
]
