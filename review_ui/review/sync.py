"""Keeping the ad store's ``review_status`` in line with the decisions table.

:func:`reopen_changed` brings dismissed ads back to the queue when a newer
version was crawled; :func:`reconcile` re-applies every current decision.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from index import AdStore
from review_ui.review.choices import STATUS_OF_DECISION, Decision
from review_ui.review.models import ReviewDecision

BATCH = 500


@dataclass
class ReconcileReport:
    by_status: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    missing: int = 0
    reopened: list[str] = field(default_factory=list)


def reopen_changed(store: AdStore, who: str = "system:reconcile") -> list[str]:
    """Reopen every dismissed ad whose current version is newer than the
    version that was dismissed; returns their ids."""
    from review_ui.review.decisions import decide

    reopened: list[str] = []
    rows = ReviewDecision.objects.filter(current=True, decision=Decision.DISMISS).values_list(
        "ad_id", "ad_version"
    )
    pending: list[tuple[str, int | None]] = []

    def flush() -> None:
        decided = dict(pending)
        ads = store.get_ads(list(decided))
        changed = [
            ad
            for ad in ads
            if decided.get(ad["ad_id"]) is not None
            and int(ad.get("version") or 0) > int(decided[ad["ad_id"]] or 0)
        ]
        if changed:
            decide(who, changed, "reopen", "changed_version", store=store)
            reopened.extend(ad["ad_id"] for ad in changed)
        pending.clear()

    for row in rows.iterator(chunk_size=BATCH):
        pending.append(row)
        if len(pending) >= BATCH:
            flush()
    if pending:
        flush()
    return reopened


def reconcile(store: AdStore, reopen: bool = True) -> ReconcileReport:
    """Re-apply the review status of every current decision to the ad store."""
    report = ReconcileReport()
    if reopen:
        report.reopened = reopen_changed(store)
    by_status: dict[str, list[str]] = defaultdict(list)

    def flush(status: str) -> None:
        ids = by_status[status]
        done = store.set_review_status(ids, status)
        report.applied += done
        report.missing += len(ids) - done
        report.by_status[status] = report.by_status.get(status, 0) + len(ids)
        ids.clear()

    rows = ReviewDecision.objects.filter(current=True).values_list("ad_id", "decision")
    for ad_id, decision in rows.iterator(chunk_size=BATCH):
        status = STATUS_OF_DECISION[decision]
        by_status[status].append(ad_id)
        if len(by_status[status]) >= BATCH:
            flush(status)
    for status in list(by_status):
        if by_status[status]:
            flush(status)
    return report
