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


_CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _crontab_weekdays(field: str) -> str:
    """Weekday numbers in crontab's sense (0 or 7 = Sunday) as names.

    APScheduler 3.x counts weekdays from Monday = 0 even in ``from_crontab``,
    so ``30 9 * * 1`` would fire on Tuesdays; names mean the same in both.
    """
    out = []
    for part in field.split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else None
        if rng == "*":
            if step is None:
                return "*"
            first, last = 0, 6
        elif "-" in rng:
            a, _, b = rng.partition("-")
            if not (a.isdigit() and b.isdigit()):
                out.append(part)  # names (mon-fri) are understood as they are
                continue
            first, last = int(a), int(b)
        elif rng.isdigit():
            first = last = int(rng)
            if step is not None:
                last = 6
        else:
            out.append(part)
            continue
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            raise ScheduleError(
                f"Weekday field '{field}' is not valid; use 0-7 (0 and 7 are Sunday) or mon-sun."
            )
        out += [_CRON_DAYS[d] for d in range(first, last + 1, step or 1)]
    return ",".join(dict.fromkeys(out))


def cron_trigger(expr: str, timezone: str = DEFAULT_TIMEZONE) -> CronTrigger:
    tz = parse_timezone(timezone)
    if len(expr.split()) != 5:
        raise ScheduleError(
            f"Cron expression '{expr}' has {len(expr.split())} fields; expected five "
            "(minute hour day month weekday), e.g. '0 3 * * *'."
        )
    minute, hour, day, month, weekday = expr.split()
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month,
            day_of_week=_crontab_weekdays(weekday), timezone=tz,
        )  # fmt: skip
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
