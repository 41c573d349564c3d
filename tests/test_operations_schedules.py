"""Schedules in words, triggers built from sources, and the sync of a scheduler's
jobs with the Source rows (the persistent Django-ORM job store)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from review_ui.operations import schedules
from review_ui.operations.describe import describe_cron, describe_interval
from review_ui.operations.jobstore import DjangoJobStore
from review_ui.operations.models import ScheduledJob, Source
from review_ui.operations.scheduler import create_scheduler, sync_housekeeping, sync_sources

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("0 3 * * *", "every day at 03:00"),
        ("30 23 * * *", "every day at 23:30"),
        ("0 */2 * * *", "every 2 hours"),
        ("15 */6 * * *", "every 6 hours at minute 15"),
        ("15 * * * *", "at minute 15 of every hour"),
        ("0 * * * *", "every hour, on the hour"),
        ("*/10 * * * *", "every 10 minutes"),
        ("* * * * *", "every minute"),
        ("30 9 * * 1", "every Monday at 09:30"),
        ("30 9 * * mon", "every Monday at 09:30"),
        ("0 8 * * 1-5", "every weekday at 08:00"),
        ("0 10 * * 0,6", "every Saturday and Sunday at 10:00"),
        ("0 7 * * 1,3,5", "every Monday, Wednesday and Friday at 07:00"),
        ("0 6,18 * * *", "every day at 06:00 and 18:00"),
        ("0 3 1 * *", "on day 1 of every month at 03:00"),
        ("5 4 * 2 *", "cron 5 4 * 2 *"),
        ("0 3 1-7 * 1", "cron 0 3 1-7 * 1"),
    ],
)
def test_cron_in_words(expr, words):
    assert describe_cron(expr) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "every minute"),
        (45, "every 45 minutes"),
        (60, "every hour"),
        (360, "every 6 hours"),
        (2880, "every 2 days"),
    ],
)
def test_interval_in_words(minutes, words):
    assert describe_interval(minutes) == words


def test_next_fire_time_follows_the_time_zone_across_daylight_saving():
    trigger = schedules.build_trigger("cron", "0 3 * * *", timezone="Europe/Amsterdam")
    # The night DST ends in 2026 (25 October): 03:00 local is 02:00 UTC afterwards.
    nxt = schedules.next_fire_time(trigger, datetime(2026, 10, 24, 12, 0, tzinfo=AMS))
    assert nxt == datetime(2026, 10, 25, 3, 0, tzinfo=AMS)
    assert nxt.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize(
    ("weekday", "first_fires_on"),
    [
        ("1", "Mon"),
        ("0", "Sun"),
        ("7", "Sun"),
        ("1-5", "Mon"),
        ("6-7", "Sat"),
        ("*/3", "Sat"),
        ("fri", "Fri"),
    ],
)
def test_crontab_weekdays_count_from_sunday(weekday, first_fires_on):
    # Saturday 2026-11-21 06:00: the next matching day at 09:30.
    trigger = schedules.cron_trigger(f"30 9 * * {weekday}", "Europe/Amsterdam")
    nxt = schedules.next_fire_time(trigger, datetime(2026, 11, 21, 6, 0, tzinfo=AMS))
    assert nxt.strftime("%a %H:%M") == f"{first_fires_on} 09:30"


@pytest.mark.parametrize(
    ("kind", "cron", "minutes", "tz", "message"),
    [
        ("cron", "0 3 * *", None, "Europe/Amsterdam", "has 4 fields; expected five"),
        ("cron", "61 3 * * *", None, "Europe/Amsterdam", "'61 3 * * *' is not valid"),
        ("cron", "0 3 * * 8", None, "Europe/Amsterdam", "Weekday field '8' is not valid"),
        ("cron", "0 3 * * *", None, "Mars/Olympus", "Time zone 'Mars/Olympus' is unknown"),
        ("interval", "", 0, "Europe/Amsterdam", "expected 1 minute or more"),
    ],
)
def test_unusable_schedules_are_refused_with_the_value(kind, cron, minutes, tz, message):
    with pytest.raises(schedules.ScheduleError, match=message.replace("*", r"\*")):
        schedules.build_trigger(kind, cron, minutes, tz)


@pytest.fixture
def paused_scheduler(db, settings):
    """A started scheduler on the test database that stores jobs but never runs
    them (its loop would read the store from a second thread)."""
    scheduler = create_scheduler(sync_seconds=30)
    scheduler._process_jobs = lambda: None
    scheduler.start()
    yield scheduler
    scheduler.shutdown(wait=False)


def source(name, **kw):
    return Source.objects.create(name=name, profile_path="crawler/profiles/x.yaml", **kw)


@pytest.mark.django_db
def test_sync_builds_one_persistent_job_per_enabled_source(paused_scheduler):
    source("nightly", cron="0 3 * * *")
    source("hourly", schedule_kind="interval", interval_minutes=60, timezone="UTC")
    source("off", cron="0 4 * * *", enabled=False)
    source("broken", cron="0 25 * * *")
    changes = sync_sources(paused_scheduler)
    assert sorted(changes["added"]) == ["hourly", "nightly"]
    assert changes["invalid"] == ["broken"]
    assert sorted(ScheduledJob.objects.values_list("id", flat=True)) == [
        "source:hourly",
        "source:nightly",
    ]
    nightly = paused_scheduler.get_job("source:nightly")
    assert isinstance(nightly.trigger, CronTrigger)
    assert str(nightly.trigger.timezone) == "Europe/Amsterdam"
    assert nightly.next_run_time.astimezone(AMS).strftime("%H:%M") == "03:00"
    assert (nightly.coalesce, nightly.max_instances) == (True, 1)
    assert nightly.misfire_grace_time == settings_grace()
    assert nightly.args == ("nightly",)
    assert nightly.func_ref == "review_ui.operations.scheduler:run_scheduled"
    hourly = paused_scheduler.get_job("source:hourly")
    assert (
        isinstance(hourly.trigger, IntervalTrigger)
        and hourly.trigger.interval.total_seconds() == 3600
    )


def settings_grace():
    from django.conf import settings

    return settings.ADSCAN_SCHEDULER_MISFIRE_GRACE_SECONDS


@pytest.mark.django_db
def test_sync_replaces_changed_schedules_and_keeps_unchanged_ones(paused_scheduler):
    s = source("a", schedule_kind="interval", interval_minutes=60)
    source("b", cron="0 3 * * *")
    sync_sources(paused_scheduler)
    before = paused_scheduler.get_job("source:a").next_run_time
    # Nothing changed: a second sync (or a restart) keeps the jobs and their next run times.
    assert sync_sources(paused_scheduler) == {
        "added": [],
        "replaced": [],
        "removed": [],
        "invalid": [],
    }
    assert paused_scheduler.get_job("source:a").next_run_time == before
    # A non-schedule change (the time limit) does not touch the job either.
    s.time_limit_seconds = 10
    s.save()
    assert sync_sources(paused_scheduler)["replaced"] == []
    s.schedule_kind, s.cron = "cron", "30 9 * * 1"
    s.save()
    assert sync_sources(paused_scheduler)["replaced"] == ["a"]
    job = paused_scheduler.get_job("source:a")
    assert job.next_run_time.astimezone(AMS).strftime("%a %H:%M") == "Mon 09:30"
    Source.objects.filter(name="b").update(enabled=False)
    assert sync_sources(paused_scheduler)["removed"] == ["b"]
    Source.objects.filter(name="a").delete()
    assert sync_sources(paused_scheduler)["removed"] == ["a"]
    assert not ScheduledJob.objects.exists()


@pytest.mark.django_db
def test_housekeeping_jobs_follow_the_settings(paused_scheduler, settings):
    settings.ADSCAN_SCHEDULER_RETRAIN = False
    sync_housekeeping(paused_scheduler)
    assert set(ScheduledJob.objects.values_list("id", flat=True)) == {"housekeeping:purge"}
    settings.ADSCAN_SCHEDULER_RETRAIN = True
    sync_housekeeping(paused_scheduler)
    assert set(ScheduledJob.objects.values_list("id", flat=True)) == {
        "housekeeping:purge",
        "housekeeping:retrain",
    }
    settings.ADSCAN_SCHEDULER_RETRAIN = False
    sync_housekeeping(paused_scheduler)
    assert set(ScheduledJob.objects.values_list("id", flat=True)) == {"housekeeping:purge"}


@pytest.mark.django_db
def test_the_job_store_keeps_jobs_across_scheduler_instances():
    def tick():  # pragma: no cover - never runs: the schedulers are paused
        pass

    first = BackgroundScheduler(jobstores={"default": DjangoJobStore()}, timezone="UTC")
    first._process_jobs = lambda: None
    first.start()
    first.add_job(
        f"{__name__}:test_interval_in_words",
        "interval",
        minutes=5,
        id="x",
        args=[5, "every 5 minutes"],
    )
    next_run = first.get_job("x").next_run_time
    first.shutdown(wait=False)
    second = BackgroundScheduler(jobstores={"default": DjangoJobStore()}, timezone="UTC")
    second._process_jobs = lambda: None
    second.start()
    job = second.get_job("x")
    assert job is not None and job.next_run_time == next_run and job.args == (5, "every 5 minutes")
    store = second._lookup_jobstore("default")
    assert [j.id for j in store.get_due_jobs(next_run)] == ["x"]
    assert store.get_due_jobs(next_run.replace(year=2000)) == []
    assert store.get_next_run_time() == next_run
    second.remove_job("x")
    assert store.get_next_run_time() is None
    second.shutdown(wait=False)
