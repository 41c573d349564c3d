"""``adscan scheduler``: run the crawl scheduler until stopped."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from review_ui.operations import schedules
from review_ui.operations.scheduler import serve


class Command(BaseCommand):
    help = (
        "Run the scheduler: crawl every enabled source on its schedule (one crawl per source at "
        "a time, each as a subprocess with a time limit), process what it stored, retry failures, "
        "purge expired ads daily. Changes to sources are picked up while it runs. Stop with Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sync-seconds", type=float, default=None,
            help=f"how often to read sources and queued runs (default {settings.ADSCAN_SCHEDULER_SYNC_SECONDS})",
        )  # fmt: skip

    def handle(self, *args, **opts):
        sync_seconds = opts["sync_seconds"]
        if sync_seconds is not None and sync_seconds <= 0:
            raise CommandError(f"--sync-seconds has value {sync_seconds}; expected more than 0.")
        try:
            schedules.cron_trigger(settings.ADSCAN_SCHEDULER_PURGE_CRON, settings.TIME_ZONE)
        except schedules.ScheduleError as exc:
            raise CommandError(f"Setting ADSCAN_SCHEDULER_PURGE_CRON: {exc}") from None
        level = logging.DEBUG if opts["verbosity"] > 2 else logging.INFO
        handler = logging.StreamHandler(self.stderr._out)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        for name in ("review_ui.operations", "apscheduler"):
            logger = logging.getLogger(name)
            logger.setLevel(
                level if name != "apscheduler" or opts["verbosity"] > 1 else logging.WARNING
            )
            logger.addHandler(handler)
            logger.propagate = False
        serve(sync_seconds=sync_seconds)
