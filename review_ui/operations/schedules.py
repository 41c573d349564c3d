"""Turning a source's schedule into an APScheduler 3.x trigger, words and a next run time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from review_ui.operations.choices import ScheduleKind
from review_ui.operations.describe import describe_cron, describe_interval
from review_ui.operations.exceptions import ScheduleError

DEFAULT_TIMEZONE = "Europe/Amsterdam"


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"Time zone '{name}' is unknown; use an IANA name such as Europe/Amsterdam."
        ) from None


def cron_trigger(expr: str, timezone: str = DEFAULT_TIMEZONE) -> CronTrigger:
    tz = parse_timezone(timezone)
    if len(expr.split()) != 5:
        raise ScheduleError(
            f"Cron expression '{expr}' has {len(expr.split())} fields; expected five "
            "(minute hour day month weekday), e.g. '0 3 * * *'."
        )
    try:
        return CronTrigger.from_crontab(expr, timezone=tz)
    except ValueError as exc:
        raise ScheduleError(
            f"Cron expression '{expr}' is not valid ({exc}); e.g. '0 3 * * *'."
        ) from None


def build_trigger(
    kind: str, cron: str = "", interval_minutes: int | None = None, timezone: str = DEFAULT_TIMEZONE
) -> BaseTrigger:
    """The trigger of a schedule; raises :class:`ScheduleError` for one adscan cannot use."""
    if kind == ScheduleKind.CRON:
        return cron_trigger(cron.strip(), timezone)
    if kind == ScheduleKind.INTERVAL:
        if not interval_minutes or interval_minutes < 1:
            raise ScheduleError(
                f"Interval has value '{interval_minutes}'; expected 1 minute or more."
            )
        return IntervalTrigger(minutes=interval_minutes, timezone=parse_timezone(timezone))
    raise ScheduleError(f"Schedule kind '{kind}' is unknown; expected 'cron' or 'interval'.")


def describe(kind: str, cron: str = "", interval_minutes: int | None = None) -> str:
    if kind == ScheduleKind.CRON:
        return describe_cron(cron.strip())
    if interval_minutes:
        return describe_interval(interval_minutes)
    return "no schedule"


def next_fire_time(trigger: BaseTrigger, now: datetime | None = None) -> datetime | None:
    """When ``trigger`` fires next after ``now``, as computed for a fresh job."""
    now = now or datetime.now(trigger.timezone)  # type: ignore[attr-defined]
    return trigger.get_next_fire_time(None, now)
