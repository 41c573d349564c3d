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
