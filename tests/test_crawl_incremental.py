"""Crawl a synthetic site into a real SQLite store, then re-crawl it incrementally."""

from __future__ import annotations

from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import index
from crawler.images import image_path
from crawler.runner import run_crawl_subprocess
from tests.test_crawl_support import FAST, TinyMarket, TinySite, crawl_dirs, write_profile


@pytest.fixture
def site():
    s = TinySite(TinyMarket(n_ads=25)).start()
    yield s
    s.stop()


def _warc_records(path: Path) -> dict[str, tuple[str, bytes]]:
    out = {}
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                out[rec.rec_headers.get_header("WARC-Record-ID")] = (
                    rec.rec_headers.get_header("WARC-Target-URI"),
                    rec.content_stream().read(),
                )
    return out


def test_first_crawl_then_incremental_recrawl(site, tmp_path):
    dirs = crawl_dirs(tmp_path)
    profile = write_profile(tmp_path, "http://127.0.0.1:1")  # base URL given at run time
    first = run_crawl_subprocess(
        profile=profile, base_url=site.base_url, settings=FAST, timeout=120, **dirs
    )

    assert first["finished_ok"] and first["listings_complete"]
    assert (first["new"], first["changed"], first["unchanged"], first["gone"]) == (25, 0, 0, 0)
    assert first["ads_seen"] == 25 and first["dropped"] == {}
    assert first["errors"] == 0
    summary_file = dirs["archive_dir"] / first["warc_file"].replace(".warc.gz", ".summary.json")
    assert summary_file.is_file()

    store = index.open_store(dirs["store_url"])
    ad_id = index.make_ad_id("tiny", "a007")
    ad = store.get_ad(ad_id)
    assert ad["title"] == "Testad 7 version 0"
    assert ad["text"].splitlines() == [
        "Line one of test ad 7.",
        "Second line, version 0.",
        "06 1234 0007",
    ]
    assert (ad["city"], ad["posted_at"], ad["price_text"]) == ("Den Haag", "2025-01-08", "107 euro")
    assert ad["phone_region"] == "NL" and ad["processing"] == "pending"
    assert ad["content_hash"] == index.content_hash(
        ad["title"], ad["text"], [i["sha256"] for i in ad["images"]]
    )

    # Photos: two per ad, one of them shared by every ad and stored once.
    assert len(ad["images"]) == 2
    for img in ad["images"]:
        stored = image_path(dirs["image_dir"], img["sha256"])
        assert stored.is_file() and str(stored).endswith(img["path"])
        assert len(img["phash"]) == 16 and (img["width"], img["height"]) == (64, 48)
        assert img["content_type"] == "image/png"
    assert len(list(Path(dirs["image_dir"]).glob("*/*/*"))) == 26

    # Evidence: the WARC record holds the page the ad came from.
    records = _warc_records(dirs["archive_dir"] / ad["evidence"]["warc_file"])
    url, body = records[ad["evidence"]["warc_record_id"]]
    assert url.endswith("/ad/a007") and b"Testad 7 version 0" in body

    # Epoch 1: three ads change, two vanish, two appear.
    truth = site.market.set_epoch(1)
    site.requests.clear()
    second = run_crawl_subprocess(
        profile=profile, base_url=site.base_url, settings=FAST, timeout=120, **dirs
    )
    assert (second["new"], second["changed"], second["unchanged"], second["gone"]) == (2, 3, 20, 2)
    fetched = {p.removeprefix("/ad/") for p in site.ad_requests()}
    assert fetched == truth["changed"] | truth["new"], "unchanged ads must not be fetched again"
    assert sum(1 for p in site.requests if p.startswith("/listings")) == 3

    changed = store.get_ad(index.make_ad_id("tiny", "a001"))
    assert changed["version"] == 2 and changed["title"] == "Testad 1 version 1"
    versions = store.get_versions(changed["ad_id"])
    assert [v["title"] for v in versions] == ["Testad 1 version 0", "Testad 1 version 1"]
    gone = store.get_ads([index.make_ad_id("tiny", a) for a in sorted(truth["gone"])])
    assert [g["crawl_status"] for g in gone] == ["gone", "gone"]
    unchanged = store.get_ad(ad_id)
    assert unchanged["version"] == 1 and unchanged["last_seen"] >= ad["last_seen"]
    assert store.count(source=["tiny"]) == 27
    store.close()


def test_interrupted_listing_does_not_mark_ads_gone(site, tmp_path):
    dirs = crawl_dirs(tmp_path)
    profile = write_profile(tmp_path, site.base_url)
    run_crawl_subprocess(profile=profile, settings=FAST, timeout=120, **dirs)
    site.market.set_epoch(1)
    # Stop after two pages: the listings are incomplete, so nothing may be marked gone.
    partial = run_crawl_subprocess(profile=profile, settings=FAST, max_pages=2, timeout=120, **dirs)
    assert partial["finished_ok"] is False and partial["listings_complete"] is False
    assert partial["gone"] == 0
    store = index.open_store(dirs["store_url"])
    assert store.stats()["gone"] == 0
    store.close()
