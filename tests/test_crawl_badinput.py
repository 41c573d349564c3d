"""Bad input: each broken page or photo is dropped with a counted reason; the crawl goes on."""

from __future__ import annotations

import pytest

import index
from crawler.runner import run_crawl_subprocess
from tests.test_crawl_support import FAST, TinyMarket, TinySite, crawl_dirs, write_profile


@pytest.fixture(scope="module")
def bad_crawl(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bad")
    site = TinySite(TinyMarket(n_ads=12, bad=True)).start()
    try:
        dirs = crawl_dirs(tmp_path)
        profile = write_profile(tmp_path, site.base_url)
        # A 1 MB page limit: the "huge" page (about 2 MB) and the gzip bomb (20 MB inflated) exceed it.
        settings = {**FAST, "DOWNLOAD_MAXSIZE": 1_000_000, "DOWNLOAD_WARNSIZE": 0}
        summary = run_crawl_subprocess(profile=profile, settings=settings, timeout=120, **dirs)
        store = index.open_store(dirs["store_url"])
        ads = {
            ad["site_ad_id"]: ad
            for ad in store.search(index.SearchQuery(size=100, sort="ad_id")).hits
        }
        store.close()
        yield summary, ads, dict(site.requests)
    finally:
        site.stop()


@pytest.mark.parametrize(
    ("reason", "count"),
    [
        ("http_5xx", 1),  # /ad/e500 after one retry
        ("http_4xx", 1),  # /ad/e404
        ("missing_title", 1),  # /ad/garbage: malformed beyond repair
        ("bad_encoding", 1),  # /ad/binary: body of binary noise
        ("too_large", 1),  # /ad/huge
        ("decompression_bomb", 1),  # /ad/gzipbomb
        ("corrupt_image", 1),  # photo of /ad/corruptimg
        ("image_bomb", 1),  # photo of /ad/bombimg
        ("redirect_loop", 1),  # /ad/loop <-> /ad/loop2
    ],
)
def test_each_bad_input_is_dropped_with_its_reason(bad_crawl, reason, count):
    summary, _, _ = bad_crawl
    assert summary["dropped"].get(reason) == count, summary["dropped"]


def test_the_crawl_goes_on_past_bad_input(bad_crawl):
    summary, ads, requests = bad_crawl
    assert summary["finished_ok"]
    assert all(f"a{i:03d}" in ads for i in range(12))
    assert summary["new"] == len(ads) == 12 + 4  # + brokenhtml, latin1, corruptimg, bombimg
    # The redirect loop was followed a bounded number of times.
    assert requests["/ad/loop"] + requests["/ad/loop2"] <= 8


def test_recoverable_pages_are_kept(bad_crawl):
    summary, ads, _ = bad_crawl
    assert ads["brokenhtml"]["title"] == "Bad-input ad brokenhtml"
    assert "Ordinary text." in ads["brokenhtml"]["text"]
    # Latin-1 bytes labelled UTF-8 are re-decoded, not stored as U+FFFD.
    assert ads["latin1"]["title"] == "Café crème in Zoë's straße"
    assert summary["repaired"]["encoding"] >= 1
    # A corrupt photo is dropped, the good photo of the same ad kept; the bomb leaves no image.
    assert len(ads["corruptimg"]["images"]) == 1
    assert ads["bombimg"]["images"] == []
