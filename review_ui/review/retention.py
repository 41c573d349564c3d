"""Retention: ads nobody flagged or escalated are purged after
``ADSCAN_RETENTION_DAYS``; escalated ads stay until their escalation is closed.

A purge removes the ad with its versions and identifier keys from the ad
store (the store's evidence references go with them), the photos no remaining
ad uses from the image store, and the ad's assignment. Review decisions stay:
they are the record of what officers did. Every purged ad gets an audit entry.

Raw captures (the crawler's WARC files, one per run) hold the pages of many
ads; a file goes once it was last written before the cutoff, unless an ad that
is kept for its open escalation (or a pending request) cites it as evidence.
Later runs hold newer captures of the ads still online.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from index import AdStore
from index.schema import ISO_FORMAT
from review_ui.accounts.models import AuditEntry
from review_ui.review.choices import Decision
from review_ui.review.models import Assignment, ReviewDecision

BATCH = 500


@dataclass
class PurgePlan:
    cutoff: str
    ad_ids: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # ad_id -> why it may go
    images: list[str] = field(default_factory=list)  # sha256 of photos no kept ad uses
    warc_files: list[Path] = field(default_factory=list)  # captures older than the cutoff
    kept_warc_files: int = 0  # old captures an ad under escalation cites as evidence
    kept_escalated: int = 0

    @property
    def count(self) -> int:
        return len(self.ad_ids)


def image_path(sha256: str, image_dir: Path | None = None) -> Path:
    """Where the crawler stores a photo: ``<dir>/ab/cd/abcd...``."""
    base = Path(image_dir if image_dir is not None else settings.ADSCAN_IMAGE_DIR)
    return base / sha256[:2] / sha256[2:4] / sha256


def cutoff_for(days: int, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return (now - timedelta(days=days)).astimezone(UTC).strftime(ISO_FORMAT)


def plan_purge(
    store: AdStore, days: int, limit: int = 10000, now: datetime | None = None
) -> PurgePlan:
    """What a purge would remove now; changes nothing."""
    plan = PurgePlan(cutoff=cutoff_for(days, now))
    candidates = store.purge_candidates(plan.cutoff, limit=limit)
    # The relational DB is the truth: an open escalation or a pending request
    # for information keeps an ad even if the store's mirror lags behind.
    open_rows = ReviewDecision.objects.filter(current=True).exclude(decision=Decision.DISMISS)
    holding = set()
    for start in range(0, len(candidates), BATCH):
        chunk = candidates[start : start + BATCH]
        for row in open_rows.filter(ad_id__in=chunk):
            if row.decision != Decision.ESCALATE or row.closed_at is None:
                holding.add(row.ad_id)
    for ad_id in candidates:
        if ad_id not in holding:
            plan.ad_ids.append(ad_id)
            plan.reasons[ad_id] = "never_flagged"
    plan.kept_escalated = ReviewDecision.objects.filter(
        current=True, decision=Decision.ESCALATE, closed_at__isnull=True
    ).count()
    # Closed escalations: the case is done; retention counts from last_seen.
    closed = list(
        ReviewDecision.objects.filter(
            current=True, decision=Decision.ESCALATE, closed_at__isnull=False
        ).values_list("ad_id", flat=True)[:limit]
    )
    for start in range(0, len(closed), BATCH):
        for ad in store.get_ads(closed[start : start + BATCH]):
            if (ad.get("last_seen") or "") < plan.cutoff and ad["ad_id"] not in plan.reasons:
                plan.ad_ids.append(ad["ad_id"])
                plan.reasons[ad["ad_id"]] = "escalation_closed"
    plan.images = _orphaned_images(store, plan.ad_ids)
    held = set(
        ReviewDecision.objects.filter(current=True)
        .exclude(decision=Decision.DISMISS)
        .exclude(decision=Decision.ESCALATE, closed_at__isnull=False)
        .values_list("ad_id", flat=True)
    )
    plan.warc_files, plan.kept_warc_files = _old_captures(store, plan.cutoff, sorted(held))
    return plan


def archive_dir() -> Path:
    return Path(settings.ADSCAN_ARCHIVE_DIR)


def _mtime_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime(ISO_FORMAT)


def _old_captures(store: AdStore, cutoff: str, held: list[str]) -> tuple[list[Path], int]:
    """WARC files last written before ``cutoff`` that no held ad cites; and how many are kept."""
    base = archive_dir()
    if not base.is_dir():
        return [], 0
    old = [p for p in sorted(base.glob("*/*.warc.gz")) if p.is_file() and _mtime_iso(p) < cutoff]
    if not old:
        return [], 0
    cited: set[str] = set()
    for start in range(0, len(held), BATCH):
        docs = store.get_ads(held[start : start + BATCH])
        for ad in docs:
            docs_and_versions = [ad, *store.get_versions(ad["ad_id"])]
            for doc in docs_and_versions:
                warc = (doc.get("evidence") or {}).get("warc_file")
                if warc:
                    cited.add(str(warc))
    going = [p for p in old if str(p.relative_to(base)) not in cited]
    return going, len(old) - len(going)


def _ad_images(store: AdStore, ad_ids: list[str]) -> set[str]:
    shas: set[str] = set()
    for ad_id in ad_ids:
        for version in store.get_versions(ad_id):
            shas.update(_shas(version))
    for start in range(0, len(ad_ids), BATCH):
        for ad in store.get_ads(ad_ids[start : start + BATCH]):
            shas.update(_shas(ad))
    return shas


def _shas(doc: dict[str, Any]) -> set[str]:
    found = {str(s) for s in doc.get("image_sha256") or []}
    found.update(str(i["sha256"]) for i in doc.get("images") or [] if i.get("sha256"))
    return found


def _orphaned_images(store: AdStore, ad_ids: list[str]) -> list[str]:
    """Photos of these ads that no other ad uses."""
    going = set(ad_ids)
    shas = sorted(_ad_images(store, ad_ids))
    users = store.lookup("image_sha256", shas) if shas else {}
    return [sha for sha in shas if {a for a, _c in users.get(sha, [])} <= going]


def run_purge(store: AdStore, plan: PurgePlan, who: str = "system:purge") -> dict[str, int]:
    """Carry out ``plan``; returns counts of what went."""
    deleted = 0
    for start in range(0, len(plan.ad_ids), BATCH):
        chunk = plan.ad_ids[start : start + BATCH]
        with transaction.atomic():
            deleted += store.delete_ads(chunk)
            Assignment.objects.filter(ad_id__in=chunk).delete()
            AuditEntry.objects.bulk_create(
                AuditEntry(
                    username=who,
                    action="purge",
                    target_type="ad",
                    target_id=ad_id,
                    details={"reason": plan.reasons.get(ad_id, ""), "cutoff": plan.cutoff},
                )
                for ad_id in chunk
            )
    # Check again after the delete: a new ad may have started using a photo.
    still_used = store.lookup("image_sha256", plan.images) if plan.images else {}
    photos = 0
    for sha in plan.images:
        if still_used.get(sha):
            continue
        path = image_path(sha)
        if path.is_file():
            path.unlink()
            photos += 1
    captures = 0
    for path in plan.warc_files:
        # Still old (a file that was appended to since the plan stays).
        if path.is_file() and _mtime_iso(path) < plan.cutoff:
            path.unlink()
            captures += 1
    AuditEntry.objects.create(
        username=who,
        action="purge_run",
        target_type="retention",
        target_id=plan.cutoff,
        details={
            "ads": deleted,
            "photos": photos,
            "captures": captures,
            "captures_kept_as_evidence": plan.kept_warc_files,
            "cutoff": plan.cutoff,
        },
    )
    return {"ads": deleted, "photos": photos, "captures": captures}
