"""``adscan runs``: the history of crawl runs."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from review_ui.operations.choices import RunState
from review_ui.operations.exceptions import RunNotFound
from review_ui.operations.models import CrawlRun
from review_ui.operations.present import run_data


class Command(BaseCommand):
    help = "Crawl runs: list [--source NAME] [--state STATE] | show RUN_ID [--log]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = sub.add_parser("list", help="recent runs, newest first")
        p.add_argument("--source")
        p.add_argument("--state", choices=RunState.values)
        p.add_argument("--limit", type=int, default=20)
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("show", help="one run with its figures, processing and log tail")
        p.add_argument("run_id")
        p.add_argument("--log", action="store_true", help="include the log tail")
        p.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        if opts["action"] == "list":
            return self.do_list(opts)
        return self.do_show(opts)

    def do_list(self, opts):
        if opts["limit"] < 1:
            raise CommandError(f"--limit has value {opts['limit']}; expected 1 or more.")
        runs = CrawlRun.objects.select_related("source")
        if opts["source"]:
            runs = runs.filter(source__name=opts["source"])
        if opts["state"]:
            runs = runs.filter(state=opts["state"])
        rows = [run_data(r) for r in runs[: opts["limit"]]]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No crawl runs yet.")
            return
        fmt = "{:<44} {:<10} {:<9} {:<26} {:>8} {:>6} {:>5} {:>7} {:>9} {:>5} {:>7} {:>6}"
        self.stdout.write(fmt.format("RUN", "STATE", "TRIGGER", "STARTED", "SECONDS", "PAGES", "NEW",
                                     "CHANGED", "UNCHANGED", "GONE", "DROPPED", "ERRORS"))  # fmt: skip
        for r in rows:
            seconds = f"{r['duration_seconds']:.1f}" if r["duration_seconds"] is not None else "-"
            self.stdout.write(fmt.format(
                r["run_id"], r["state"], r["trigger"], r["started"] or "-", seconds, r["pages"], r["new"],
                r["changed"], r["unchanged"], r["gone"], sum(r["dropped"].values()), r["errors"],
            ))  # fmt: skip

    def do_show(self, opts):
        try:
            run = CrawlRun.objects.select_related("source").get(run_id=opts["run_id"])
        except CrawlRun.DoesNotExist:
            raise CommandError(str(RunNotFound(opts["run_id"]))) from None
        data = run_data(run, log=opts["log"])
        if opts["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        for key, value in data.items():
            if key in ("log_tail", "dropped", "processing"):
                continue
            self.stdout.write(f"{key:<18} {value if value is not None else '-'}")
        self.stdout.write(
            f"{'dropped':<18} " + (", ".join(f"{k} {v}" for k, v in data["dropped"].items()) or "-")
        )
        proc = data["processing"]
        if proc:
            figures = ", ".join(f"{k} {v}" for k, v in (proc.get("summary") or {}).items())
            self.stdout.write(
                f"{'processing':<18} {proc.get('state')}" + (f": {figures}" if figures else "")
            )
        else:
            self.stdout.write(f"{'processing':<18} -")
        if opts["log"]:
            self.stdout.write("--- log tail ---")
            self.stdout.write(data.get("log_tail") or "(empty)")
