"""Support for the analysis tests: the demo market in a real SQLite ad store,
with real photos in the image store, real WARC records and the real
processing stage (extraction, indicators, the incremental linker); only the
trained models are replaced by a rule-based risk, so no model files are needed.

Fixtures are imported by the ``test_analysis_*`` modules; this module has a
test of its own that the builder plants what the ground truth says.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

DEMO_SEED = 7
DEMO_ADS = 60


class RuleScorer:
    """The processing stage's ``Scorer.score`` contract without trained models:
    real extraction and indicators; risk from the number of indicator categories."""

    flag_threshold = 0.5

    def score(self, ads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from classifier.extract import extract_all
        from classifier.indicators import match
        from index import risk_band
        from review_ui.operations.processing import ad_document_text

        out = []
        for ad in ads:
            text = ad_document_text(ad)
            ext = extract_all(text, default_region=ad.get("phone_region") or "NL")
            hits = match(text)
            indicators = [
                {"id": h.id, "category": h.category, "start": h.start, "end": h.end, "text": h.text}
                for h in hits
            ]
            cats = sorted({h["category"] for h in indicators})
            risk = round(min(0.97, 0.15 + 0.2 * len(cats)), 4)
            data = ext.to_dict()
            out.append(
                {
                    "ad_id": ad["ad_id"],
                    "version": ad["version"],
                    "phones": ext.phones_e164,
                    "emails": ext.emails_list,
                    "handles": ext.handles_list,
                    "extracted": data,
                    "indicators": indicators,
                    "indicator_categories": cats,
                    "ad_type": ad.get("_ad_type") or "escort",
                    "risk": risk,
                    "risk_band": risk_band(risk),
                    "risk_explanation": [
                        {"feature": "categories", "weight": risk, "text": ", ".join(cats)}
                    ],
                    "flagged": risk >= self.flag_threshold,
                    "_names": [n["name"] for n in data.get("names", [])],
                    "_places": [p["value"] for p in data.get("places", [])],
                }
            )
        return out


def build_demo_store(home: Path, seed: int = DEMO_SEED, n_ads: int = DEMO_ADS) -> dict[str, Any]:
    """Write the demo market into ``home`` (ads.db, images/, archive/) and process it."""
    from crawler.archive import WarcArchive
    from crawler.demo import DemoMarket
    from crawler.images import store_image
    from index import open_store
    from index.schema import make_ad_id
    from review_ui.operations.processing import process_pending

    market = DemoMarket(seed=seed, n_ads=n_ads, hostile=True, bad_pages=False)
    truth = market.ground_truth()
    image_dir, archive_dir = home / "images", home / "archive"
    url = f"sqlite:///{home / 'ads.db'}"
    store = open_store(url)
    store.setup()
    archives: dict[str, WarcArchive] = {}
    observations = []
    for ad in market.ads:
        images = [store_image(image_dir, market.photo_bytes(spec)) for spec in ad.photos]
        # The crawler appends a phone the site shows beside the text (crawler/spiders/profile.py).
        text = ad.text if ad.phone_text in ad.text else f"{ad.text}\n{ad.phone_text}"
        page_url = f"http://{ad.source}.invalid{ad.url_path}"
        body = (
            f"<html><body><h1>{html.escape(ad.title)}</h1><p>{html.escape(text)}</p></body></html>"
        ).encode()
        archive = archives.get(ad.source)
        if archive is None:
            archive = archives[ad.source] = WarcArchive(archive_dir, ad.source, "test-run")
        record_id = archive.write_response(
            page_url, 200, [("Content-Type", "text/html; charset=utf-8")], body
        )
        observations.append(
            {
                "source": ad.source,
                "site_ad_id": ad.site_ad_id,
                "url": page_url,
                "title": ad.title,
                "text": text,
                "city": ad.city,
                "posted_at": ad.posted.isoformat(),
                "phone_region": "NL",
                "images": images,
                "observed_at": ad.posted.isoformat() + "Z",
                "evidence": {"warc_file": archive.relative_path, "warc_record_id": record_id},
                "crawl_run": "test-run",
            }
        )
    for archive in archives.values():
        archive.close()
    store.upsert_observations(observations)
    summary = process_pending(store, RuleScorer(), batch_size=64)
    ids = {(a.source, a.site_ad_id): make_ad_id(a.source, a.site_ad_id) for a in market.ads}
    store.close()
    return {
        "url": url,
        "image_dir": image_dir,
        "archive_dir": archive_dir,
        "truth": truth,
        "ids": ids,
        "market": market,
        "summary": summary,
    }


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """The processed demo market, built once per test session."""
    home = tmp_path_factory.mktemp("analysis-demo")
    return build_demo_store(home)


@pytest.fixture
def demo_store(demo_home, settings):
    """The demo market as the web app sees it (settings point at it)."""
    from review_ui.review.store import close_stores, get_store

    settings.ADSCAN_INDEX_URL = demo_home["url"]
    settings.ADSCAN_IMAGE_DIR = demo_home["image_dir"]
    settings.ADSCAN_ARCHIVE_DIR = demo_home["archive_dir"]
    yield SimpleNamespace(store=get_store(), **demo_home)
    close_stores()


def network_ad_ids(demo, network: dict[str, Any]) -> list[str]:
    return [demo.ids[tuple(m)] for m in network["members"]]


def photo_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_builder_processes_every_ad_and_links_planted_networks(demo_store):
    stats = demo_store.store.stats()
    assert stats["ads"] == len(demo_store.market.ads)
    assert stats["pending"] == 0
    net = max(demo_store.truth["networks"], key=lambda n: len(n["members"]))
    clusters = {demo_store.store.get_ad(a)["cluster_id"] for a in network_ad_ids(demo_store, net)}
    assert len(clusters) == 1 and None not in clusters
