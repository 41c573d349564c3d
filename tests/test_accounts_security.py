"""Login, throttling, the audit log's guarantees, security headers and the production check."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from review_ui.accounts import audit
from review_ui.accounts.models import AuditEntry
from review_ui.checks import production_errors
from tests.fixtures.review import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_login_and_logout_are_audited(client, role_users):
    response = client.post(LOGIN, {"username": "officer1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 405  # a link cannot log out
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get("/").status_code == 302
    actions = list(AuditEntry.objects.filter(username="officer1").values_list("action", flat=True))
    assert actions == ["logout", "search", "login"]
    assert AuditEntry.objects.get(action="login").remote_addr == "127.0.0.1"


def test_login_locks_after_repeated_failures(client, role_users, settings):
    settings.ADSCAN_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        response = client.post(LOGIN, {"username": "officer1", "password": "wrong-password-123"})
        assert response.status_code == 200
    # Even the right password is refused while locked.
    response = client.post(LOGIN, {"username": "officer1", "password": PASSWORD})
    assert response.status_code == 200
    assert "15" in response.content.decode()  # minutes to wait
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="login_failed", target_id="officer1").count() == 3
    locked = AuditEntry.objects.get(action="login_locked")
    assert locked.remote_addr == "127.0.0.1"
    # Another account from the same address is not locked.
    assert client.post(LOGIN, {"username": "analyst1", "password": PASSWORD}).status_code == 302


def test_successful_login_resets_the_count(client, role_users, settings):
    settings.ADSCAN_LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        client.post(LOGIN, {"username": "officer1", "password": "nope-nope-nope"})
    assert client.post(LOGIN, {"username": "officer1", "password": PASSWORD}).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(2):
        client.post(LOGIN, {"username": "officer1", "password": "nope-nope-nope"})
    assert client.post(LOGIN, {"username": "officer1", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("password", ["short1", "password1234", "12345678901234", "officer12345"])
def test_weak_passwords_are_refused(role_users, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=role_users["officer"])


def test_audit_entries_cannot_be_changed_or_deleted(role_users):
    entry = audit.record(role_users["admin"], "export", "cluster", "c1", purpose="case 2026-17")
    entry.purpose = "something else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(purpose="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).purpose == "case 2026-17"


def test_admin_reads_and_filters_the_audit_log(client, role_users):
    audit.record(role_users["officer"], "export", "cluster", "c1", purpose="case 17")
    audit.record(role_users["analyst"], "search", "queue", "")
    client.force_login(role_users["admin"])
    response = client.get(reverse("accounts:audit_log"), {"action": "export"})
    assert response.status_code == 200
    assert [e.username for e in response.context["entries"]] == ["officer1"]
    assert b"case 17" in response.content
    # Django admin: read-only.
    admin_url = reverse("admin:accounts_auditentry_changelist")
    assert client.get(admin_url).status_code == 200
    entry = AuditEntry.objects.first()
    delete_url = reverse("admin:accounts_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_security_headers_and_csp(client, role_users):
    response = client.get(LOGIN)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.content.decode()  # no inline script
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    client.force_login(role_users["officer"])
    assert client.get("/")["Cache-Control"] == "no-store, private"


def test_forms_require_csrf(role_users):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "officer1", "password": PASSWORD})
    assert response.status_code == 403


def test_secure_cookies_over_https():
    import importlib
    import os

    from review_ui import settings as adscan_settings

    os.environ["ADSCAN_HTTPS"] = "true"
    try:
        module = importlib.reload(adscan_settings)
        assert module.SESSION_COOKIE_SECURE and module.CSRF_COOKIE_SECURE
        assert module.SECURE_HSTS_SECONDS > 0
    finally:
        del os.environ["ADSCAN_HTTPS"]
        importlib.reload(adscan_settings)


def test_production_check_refuses_dev_key_and_debug(settings):
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    settings.DEBUG = True
    ids = [e.id for e in production_errors()]
    assert ids == ["adscan.E001", "adscan.E002"]
    settings.ADSCAN_PRODUCTION = True
    with pytest.raises(SystemCheckError, match="adscan.E001"):
        call_command("check")
    settings.SECRET_KEY = "k" * 60
    settings.DEBUG = False
    assert production_errors() == []
    call_command("check")
