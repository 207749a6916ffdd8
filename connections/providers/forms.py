"""The connect forms' common ground; each provider package's `forms.py` says what else it asks.

`CONNECT_FORM` is asked before an OAuth consent page (its fields named like the provider's address fields
become the connection's addresses). `TOKEN_FORM`, where a provider has one, connects with credentials typed
in instead; it says what the connection stores (`connection_fields`) and how to name that in the audit log.
`CREDENTIALS_FORM` is the connect form of a client-credentials provider: the generic connect view mints a
token with what was typed, pings, and saves the connection only when both work.
"""

from django import forms


class ConnectForm(forms.Form):
    label = forms.CharField(max_length=200, help_text="How this connection is named in ml-connector.")


class TokenForm(ConnectForm):
    """Credentials typed in; checked with a ping at once after they are stored."""

    # Shown above the form (e.g. that the provider is retiring this way of connecting).
    notice = ""
    # How the audit log names the method ("a legacy API token").
    method = "an API token"

    def connection_fields(self) -> dict:
        """`addresses`, `settings` and secret fields of the new Connection, from the cleaned data."""
        raise NotImplementedError

    def describe(self) -> str:
        """Which account was connected, for the audit log ("acme")."""
        return self.cleaned_data["label"]


class CredentialsForm(TokenForm):
    """A consumer key and secret (and where the account lives): server to server, renewed by minting again."""

    method = "client credentials"
    # What to type when the installation talks to the sandbox ({client_id} and {client_secret} are filled in).
    sandbox_hint = "use the client id {client_id} and the secret {client_secret}."

    def connection_fields(self) -> dict:
        """Also `settings["client_id"]` and the `client_secret`; `settings["auth"]` is "client_credentials"."""
        raise NotImplementedError
