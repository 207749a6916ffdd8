"""Create a tenant and its owner from a script: `manage.py create_tenant "Acme Inc" --owner-email ...`."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scopes_disabled

from connections.models import Membership, Tenant


class Command(BaseCommand):
    help = "Create a tenant with an owner (creating the user if needed). Prints what it created."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Tenant (company) name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--password", help="Password for a new user; generated and printed when omitted")
        parser.add_argument("--slug", help="URL-safe name; derived from the name when omitted")
        parser.add_argument(
            "--existing-ok",
            action="store_true",
            help="Reuse a tenant with this slug and an existing user (setting --password if given) instead of failing",
        )

    @scopes_disabled()
    @transaction.atomic
    def handle(self, name, owner_email, password, slug, existing_ok, **options):
        User = get_user_model()
        email = User.objects.normalize_email(owner_email).strip()
        if not email or "@" not in email:
            raise CommandError(f"{owner_email!r} is not an e-mail address.")

        tenant = Tenant.objects.filter(slug=slug).first() if slug else None
        if tenant and not existing_ok:
            raise CommandError(f"A tenant with slug {slug!r} already exists (use --existing-ok to reuse it).")
        tenant_created = tenant is None
        if tenant is None:
            tenant = Tenant.objects.create(name=name, slug=slug or Tenant.unique_slug(name))

        user = User.objects.filter(email__iexact=email).first()
        user_created = user is None
        generated = None
        if user is None:
            generated = None if password else secrets.token_urlsafe(12)
            user = User.objects.create_user(username=email, email=email, password=password or generated)
        elif password:
            if not existing_ok:
                raise CommandError(f"User {email} already exists; not changing their password without --existing-ok.")
            user.set_password(password)
            user.save(update_fields=["password"])

        membership, membership_created = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": Membership.Role.OWNER}
        )
        if not membership_created and membership.role != Membership.Role.OWNER:
            membership.role = Membership.Role.OWNER
            membership.save(update_fields=["role"])

        verb = "Created" if tenant_created else "Reused"
        self.stdout.write(f"{verb} tenant {tenant.name!r} (slug {tenant.slug}, uuid {tenant.uuid})")
        self.stdout.write(f"{'Created' if user_created else 'Reused'} user {email} as owner")
        if generated:
            self.stdout.write(f"Password: {generated}")
