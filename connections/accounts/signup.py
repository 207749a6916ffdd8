"""Accounts: sign-up, e-mail verification, and audit events about a person rather than one workspace.

The views in connections.accounts_views are thin; these functions are what they, the tests and any
command share. Secrets (passwords, link keys) are never logged nor put in an audit event.
"""

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import audit
from connections.models import Membership, Profile, Tenant

logger = logging.getLogger(__name__)

VERIFY_SALT = "connections.accounts.verify-email"


class AccountExists(Exception):
    """Sign-up with an e-mail address that already has an account, or is already someone's username."""


def absolute_url(path: str, request=None) -> str:
    return request.build_absolute_uri(path) if request is not None else f"{settings.PUBLIC_BASE_URL}{path}"


def find_user(email: str):
    return get_user_model().objects.filter(email__iexact=email.strip()).first()


def record_for_user(kind: str, user, *, message: str, actor=None, level: str = "info", data=None) -> None:
    """An audit event in every workspace the user belongs to: password and login events concern them all."""
    with scopes_disabled():
        tenants = list(Tenant.objects.filter(memberships__user=user))
    for tenant in tenants:
        with scope(tenant=tenant):
            audit.record(kind, tenant=tenant, message=message, actor=actor, level=level, data=data)


def _holder(email: str):
    """The account an address belongs to: by e-mail, else as a username (sign-up makes the address the username)."""
    return find_user(email) or get_user_model().objects.filter(username__iexact=email).first()


def sign_up(*, name: str, email: str, password: str, company: str):
    """A new user owning a new workspace; their e-mail stays unverified until they follow the link.

    Raises AccountExists, creating nothing, when the address is taken (as an e-mail or a username, by a
    concurrent sign-up too). The password is hashed either way, so the time taken tells little.
    """
    email = get_user_model().objects.normalize_email(email).strip()
    if _holder(email) is not None:
        make_password(password)
        raise AccountExists(email)
    try:
        return _create_account(name=name, email=email, password=password, company=company)
    except IntegrityError:
        if _holder(email) is None:
            raise
        raise AccountExists(email) from None


@transaction.atomic
def _create_account(*, name: str, email: str, password: str, company: str):
    first, _, last = name.strip().partition(" ")
    user = get_user_model().objects.create_user(
        username=email, email=email, password=password, first_name=first, last_name=last
    )
    Profile.objects.create(user=user)
    with scopes_disabled():
        tenant = Tenant.objects.create(name=company.strip(), slug=Tenant.unique_slug(company))
        Membership.objects.create(tenant=tenant, user=user, role=Membership.Role.OWNER)
    with scope(tenant=tenant):
        audit.record(
            "tenant.created",
            tenant=tenant,
            actor=user,
            message=f"{email} signed up and created the workspace {tenant.name}.",
        )
    return user, tenant


def email_verified(user) -> bool:
    """False only for a sign-up that has not followed its verification link yet. Connect flows check this."""
    if not user.is_authenticated:
        return False
    return not Profile.objects.filter(user=user, email_verified_at__isnull=True).exists()


def verified_email_required(view_func):
    """For views that make a connection: an unverified sign-up is sent to their profile to verify first."""

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if not email_verified(request.user):
            messages.warning(request, "Verify your e-mail address before connecting a system.")
            return redirect("account-profile")
        return view_func(request, *args, **kwargs)

    return wrapper


def _verification_state(user) -> str:
    """Changes once the address is verified or changed, so a link works once and for one address."""
    profile = Profile.objects.filter(user=user).first()
    verified = profile.email_verified_at.isoformat() if profile and profile.email_verified_at else ""
    return hashlib.sha256(f"{user.email.lower()}|{verified}".encode()).hexdigest()[:32]


def verification_token(user) -> str:
    return signing.dumps({"u": str(user.pk), "s": _verification_state(user)}, salt=VERIFY_SALT)


def send_verification(user, request=None) -> None:
    link = absolute_url(reverse("verify-email", args=[verification_token(user)]), request)
    body = render_to_string("accounts/email/verify_email.txt", {"user": user, "link": link})
    send_mail("Confirm your e-mail address for ml-connector", body, None, [user.email])


def send_signup_notice(email: str, request=None) -> None:
    """Sign-up with a taken address: its owner learns of the attempt and how to get in, by e-mail, while the
    page says the same as for a new address. As with password reset, an inactive account gets nothing."""
    email = get_user_model().objects.normalize_email(email).strip()
    user = _holder(email)
    if user is None or not user.is_active:
        return
    to = user.email if user.email.lower() == email.lower() else email
    context = {
        "email": to,
        "login_link": absolute_url(reverse("login"), request),
        "reset_link": absolute_url(reverse("password_reset"), request),
    }
    body = render_to_string("accounts/email/signup_existing.txt", context)
    send_mail("Someone tried to sign up for ml-connector with your address", body, None, [to])


class InvalidLink(Exception):
    """A link that was tampered with, has expired, or was already used; `reason` says which for the page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def user_for_verification(token: str):
    """The user a verification link is for, or InvalidLink."""
    try:
        payload = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink("expired") from None
    except signing.BadSignature:
        raise InvalidLink("invalid") from None
    user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise InvalidLink("invalid")
    if payload.get("s") != _verification_state(user):
        raise InvalidLink("used")
    return user


def verify_email(token: str):
    """Marks the address verified; a second use of the same link raises InvalidLink("used")."""
    with transaction.atomic():
        user = user_for_verification(token)
        updated = Profile.objects.filter(user=user, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        if not updated:
            raise InvalidLink("used")
    record_for_user("user.email_verified", user, actor=user, message=f"{user.email} verified their e-mail address.")
    return user
