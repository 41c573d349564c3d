"""Login, logout, language choice and the audit log reader."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language as django_set_language

from review_ui.accounts.forms import ThrottledAuthenticationForm
from review_ui.accounts.models import AuditEntry
from review_ui.accounts.roles import role_required

AUDIT_PAGE_SIZE = 100


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Logout by POST only (Django's default), so a link cannot log anyone out."""


set_language = login_not_required(django_set_language)


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=40)
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=40)
    target_id = forms.CharField(label=_("Target id"), required=False, max_length=200)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@role_required("audit")
def audit_log(request):
    """The audit log, newest first, filterable; keyset pages by entry id."""
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.all().order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        for field in ("username", "action", "target_type", "target_id"):
            if data[field]:
                entries = entries.filter(**{field: data[field].strip()})
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            entries = entries.filter(at__gte=datetime.combine(data["date_from"], time.min, tz))
        if data["date_to"]:
            entries = entries.filter(at__lte=datetime.combine(data["date_to"], time.max, tz))
    cursor = request.GET.get("after")
    if cursor:
        try:
            entries = entries.filter(id__lt=int(signing.loads(cursor, salt="audit-cursor")))
        except (signing.BadSignature, TypeError, ValueError):
            cursor = None
    page = list(entries[: AUDIT_PAGE_SIZE + 1])
    next_cursor = None
    if len(page) > AUDIT_PAGE_SIZE:
        page = page[:AUDIT_PAGE_SIZE]
        next_cursor = signing.dumps(page[-1].id, salt="audit-cursor")
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "entries": page,
            "next_cursor": next_cursor,
            "is_later_page": bool(cursor),
            "filter_query": params.urlencode(),
        },
    )
