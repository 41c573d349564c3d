"""Housekeeping jobs of the scheduler: the daily retention purge and model
retraining once enough new review decisions exist."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from review_ui.accounts import audit
from review_ui.operations.models import HousekeepingRun

log = logging.getLogger(__name__)

PURGE = "purge"
RETRAIN = "retrain"
#: One purge deletes at most this many ads; the next day's run takes the rest.
PURGE_MAX = 200_000
RETRAIN_COMMANDS = (("ad-type",), ("risk",))


def purge_expired(
    retention_days: int | None = None, who: str = "system:scheduler"
) -> dict[str, Any]:
    """Delete ads last seen more than ``retention_days`` ago that nobody flagged
    or escalated (the store decides which: :meth:`AdStore.purge_candidates`)."""
    from index import open_store

    days = settings.ADSCAN_RETENTION_DAYS if retention_days is None else retention_days
    before = (timezone.now() - timedelta(days=days)).isoformat(timespec="seconds")
    row = HousekeepingRun.objects.create(kind=PURGE, started=timezone.now())
    deleted = 0
    with open_store(settings.ADSCAN_INDEX_URL) as store:
        while deleted < PURGE_MAX:
            ids = store.purge_candidates(before, limit=1000)
            if not ids:
                break
            gone = store.delete_ads(ids)
            deleted += gone
            if not gone:
                break
    summary = {"retention_days": days, "last_seen_before": before, "deleted": deleted}
    row.finished, row.ok, row.summary = timezone.now(), True, summary
    row.save()
    audit.record(who, "retention.purge", "ads", "", details=summary)
    return summary


def new_decisions_since_training() -> int:
    try:
        decision = apps.get_model("review", "ReviewDecision")
    except LookupError:
        return 0
    last = HousekeepingRun.objects.filter(kind=RETRAIN, ok=True).order_by("-started").first()
    rows = decision.objects.all()
    if last:
        rows = rows.filter(decided_at__gt=last.started)
    return rows.count()


def retrain_if_due(
    min_decisions: int | None = None, who: str = "system:scheduler"
) -> dict[str, Any]:
    """Retrain the models from reviews when at least ``min_decisions`` new
    decisions exist since the last retraining."""
    from review_ui.operations.launcher import run_subprocess

    needed = (
        settings.ADSCAN_SCHEDULER_RETRAIN_MIN_DECISIONS if min_decisions is None else min_decisions
    )
    new = new_decisions_since_training()
    if new < needed:
        return {"due": False, "new_decisions": new, "needed": needed}
    row = HousekeepingRun.objects.create(kind=RETRAIN, started=timezone.now())
    log_path = Path(settings.HOME) / "runs" / f"retrain-{row.started:%Y%m%dT%H%M%S}.log"
    results = {}
    for args in RETRAIN_COMMANDS:
        cmd = [sys.executable, "-m", "review_ui.manage", "train", *args]
        code, timed_out, seconds = run_subprocess(cmd, log_path, 6 * 3600)
        results[" ".join(args)] = {
            "exit_code": code,
            "timed_out": timed_out,
            "seconds": round(seconds, 1),
        }
    summary = {
        "due": True,
        "new_decisions": new,
        "needed": needed,
        "models": results,
        "log": str(log_path),
    }
    row.finished = timezone.now()
    row.ok = all(r["exit_code"] == 0 for r in results.values())
    row.summary = summary
    row.save()
    audit.record(who, "model.retrain", "model", "", details=summary)
    return summary
