"""Schedules in words: "every day at 03:00" for the common cron forms, the raw
expression for the rest.

The functions answer in English unless given a ``gettext`` (the operator pages
pass Django's, so the words follow the page's language: "elke dag om 03:00").
"""

from __future__ import annotations

from collections.abc import Callable


def gettext_noop(message: str) -> str:
    """Marks a string for the catalogue (makemessages) without needing Django settings."""
    return message


DAYS = [
    gettext_noop("Sunday"),
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
]
_DAY_NAMES = {name[:3].lower(): i for i, name in enumerate(DAYS)}

Translate = Callable[[str], str]


def _english(message: str) -> str:
    return message


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


def _days(field: str, _: Translate) -> str | None:
    """Day-of-week field in words, or None when it is not a simple form."""
    if field in {"1-5", "mon-fri"}:
        return _("every weekday")
    if field in {"0,6", "6,0", "sat,sun", "sun,sat", "6-7"}:
        return _("every Saturday and Sunday")
    parts = field.split(",")
    days = [_day(p) for p in parts]
    if all(d is not None for d in days):
        names = [_(DAYS[d]) for d in days]  # type: ignore[index]
        if len(names) == 1:
            return _("every %(day)s") % {"day": names[0]}
        return _("every %(days)s and %(last)s") % {
            "days": ", ".join(names[:-1]),
            "last": names[-1],
        }
    return None


def describe_cron(expr: str, gettext: Translate = _english) -> str:
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
    _ = gettext
    fields = expr.split()
    raw = _("cron %(expr)s") % {"expr": " ".join(fields) if len(fields) == 5 else expr}
    if len(fields) != 5:
        return raw
    minute, hour, dom, month, dow = fields
    if month != "*":
        return raw
    m = _int(minute, 0, 59)
    h = _int(hour, 0, 23)
    if dom == "*" and dow == "*":
        if minute == "*" and hour == "*":
            return _("every minute")
        step = _step(minute)
        if step and hour == "*":
            return _("every %(n)d minutes") % {"n": step}
        if m is not None and hour == "*":
            if m == 0:
                return _("every hour, on the hour")
            return _("at minute %(m)d of every hour") % {"m": m}
        step = _step(hour)
        if m is not None and step:
            every = _("every hour") if step == 1 else _("every %(n)d hours") % {"n": step}
            return every if m == 0 else _("%(every)s at minute %(m)d") % {"every": every, "m": m}
        if m is not None and h is not None:
            return _("every day at %(time)s") % {"time": f"{h:02d}:{m:02d}"}
        if (
            m is not None
            and "," in hour
            and all(_int(x, 0, 23) is not None for x in hour.split(","))
        ):
            times = [f"{int(x):02d}:{m:02d}" for x in hour.split(",")]
            return _("every day at %(times)s and %(last)s") % {
                "times": ", ".join(times[:-1]),
                "last": times[-1],
            }
        return raw
    if m is None or h is None:
        return raw
    at = f"{h:02d}:{m:02d}"
    if dom == "*":
        days = _days(dow, _)
        return _("%(days)s at %(time)s") % {"days": days, "time": at} if days else raw
    if dow == "*" and _int(dom, 1, 31) is not None:
        return _("on day %(day)d of every month at %(time)s") % {"day": int(dom), "time": at}
    return raw


def describe_interval(minutes: int, gettext: Translate = _english) -> str:
    """An interval in minutes in words.

    >>> describe_interval(90)
    'every 90 minutes'
    >>> describe_interval(120)
    'every 2 hours'
    >>> describe_interval(1440)
    'every day'
    """
    _ = gettext
    if minutes % 1440 == 0:
        days = minutes // 1440
        return _("every day") if days == 1 else _("every %(n)d days") % {"n": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return _("every hour") if hours == 1 else _("every %(n)d hours") % {"n": hours}
    return _("every minute") if minutes == 1 else _("every %(n)d minutes") % {"n": minutes}


def describe_schedule(kind: str, cron: str = "", interval_minutes: int | None = None) -> str:
    """A source's schedule in words, in the active language (for the pages)."""
    from django.utils.translation import gettext

    if kind == "cron":
        return describe_cron((cron or "").strip(), gettext)
    if interval_minutes:
        return describe_interval(interval_minutes, gettext)
    return gettext("no schedule")
