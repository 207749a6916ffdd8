import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.accounts import team
from connections.accounts.signup import email_verified
from connections.models import Invitation, Membership, Profile
from tests.connections.accounts.helpers import link_in
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "a-long-new-password-77"


def invite(client, email="new@example.com", role="agent"):
    return client.post("/team/invite/", {"email": email, "role": role})


def the_invitation(tenant, email="new@example.com"):
    with scopes_disabled():
        return Invitation.objects.get(tenant=tenant, email=email)


def audit_kinds(tenant):
    with scope(tenant=tenant):
        return list(AuditEvent.objects.filter(tenant=tenant).values_list("kind", flat=True))


def test_the_team_page_lists_members_with_role_and_last_login(client_a, owner_a, agent_a):
    page = client_a.get("/team/").content.decode()
    assert owner_a.email in page
    assert agent_a.email in page
    assert "Agent" in page
    assert "never" in page, "the agent has never logged in"
    assert "No pending invitations." in page


def test_an_owner_invites_an_agent_by_email(client_a, tenant_a, mailoutbox):
    response = invite(client_a)
    assert response["Location"] == "/team/"
    invitation = the_invitation(tenant_a)
    assert invitation.role == "agent"
    assert mailoutbox[0].to == ["new@example.com"]
    link = link_in(mailoutbox[0], "/invitations/")
    assert "new@example.com" in client_a.get("/team/").content.decode()
    assert "team.invited" in audit_kinds(tenant_a)
    with scope(tenant=tenant_a):
        event = AuditEvent.objects.get(kind="team.invited")
    assert link.split("/")[2] not in str(event.data) + event.message, "the link never reaches the audit log"
    assert invitation.key_hash not in str(event.data)


def test_an_admin_can_invite_too(client, admin_a, tenant_a, mailoutbox):
    client.force_login(admin_a)
    assert invite(client, role="admin")["Location"] == "/team/"
    assert the_invitation(tenant_a).role == "admin"


@pytest.mark.parametrize(
    ("email", "role", "error"),
    [("not-an-address", "agent", "valid email"), ("new@example.com", "owner", "not one of the available choices")],
)
def test_an_invitation_form_explains_what_is_wrong(client_a, email, role, error):
    response = invite(client_a, email, role)
    assert response.status_code == 400
    assert error in response.content.decode()


def test_members_and_pending_invitees_cannot_be_invited_twice(client_a, agent_a, tenant_a):
    assert "already a member" in invite(client_a, agent_a.email.upper()).content.decode()
    invite(client_a)
    assert "pending invitation" in invite(client_a).content.decode()
    with scopes_disabled():
        assert Invitation.objects.count() == 1


def test_a_new_person_accepts_by_choosing_a_password(client_a, other, tenant_a, mailoutbox):
    invite(client_a)
    link = link_in(mailoutbox[0], "/invitations/")
    client_a.post("/logout/")
    page = other.get(link).content.decode()
    assert "Join Acme Corp" in page
    assert "Choose a password" in page
    response = other.post(link, {"name": "New Agent", "password": PASSWORD})
    assert response["Location"] == "/"
    user = get_user_model().objects.get(email="new@example.com")
    assert user.check_password(PASSWORD)
    assert email_verified(user)
    with scopes_disabled():
        assert Membership.objects.get(user=user).role == "agent"
        assert the_invitation(tenant_a).accepted_by == user
    assert "team.joined" in audit_kinds(tenant_a)
    assert other.get("/").status_code == 200


def test_a_weak_password_is_refused_with_the_reason(client_a, mailoutbox):
    invite(client_a)
    link = link_in(mailoutbox[0], "/invitations/")
    client_a.post("/logout/")
    response = client_a.post(link, {"name": "New Agent", "password": "12345678"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_someone_with_an_account_logs_in_and_joins(client_a, tenant_a, owner_b, mailoutbox, other):
    invite(client_a, owner_b.email)
    link = link_in(mailoutbox[0], "/invitations/")
    anonymous = client_a
    anonymous.post("/logout/")
    page = anonymous.get(link).content.decode()
    assert "Log in to accept" in page
    assert anonymous.post(link, {"name": "x", "password": PASSWORD}).status_code == 200
    assert owner_b.check_password("correct horse battery staple"), "an invitation never sets an existing password"
    other.force_login(owner_b)
    assert other.post(link)["Location"] == "/"
    with scopes_disabled():
        assert Membership.objects.get(user=owner_b, tenant=tenant_a).role == "agent"
        assert Membership.objects.filter(user=owner_b).count() == 2


def test_an_existing_unverified_account_is_verified_by_accepting(client_a, tenant_a, mailoutbox, other):
    person = UserFactory(email="late@example.com", username="late@example.com")
    Profile.objects.create(user=person)
    invite(client_a, person.email)
    other.force_login(person)
    other.post(link_in(mailoutbox[0], "/invitations/"))
    assert email_verified(person)


def test_an_invitation_is_for_its_address_only(client_a, owner_b, mailoutbox, other):
    invite(client_a)
    link = link_in(mailoutbox[0], "/invitations/")
    other.force_login(owner_b)
    page = other.get(link).content.decode()
    assert "this invitation is for new@example.com" in page
    other.post(link)
    with scopes_disabled():
        assert Membership.objects.filter(user=owner_b).count() == 1


def test_a_used_link_is_refused(client_a, mailoutbox, other):
    invite(client_a)
    link = link_in(mailoutbox[0], "/invitations/")
    other.post(link, {"name": "New Agent", "password": PASSWORD})
    other.post("/logout/")
    again = other.post(link, {"name": "Someone Else", "password": PASSWORD})
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_an_expired_link_is_refused(client_a, tenant_a, mailoutbox, other, settings):
    invite(client_a)
    link = link_in(mailoutbox[0], "/invitations/")
    settings.INVITATION_MAX_AGE = -1
    response = other.post(link, {"name": "New Agent", "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + "xx", lambda t: "A" + t[1:], lambda t: "garbage"])
def test_a_tampered_link_is_refused(client_a, mailoutbox, other, tamper):
    invite(client_a)
    token = link_in(mailoutbox[0], "/invitations/").split("/")[2]
    response = other.get(f"/invitations/{tamper(token)}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_resending_sends_a_new_link_and_the_old_one_stops_working(client_a, tenant_a, mailoutbox, other):
    invite(client_a)
    old = link_in(mailoutbox[0], "/invitations/")
    invitation = the_invitation(tenant_a)
    assert client_a.post(f"/team/invitations/{invitation.uuid}/resend/")["Location"] == "/team/"
    new = link_in(mailoutbox[1], "/invitations/")
    assert new != old
    assert other.get(old).status_code == 400
    assert other.get(new).status_code == 200
    assert "team.invitation_resent" in audit_kinds(tenant_a)


def test_a_revoked_invitation_cannot_be_accepted(client_a, tenant_a, mailoutbox, other):
    invite(client_a)
    link = link_in(mailoutbox[0], "/invitations/")
    invitation = the_invitation(tenant_a)
    client_a.post(f"/team/invitations/{invitation.uuid}/revoke/")
    assert other.get(link).status_code == 400
    assert "No pending invitations." in client_a.get("/team/").content.decode()
    assert "team.invitation_revoked" in audit_kinds(tenant_a)


def test_an_owner_changes_a_role_and_it_is_audited(client_a, tenant_a, agent_a):
    with scopes_disabled():
        membership = Membership.objects.get(user=agent_a)
    assert client_a.post(f"/team/members/{membership.uuid}/role/", {"role": "admin"})["Location"] == "/team/"
    membership.refresh_from_db()
    assert membership.role == "admin"
    with scope(tenant=tenant_a):
        event = AuditEvent.objects.get(kind="team.role_changed")
    assert event.data == {"member": str(membership.uuid), "old_role": "agent", "new_role": "admin"}


def test_an_owner_removes_a_member_who_then_loses_access(client_a, tenant_a, agent_a, other):
    other.force_login(agent_a)
    with scopes_disabled():
        membership = Membership.objects.get(user=agent_a)
    client_a.post(f"/team/members/{membership.uuid}/remove/")
    with scopes_disabled():
        assert not Membership.objects.filter(user=agent_a).exists()
    assert "team.member_removed" in audit_kinds(tenant_a)
    assert other.get("/").status_code == 403


def test_the_last_owner_can_be_neither_demoted_nor_removed(client_a, tenant_a, owner_a):
    with scopes_disabled():
        membership = Membership.objects.get(user=owner_a)
    client_a.post(f"/team/members/{membership.uuid}/role/", {"role": "admin"})
    page = client_a.get("/team/").content.decode()
    assert "A workspace needs an owner" in page
    client_a.post(f"/team/members/{membership.uuid}/remove/")
    membership.refresh_from_db()
    assert membership.role == "owner"
    assert "team.role_changed" not in audit_kinds(tenant_a)


def test_with_a_second_owner_an_owner_may_step_down(client_a, tenant_a, owner_a):
    with scopes_disabled():
        MembershipFactory(tenant=tenant_a, role="owner")
        membership = Membership.objects.get(user=owner_a)
    client_a.post(f"/team/members/{membership.uuid}/role/", {"role": "admin"})
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_an_admin_cannot_touch_owners_nor_make_one(client, tenant_a, owner_a, admin_a, agent_a):
    client.force_login(admin_a)
    with scopes_disabled():
        owner = Membership.objects.get(user=owner_a)
        agent = Membership.objects.get(user=agent_a)
    client.post(f"/team/members/{owner.uuid}/remove/")
    client.post(f"/team/members/{agent.uuid}/role/", {"role": "owner"})
    assert "Only an owner can" in client.get("/team/").content.decode()
    with scopes_disabled():
        assert Membership.objects.get(pk=owner.pk).role == "owner"
        assert Membership.objects.get(pk=agent.pk).role == "agent"
    client.post(f"/team/members/{agent.uuid}/role/", {"role": "admin"})
    with scopes_disabled():
        assert Membership.objects.get(pk=agent.pk).role == "admin"


def test_the_last_owner_rule_holds_in_the_function_too(tenant_a, owner_a):
    with scope(tenant=tenant_a):
        membership = Membership.objects.get(user=owner_a)
        with pytest.raises(team.TeamError):
            team.remove_member(membership, membership)
        with pytest.raises(team.TeamError):
            team.change_role(membership, membership, "agent")


@pytest.mark.parametrize(
    "path",
    [
        "/team/members/{member}/role/",
        "/team/members/{member}/remove/",
        "/team/invitations/{invitation}/resend/",
        "/team/invitations/{invitation}/revoke/",
    ],
)
def test_another_tenants_members_and_invitations_give_404(client_a, tenant_b, owner_b, path):
    with scope(tenant=tenant_b):
        member = Membership.objects.get(user=owner_b)
        invitation = team.invite(tenant_b, owner_b, "someone@example.com", "agent")
    response = client_a.post(path.format(member=member.uuid, invitation=invitation.uuid), {"role": "agent"})
    assert response.status_code == 404
    with scopes_disabled():
        assert Membership.objects.get(pk=member.pk).role == "owner"
        assert Invitation.objects.get(pk=invitation.pk).is_pending


def test_malformed_uuids_give_404(client_a):
    assert client_a.post("/team/members/not-a-uuid/remove/").status_code == 404


def test_an_admin_is_not_offered_the_owner_role(client, admin_a, agent_a):
    client.force_login(admin_a)
    page = client.get("/team/").content.decode()
    agent_row = next(row for row in page.split("<tr>") if f"<td>{agent_a.email}</td>" in row)
    assert 'value="owner"' not in agent_row
    assert 'value="admin"' in agent_row


def test_a_member_who_leaves_lands_outside_the_team_page(client, admin_a, tenant_a, owner_a):
    client.force_login(admin_a)
    with scopes_disabled():
        membership = Membership.objects.get(user=admin_a)
    assert client.post(f"/team/members/{membership.uuid}/remove/")["Location"] == "/"
