"""``adscan sources``: list, show, add, change, enable, disable and run crawl sources."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from review_ui.accounts import audit
from review_ui.operations import launcher
from review_ui.operations.exceptions import SourceNotFound
from review_ui.operations.forms import SourceForm
from review_ui.operations.launcher import PROJECT_ROOT
from review_ui.operations.models import Source
from review_ui.operations.present import next_run_times, run_data, source_data
from review_ui.operations.views import AUDITED_FIELDS

SETTABLE = {
    "profile": "profile_path",
    "profile_yaml": "profile_yaml",
    "base_url": "base_url",
    "cron": "cron",
    "every_minutes": "interval_minutes",
    "timezone": "timezone",
    "time_limit": "time_limit_seconds",
    "max_retries": "max_retries",
    "download_delay": "download_delay",
    "concurrency": "concurrency",
}


def who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _profile_path(value: str) -> str:
    """A path given on the command line, relative to the project when inside it."""
    path = Path(value)
    if path.is_absolute() or not path.exists():
        return value
    path = path.resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def get_source(name: str) -> Source:
    try:
        return Source.objects.get(name=name)
    except Source.DoesNotExist:
        raise CommandError(str(SourceNotFound(name))) from None


class Command(BaseCommand):
    help = "Crawl sources: list | show NAME | add NAME | set NAME | enable NAME | disable NAME | run NAME"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = sub.add_parser("list", help="all sources with schedule, next run and last run")
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("show", help="one source and its recent runs")
        p.add_argument("name")
        p.add_argument("--json", action="store_true")
        for action, text in (
            ("add", "add a source from a site profile"),
            ("set", "change a source"),
        ):
            p = sub.add_parser(action, help=text)
            p.add_argument("name", nargs="?" if action == "add" else None, default="")
            p.add_argument("--profile", help="profile file (e.g. crawler/profiles/demo.yaml)")
            p.add_argument(
                "--profile-yaml", metavar="FILE", help="store this file's YAML in the database"
            )
            p.add_argument("--base-url")
            g = p.add_mutually_exclusive_group()
            g.add_argument("--cron", help="cron expression, e.g. '0 3 * * *'")
            g.add_argument(
                "--every-minutes", type=int, help="an interval instead of a cron expression"
            )
            p.add_argument("--timezone")
            p.add_argument("--time-limit", type=int, help="seconds")
            p.add_argument("--max-retries", type=int)
            p.add_argument("--download-delay", type=float)
            p.add_argument("--concurrency", type=int)
            p.add_argument("--disabled", action="store_true", help="add it switched off")
        for action in ("enable", "disable"):
            sub.add_parser(action, help=f"{action} a source").add_argument("name")
        p = sub.add_parser(
            "run", help="crawl a source now (in the foreground, or --queue for the scheduler)"
        )
        p.add_argument("name")
        p.add_argument("--queue", action="store_true", help="leave it to the running scheduler")
        p.add_argument("--no-process", action="store_true", help="skip the processing stage")
        p.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        return getattr(self, f"do_{opts['action']}")(opts)

    def _out(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2, default=str))

    def do_list(self, opts):
        sources = list(Source.objects.all())
        nexts = next_run_times(sources)
        rows = [source_data(s, nexts.get(s.name)) for s in sources]
        if opts["json"]:
            return self._out(rows)
        if not rows:
            self.stdout.write("No sources; add one with `adscan sources add --profile FILE.yaml`.")
            return
        fmt = "{:<20} {:<8} {:<32} {:<26} {:<10} {}"
        self.stdout.write(
            fmt.format("SOURCE", "ENABLED", "SCHEDULE", "NEXT RUN", "LAST", "LAST SUCCESS")
        )
        for r in rows:
            self.stdout.write(fmt.format(
                r["name"], "yes" if r["enabled"] else "no", r["schedule"], r["next_run"] or "-",
                r["last_state"] or "-", r["last_success"] or "never",
            ))  # fmt: skip

    def do_show(self, opts):
        source = get_source(opts["name"])
        data = source_data(source, next_run_times([source]).get(source.name))
        data["runs"] = [run_data(r) for r in source.runs.all()[:10]]
        if opts["json"]:
            return self._out(data)
        for key, value in data.items():
            if key != "runs":
                self.stdout.write(f"{key:<20} {value if value is not None else '-'}")
        self.stdout.write("recent runs:")
        for r in data["runs"]:
            self.stdout.write(
                f"  {r['run_id']:<44} {r['state']:<10} {r['started'] or '-':<26} "
                f"pages {r['pages']} new {r['new']} changed {r['changed']} gone {r['gone']} errors {r['errors']}"
            )

    def _form_data(self, opts, source: Source | None) -> dict:
        data = {f: getattr(source, f) for f in AUDITED_FIELDS} if source else {
            "schedule_kind": "cron", "cron": "0 3 * * *", "timezone": "Europe/Amsterdam",
            "time_limit_seconds": 3600, "max_retries": 2, "enabled": True,
        }  # fmt: skip
        data = {k: ("" if v is None else v) for k, v in data.items()}
        if opts.get("name"):
            data["name"] = opts["name"]
        for option, field in SETTABLE.items():
            value = opts.get(option)
            if value is None:
                continue
            if option == "profile_yaml":
                try:
                    value = Path(value).read_text(encoding="utf-8")
                except OSError as exc:
                    raise CommandError(
                        f"--profile-yaml names '{value}', which cannot be read ({exc.strerror})."
                    ) from None
                data["profile_path"] = ""
            if option == "profile":
                data["profile_yaml"] = ""
                value = _profile_path(value)
            data[field] = value
        if opts.get("cron") is not None:
            data["schedule_kind"] = "cron"
        if opts.get("every_minutes") is not None:
            data["schedule_kind"] = "interval"
        if opts.get("disabled"):
            data["enabled"] = False
        if not data.get("enabled"):
            data.pop("enabled", None)  # an unchecked box is an absent key
        return data

    def _save(self, opts, source: Source | None) -> Source:
        form = SourceForm(self._form_data(opts, source), instance=source)
        if not form.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
            )
            raise CommandError(f"Source not saved: {problems}")
        return form.save()

    def do_add(self, opts):
        source = self._save(opts, None)
        audit.record(who(), "source.create", "source", source.name, details=source_data(source))
        self.stdout.write(f"Source {source.name} added: {source.schedule_in_words}.")

    def do_set(self, opts):
        source = get_source(opts["name"])
        before = {f: getattr(source, f) for f in AUDITED_FIELDS}
        source = self._save(opts, source)
        changed = {
            f: [before[f], getattr(source, f)]
            for f in AUDITED_FIELDS
            if before[f] != getattr(source, f)
        }
        if changed:
            audit.record(
                who(), "source.update", "source", source.name, details={"changed": changed}
            )
        self.stdout.write(f"Source {source.name} saved: {source.schedule_in_words}.")

    def _set_enabled(self, name: str, enabled: bool) -> None:
        source = get_source(name)
        if source.enabled != enabled:
            source.enabled = enabled
            source.save(update_fields=["enabled", "updated_at"])
            audit.record(
                who(), "source.enable" if enabled else "source.disable", "source", source.name
            )
        self.stdout.write(f"Source {source.name} {'enabled' if enabled else 'disabled'}.")

    def do_enable(self, opts):
        self._set_enabled(opts["name"], True)

    def do_disable(self, opts):
        self._set_enabled(opts["name"], False)

    def do_run(self, opts):
        source = get_source(opts["name"])
        if opts["queue"]:
            run = launcher.queue_run(source, requested_by=who())
            audit.record(
                who(),
                "source.run",
                "source",
                source.name,
                details={"run_id": run.run_id, "queued": True},
            )
            self.stdout.write(
                f"Crawl {run.run_id} queued; a running scheduler starts it within a minute."
            )
            return
        run = launcher.claim(source, "manual", requested_by=who())
        if run is None:
            raise CommandError(
                f"Source '{source.name}' is being crawled already; wait for that run to end."
            )
        audit.record(who(), "source.run", "source", source.name, details={"run_id": run.run_id})
        self.stderr.write(
            f"Crawling {source.name} as {run.run_id} (limit {source.time_limit_seconds} s)..."
        )
        run = launcher.execute(run, retry=False, process=False if opts["no_process"] else None)
        if opts["json"]:
            self._out(run_data(run))
        else:
            self.stdout.write(
                f"{run.run_id}: {run.state} in {run.duration_seconds} s; pages {run.pages}, new {run.new}, "
                f"changed {run.changed}, unchanged {run.unchanged}, gone {run.gone}, errors {run.errors}"
                + (f"; {run.error}" if run.error else "")
            )
        if run.state != "succeeded":
            raise CommandError(
                f"Crawl {run.run_id} {run.get_state_display()}: {run.error}; see `adscan runs show {run.run_id} --log`."
            )
