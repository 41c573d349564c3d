"""Choices of the operations app, with their labels and badge colours."""

from __future__ import annotations

from django.db import models


class ScheduleKind(models.TextChoices):
    CRON = "cron", "cron expression"
    INTERVAL = "interval", "fixed interval"


class RunState(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"
    TIMED_OUT = "timed_out", "timed out"
    SKIPPED = "skipped", "skipped"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "schedule"
    MANUAL = "manual", "run now"
    RETRY = "retry", "retry"


#: States a run ends in; nothing changes a run after it reached one of these.
FINISHED_STATES = frozenset(
    {RunState.SUCCEEDED, RunState.FAILED, RunState.TIMED_OUT, RunState.SKIPPED}
)

#: States after which the scheduler retries (a crawl that crashed or hung).
RETRY_STATES = frozenset({RunState.FAILED, RunState.TIMED_OUT})

#: Badge colour of each run state in the operator pages.
RUN_STATE_COLOURS = {
    RunState.QUEUED: "grey",
    RunState.RUNNING: "blue",
    RunState.SUCCEEDED: "green",
    RunState.FAILED: "red",
    RunState.TIMED_OUT: "orange",
    RunState.SKIPPED: "grey",
}
