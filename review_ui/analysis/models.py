"""What the analysis app keeps in the relational store: API tokens and the
record of every case package exported."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "adscan_"


def hash_token(raw: str) -> str:
    """SHA-256 of a token: only the hash is stored (tokens are long random strings)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for scripts; acts as its user, with that user's roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        max_length=16, help_text="The first characters, to tell tokens apart."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def create_for(cls, user, name: str) -> tuple[ApiToken, str]:
        """A new token; returns the row and the raw token (shown once, never stored)."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_hash=hash_token(raw), prefix=raw[: len(TOKEN_PREFIX) + 6]
        )
        return token, raw


class ExportRecord(models.Model):
    """One case package: who made it, when, of what, why, and the ZIP's hash."""

    KINDS = [("ad", "ad"), ("cluster", "cluster"), ("search", "search")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=KINDS)
    target = models.CharField(max_length=2000, blank=True)
    purpose = models.TextField()
    pseudonymised = models.BooleanField(default=False)
    n_ads = models.PositiveIntegerField(default=0)
    n_files = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} by {self.username}"
