"""Pages about a person: sign-up, e-mail verification, profile with API tokens, password change and reset."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

import audit
from connections.accounts import api_tokens, login_throttle
from connections.accounts import signup as accounts
from connections.accounts.forms import ApiTokenForm, SignUpForm, ThrottledAuthenticationForm
from connections.models import ApiToken
from connections.tenancy import tenant_required


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "allow_signup": settings.ALLOW_SIGNUP}


def signup(request):
    """Get started: a user, their workspace and its owner membership, confirmed by the e-mailed link.

    The answer is "check your e-mail" whether or not the address has an account, so the page tells no one
    which addresses do; the e-mail says the rest (the verification link, or that someone tried).
    """
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is turned off on this installation.")
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _ = accounts.sign_up(**form.cleaned_data)
        except accounts.AccountExists:
            accounts.send_signup_notice(form.cleaned_data["email"], request)
        else:
            accounts.send_verification(user, request)
        return redirect("signup-sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request):
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is turned off on this installation.")
    return render(request, "accounts/signup_sent.html")


def verify_email(request, token):
    """GET shows a confirm button (mail scanners follow links, people press buttons); POST verifies."""
    try:
        user = accounts.user_for_verification(token)
        if request.method == "POST":
            accounts.verify_email(token)
            then = "" if request.user.is_authenticated else " Log in to start."
            messages.success(request, f"Thank you: {user.email} is confirmed.{then}")
            return redirect("dashboard" if request.user.is_authenticated else "login")
    except accounts.InvalidLink as error:
        context = {"reason": error.reason, "what": "confirmation"}
        return render(request, "accounts/link_invalid.html", context, status=400)
    return render(request, "accounts/verify_email.html", {"email": user.email})


@require_POST
@tenant_required
def resend_verification(request):
    if accounts.email_verified(request.user):
        messages.info(request, "Your e-mail address is already confirmed.")
    else:
        accounts.send_verification(request.user, request)
        messages.success(request, f"We sent a new confirmation link to {request.user.email}.")
    return redirect("account-profile")


def _profile_page(request, form=None, status=200, **extra):
    context = {
        "tokens": ApiToken.objects.filter(user=request.user),
        "form": form or ApiTokenForm(),
        "email_verified": accounts.email_verified(request.user),
        **extra,
    }
    return render(request, "accounts/profile.html", context, status=status)


@tenant_required
def profile(request):
    return _profile_page(request)


@require_POST
@tenant_required
def create_api_token(request):
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, form, status=400)
    token, key = api_tokens.create_token(request.user, form.cleaned_data["name"])
    audit.record(
        "api_token.created",
        tenant=request.tenant,
        actor=request.user,
        message=f"{request.user.email} created the API token “{token.name}” ({token.prefix}…).",
        data={"api_token": str(token.uuid)},
    )
    return _profile_page(request, new_key=key, new_token=token)


@require_POST
@tenant_required
def revoke_api_token(request, uuid):
    token = ApiToken.objects.filter(user=request.user, uuid=uuid).first()
    if token is None:
        raise Http404
    token.delete()
    audit.record(
        "api_token.revoked",
        tenant=request.tenant,
        actor=request.user,
        message=f"{request.user.email} revoked the API token “{token.name}” ({token.prefix}…).",
        data={"api_token": str(uuid)},
    )
    messages.success(request, f"The token “{token.name}” is revoked; requests using it are now refused.")
    return redirect("account-profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view: the current session stays, every other session of the user ends."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account-profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        accounts.record_for_user(
            "user.password_changed", user, actor=user, message=f"{user.email} changed their password."
        )
        messages.success(self.request, "Your password is changed. Your other sessions have been logged out.")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a reset changes the password hash, which ends every session of the user. The e-mailed
    link proves the owner, so it also lifts a log-in lock-out of the account."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        accounts.record_for_user(
            "user.password_reset", user, actor=user, message=f"{user.email} reset their password by e-mail."
        )
        login_throttle.lift_lockout(user, self.request)
        return response
