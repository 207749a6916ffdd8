"""Connecting Zendesk: the subdomain before the consent page, or an API token (legacy) instead of OAuth."""

from django import forms

from connections.providers.base import HOST_LABEL
from connections.providers.forms import ConnectForm, TokenForm


class ZendeskConnectForm(ConnectForm):
    subdomain = forms.CharField(
        max_length=63, help_text="The part before .zendesk.com in your Zendesk address, e.g. acme for acme.zendesk.com."
    )

    def clean_subdomain(self):
        value = self.cleaned_data["subdomain"].strip().lower()
        value = value.removeprefix("https://").removeprefix("http://").removesuffix("/").removesuffix(".zendesk.com")
        if not HOST_LABEL.fullmatch(value):  # the rule every call's host is checked against, so none fails later
            raise forms.ValidationError(
                "Use only letters, digits and hyphens, not starting or ending with a hyphen, as in acme for "
                "acme.zendesk.com."
            )
        return value


class ZendeskTokenForm(TokenForm, ZendeskConnectForm):
    """`{email}/token:{token}` basic auth, which Zendesk retires (client.LEGACY_RETIREMENT)."""

    email = forms.EmailField(help_text="The Zendesk agent or admin the token belongs to.")
    api_token = forms.CharField(widget=forms.PasswordInput, help_text="Admin Center > Apps and integrations > APIs.")

    notice = (
        "Zendesk is retiring API tokens: unused tokens are deactivated from 28 July 2026, no new tokens can be "
        "created from 27 October 2026, and every token stops working on 30 April 2027."
    )
    method = "a legacy API token"

    def connection_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "addresses": {"subdomain": data["subdomain"]},
            "settings": {"email": data["email"], "auth": "api_token"},
            "api_token": data["api_token"],
        }

    def describe(self) -> str:
        return self.cleaned_data["subdomain"]


CONNECT_FORM = ZendeskConnectForm
TOKEN_FORM = ZendeskTokenForm
