"""Acme Books OAuth: the shared backend with its constants."""

from connections.credentials.oauth import ConnectorOAuth2


class Backend(ConnectorOAuth2):
    name = "acmebooks"
    provider_slug = "acmebooks"
    host_for_authorize = "api"
    AUTHORIZE_PATH = "/oauth/authorize"
    TOKEN_PATH = "/oauth/token"
