"""Housekeeping jobs of the scheduler: the daily retention purge and model
retraining once enough new review decisions exist."""

from __future__ import annotations

import logging
import sys
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
    """Nightly housekeeping of the ad store: apply the retention period exactly as ``adscan purge`` does
    (:mod:`review_ui.review.retention`): ads nobody flagged or escalated and
    closed escalations last seen before the cutoff, their unshared photos, and
    raw captures older than the cutoff that no escalated ad cites. Open
    escalations in the review database are kept even if the store lags.
    Then compact the store's indexes (:meth:`AdStore.optimize`)."""
    from review_ui.review.retention import plan_purge, run_purge
    from review_ui.review.store import get_store

    days = settings.ADSCAN_RETENTION_DAYS if retention_days is None else retention_days
    row = HousekeepingRun.objects.create(kind=PURGE, started=timezone.now())
    store = get_store()
    deleted = photos = captures = 0
    cutoff = ""
    while deleted < PURGE_MAX:
        plan = plan_purge(store, days, limit=min(10_000, PURGE_MAX - deleted))
        cutoff = plan.cutoff
        done = run_purge(store, plan, who=who)
        deleted += done["ads"]
        photos += done["photos"]
        captures += done["captures"]
        if not done["ads"]:
            break
    summary = {
        "retention_days": days,
        "last_seen_before": cutoff,
        "deleted": deleted,
        "photos": photos,
        "captures": captures,
        # The day's bulk loads and deletions leave the indexes fragmented.
        "optimize": store.optimize(),
    }
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
