"""``adscan process``: score, link and cluster the pending ads."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classifier.exceptions import ClassifierError
from index import open_store
from index.exceptions import IndexError_
from review_ui.operations.processing import Scorer, process_pending
from review_ui.review.sync import reopen_changed


class Command(BaseCommand):
    help = "Process pending ads: extract, find indicators, embed, score, link into clusters."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=64)
        parser.add_argument("--limit", type=int, default=None, help="stop after this many ads")
        parser.add_argument("--worker", default="process", help="name of this worker in claims")
        parser.add_argument(
            "--json", action="store_true", help="print the summary as one JSON line"
        )

    def handle(self, *args, **opts):
        if opts["batch_size"] < 1:
            raise CommandError(f"--batch-size has value {opts['batch_size']}; expected 1 or more.")
        try:
            store = open_store(settings.ADSCAN_INDEX_URL)
        except IndexError_ as exc:
            raise CommandError(str(exc)) from None
        try:
            scorer = Scorer(
                embedding_model=settings.ADSCAN_EMBEDDING_MODEL,
                embedding_cache_dir=settings.HOME / "cache",
                flag_threshold=settings.ADSCAN_FLAG_THRESHOLD,
            ).load()
        except ClassifierError as exc:
            raise CommandError(str(exc)) from None

        def progress(s):
            if not opts["json"]:
                self.stderr.write(f"  processed {s['processed']} ads, {s['flagged']} flagged")

        try:
            with store:
                summary = process_pending(
                    store,
                    scorer,
                    batch_size=opts["batch_size"],
                    limit=opts["limit"],
                    worker=opts["worker"],
                    progress=progress,
                )
                summary["reopened"] = len(reopen_changed(store))
        except IndexError_ as exc:
            raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Processed {summary['processed']} ads in {summary['seconds']} s "
                f"({summary['ads_per_second']} ads/s); {summary['flagged']} flagged; "
                f"{summary['reopened']} changed dismissed ads reopened."
            )
