"""Review decisions and assignments: the relational truth about each ad's review.

The ad store only mirrors ``review_status`` for queue filtering;
``adscan reconcile`` re-applies these rows to it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from review_ui.review.choices import (
    CLOSE_REASON_LABELS,
    REASON_LABELS,
    STATUS_OF_DECISION,
    Decision,
)


class ReviewDecision(models.Model):
    """One decision about one ad version; the newest per ad has ``current=True``."""

    ad_id = models.CharField(max_length=64, db_index=True)
    ad_version = models.PositiveIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.CharField(max_length=40)
    note = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150)
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    current = models.BooleanField(default=True)
    # Escalations stay open (and their ad is kept) until someone closes them.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True)
    close_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["current", "decision"], name="review_current_decision"),
            models.Index(fields=["ad_id", "current"], name="review_ad_current"),
        ]

    @property
    def status(self) -> str:
        return STATUS_OF_DECISION[self.decision]

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS.get(self.reason, self.reason))

    @property
    def close_reason_label(self) -> str:
        return str(CLOSE_REASON_LABELS.get(self.close_reason, self.close_reason))

    @property
    def is_open_escalation(self) -> bool:
        return self.decision == Decision.ESCALATE and self.closed_at is None

    def __str__(self) -> str:
        return f"{self.ad_id} {self.decision} by {self.username}"


class Assignment(models.Model):
    """Who works on an ad: one officer per ad."""

    ad_id = models.CharField(max_length=64, unique=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    assigned_by = models.CharField(max_length=150)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assigned_at"]

    def __str__(self) -> str:
        return f"{self.ad_id} -> {self.officer}"
