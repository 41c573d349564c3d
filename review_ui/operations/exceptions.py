"""Errors of the operations app a person can act on.

OperationsError
├── SourceNotFound      no source of that name
├── RunNotFound         no crawl run of that id
└── ScheduleError       a cron expression, interval or time zone adscan cannot use
"""

from __future__ import annotations


class OperationsError(Exception):
    """Something about sources, schedules or runs that a person can fix."""


class SourceNotFound(OperationsError):
    def __init__(self, name: str):
        super().__init__(f"Source '{name}' not found; `adscan sources list` shows the sources.")


class RunNotFound(OperationsError):
    def __init__(self, run_id: str):
        super().__init__(f"Crawl run '{run_id}' not found; `adscan runs list` shows the runs.")


class ScheduleError(OperationsError):
    """A schedule that cannot be turned into a trigger."""
