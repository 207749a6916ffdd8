"""Connecting FreshBooks: nothing to ask before the consent page (the business is chosen after it)."""

from connections.providers.forms import ConnectForm

CONNECT_FORM = ConnectForm
