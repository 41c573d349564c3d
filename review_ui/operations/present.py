"""Sources and runs as plain data, shared by the pages and the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from review_ui.operations.models import CrawlRun, ScheduledJob, Source


def next_run_times(sources: Iterable[Source]) -> dict[str, datetime | None]:
    """Next start of each source: the scheduler's own job when it has taken up
    the current schedule, else computed from the schedule."""
    from review_ui.operations.scheduler import job_name, source_job_id

    sources = list(sources)
    jobs = {
        j.id: j
        for j in ScheduledJob.objects.filter(id__in=[source_job_id(s.name) for s in sources]).only(
            "id", "next_run_time"
        )
    }
    out: dict[str, datetime | None] = {}
    for source in sources:
        job = jobs.get(source_job_id(source.name))
        if not source.enabled:
            out[source.name] = None
        elif (
            job is not None
            and job.next_run_time is not None
            and _job_matches(job, source, job_name)
        ):
            out[source.name] = datetime.fromtimestamp(job.next_run_time, UTC)
        else:
            out[source.name] = source.next_run_time()
    return out


def _job_matches(job: ScheduledJob, source: Source, job_name) -> bool:
    import pickle

    try:
        return pickle.loads(bytes(job.job_state)).get("name") == job_name(source)
    except Exception:
        return False


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def source_data(source: Source, next_run: datetime | None = None) -> dict[str, Any]:
    last = source.last_run
    ok = source.last_success
    return {
        "name": source.name,
        "enabled": source.enabled,
        "profile": source.profile_path
        or ("(inline YAML)" if source.profile_yaml.strip() else f"--source {source.name}"),
        "base_url": source.base_url or None,
        "schedule": source.schedule_in_words,
        "schedule_kind": source.schedule_kind,
        "cron": source.cron if source.schedule_kind == "cron" else None,
        "interval_minutes": source.interval_minutes if source.schedule_kind == "interval" else None,
        "timezone": source.timezone,
        "next_run": _iso(next_run),
        "time_limit_seconds": source.time_limit_seconds,
        "max_retries": source.max_retries,
        "download_delay": source.download_delay,
        "concurrency": source.concurrency,
        "last_run": last.run_id if last else None,
        "last_state": last.state if last else None,
        "last_success": _iso(ok.finished) if ok else None,
    }


def run_data(run: CrawlRun, log: bool = False) -> dict[str, Any]:
    data = {
        "run_id": run.run_id,
        "source": run.source.name,
        "state": run.state,
        "trigger": run.trigger,
        "attempt": run.attempt,
        "requested_by": run.requested_by or None,
        "queued_at": _iso(run.queued_at),
        "not_before": _iso(run.not_before),
        "started": _iso(run.started),
        "finished": _iso(run.finished),
        "duration_seconds": run.duration_seconds,
        "pages": run.pages,
        "ads_seen": run.ads_seen,
        "new": run.new,
        "changed": run.changed,
        "unchanged": run.unchanged,
        "gone": run.gone,
        "dropped": run.dropped,
        "errors": run.errors,
        "exit_code": run.exit_code,
        "error": run.error or None,
        "processing": run.processing or None,
    }
    if log:
        data["log_path"] = run.log_path or None
        data["log_tail"] = run.log_tail
    return data
