"""The health of the crawl side: scheduler alive, last success per source,
pending backlog, ad store reachable."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from review_ui.operations.choices import RunState
from review_ui.operations.models import CrawlRun, HousekeepingRun, SchedulerHeartbeat, Source


def store_status() -> dict[str, Any]:
    """Whether the ad store answers, and how many ads wait for processing."""
    try:
        from index import open_store

        with open_store(settings.ADSCAN_INDEX_URL) as store:
            pending = store.count(processing=["pending"])
        return {"reachable": True, "pending": pending, "error": ""}
    except Exception as exc:  # any failure means "not reachable" on this page
        return {"reachable": False, "pending": None, "error": f"{exc.__class__.__name__}: {exc}"}


def health_report() -> dict[str, Any]:
    now = timezone.now()
    beat = SchedulerHeartbeat.objects.order_by("-last_beat").first()
    sources = []
    for source in Source.objects.all():
        last_ok = source.last_success
        last = source.last_run
        sources.append(
            {
                "source": source,
                "last_success": last_ok,
                "last_run": last,
                "failing": bool(last and last.state in (RunState.FAILED, RunState.TIMED_OUT)),
            }
        )
    store = store_status()
    alive = bool(beat and beat.is_alive(now))
    return {
        "now": now,
        "scheduler": beat,
        "scheduler_alive": alive,
        "running": CrawlRun.objects.filter(state=RunState.RUNNING).count(),
        "queued": CrawlRun.objects.filter(state=RunState.QUEUED).count(),
        "sources": sources,
        "store": store,
        "housekeeping": HousekeepingRun.objects.all()[:5],
        "ok": alive and store["reachable"] and not any(s["failing"] for s in sources),
    }
