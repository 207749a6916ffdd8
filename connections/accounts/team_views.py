"""The team page (owners and admins) and the invitation link (anyone holding it)."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from connections.accounts import team
from connections.accounts.forms import AcceptInvitationForm
from connections.accounts.signup import InvalidLink, find_user
from connections.accounts.team_forms import InviteForm, RoleForm
from connections.models import Invitation, Membership
from connections.tenancy import SESSION_KEY, get_object_for_tenant, tenant_required


def _team_page(request, invite_form=None, status=200):
    members = Membership.objects.filter(tenant=request.tenant).select_related("user").order_by("role", "user__email")
    context = {
        "members": members,
        "invitations": team.pending_invitations(request.tenant).select_related("invited_by"),
        "invite_form": invite_form or InviteForm(),
        "roles": Membership.Role.choices,
        "now": timezone.now(),
    }
    return render(request, "connections/team.html", context, status=status)


@tenant_required(manage=True)
def team_page(request):
    return _team_page(request)


@require_POST
@tenant_required(manage=True)
def invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = team.invite(request.tenant, request.user, **form.cleaned_data, request=request)
        except team.TeamError as error:
            form.add_error("email", error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("team")
    return _team_page(request, invite_form=form, status=400)


def _act(request, action, success: str):
    try:
        action()
    except team.TeamError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("team")


@require_POST
@tenant_required(manage=True)
def change_role(request, uuid):
    member = get_object_for_tenant(Membership.objects.select_related("user"), request.tenant, uuid=uuid)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, admin or agent.")
        return redirect("team")
    role = form.cleaned_data["role"]
    return _act(
        request,
        lambda: team.change_role(request.membership, member, role),
        f"{member.user.email} is now {Membership.Role(role).label.lower()}.",
    )


@require_POST
@tenant_required(manage=True)
def remove_member(request, uuid):
    member = get_object_for_tenant(Membership.objects.select_related("user"), request.tenant, uuid=uuid)
    response = _act(
        request,
        lambda: team.remove_member(request.membership, member),
        f"{member.user.email} no longer has access to {request.tenant.name}.",
    )
    left = member.user == request.user and not Membership.objects.filter(pk=member.pk).exists()
    return redirect("dashboard") if left else response


@require_POST
@tenant_required(manage=True)
def resend_invitation(request, uuid):
    invitation = get_object_for_tenant(Invitation, request.tenant, uuid=uuid)
    return _act(
        request, lambda: team.resend(invitation, request.user, request), f"Invitation resent to {invitation.email}."
    )


@require_POST
@tenant_required(manage=True)
def revoke_invitation(request, uuid):
    invitation = get_object_for_tenant(Invitation, request.tenant, uuid=uuid)
    return _act(
        request, lambda: team.revoke(invitation, request.user), f"The invitation of {invitation.email} is revoked."
    )


def accept_invitation(request, token):
    """Anyone with the link: join with the matching logged-in account, or create one with a password."""
    try:
        invitation = team.invitation_for_token(token)
    except InvalidLink as error:
        return render(request, "accounts/link_invalid.html", {"reason": error.reason, "what": "invitation"}, status=400)
    user = request.user if request.user.is_authenticated else None
    has_account = user is None and find_user(invitation.email) is not None
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and not has_account and (user is not None or form.is_valid()):
        fields = {} if user is not None else form.cleaned_data
        try:
            user, tenant = team.accept(token, user=user, **fields)
        except InvalidLink as error:
            status = {"reason": error.reason, "what": "invitation"}
            return render(request, "accounts/link_invalid.html", status, status=400)
        except team.TeamError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = str(tenant.uuid)
            messages.success(request, f"Welcome to {tenant.name}.")
            return redirect("dashboard")
    context = {
        "invitation": invitation,
        "form": form,
        "has_account": has_account,
        "login_url": f"{reverse('login')}?next={request.path}",
        "wrong_account": user is not None and user.email.lower() != invitation.email.lower(),
    }
    return render(request, "accounts/accept_invitation.html", context)
