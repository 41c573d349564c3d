"""``adscan token create USER [--name NAME]`` / ``list USER`` / ``revoke ID``: API tokens for scripts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from review_ui.accounts import audit
from review_ui.accounts.roles import has_capability
from review_ui.analysis.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke API tokens of the analyst API."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for USER and print it once")
        create.add_argument("username")
        create.add_argument("--name", default="command line")
        lst = sub.add_parser("list", help="list the tokens of USER")
        lst.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke the token with this id")
        revoke.add_argument("token_id", type=int)

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"User '{username}' does not exist; create it with `adscan adduser`."
            ) from None

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "create":
            user = self._user(opts["username"])
            if not has_capability(user, "search"):
                raise CommandError(
                    f"User '{user.get_username()}' has no role that may use the API "
                    "(analyst, officer or admin); give them one first."
                )
            token, raw = ApiToken.create_for(user, opts["name"])
            audit.record(
                "system:command",
                "create_token",
                "api_token",
                str(token.pk),
                details={"user": user.get_username(), "name": token.name},
            )
            self.stdout.write(raw)
        elif action == "list":
            user = self._user(opts["username"])
            for t in ApiToken.objects.filter(user=user):
                state = "active" if t.active else "revoked"
                self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.name}\t{state}")
        else:
            token = ApiToken.objects.filter(pk=opts["token_id"]).first()
            if token is None:
                raise CommandError(
                    f"Token {opts['token_id']} not found; `adscan token list USER` shows the ids."
                )
            if token.revoked_at is None:
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                audit.record("system:command", "revoke_token", "api_token", str(token.pk))
            self.stdout.write(f"Token {token.pk} revoked.")
