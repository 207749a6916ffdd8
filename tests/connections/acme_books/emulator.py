"""The sandbox twin of Acme Books: who is signed in."""

from connections.sandbox import Emulator, Response, route
from tests.connections.acme_books import PROVIDER


class AcmeBooksEmulator(Emulator):
    provider = PROVIDER
    title = "Acme Books"

    def initial_state(self):
        return {}

    @route("GET", "/me")
    def me(self, request):
        return Response.json({"email": "owner@acmebooks.example"})


EMULATOR = AcmeBooksEmulator
