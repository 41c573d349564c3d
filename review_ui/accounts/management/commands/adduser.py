"""``adscan adduser``: create or update a user with one or more roles."""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from review_ui.accounts.roles import ADMIN, ROLES, ensure_groups


class Command(BaseCommand):
    help = "Create or update a user with roles (officer, analyst, operator, admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=ROLES, required=True)
        parser.add_argument(
            "--password-env",
            default="ADSCAN_NEW_PASSWORD",
            help="environment variable holding the password (never on the command line)",
        )

    def handle(self, *args, username, role, password_env, **options):
        password = os.environ.get(password_env)
        if not password:
            raise CommandError(
                f"Environment variable {password_env} is empty; put the new password in it."
            )
        ensure_groups()
        user, created = get_user_model().objects.get_or_create(username=username)
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            if created:
                user.delete()
            raise CommandError(f"Password refused: {' '.join(exc.messages)}") from None
        user.set_password(password)
        user.is_staff = ADMIN in role  # admins manage users in Django's admin pages
        user.save()
        user.groups.set(Group.objects.filter(name__in=role))
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} user {username} with roles {', '.join(sorted(role))}.")
