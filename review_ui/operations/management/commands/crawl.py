"""``adscan crawl SOURCE`` / ``adscan crawl --profile FILE.yaml``: run one crawl and print its summary."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Crawl one source (by name or profile file) into the ad store and print the run summary."

    def add_arguments(self, parser):
        parser.add_argument(
            "source", nargs="?", help="source name (a profile in crawler/profiles/)"
        )
        parser.add_argument("--profile", help="crawl this profile YAML file instead")
        parser.add_argument("--base-url", help="crawl this host instead of the profile's base_url")
        parser.add_argument("--max-pages", type=int, help="stop after this many pages")
        parser.add_argument(
            "--timeout", type=float, default=None, help="seconds before the crawl is stopped"
        )
        parser.add_argument(
            "--json", action="store_true", help="print the summary as one JSON line"
        )

    def handle(self, *args, **opts):
        from crawler.exceptions import CrawlerError
        from crawler.runner import run_crawl_subprocess

        if bool(opts["source"]) == bool(opts["profile"]):
            raise CommandError("Give a source name or --profile FILE.yaml (exactly one).")
        try:
            summary = run_crawl_subprocess(
                opts["profile"],
                source=opts["source"],
                base_url=opts["base_url"],
                store_url=str(settings.ADSCAN_INDEX_URL),
                archive_dir=settings.ADSCAN_ARCHIVE_DIR,
                image_dir=settings.ADSCAN_IMAGE_DIR,
                max_pages=opts["max_pages"],
                timeout=opts["timeout"],
            )
        except CrawlerError as exc:
            raise CommandError(str(exc).splitlines()[0]) from None
        if opts["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
        else:
            dropped = ", ".join(f"{k} {v}" for k, v in sorted(summary["dropped"].items())) or "none"
            self.stdout.write(
                f"{summary['source']} run {summary['run_id']}: {summary['pages']} pages, "
                f"{summary['ads_seen']} ads seen, {summary['new']} new, {summary['changed']} changed, "
                f"{summary['unchanged']} unchanged, {summary['gone']} gone; dropped: {dropped}; "
                f"WARC {summary['warc_file']}"
            )
        reason = str(summary.get("finish_reason") or "")
        if reason.startswith("login_failed: "):
            raise CommandError(
                f"The crawl of {summary['source']} could not log in: "
                f"{reason.removeprefix('login_failed: ')}."
            )
        if not summary["finished_ok"]:
            raise CommandError(
                f"The crawl of {summary['source']} stopped early ({summary['finish_reason']}); "
                "run the same command again to resume it."
            )
