"""The append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused like single ones."""

    def update(self, **kwargs):
        raise PermissionError("Audit entries are append-only and cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries are append-only and cannot be deleted.")


class AuditEntry(models.Model):
    """One thing a person did: who, what, when, from where and why.

    Entries are never changed or deleted through the application: ``save`` on
    an existing row and ``delete`` raise.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=40, db_index=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=200, blank=True, db_index=True)
    purpose = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only and cannot be deleted.")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target_type}:{self.target_id}"
