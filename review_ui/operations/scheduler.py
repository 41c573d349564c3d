"""The scheduler service behind ``adscan scheduler``: APScheduler 3.x with the
persistent job store in the relational database.

Every source with a usable schedule has one job ``source:<name>`` in the
persistent store. A sync job (every ``ADSCAN_SCHEDULER_SYNC_SECONDS``) makes
the jobs match the Source rows, so a change in the UI reaches a running
scheduler without a restart; it also starts queued runs ("run now", retries),
recovers runs left over by a dead scheduler and writes the heartbeat.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from review_ui.operations import housekeeping, launcher
from review_ui.operations.choices import RunState, RunTrigger
from review_ui.operations.exceptions import ScheduleError
from review_ui.operations.jobstore import DjangoJobStore
from review_ui.operations.models import CrawlRun, SchedulerHeartbeat, Source

log = logging.getLogger(__name__)

SOURCE_PREFIX = "source:"
PURGE_JOB = "housekeeping:purge"
RETRAIN_JOB = "housekeeping:retrain"


def source_job_id(name: str) -> str:
    return f"{SOURCE_PREFIX}{name}"


def job_name(source: Source) -> str:
    # The name carries the schedule's signature: sync replaces a job only when it changed.
    return f"{source.name} [{source.schedule_signature}]"


def create_scheduler(
    sync_seconds: float | None = None, workers: int | None = None
) -> BackgroundScheduler:
    """A scheduler with the persistent store ``default`` and a ``memory`` store
    for the sync job and queued runs. Not started."""
    scheduler = BackgroundScheduler(
        jobstores={"default": DjangoJobStore(), "memory": MemoryJobStore()},
        executors={
            "default": ThreadPoolExecutor(workers or settings.ADSCAN_SCHEDULER_WORKERS),
            # Sync and housekeeping never wait behind long crawls.
            "sync": ThreadPoolExecutor(1),
            "housekeeping": ThreadPoolExecutor(1),
        },
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.ADSCAN_SCHEDULER_MISFIRE_GRACE_SECONDS,
        },
        timezone=settings.TIME_ZONE,
    )
    scheduler.adscan_sync_seconds = sync_seconds or settings.ADSCAN_SCHEDULER_SYNC_SECONDS
    return scheduler


def start(scheduler: BackgroundScheduler) -> None:
    """Start ``scheduler`` with its sync job, which runs at once and then every interval."""
    scheduler.start()
    scheduler.add_job(
        sync, IntervalTrigger(seconds=scheduler.adscan_sync_seconds), args=[scheduler],
        id="sync", jobstore="memory", executor="sync", next_run_time=timezone.now(),
        replace_existing=True, misfire_grace_time=None,
    )  # fmt: skip


# -- job functions (referenced by module path in the persistent store) ------


def run_scheduled(source_name: str) -> str | None:
    """A scheduled crawl of ``source_name``."""
    close_old_connections()
    source = Source.objects.filter(name=source_name, enabled=True).first()
    if source is None:
        return None
    run = launcher.claim(source, "schedule")
    if run is None:
        log.warning("scheduled crawl of %s skipped: the previous one still runs", source_name)
        return None
    return launcher.execute(run).state


def run_queued(run_pk: int) -> str | None:
    """A queued crawl: "run now" from the UI or the CLI, or a retry."""
    close_old_connections()
    queued = CrawlRun.objects.select_related("source").filter(pk=run_pk).first()
    if queued is None or queued.state != RunState.QUEUED:
        return None
    run = launcher.claim(queued.source, queued=queued)
    if run is None:
        return None
    return launcher.execute(run).state


def purge() -> dict[str, Any]:
    close_old_connections()
    return housekeeping.purge_expired()


def retrain() -> dict[str, Any]:
    close_old_connections()
    return housekeeping.retrain_if_due()


# -- sync ------------------------------------------------------------------


def sync_sources(scheduler) -> dict[str, list[str]]:
    """Make the ``source:`` jobs match the Source rows; returns what changed."""
    changes: dict[str, list[str]] = {"added": [], "replaced": [], "removed": [], "invalid": []}
    jobs = {
        j.id: j for j in scheduler.get_jobs(jobstore="default") if j.id.startswith(SOURCE_PREFIX)
    }
    wanted = set()
    for source in Source.objects.filter(enabled=True):
        job_id = source_job_id(source.name)
        try:
            trigger = source.trigger()
        except ScheduleError as exc:
            log.error("source %s: %s", source.name, exc)
            changes["invalid"].append(source.name)
            continue
        wanted.add(job_id)
        job = jobs.get(job_id)
        if job is not None and job.name == job_name(source):
            continue
        scheduler.add_job(
            "review_ui.operations.scheduler:run_scheduled", trigger, args=[source.name],
            id=job_id, name=job_name(source), jobstore="default", replace_existing=True,
        )  # fmt: skip
        changes["replaced" if job is not None else "added"].append(source.name)
    for job_id in jobs.keys() - wanted:
        scheduler.remove_job(job_id, jobstore="default")
        changes["removed"].append(job_id[len(SOURCE_PREFIX) :])
    return changes


def sync_housekeeping(scheduler) -> None:
    def ensure(job_id: str, func: str, trigger, wanted: bool) -> None:
        job = scheduler.get_job(job_id, jobstore="default")
        if not wanted:
            if job is not None:
                scheduler.remove_job(job_id, jobstore="default")
            return
        if job is None or job.name != str(trigger):
            scheduler.add_job(
                func, trigger, id=job_id, name=str(trigger), jobstore="default",
                executor="housekeeping", replace_existing=True,
            )  # fmt: skip

    purge_trigger = CronTrigger.from_crontab(
        settings.ADSCAN_SCHEDULER_PURGE_CRON, timezone=settings.TIME_ZONE
    )
    ensure(PURGE_JOB, "review_ui.operations.scheduler:purge", purge_trigger, True)
    ensure(
        RETRAIN_JOB, "review_ui.operations.scheduler:retrain",
        IntervalTrigger(hours=1, timezone=settings.TIME_ZONE), settings.ADSCAN_SCHEDULER_RETRAIN,
    )  # fmt: skip


def dispatch_queued(scheduler) -> list[str]:
    """Hand queued runs that are due, of sources not busy, to the executor."""
    now = timezone.now()
    busy = set(CrawlRun.objects.filter(state=RunState.RUNNING).values_list("source_id", flat=True))
    started = []
    due = (
        CrawlRun.objects.filter(state=RunState.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .select_related("source")
        .order_by("queued_at", "id")
    )
    for run in due:
        if run.source_id in busy:
            continue
        if run.trigger == RunTrigger.RETRY and not run.source.enabled:
            CrawlRun.objects.filter(pk=run.pk, state=RunState.QUEUED).update(
                state=RunState.SKIPPED, finished=now, error="skipped: the source was disabled"
            )
            continue
        busy.add(run.source_id)
        scheduler.add_job(
            run_queued, args=[run.pk], id=f"queued:{run.pk}", jobstore="memory",
            replace_existing=True, misfire_grace_time=None,
        )  # fmt: skip
        started.append(run.run_id)
    return started


def heartbeat(scheduler, stopped: bool = False) -> None:
    now = timezone.now()
    SchedulerHeartbeat.objects.update_or_create(
        name=socket.gethostname(),
        defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "last_beat": now,
            "jobs": len(scheduler.get_jobs(jobstore="default")) if scheduler.running else 0,
            "sync_seconds": scheduler.adscan_sync_seconds,
            "stopped": stopped,
        },
        create_defaults={"host": socket.gethostname(), "pid": os.getpid(), "started": now, "last_beat": now,
                         "sync_seconds": scheduler.adscan_sync_seconds, "stopped": stopped},
    )  # fmt: skip


def sync(scheduler) -> dict[str, Any]:
    """One sync pass: recover, match jobs to sources, start queued runs, beat."""
    close_old_connections()

    def step(func, default):
        # One failing step (a database hiccup, a bad setting) must not stop the
        # others; the next pass tries again.
        try:
            return func(scheduler) if func is not launcher.recover_stale_runs else func()
        except Exception:
            log.exception("scheduler sync: %s failed", func.__name__)
            return default

    recovered = step(launcher.recover_stale_runs, 0)
    changes = step(sync_sources, {})
    step(sync_housekeeping, None)
    started = step(dispatch_queued, [])
    step(heartbeat, None)
    if recovered or started or any(changes.values()):
        log.info("sync: %s; queued runs started: %s; recovered: %d", changes, started, recovered)
    return {"recovered": recovered, "started": started, **changes}


def serve(sync_seconds: float | None = None, stop: threading.Event | None = None) -> None:
    """Run the scheduler until SIGTERM / SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()
    scheduler = create_scheduler(sync_seconds)
    launcher.recover_stale_runs()

    def on_signal(signum, frame):
        log.info("signal %s: stopping the scheduler and its crawls", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    start(scheduler)
    log.info("scheduler started; sync every %s s", scheduler.adscan_sync_seconds)
    try:
        stop.wait()
    finally:
        scheduler.pause()
        launcher.stop_all()
        scheduler.shutdown(wait=True)
        close_old_connections()
        heartbeat(scheduler, stopped=True)
        log.info("scheduler stopped")
