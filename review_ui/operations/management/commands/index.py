"""``adscan index setup|migrate|optimize|stats``: deploy, maintain and inspect the ad store."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from index import open_store
from index.exceptions import IndexError_


class Command(BaseCommand):
    help = (
        "Manage the ad store of ADSCAN_INDEX_URL: 'setup' creates tables or index "
        "templates and aliases (idempotent, safe on every deploy), 'migrate' reindexes "
        "into a new index generation and flips the aliases (Elasticsearch), 'optimize' "
        "compacts the indexes after bulk loads (SQLite: merges the full-text index; the "
        "scheduler runs it nightly), 'stats' prints counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["setup", "migrate", "optimize", "stats"])
        parser.add_argument(
            "--delete-old", action="store_true", help="migrate: delete the old indices afterwards"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **opts):
        url = settings.ADSCAN_INDEX_URL
        try:
            with open_store(url) as store:
                result = getattr(self, f"_{opts['action']}")(store, opts)
        except IndexError_ as exc:
            raise CommandError(str(exc)) from None
        except RuntimeError as exc:  # a migration that refused to flip the alias
            raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
        else:
            self.stdout.write(self._text(opts["action"], result))

    def _setup(self, store, opts):
        store.setup()
        report = getattr(store, "setup_report", {"created": [], "notes": []})
        return {"url": store.stats()["url"], **report}

    def _migrate(self, store, opts):
        if not hasattr(store, "migrate"):
            store.setup()
            return {"moves": [], "notes": ["SQLite migrates its schema in place on setup"]}
        return store.migrate(delete_old=opts["delete_old"])

    def _optimize(self, store, opts):
        return store.optimize()

    def _stats(self, store, opts):
        return store.stats()

    def _text(self, action, result):
        if action == "setup":
            lines = [f"Ad store ready at {result['url']}."]
            lines += [f"  created {name}" for name in result.get("created", [])]
            lines += [f"  note: {note}" for note in result.get("notes", [])]
            return "\n".join(lines)
        if action == "optimize":
            if not result:
                return "Nothing to do: this backend compacts its indexes itself."
            return (
                f"Full-text index merged from {result['fts_segments_before']} segments to "
                f"{result['fts_segments_after']} in {result['seconds']} s."
            )
        if action == "migrate":
            lines = [
                f"  {m['alias']}: {m['from']} -> {m['to']} ({m['documents']} documents)"
                for m in result["moves"]
            ]
            lines += [f"  note: {note}" for note in result.get("notes", [])]
            return "\n".join(["Migration done."] + lines)
        lines = []
        for key, value in result.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
                lines.append(f"{key:>18}: {inner}")
            else:
                lines.append(f"{key:>18}: {value}")
        return "\n".join(lines)
