"""Connecting Zuora: the OAuth client's id and secret, and the environment, chosen by name or from the
address people log in at (Zuora's own advice: the UI host says which REST host serves the tenant).

The choice is confirmed by a token call before anything is saved: a client of another environment is refused
there, and the page says to check the environment.
"""

from urllib.parse import urlsplit

from django import forms

from connections.providers.forms import CredentialsForm
from connections.providers.zuora import ENVIRONMENTS

UI_HOSTS = {ui_host: key for key, (_, _, ui_host) in ENVIRONMENTS.items()}


def environment_of_login(typed: str) -> str:
    """The environment key of a Zuora UI address ("https://apisandbox.zuora.com/apps/..." -> "us-sandbox-2")."""
    text = typed.strip()
    host = (urlsplit(text if "://" in text else f"https://{text}").hostname or "").lower()
    host = host.removeprefix("www.")
    if host in UI_HOSTS:
        return UI_HOSTS[host]
    rest = {urlsplit(url).hostname: key for key, (_, url, _) in ENVIRONMENTS.items()}
    if host in rest:
        return rest[host]
    raise forms.ValidationError(
        f"{host or typed!r} is not one of Zuora's environments. Paste the address you log in to Zuora at (for "
        "example https://apisandbox.zuora.com or https://na.zuora.com), or choose the environment above."
    )


class ZuoraCredentialsForm(CredentialsForm):
    environment = forms.ChoiceField(
        choices=[("", "Choose your Zuora environment")] + [(key, name) for key, (name, _, _) in ENVIRONMENTS.items()],
        required=False,
        help_text="Where your tenant lives. Sandbox and production have separate OAuth clients.",
    )
    login_url = forms.CharField(
        label="Or the address you log in at",
        required=False,
        max_length=300,
        help_text="The Zuora address in your browser's bar, e.g. https://apisandbox.zuora.com.",
    )
    client_id = forms.CharField(
        label="Client ID",
        max_length=300,
        help_text="Settings > Administration > Manage Users > your API user > OAuth Clients.",
    )
    client_secret = forms.CharField(label="Client secret", max_length=300, widget=forms.PasswordInput)

    method = "an OAuth client (client credentials)"
    sandbox_hint = (
        "use the client ID {client_id} and secret {client_secret}; the demo tenant is in US API Sandbox (Cloud 2), "
        "whose login address is https://apisandbox.zuora.com."
    )

    def clean(self):
        data = super().clean()
        chosen, typed = data.get("environment"), (data.get("login_url") or "").strip()
        if typed:
            try:
                from_login = environment_of_login(typed)
            except forms.ValidationError as error:
                self.add_error("login_url", error)
                return data
            if chosen and chosen != from_login:
                self.add_error(
                    "login_url",
                    f"That address is {ENVIRONMENTS[from_login][0]}, not {ENVIRONMENTS[chosen][0]}: keep one of them.",
                )
            data["environment"] = from_login
        elif not chosen:
            self.add_error("environment", "Choose the environment, or paste the address you log in at.")
        return data

    def connection_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "addresses": {"environment": data["environment"]},
            "settings": {"client_id": data["client_id"].strip(), "auth": "client_credentials"},
            "client_secret": data["client_secret"].strip(),
        }

    def describe(self) -> str:
        return ENVIRONMENTS[self.cleaned_data["environment"]][0]


CREDENTIALS_FORM = ZuoraCredentialsForm
