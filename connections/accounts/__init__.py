"""People: sign-up and e-mail verification, log-in throttling, the team and its invitations, API tokens."""
