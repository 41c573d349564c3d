"""Schedules in words: "every day at 03:00" for the common cron forms, the raw
expression for the rest."""

from __future__ import annotations

DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_DAY_NAMES = {name[:3].lower(): i for i, name in enumerate(DAYS)}


def _int(field: str, low: int, high: int) -> int | None:
    if field.isdigit() and low <= int(field) <= high:
        return int(field)
    return None


def _step(field: str) -> int | None:
    """``*/n`` → n."""
    if field.startswith("*/") and field[2:].isdigit() and int(field[2:]) > 0:
        return int(field[2:])
    return None


def _day(field: str) -> int | None:
    value = _int(field, 0, 7)
    if value is not None:
        return value % 7
    return _DAY_NAMES.get(field.lower())


def _days(field: str) -> str | None:
    """Day-of-week field in words, or None when it is not a simple form."""
    if field in {"1-5", "mon-fri"}:
        return "every weekday"
    if field in {"0,6", "6,0", "sat,sun", "sun,sat", "6-7"}:
        return "every Saturday and Sunday"
    parts = field.split(",")
    days = [_day(p) for p in parts]
    if all(d is not None for d in days):
        names = [DAYS[d] for d in days]  # type: ignore[index]
        if len(names) == 1:
            return f"every {names[0]}"
        return "every " + ", ".join(names[:-1]) + " and " + names[-1]
    return None


def describe_cron(expr: str) -> str:
    """A five-field cron expression in words.

    >>> describe_cron("0 3 * * *")
    'every day at 03:00'
    >>> describe_cron("0 */2 * * *")
    'every 2 hours'
    >>> describe_cron("15 * * * *")
    'at minute 15 of every hour'
    >>> describe_cron("30 9 * * 1")
    'every Monday at 09:30'
    >>> describe_cron("0 3 1 * *")
    'on day 1 of every month at 03:00'
    >>> describe_cron("5 4 * 2 *")
    'cron 5 4 * 2 *'
    """
    fields = expr.split()
    if len(fields) != 5:
        return f"cron {expr}"
    minute, hour, dom, month, dow = fields
    raw = f"cron {' '.join(fields)}"
    if month != "*":
        return raw
    m = _int(minute, 0, 59)
    h = _int(hour, 0, 23)
    if dom == "*" and dow == "*":
        if minute == "*" and hour == "*":
            return "every minute"
        if _step(minute) and hour == "*":
            return f"every {_step(minute)} minutes"
        if m is not None and hour == "*":
            return "every hour, on the hour" if m == 0 else f"at minute {m} of every hour"
        if m is not None and _step(hour):
            step = _step(hour)
            every = "every hour" if step == 1 else f"every {step} hours"
            return every if m == 0 else f"{every} at minute {m}"
        if m is not None and h is not None:
            return f"every day at {h:02d}:{m:02d}"
        if (
            m is not None
            and "," in hour
            and all(_int(x, 0, 23) is not None for x in hour.split(","))
        ):
            times = [f"{int(x):02d}:{m:02d}" for x in hour.split(",")]
            return "every day at " + ", ".join(times[:-1]) + " and " + times[-1]
        return raw
    if m is None or h is None:
        return raw
    at = f"{h:02d}:{m:02d}"
    if dom == "*":
        days = _days(dow)
        return f"{days} at {at}" if days else raw
    if dow == "*" and _int(dom, 1, 31) is not None:
        return f"on day {int(dom)} of every month at {at}"
    return raw


def describe_interval(minutes: int) -> str:
    """An interval in minutes in words.

    >>> describe_interval(90)
    'every 90 minutes'
    >>> describe_interval(120)
    'every 2 hours'
    >>> describe_interval(1440)
    'every day'
    """
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "every day" if days == 1 else f"every {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "every hour" if hours == 1 else f"every {hours} hours"
    return "every minute" if minutes == 1 else f"every {minutes} minutes"
