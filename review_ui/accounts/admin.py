"""Admin: users and roles with Django's own pages; the audit log read-only."""

from __future__ import annotations

from django.contrib import admin

from review_ui.accounts.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Admins read and filter the audit log; nobody adds, changes or deletes."""

    list_display = ("at", "username", "action", "target_type", "target_id", "remote_addr")
    list_filter = ("action", "target_type")
    search_fields = ("username", "target_id", "purpose")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
