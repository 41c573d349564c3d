"""Taking decisions: written to the relational database first, audited, then
mirrored to the ad store (a failed mirror is repaired by ``adscan reconcile``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from index.exceptions import IndexError_
from review_ui.accounts import audit
from review_ui.review.choices import REASONS, STATUS_OF_DECISION
from review_ui.review.models import Assignment, ReviewDecision
from review_ui.review.store import get_store

log = logging.getLogger(__name__)


@dataclass
class DecideResult:
    decisions: list[ReviewDecision] = field(default_factory=list)
    mirrored: bool = True
    mirror_error: str = ""


def reason_is_valid(decision: str, reason: str) -> bool:
    return any(key == reason for key, _label in REASONS.get(decision, []))


def current_decisions(ad_ids: Iterable[str]) -> dict[str, ReviewDecision]:
    """The newest decision of each ad that has one."""
    ids = list(dict.fromkeys(ad_ids))
    found: dict[str, ReviewDecision] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in ReviewDecision.objects.filter(ad_id__in=chunk, current=True):
            found[row.ad_id] = row
    return found


def decide(
    who: Any,
    ads: Sequence[dict[str, Any]],
    decision: str,
    reason: str,
    note: str = "",
    store: Any = None,
) -> DecideResult:
    """Record ``decision`` for each ad document in ``ads``.

    ``who`` is the request (for the audit log's address) or, for adscan's own
    decisions, a name such as ``"system:reconcile"``.
    """
    if decision not in STATUS_OF_DECISION:
        raise ValueError(
            f"Decision {decision!r} is unknown; expected one of {list(STATUS_OF_DECISION)}."
        )
    if not reason_is_valid(decision, reason):
        raise ValueError(f"Reason {reason!r} does not belong to decision {decision!r}.")
    user = getattr(who, "user", None)
    username = user.get_username() if user is not None else str(who)
    now = timezone.now()
    result = DecideResult()
    with transaction.atomic():
        ad_ids = [str(ad["ad_id"]) for ad in ads]
        ReviewDecision.objects.filter(ad_id__in=ad_ids, current=True).update(current=False)
        for ad in ads:
            row = ReviewDecision.objects.create(
                ad_id=str(ad["ad_id"]),
                ad_version=ad.get("version"),
                decision=decision,
                reason=reason,
                note=note,
                user=user,
                username=username,
                decided_at=now,
                current=True,
            )
            result.decisions.append(row)
            audit.record(
                who,
                "decide",
                "ad",
                row.ad_id,
                details={
                    "decision": decision,
                    "reason": reason,
                    "note": note,
                    "version": row.ad_version,
                    "bulk": len(ads) > 1,
                },
            )
    status = STATUS_OF_DECISION[decision]
    try:
        (store or get_store()).set_review_status([row.ad_id for row in result.decisions], status)
    except IndexError_ as exc:
        log.warning("Decision saved but not mirrored to the ad store: %s", exc)
        result.mirrored = False
        result.mirror_error = str(exc)
    return result


def close_escalation(who: Any, row: ReviewDecision, close_reason: str) -> None:
    """Close an open escalation: the case is done; retention may now apply."""
    user = getattr(who, "user", None)
    with transaction.atomic():
        row.closed_at = timezone.now()
        row.closed_by = user.get_username() if user is not None else str(who)
        row.close_reason = close_reason
        row.save(update_fields=["closed_at", "closed_by", "close_reason"])
        audit.record(who, "close_escalation", "ad", row.ad_id, details={"reason": close_reason})


def assign(who: Any, ad_ids: Sequence[str], officer: Any | None) -> int:
    """Assign ads to ``officer`` (None removes the assignment); returns how many."""
    by = who.user.get_username() if hasattr(who, "user") else str(who)
    with transaction.atomic():
        if officer is None:
            Assignment.objects.filter(ad_id__in=list(ad_ids)).delete()
        else:
            for ad_id in ad_ids:
                Assignment.objects.update_or_create(
                    ad_id=ad_id,
                    defaults={
                        "officer": officer,
                        "assigned_by": by,
                        "assigned_at": timezone.now(),
                    },
                )
        for ad_id in ad_ids:
            audit.record(
                who,
                "assign",
                "ad",
                ad_id,
                details={"officer": officer.get_username() if officer else None},
            )
    return len(ad_ids)
