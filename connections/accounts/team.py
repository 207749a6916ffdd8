"""Team: invitations to a workspace, role changes and removals, with the last-owner rule.

An invitation link is `signing.dumps({"i": invitation uuid, "k": random key})`: the signature (SECRET_KEY)
stops tampering and carries the time for expiry, the key's SHA-256 on the row makes it single-use (it is
cleared on acceptance, replaced on resend). Every change is an audit event; no key reaches one.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import audit
from connections.accounts.signup import InvalidLink, absolute_url, find_user
from connections.models import Invitation, Membership, Profile

INVITE_SALT = "connections.team.invitation"
Role = Membership.Role


class TeamError(ValidationError):
    """A team change that breaks a rule (the last owner, a role the actor may not grant, ...)."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_link(invitation: Invitation, request=None) -> str:
    key = secrets.token_urlsafe(32)
    invitation.key_hash = _hash(key)
    token = signing.dumps({"i": str(invitation.uuid), "k": key}, salt=INVITE_SALT)
    return absolute_url(reverse("accept-invitation", args=[token]), request)


def _send(invitation: Invitation, link: str) -> None:
    context = {"invitation": invitation, "link": link, "max_age_days": settings.INVITATION_MAX_AGE // 86400}
    body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(f"You are invited to {invitation.tenant.name} on ml-connector", body, None, [invitation.email])


def _audit(kind: str, tenant, actor, message: str, **data) -> None:
    audit.record(kind, tenant=tenant, actor=actor, message=message, data=data)


def invite(tenant, actor, email: str, role: str, request=None) -> Invitation:
    """Creates and e-mails an invitation; refuses members, pending duplicates and roles above admin."""
    email = get_user_model().objects.normalize_email(email).strip()
    if role not in (Role.ADMIN, Role.AGENT):
        raise TeamError("Invite people as an admin or an agent; make them owner once they have joined.")
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise TeamError(f"{email} is already a member of this workspace.")
    if pending_invitations(tenant).filter(email__iexact=email).exists():
        raise TeamError(f"{email} already has a pending invitation; resend it instead.")
    now = timezone.now()
    invitation = Invitation(
        tenant=tenant, email=email, role=role, invited_by=actor, sent_at=now, expires_at=_expiry(now)
    )
    link = _new_link(invitation, request)
    invitation.save()
    _send(invitation, link)
    _audit("team.invited", tenant, actor, f"{actor.email} invited {email} as {role}.", invitation=str(invitation.uuid))
    return invitation


def _expiry(now):
    return now + timedelta(seconds=settings.INVITATION_MAX_AGE)


def pending_invitations(tenant):
    return Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True, revoked_at__isnull=True)


def resend(invitation: Invitation, actor, request=None) -> None:
    """A fresh link and a fresh expiry; the link sent before stops working."""
    if not invitation.is_pending:
        raise TeamError("This invitation was already accepted or revoked.")
    invitation.sent_at = timezone.now()
    invitation.expires_at = _expiry(invitation.sent_at)
    link = _new_link(invitation, request)
    invitation.save(update_fields=["key_hash", "sent_at", "expires_at"])
    _send(invitation, link)
    _audit(
        "team.invitation_resent",
        invitation.tenant,
        actor,
        f"{actor.email} resent the invitation of {invitation.email}.",
        invitation=str(invitation.uuid),
    )


def revoke(invitation: Invitation, actor) -> None:
    if not invitation.is_pending:
        raise TeamError("This invitation was already accepted or revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _audit(
        "team.invitation_revoked",
        invitation.tenant,
        actor,
        f"{actor.email} revoked the invitation of {invitation.email}.",
        invitation=str(invitation.uuid),
    )


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation a link stands for, or InvalidLink("invalid" | "expired" | "used")."""
    try:
        payload = signing.loads(token, salt=INVITE_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink("expired") from None
    except signing.BadSignature:
        raise InvalidLink("invalid") from None
    with scopes_disabled():
        invitation = Invitation.objects.select_related("tenant", "invited_by").filter(uuid=payload.get("i")).first()
    if invitation is None:
        raise InvalidLink("invalid")
    if not hmac.compare_digest(invitation.key_hash, _hash(str(payload.get("k", "")))):
        # Resent (an older link) or accepted (the key is cleared): either way this link is spent.
        raise InvalidLink("used")
    if not invitation.is_pending:
        raise InvalidLink("used")
    if invitation.expires_at <= timezone.now():
        raise InvalidLink("expired")
    return invitation


@transaction.atomic
def accept(token: str, *, user=None, name: str = "", password: str = ""):
    """Joins the invitee: an existing account (`user`, whose e-mail must match) or a new one with `password`.

    Returns the user. The link is proof of the address, so the invitee's e-mail counts as verified.
    """
    invitation = invitation_for_token(token)
    with scopes_disabled():
        invitation = Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    if not invitation.is_pending:
        raise InvalidLink("used")
    if user is None:
        if find_user(invitation.email) is not None:
            raise TeamError("An account with this e-mail already exists: log in to accept the invitation.")
        first, _, last = name.strip().partition(" ")
        user = get_user_model().objects.create_user(
            username=invitation.email, email=invitation.email, password=password, first_name=first, last_name=last
        )
    elif user.email.lower() != invitation.email.lower():
        raise TeamError(f"This invitation is for {invitation.email}; you are logged in as {user.email}.")
    Profile.objects.filter(user=user, email_verified_at__isnull=True).update(email_verified_at=timezone.now())
    tenant = invitation.tenant
    with scope(tenant=tenant):
        membership, _ = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": invitation.role})
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.key_hash = _hash(secrets.token_urlsafe(32))
        invitation.save(update_fields=["accepted_at", "accepted_by", "key_hash"])
        _audit(
            "team.joined",
            tenant,
            user,
            f"{user.email} accepted the invitation and joined as {membership.role}.",
            invitation=str(invitation.uuid),
        )
    return user, tenant


def _check_owner_rules(actor_membership: Membership, target: Membership, new_role: str | None) -> None:
    """Only owners grant, change or remove the owner role; the workspace always keeps an owner."""
    touches_owner = target.role == Role.OWNER or new_role == Role.OWNER
    if touches_owner and actor_membership.role != Role.OWNER:
        raise TeamError("Only an owner can grant the owner role or change an owner.")
    if target.role == Role.OWNER and new_role != Role.OWNER:
        owners = Membership.objects.select_for_update().filter(tenant=target.tenant, role=Role.OWNER)
        if [m.pk for m in owners] == [target.pk]:
            raise TeamError("A workspace needs an owner: make someone else owner first.")


@transaction.atomic
def change_role(actor_membership: Membership, target: Membership, new_role: str) -> None:
    if new_role not in Role.values:
        raise TeamError(f"{new_role!r} is not a role.")
    if new_role == target.role:
        return
    _check_owner_rules(actor_membership, target, new_role)
    old_role, target.role = target.role, new_role
    target.save(update_fields=["role"])
    actor = actor_membership.user
    _audit(
        "team.role_changed",
        target.tenant,
        actor,
        f"{actor.email} changed {target.user.email} from {old_role} to {new_role}.",
        member=str(target.uuid),
        old_role=old_role,
        new_role=new_role,
    )


@transaction.atomic
def remove_member(actor_membership: Membership, target: Membership) -> None:
    _check_owner_rules(actor_membership, target, None)
    target.delete()
    actor = actor_membership.user
    _audit(
        "team.member_removed",
        target.tenant,
        actor,
        f"{actor.email} removed {target.user.email} ({target.role}) from the workspace.",
        member=str(target.uuid),
    )
