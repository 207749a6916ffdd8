"""A tiny emulator that exercises the framework: one templated host, records, OAuth and a webhook."""

import json

from connections.providers.base import AuthKind, Host, Provider
from connections.sandbox import Emulator, FormField, PageForm, Response, control, route
from connections.sandbox.oauth import OAuthError, OAuthServer

PROVIDER = Provider(
    slug="echo",
    name="Echo",
    auth_kinds=(AuthKind.OAUTH2_USER,),
    address_fields=("tenant",),
    hosts=(Host("api", "https://{tenant}.echo.example", "ECHO_URL_TEMPLATE", sandbox_path="/{tenant}"),),
)


class EchoEmulator(Emulator):
    provider = PROVIDER
    DEFAULT_CONFIG = {"hook_url": "https://app.example/hooks/echo"}

    def initial_state(self):
        return {"items": {}}

    def on_reset(self):
        self.oauth = OAuthServer(self.clock, access_ttl=60)
        self.oauth.register_client("client-1", "secret-1")

    @route("POST", "/oauth/token")
    def token(self, request):
        data = request.data()
        try:
            self.oauth.authenticate_client(data.get("client_id"), data.get("client_secret"))
            if data.get("grant_type") == "refresh_token":
                tokens = self.oauth.refresh(data.get("refresh_token"), data["client_id"])
            else:
                grant = self.oauth.redeem_code(data.get("code"), data["client_id"], data.get("redirect_uri"))
                tokens = self.oauth.issue_tokens(grant)
        except OAuthError as error:
            return Response.json({"error": error.error}, error.status)
        return Response.json({"access_token": tokens.access.value, "refresh_token": tokens.refresh.value})

    @route("GET", "/items/{item_id:int}/?")
    def get_item(self, request, item_id):
        token, reason = self.oauth.authenticate(request.headers.get("Authorization", "")[7:])
        if token is None:
            return Response.json({"error": reason}, 401)
        item = self.state["items"].get(item_id) or self.not_found("No such item.")
        return Response.json({"item": item, "tenant": request.host.get("tenant")})

    @control("POST", "records/item")
    def create_item(self, request):
        item = {"id": len(self.state["items"]) + 1, "name": request.data().get("name", "")}
        self.state["items"][item["id"]] = item
        self.outbox.enqueue(
            self.config["hook_url"],
            json.dumps({"event": "item.created", "id": item["id"]}).encode(),
            {"Content-Type": "application/json"},
            event="item.created",
            subscription="hook-1",
        )
        return Response.json(item, 201)

    def page_forms(self):
        return [PageForm("records/item", "Create an item", (FormField("name", "Name", "Widget"),))]

    def describe(self):
        return {"items": len(self.state["items"])}


EMULATOR = EchoEmulator
