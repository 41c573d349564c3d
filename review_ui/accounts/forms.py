"""The throttled login form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from review_ui.accounts import audit, throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, locked after repeated failures for a username + address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed login attempts for this account. Try again in %(minutes)s minutes."
        ),
    }

    def clean(self):
        username = self.data.get("username", "") or ""
        addr = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if throttle.is_locked(username, addr):
            audit.record(
                f"login:{username[:100]}",
                "login_locked",
                "user",
                username,
                remote_addr=addr,
            )
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": throttle.lockout_seconds() // 60},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            failures = throttle.register_failure(username, addr)
            audit.record(
                f"login:{username[:100]}",
                "login_failed",
                "user",
                username,
                details={"failures": failures},
                remote_addr=addr,
            )
            raise
        throttle.reset(username, addr)
        return cleaned
