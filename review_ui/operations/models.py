"""Sources (sites with a schedule), their crawl runs, the scheduler's job store
and heartbeat."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from review_ui.operations import schedules
from review_ui.operations.choices import (
    FINISHED_STATES,
    RUN_STATE_COLOURS,
    RunState,
    RunTrigger,
    ScheduleKind,
)


class Source(models.Model):
    """A site adscan crawls: its profile, its schedule and its politeness."""

    name = models.SlugField(max_length=64, unique=True, help_text="short name, e.g. demo-nl")
    profile_path = models.CharField(
        max_length=500,
        blank=True,
        help_text="a site profile under crawler/profiles/ (relative to the project) or an absolute path",
    )
    profile_yaml = models.TextField(blank=True, help_text="or the profile itself, as YAML")
    base_url = models.URLField(blank=True, help_text="overrides the profile's base URL")
    schedule_kind = models.CharField(
        max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.CRON
    )
    cron = models.CharField(
        max_length=100, blank=True, default="0 3 * * *", help_text="minute hour day month weekday"
    )
    interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default=schedules.DEFAULT_TIMEZONE)
    enabled = models.BooleanField(default=True)
    time_limit_seconds = models.PositiveIntegerField(
        default=3600,
        validators=[MinValueValidator(1)],
        help_text="a crawl running longer is killed",
    )
    max_retries = models.PositiveSmallIntegerField(
        default=2, help_text="retries after a failed or timed-out crawl, with growing waits"
    )
    download_delay = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="seconds between requests",
    )
    concurrency = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="parallel requests to the site",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("operations:source", args=[self.name])

    def trigger(self):
        return schedules.build_trigger(
            self.schedule_kind, self.cron, self.interval_minutes, self.timezone
        )

    @property
    def schedule_in_words(self) -> str:
        return schedules.describe(self.schedule_kind, self.cron, self.interval_minutes)

    @property
    def schedule_signature(self) -> str:
        """Changes exactly when the schedule changes (so the job is replaced then only)."""
        raw = f"{self.schedule_kind}|{self.cron.strip()}|{self.interval_minutes}|{self.timezone}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def next_run_time(self) -> datetime | None:
        """Next scheduled start, or None when disabled or the schedule is unusable."""
        if not self.enabled:
            return None
        try:
            return schedules.next_fire_time(self.trigger())
        except schedules.ScheduleError:
            return None

    @property
    def last_run(self) -> CrawlRun | None:
        return self.runs.exclude(state=RunState.QUEUED).order_by("-started", "-id").first()

    @property
    def last_success(self) -> CrawlRun | None:
        return self.runs.filter(state=RunState.SUCCEEDED).order_by("-finished").first()


class CrawlRun(models.Model):
    """One crawl of one source: how it was started, how it ended, what it found
    and what the processing stage did afterwards."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=100, unique=True)
    state = models.CharField(
        max_length=12, choices=RunState.choices, default=RunState.QUEUED, db_index=True
    )
    trigger = models.CharField(
        max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    requested_by = models.CharField(max_length=150, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text="a retry waits until then")
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    host = models.CharField(max_length=200, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    pages = models.PositiveIntegerField(default=0)
    ads_seen = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    gone = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    dropped = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="the crawl runner's summary")
    log_path = models.CharField(max_length=500, blank=True)
    log_tail = models.TextField(blank=True)
    processing = models.JSONField(
        default=dict, blank=True, help_text="what `adscan process` did after"
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            # The database itself refuses a second running crawl of a source,
            # also when two scheduler processes race.
            models.UniqueConstraint(
                fields=["source"], condition=Q(state="running"), name="one_running_crawl_per_source"
            )
        ]

    def __str__(self) -> str:
        return self.run_id

    def get_absolute_url(self) -> str:
        return reverse("operations:run", args=[self.run_id])

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def colour(self) -> str:
        return RUN_STATE_COLOURS.get(self.state, "grey")

    @property
    def dropped_total(self) -> int:
        return sum(int(v) for v in (self.dropped or {}).values())


class ScheduledJob(models.Model):
    """A job of APScheduler's persistent job store (see :mod:`review_ui.operations.jobstore`)."""

    id = models.CharField(max_length=191, primary_key=True)
    next_run_time = models.FloatField(null=True, blank=True, db_index=True)
    job_state = models.BinaryField()

    class Meta:
        ordering = ["next_run_time"]


class SchedulerHeartbeat(models.Model):
    """One row per scheduler process, touched on every sync."""

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(null=True)
    started = models.DateTimeField()
    last_beat = models.DateTimeField(db_index=True)
    jobs = models.PositiveIntegerField(default=0)
    sync_seconds = models.FloatField(default=30)
    stopped = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_beat"]

    def is_alive(self, now=None) -> bool:
        """Beat within three sync intervals (and not stopped)."""
        from django.utils import timezone

        now = now or timezone.now()
        return (
            not self.stopped and (now - self.last_beat).total_seconds() < 3 * self.sync_seconds + 10
        )


class HousekeepingRun(models.Model):
    """One run of a housekeeping job (retention purge, retraining)."""

    kind = models.CharField(max_length=20, db_index=True)
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
