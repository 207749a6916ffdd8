"""Routes for accounts (sign-up, verification, profile, tokens, passwords) and the team page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from connections.accounts import team_views
from connections.accounts import views as accounts_views

urlpatterns = [
    path("signup/", accounts_views.signup, name="signup"),
    path("signup/sent/", accounts_views.signup_sent, name="signup-sent"),
    path("account/", accounts_views.profile, name="account-profile"),
    path("account/verify/resend/", accounts_views.resend_verification, name="resend-verification"),
    path("account/verify/<str:token>/", accounts_views.verify_email, name="verify-email"),
    path("account/tokens/", accounts_views.create_api_token, name="api-token-create"),
    path("account/tokens/<uuid:uuid>/revoke/", accounts_views.revoke_api_token, name="api-token-revoke"),
    path("account/password/", accounts_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset_form.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts_views.PasswordResetConfirmView.as_view(template_name="accounts/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("team/", team_views.team_page, name="team"),
    path("team/invite/", team_views.invite, name="team-invite"),
    path("team/members/<uuid:uuid>/role/", team_views.change_role, name="team-change-role"),
    path("team/members/<uuid:uuid>/remove/", team_views.remove_member, name="team-remove-member"),
    path("team/invitations/<uuid:uuid>/resend/", team_views.resend_invitation, name="team-resend-invitation"),
    path("team/invitations/<uuid:uuid>/revoke/", team_views.revoke_invitation, name="team-revoke-invitation"),
    path("invitations/<str:token>/", team_views.accept_invitation, name="accept-invitation"),
]
