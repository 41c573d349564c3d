"""adscan's accounts app: roles, login, the audit log."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "review_ui.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from review_ui import checks  # noqa: F401  (registers the production check)
        from review_ui.accounts import signals

        post_migrate.connect(
            signals.grant_admin_permissions, sender=self, dispatch_uid="adscan-admin-perms"
        )
