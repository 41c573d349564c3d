"""Audit entries for logins and logouts."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from review_ui.accounts import audit


@receiver(user_logged_in, dispatch_uid="adscan-audit-login")
def _logged_in(sender, request, user, **kwargs):
    addr = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    audit.record(user, "login", "user", user.get_username(), remote_addr=addr)


@receiver(user_logged_out, dispatch_uid="adscan-audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        addr = request.META.get("REMOTE_ADDR", "") if request is not None else ""
        audit.record(user, "logout", "user", user.get_username(), remote_addr=addr)


#: Django permissions the admin role gets, so Django's admin pages let admins
#: manage users and roles and read (only read) the audit log.
ADMIN_PERMISSIONS = (
    ("auth", "user", ("add", "change", "delete", "view")),
    ("auth", "group", ("view", "change")),
    ("accounts", "auditentry", ("view",)),
)


def grant_admin_permissions(**kwargs):
    from django.contrib.auth.models import Group, Permission

    from review_ui.accounts.roles import ADMIN, ensure_groups

    ensure_groups()
    group = Group.objects.get(name=ADMIN)
    for app_label, model, actions in ADMIN_PERMISSIONS:
        codenames = [f"{action}_{model}" for action in actions]
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*perms)
