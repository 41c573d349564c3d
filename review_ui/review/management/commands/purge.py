"""``adscan purge``: apply the retention period (``--dry-run`` shows what would go)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from index.exceptions import IndexError_
from review_ui.review.retention import plan_purge, run_purge
from review_ui.review.store import get_store


class Command(BaseCommand):
    help = (
        "Purge ads that were never flagged or escalated (and closed escalations) "
        "last seen more than the retention period ago, with their photos, and raw "
        "captures (WARC files) older than the period that no escalated ad cites."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go; change nothing"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="retention period in days (default: ADSCAN_RETENTION_DAYS)",
        )
        parser.add_argument(
            "--limit", type=int, default=10000, help="at most this many ads per run"
        )

    def handle(self, *args, dry_run=False, days=None, limit=10000, **options):
        days = settings.ADSCAN_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError(
                f"--days has value {days}; expected a whole number of days, 1 or more."
            )
        try:
            store = get_store()
            plan = plan_purge(store, days, limit=limit)
            if dry_run:
                self.stdout.write(
                    f"Would purge {plan.count} ads last seen before {plan.cutoff} "
                    f"and {len(plan.images)} photos; {plan.kept_escalated} open escalations are kept. "
                    f"Would delete {len(plan.warc_files)} raw captures (WARC files) written before "
                    f"the cutoff; {plan.kept_warc_files} are kept as evidence of escalated ads."
                )
                for ad_id in plan.ad_ids:
                    self.stdout.write(f"  {ad_id}  {plan.reasons[ad_id]}")
                return
            done = run_purge(store, plan)
        except IndexError_ as exc:
            raise CommandError(f"The ad store failed: {exc}") from None
        self.stdout.write(
            f"Purged {done['ads']} ads last seen before {plan.cutoff}, {done['photos']} photos "
            f"and {done['captures']} raw captures (WARC files); {plan.kept_warc_files} captures "
            "are kept as evidence of escalated ads."
        )
