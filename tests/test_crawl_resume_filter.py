"""On resume, ad pages the killed run already stored are not fetched again."""

from __future__ import annotations

import json

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

import index
from crawler.resume import AlreadyStoredThisRun, StoredThisRunFilter
from crawler.runner import _unfinished_run
from crawler.spiders.profile import ProfileSpider
from crawler.state import close_resources
from tests.test_crawl_support import write_profile


def _obs(site_id: str, observed_at: str) -> dict:
    return {
        "source": "tiny",
        "site_ad_id": site_id,
        "url": f"http://127.0.0.1:1/ad/{site_id}",
        "title": f"Ad {site_id}",
        "text": f"Text of ad {site_id}",
        "city": "Utrecht",
        "images": [],
        "observed_at": observed_at,
    }


def test_resumed_run_skips_only_ads_stored_since_it_began(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'ads.db'}"
    with index.open_store(store_url) as store:
        store.setup()
        store.upsert_observations(
            [_obs("before", "2026-11-01T08:00:00Z"), _obs("during", "2026-11-01T10:05:00Z")]
        )
    settings = {
        "ADSCAN_STORE_URL": store_url,
        "ADSCAN_ARCHIVE_DIR": str(tmp_path / "archive"),
        "ADSCAN_RUN_RESUMED_FROM": "2026-11-01T10:00:00Z",
    }
    crawler = get_crawler(ProfileSpider, settings)
    crawler.spider = ProfileSpider(profile=str(write_profile(tmp_path, "http://127.0.0.1:1")))
    try:
        mw = StoredThisRunFilter.from_crawler(crawler)

        def request(site_id: str) -> scrapy.Request:
            ad_id = index.make_ad_id(crawler.spider.source, site_id)
            return scrapy.Request(f"http://127.0.0.1:1/ad/{site_id}", meta={"ad_id": ad_id})

        with pytest.raises(AlreadyStoredThisRun):
            mw.process_request(request("during"))
        assert mw.process_request(request("before")) is None  # stored by an earlier run: due
        assert mw.process_request(request("new")) is None
        assert (
            mw.process_request(scrapy.Request("http://127.0.0.1:1/list")) is None
        )  # listings pass
        assert crawler.stats.get_value("adscan/resume_skipped") == 1
    finally:
        close_resources(crawler)


def test_filter_is_off_for_a_fresh_run():
    with pytest.raises(NotConfigured):
        StoredThisRunFilter.from_crawler(get_crawler(ProfileSpider, {}))


def test_resume_keeps_the_first_start_of_the_run(tmp_path):
    (tmp_path / "adscan-run.json").write_text(
        json.dumps({"run_id": "tiny-1", "started": "2026-11-01T10:00:00Z"})
    )
    assert _unfinished_run(tmp_path, "tiny-1")["started"] == "2026-11-01T10:00:00Z"
    assert _unfinished_run(tmp_path, "tiny-2") is None  # another run: not a resume
    assert _unfinished_run(tmp_path / "absent", "tiny-1") is None
    assert _unfinished_run(None, "tiny-1") is None
    (tmp_path / "adscan-run.json").write_text('{"run_id": "tiny-1", "sta')  # cut short
    assert _unfinished_run(tmp_path, "tiny-1") is None
