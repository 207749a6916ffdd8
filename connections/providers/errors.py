"""What can go wrong talking to a provider, as types. Flows raise them; the engine alone decides what next.

- `Retryable`: try again later (5xx, timeouts, connection resets); `RateLimited` says how long to wait.
- `AuthExpired`: the provider refused our credentials even after a refresh; the connection needs a person.
- `Permanent`: retrying will not help (`NotFound`, `Conflict`, `Invalid` with the provider's details).
"""


class ProviderError(Exception):
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, details=None, provider: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details
        self.provider = provider

    @property
    def kind(self) -> str:
        return type(self).__name__


class Retryable(ProviderError):
    retryable = True


class RateLimited(Retryable):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthExpired(ProviderError):
    """Credentials refused after a refresh (or no way to refresh): reconnecting is the only fix."""


class Permanent(ProviderError):
    pass


class NotFound(Permanent):
    pass


class Conflict(Permanent):
    pass


class Invalid(Permanent):
    pass


class UnsafeHost(Permanent):
    """A base URL built from connection data fell outside the provider's allowlist."""


class SetupMissing(Permanent):
    """Something the customer must create or grant at the provider (a custom field, a permission); the
    message names it and says where, and retrying before they do is pointless."""


class SeveralRecords(Conflict):
    """The provider holds several records where one was expected (an external id on two Accounts): a person
    decides; nothing is guessed."""

    def __init__(self, message: str, *, records: list | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.records = records or []
