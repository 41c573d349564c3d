"""``adscan reconcile``: re-apply every review decision to the ad store."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from index.exceptions import IndexError_
from review_ui.review.store import get_store
from review_ui.review.sync import reconcile


class Command(BaseCommand):
    help = (
        "Mirror the current review decision of every ad from the database to the "
        "ad store, and reopen dismissed ads that changed since."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-reopen",
            action="store_true",
            help="do not reopen dismissed ads that have a newer version",
        )

    def handle(self, *args, no_reopen=False, **options):
        try:
            report = reconcile(get_store(), reopen=not no_reopen)
        except IndexError_ as exc:
            raise CommandError(f"The ad store failed: {exc}") from None
        parts = (
            ", ".join(f"{status} {n}" for status, n in sorted(report.by_status.items())) or "none"
        )
        self.stdout.write(
            f"Re-applied {report.applied} decisions ({parts}); {report.missing} ads no longer "
            f"in the store; reopened {len(report.reopened)} changed dismissed ads."
        )
