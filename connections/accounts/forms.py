"""Forms for sign-up, log-in (throttled, the admin's too), invitation acceptance and API tokens."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User

from connections.accounts import login_throttle

LOCKED_MESSAGES = {
    # The same words whether or not the username has an account, so the lock-out tells nothing about it.
    "account": (
        "Too many failed log-in attempts. For your security, logging in to this account is paused for up to "
        "%(minutes)s minutes. If it is yours, reset your password from the e-mailed link to unlock it now."
    ),
    "address": (
        "Too many failed log-in attempts from your network. For your security, logging in from here is paused "
        "for up to %(minutes)s minutes."
    ),
}


class LoginThrottleMixin:
    """Refuses further attempts once too many have failed (connections.accounts.login_throttle), before the
    password is even checked; counts each refusal of the form below it. For the log-in page and the admin's."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        reason = login_throttle.locked(username, self.request) if username else None
        if reason:
            raise forms.ValidationError(
                LOCKED_MESSAGES[reason], code="locked", params={"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                login_throttle.record_failure(username, self.request)
            raise
        login_throttle.record_success(username, self.request)
        return cleaned


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    """Django's log-in form, throttled."""


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    """The admin's log-in form (staff only), throttled by the same counts as the log-in page."""


class NewPasswordMixin:
    """A password field checked by the project's validators (AUTH_PASSWORD_VALIDATORS)."""

    def _validate_password(self, email: str, name: str = ""):
        password = self.cleaned_data.get("password")
        if password:
            first, _, last = name.partition(" ")
            candidate = User(username=email, email=email, first_name=first, last_name=last)
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)


class SignUpForm(NewPasswordMixin, forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    # No "already has an account" error here: that would tell anyone which addresses do (signup.sign_up).
    email = forms.EmailField(label="Work e-mail", max_length=150)  # it becomes the username
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )
    company = forms.CharField(label="Company name", max_length=200)

    def clean(self):
        cleaned = super().clean()
        self._validate_password(cleaned.get("email", ""), cleaned.get("name", ""))
        return cleaned


class AcceptInvitationForm(NewPasswordMixin, forms.Form):
    """For an invitee without an account: their name and a password."""

    name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        self._validate_password(self.email, cleaned.get("name", ""))
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100, help_text="What will use it, e.g. “reporting script”.")
