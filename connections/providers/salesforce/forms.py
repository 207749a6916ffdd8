"""Connecting Salesforce: the External Client App's consumer key and secret, and the org's My Domain URL.

The address is read the way people copy it (with or without https://, a trailing path, or only the name) and
must be one of the My Domain forms: the shared login hosts refuse the client credentials flow ("request not
supported on this domain") and the Lightning address is the UI, not the API, so each gets its own message.
"""

from urllib.parse import urlsplit

from django import forms

from connections.providers.forms import CredentialsForm
from connections.providers.salesforce import PROVIDER

LIGHTNING = (".lightning.force.com", ".my.site.com", ".force.com")
SHARED_LOGIN = ("login.salesforce.com", "test.salesforce.com")


def my_domain_of(typed: str) -> dict:
    """{"my_domain", "edition"} from what a person typed; ValidationError saying what to type instead."""
    text = typed.strip()
    if "://" not in text:
        text = "https://" + text
    host = (urlsplit(text).hostname or "").lower()
    if host and "." not in host:
        host = f"{host}.my.salesforce.com"  # only the name: a production My Domain
    if host in SHARED_LOGIN:
        raise forms.ValidationError(
            f"{host} is shared by every org and refuses server-to-server sign-in. Use your org's own My Domain "
            "URL (Setup > My Domain), such as https://acme.my.salesforce.com."
        )
    if host.endswith(LIGHTNING):
        raise forms.ValidationError(
            "That is the address of the Salesforce screens, not of its API. Use the My Domain URL from Setup > My "
            "Domain, such as https://acme.my.salesforce.com (for a sandbox, https://acme--uat.sandbox.my.salesforce.com)."
        )
    found = PROVIDER.match_base_url(f"https://{host}", published=True)
    if found is None:
        raise forms.ValidationError(
            "Use your org's My Domain URL: https://<name>.my.salesforce.com, https://<name>--<sandbox>.sandbox."
            "my.salesforce.com or https://<name>-dev-ed.develop.my.salesforce.com."
        )
    edition, values = found
    return {"my_domain": values["my_domain"], "edition": edition}


class SalesforceCredentialsForm(CredentialsForm):
    my_domain = forms.CharField(
        label="My Domain URL",
        max_length=200,
        help_text="Setup > My Domain, e.g. https://acme.my.salesforce.com (sandboxes: acme--uat.sandbox.my...).",
    )
    client_id = forms.CharField(
        label="Consumer key",
        max_length=300,
        help_text="External Client App > OAuth Settings > Consumer Key and Secret (client credentials flow on).",
    )
    client_secret = forms.CharField(label="Consumer secret", max_length=300, widget=forms.PasswordInput)

    method = "client credentials (an External Client App)"
    sandbox_hint = (
        "use the consumer key {client_id} and secret {client_secret}, with any My Domain such as "
        "acme.my.salesforce.com."
    )

    def clean_my_domain(self):
        return my_domain_of(self.cleaned_data["my_domain"])

    def connection_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "addresses": data["my_domain"],
            "settings": {"client_id": data["client_id"].strip(), "auth": "client_credentials"},
            "client_secret": data["client_secret"].strip(),
        }

    def describe(self) -> str:
        return self.cleaned_data["my_domain"]["my_domain"]


CREDENTIALS_FORM = SalesforceCredentialsForm
