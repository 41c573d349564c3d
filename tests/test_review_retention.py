"""Retention: what `adscan purge` removes, keeps and logs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from review_ui.accounts.models import AuditEntry
from review_ui.review.models import ReviewDecision
from review_ui.review.retention import image_path

pytestmark = pytest.mark.django_db

DAYS = "90"  # the sample's old ads were last seen in January 2025


def _images(market, name):
    return [i["sha256"] for i in market.store.get_ad(market.ids[name])["images"]]


def test_dry_run_lists_and_changes_nothing(sample_market, capsys):
    ids = sample_market.ids
    call_command("purge", "--dry-run", "--days", DAYS)
    out = capsys.readouterr().out
    assert "Would purge 2 ads" in out and "1 photos" in out
    assert ids["old_unflagged"] in out and ids["old_other"] in out
    assert ids["denhaag"] not in out
    assert sample_market.store.get_ad(ids["old_unflagged"]) is not None
    assert not AuditEntry.objects.filter(action="purge").exists()


def test_purge_removes_unflagged_ads_and_only_unshared_photos(sample_market, capsys):
    ids, store = sample_market.ids, sample_market.store
    own, shared = _images(sample_market, "old_unflagged")
    call_command("purge", "--days", DAYS)
    assert "Purged 2 ads" in capsys.readouterr().out
    assert store.get_ad(ids["old_unflagged"]) is None
    assert store.get_versions(ids["old_unflagged"]) == []
    assert not image_path(own).exists()
    assert image_path(shared).exists()  # the Den Haag ad still shows it
    assert store.get_ad(ids["denhaag"]) is not None  # flagged: kept
    purged = AuditEntry.objects.filter(action="purge").values_list("target_id", flat=True)
    assert set(purged) == {ids["old_unflagged"], ids["old_other"]}
    assert AuditEntry.objects.get(action="purge_run").details["ads"] == 2


def test_escalated_ad_is_kept_until_the_escalation_is_closed(sample_market, client, role_users):
    ids, store = sample_market.ids, sample_market.store
    client.force_login(role_users["officer"])
    client.post(
        reverse("review:decide", args=[ids["old_other"]]),
        {"decision": "escalate", "reason": "network"},
    )
    call_command("purge", "--days", DAYS)
    assert store.get_ad(ids["old_other"]) is not None
    row = ReviewDecision.objects.get(ad_id=ids["old_other"], current=True)
    client.post(reverse("review:close_escalation", args=[row.pk]), {"close_reason": "resolved"})
    call_command("purge", "--days", DAYS)
    assert store.get_ad(ids["old_other"]) is None
    entry = AuditEntry.objects.get(action="purge", target_id=ids["old_other"])
    assert entry.details["reason"] == "escalation_closed"


def test_store_mirror_lag_cannot_purge_an_open_escalation(sample_market, client, role_users):
    ids, store = sample_market.ids, sample_market.store
    client.force_login(role_users["officer"])
    client.post(
        reverse("review:decide", args=[ids["old_other"]]),
        {"decision": "escalate", "reason": "network"},
    )
    store.set_review_status([ids["old_other"]], "open")  # a lost mirror write
    call_command("purge", "--days", DAYS)
    assert store.get_ad(ids["old_other"]) is not None


def test_bad_days_is_one_sentence(sample_market):
    with pytest.raises(CommandError, match="--days has value 0"):
        call_command("purge", "--days", "0")


def test_old_raw_captures_go_unless_an_escalated_ad_cites_them(
    sample_market, client, role_users, settings, tmp_path, capsys
):
    import os
    import time

    from index import make_ad_id

    settings.ADSCAN_ARCHIVE_DIR = tmp_path / "archive"
    site = settings.ADSCAN_ARCHIVE_DIR / "sample-site"
    site.mkdir(parents=True)
    old_time = time.time() - 400 * 86400
    files = {}
    for name in ("cited", "uncited", "recent"):
        files[name] = site / f"run-{name}.warc.gz"
        files[name].write_bytes(b"not really gzip; the purge never reads it")
        if name != "recent":
            os.utime(files[name], (old_time, old_time))
    # An old ad whose capture is in run-cited, escalated by an officer.
    sample_market.store.upsert_observations(
        [
            {
                "source": "sample-site",
                "site_ad_id": "with-evidence",
                "url": "https://sample-site.invalid/ad/with-evidence",
                "title": "Oud bewijs",
                "text": "Een oude advertentie met een vastgelegde pagina.",
                "city": "Utrecht",
                "phone_region": "NL",
                "images": [],
                "observed_at": "2025-01-05T10:00:00Z",
                "evidence": {"warc_file": "sample-site/run-cited.warc.gz", "warc_record_id": "x"},
            }
        ]
    )
    held = make_ad_id("sample-site", "with-evidence")
    client.force_login(role_users["officer"])
    client.post(
        reverse("review:decide", args=[held]), {"decision": "escalate", "reason": "network"}
    )

    call_command("purge", "--dry-run", "--days", DAYS)
    assert "Would delete 1 raw captures" in capsys.readouterr().out
    assert all(p.exists() for p in files.values())

    call_command("purge", "--days", DAYS)
    out = capsys.readouterr().out
    assert "1 raw captures" in out and "1 captures are kept as evidence" in out
    assert not files["uncited"].exists()
    assert files["cited"].exists() and files["recent"].exists()
    run = AuditEntry.objects.get(action="purge_run")
    assert run.details["captures"] == 1 and run.details["captures_kept_as_evidence"] == 1
    assert sample_market.store.get_ad(held) is not None


def test_scheduled_purge_applies_the_same_rules(sample_market, client, role_users):
    from review_ui.operations.housekeeping import purge_expired

    ids, store = sample_market.ids, sample_market.store
    own, shared = _images(sample_market, "old_unflagged")
    client.force_login(role_users["officer"])
    client.post(
        reverse("review:decide", args=[ids["old_other"]]),
        {"decision": "escalate", "reason": "network"},
    )
    store.set_review_status([ids["old_other"]], "open")  # a lost mirror write
    summary = purge_expired(retention_days=int(DAYS))
    assert summary["deleted"] == 1 and summary["photos"] == 1
    assert summary["optimize"]["fts_segments_after"] <= 1  # nightly compaction ran
    assert store.get_ad(ids["old_unflagged"]) is None
    assert store.get_ad(ids["old_other"]) is not None  # the open escalation stays
    assert not image_path(own).exists() and image_path(shared).exists()
    entry = AuditEntry.objects.get(action="purge", target_id=ids["old_unflagged"])
    assert entry.username == "system:scheduler"
