"""Forms of the team page."""

from django import forms

from connections.models import Membership

Role = Membership.Role


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(
        label="Role",
        choices=[(Role.AGENT, "Agent: review queue and audit log"), (Role.ADMIN, "Admin: connect and configure")],
        initial=Role.AGENT,
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
