"""``adscan demo``: the whole product on synthetic sites, with one command.

Serves the synthetic demo ad market on 127.0.0.1, crawls it twice (the second
time after ads changed, disappeared and appeared), processes what was stored,
creates a demo user and serves the review UI. ``--smoke`` runs the same path on
a small market without the UI and prints one JSON line.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from classifier.exceptions import ClassifierError
from index import open_store
from index.exceptions import IndexError_
from review_ui.operations.processing import Scorer, process_pending

DEMO_USER = "demo"


class Command(BaseCommand):
    help = "Crawl the synthetic demo sites, process them and serve the review UI."

    def add_arguments(self, parser):
        parser.add_argument(
            "--smoke", action="store_true", help="small market, no UI, one JSON line"
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--ads", type=int, default=None, help="ads in the market (600; smoke: 60)"
        )
        parser.add_argument("--addr", default="127.0.0.1:8000", help="where the UI is served")
        parser.add_argument("--no-serve", action="store_true", help="stop after processing")
        parser.add_argument(
            "--home", default=None, help="with --smoke: keep the data in this directory"
        )
        parser.add_argument(
            "--index-url",
            default=None,
            help="the ad store to use instead of ADSCAN_INDEX_URL (smoke: a fresh SQLite file)",
        )
        parser.add_argument(
            "--sites-port",
            type=int,
            default=8401,
            help="first port of the three demo sites (the full demo keeps them fixed so "
            "its sources stay valid between runs; the smoke run uses free ports)",
        )

    # -- helpers ---------------------------------------------------------
    def say(self, msg: str) -> None:
        if not self.smoke:
            self.stdout.write(msg)
            self.stdout.flush()

    def crawl_all(self, server, market, paths: dict[str, Any], epoch: int) -> list[dict[str, Any]]:
        from crawler.demo import DemoMarket
        from crawler.runner import run_crawl_subprocess

        sites = market.ground_truth()["sites"]

        def one(site: dict[str, Any]) -> dict[str, Any]:
            name = site["name"]
            return run_crawl_subprocess(
                DemoMarket.profile_path(name),
                base_url=server.base_urls[name],
                store_url=paths["store_url"],
                archive_dir=paths["archive"],
                image_dir=paths["images"],
                run_id=f"{name}-e{epoch}-{int(time.time())}",
                timeout=900,
            )

        with ThreadPoolExecutor(max_workers=len(sites)) as pool:
            summaries = list(pool.map(one, sites))
        for s in summaries:
            self.say(
                f"  crawled {s['source']}: {s['pages']} pages, {s['new']} new, {s['changed']} changed, "
                f"{s['unchanged']} unchanged, {s['gone']} gone, dropped {s.get('dropped') or {}}"
            )
        return summaries

    def process(self, store, scorer) -> dict[str, Any]:
        def progress(s):
            self.say(f"  processed {s['processed']} ads ({s['flagged']} flagged)")

        summary = process_pending(store, scorer, batch_size=64, progress=progress)
        if not self.smoke:
            from review_ui.review.sync import reopen_changed

            reopened = reopen_changed(store)
            if reopened:
                self.say(f"  {len(reopened)} changed dismissed ads back in the queue")
        return summary

    def record_runs(self, server, summaries: list[dict[str, Any]], processing: dict) -> None:
        """Register the demo sites as sources and their crawls as runs, so the
        operator pages show what the demo did."""
        from django.utils.dateparse import parse_datetime

        from crawler.demo import DemoMarket
        from review_ui.operations.choices import RunState, RunTrigger, ScheduleKind
        from review_ui.operations.launcher import apply_summary
        from review_ui.operations.models import CrawlRun, Source

        root = Path(settings.BASE_DIR).parent
        for summary in summaries:
            name = summary["source"]
            profile = DemoMarket.profile_path(name)
            try:
                profile = profile.relative_to(root)
            except ValueError:
                pass
            source, _ = Source.objects.update_or_create(
                name=name,
                defaults={
                    "profile_path": str(profile),
                    "base_url": server.base_urls[name],
                    "schedule_kind": ScheduleKind.CRON,
                    "cron": "0 */6 * * *",
                    "time_limit_seconds": 900,
                },
            )
            if CrawlRun.objects.filter(run_id=summary["run_id"]).exists():
                continue
            run = CrawlRun(
                source=source,
                run_id=summary["run_id"],
                trigger=RunTrigger.MANUAL,
                requested_by="adscan demo",
                state=RunState.SUCCEEDED if summary.get("finished_ok") else RunState.FAILED,
                started=parse_datetime(summary["started"]),
                finished=parse_datetime(summary["finished"]),
                processing=processing,
            )
            apply_summary(run, summary)
            if run.started and run.finished:
                run.duration_seconds = (run.finished - run.started).total_seconds()
            run.save()

    def start_scheduler(self):
        """The scheduler beside the UI, so "run now" and schedules work in the demo."""
        import subprocess
        import sys

        return subprocess.Popen(
            [sys.executable, "-m", "review_ui.manage", "scheduler", "--sync-seconds", "10"],
            stdin=subprocess.DEVNULL,
        )

    def ensure_user(self) -> str | None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from review_ui.accounts.roles import ANALYST, OFFICER, OPERATOR, ensure_groups

        ensure_groups()
        User = get_user_model()
        if User.objects.filter(username=DEMO_USER).exists():
            return None
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(DEMO_USER, password=password)
        user.groups.set(Group.objects.filter(name__in=[OFFICER, ANALYST, OPERATOR]))
        return password

    # -- main ------------------------------------------------------------
    def handle(self, *args, **opts):
        from crawler.demo import DemoMarket, DemoServer

        self.smoke = opts["smoke"]
        n_ads = opts["ads"] or (60 if self.smoke else 600)
        if opts["home"] and not self.smoke:
            raise CommandError("--home only goes with --smoke; set ADSCAN_HOME for the full demo.")
        tmp = None
        if self.smoke and not opts["home"]:
            tmp = tempfile.TemporaryDirectory(prefix="adscan-smoke-")
        home = Path(opts["home"] or (tmp.name if tmp else settings.HOME))
        default_url = f"sqlite:///{home / 'ads.db'}" if self.smoke else settings.ADSCAN_INDEX_URL
        paths: dict[str, Any] = {
            "store_url": opts["index_url"] or default_url,
            "archive": home / "archive" if self.smoke else Path(settings.ADSCAN_ARCHIVE_DIR),
            "images": home / "images" if self.smoke else Path(settings.ADSCAN_IMAGE_DIR),
        }
        for key in ("archive", "images"):
            paths[key].mkdir(parents=True, exist_ok=True)
        (home / "demo").mkdir(parents=True, exist_ok=True)
        state_file = home / "demo" / "state.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        if state and (state.get("seed"), state.get("ads")) != (opts["seed"], n_ads):
            raise CommandError(
                f"The data in {home} comes from a demo with seed {state.get('seed')} and "
                f"{state.get('ads')} ads; run `make clean` or pass --seed/--ads to match."
            )

        try:
            store = open_store(paths["store_url"])
            store.setup()
        except IndexError_ as exc:
            raise CommandError(str(exc)) from None

        self.say(f"adscan demo: data in {home}")
        if not self.smoke:
            Path(settings.HOME).mkdir(parents=True, exist_ok=True)
            call_command("migrate", verbosity=0)
        market = DemoMarket(seed=opts["seed"], n_ads=n_ads)
        start_epoch = int(state.get("epoch", 0))
        market.set_epoch(start_epoch)
        self.say("Loading models ...")
        try:
            scorer = Scorer(
                embedding_model=settings.ADSCAN_EMBEDDING_MODEL,
                embedding_cache_dir=home / "cache",
                flag_threshold=settings.ADSCAN_FLAG_THRESHOLD,
            ).load()
        except ClassifierError as exc:
            raise CommandError(str(exc)) from None

        ports = None if self.smoke else [opts["sites_port"] + i for i in range(3)]
        server = DemoServer(market, ports=ports)
        try:
            server.start()
        except OSError as exc:
            raise CommandError(
                f"The demo sites cannot listen on ports {ports} ({exc.strerror}); stop what "
                "uses them or pass --sites-port with another first port."
            ) from None
        scheduler = None
        try:
            self.say("Demo sites: " + ", ".join(f"{k} {v}" for k, v in server.base_urls.items()))
            epochs = [start_epoch] if state else [0, 1]
            for epoch in epochs:
                market.set_epoch(epoch)
                (home / "demo" / "ground_truth.json").write_text(
                    json.dumps(market.ground_truth(), indent=1)
                )
                self.say(f"Crawling the demo sites (epoch {epoch}) ...")
                summaries = self.crawl_all(server, market, paths, epoch)
                self.say("Processing pending ads ...")
                processed = self.process(store, scorer)
                if not self.smoke:
                    self.record_runs(server, summaries, processed)
                state = {"seed": opts["seed"], "ads": n_ads, "epoch": epoch}
                state_file.write_text(json.dumps(state))

            stats = store.stats()
            clusters, _ = store.list_clusters(sort="size", size=1, min_size=2)
            result = {
                "ads": stats["ads"],
                "processed": stats["done"],
                "pending": stats["pending"],
                "clusters": stats["clusters"],
                "largest_cluster": clusters[0]["size"] if clusters else 1,
                "flagged": stats["flagged"],
            }
            if self.smoke:
                self.stdout.write(json.dumps(result))
                return
            self.say(
                f"Done: {result['ads']} ads, {result['flagged']} flagged, {result['clusters']} clusters "
                f"(largest {result['largest_cluster']} ads)."
            )
            if opts["no_serve"]:
                return
            password = self.ensure_user()
            if password:
                self.say(f"Log in as '{DEMO_USER}' with password: {password}  (shown only once)")
            else:
                self.say(
                    f"User '{DEMO_USER}' exists; forgot its password? Run `adscan changepassword {DEMO_USER}`."
                )
            scheduler = self.start_scheduler()
            self.say(f"Review UI: http://{opts['addr']}/   (Ctrl-C stops everything)")
            call_command("runserver", opts["addr"], use_reloader=False, insecure_serving=True)
        finally:
            if scheduler is not None:
                scheduler.terminate()
                try:
                    scheduler.wait(timeout=15)
                except Exception:
                    scheduler.kill()
            server.stop()
            store.close()
            if tmp:
                tmp.cleanup()
