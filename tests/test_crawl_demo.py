"""Crawl the synthetic demo market (crawler.demo) into a real SQLite store, twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

import index
from crawler.demo import DemoMarket, DemoServer
from crawler.images import image_path
from crawler.profiles import find_profile
from crawler.runner import run_crawl_subprocess
from tests.test_crawl_support import FAST, crawl_dirs

#: Demo pages the crawl must drop (and why); the others are stored.
DROPPED = {"404": "http_4xx", "500": "http_5xx", "redirect-loop": "redirect_loop"}


def _crawl_all(server: DemoServer, dirs: dict) -> dict[str, dict]:
    def one(name: str) -> dict:
        return run_crawl_subprocess(
            find_profile(name), base_url=server.base_urls[name], settings=FAST, timeout=180, **dirs
        )

    names = sorted(server.base_urls)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def _warc_urls(archive_dir: Path, warc_file: str) -> list[str]:
    with open(archive_dir / warc_file, "rb") as fh:
        return [
            r.rec_headers.get_header("WARC-Target-URI")
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    market = DemoMarket(seed=7, n_ads=60)
    server = DemoServer(market).start()
    try:
        dirs = crawl_dirs(tmp_path)
        truth0 = server.ground_truth()
        first = _crawl_all(server, dirs)
        server.set_epoch(1)
        truth1 = server.ground_truth()
        second = _crawl_all(server, dirs)
        yield {"dirs": dirs, "truth0": truth0, "truth1": truth1, "first": first, "second": second}
    finally:
        server.stop()


def test_first_crawl_stores_every_good_ad_with_phone_photos_and_evidence(demo):
    dirs, truth = demo["dirs"], demo["truth0"]
    store = index.open_store(dirs["store_url"])
    for name, summary in demo["first"].items():
        expected = [a for a in truth["ads"] if a["source"] == name and a["bad"] not in DROPPED]
        assert summary["finished_ok"] and summary["new"] == len(expected), summary
        want_dropped = {}
        for a in truth["ads"]:
            if a["source"] == name and a["bad"] in DROPPED:
                want_dropped[DROPPED[a["bad"]]] = want_dropped.get(DROPPED[a["bad"]], 0) + 1
            if a["source"] == name and a["bad"] == "corrupt-image":
                want_dropped["corrupt_image"] = want_dropped.get("corrupt_image", 0) + 1
        assert summary["dropped"] == want_dropped
        ads = store.get_ads([index.make_ad_id(name, a["site_ad_id"]) for a in expected])
        assert len(ads) == len(expected)
        for want, ad in zip(expected, ads, strict=True):
            assert ad["site_ad_id"] == want["site_ad_id"]
            assert " ".join(want["title"].split()) == ad["title"]
            assert ad["city"] == want["city"]
            if want["phone_text"]:
                assert want["phone_text"] in ad["text"], (name, want["site_ad_id"])
            if want["bad"] != "corrupt-image":
                assert sorted(i["sha256"] for i in ad["images"]) == sorted(set(want["photos"]))
            for img in ad["images"]:
                assert image_path(dirs["image_dir"], img["sha256"]).is_file()
            # Changed ads point at the second run's WARC by now; the rest at the first's.
            assert ad["evidence"]["warc_file"] in (
                summary["warc_file"],
                demo["second"][name]["warc_file"],
            )
            assert ad["evidence"]["warc_record_id"].startswith("<urn:uuid:")
        urls = _warc_urls(dirs["archive_dir"], summary["warc_file"])
        assert {urlsplit(u).path for u in urls} >= {a["url_path"] for a in expected}
    store.close()


def test_second_crawl_counts_changes_and_skips_unchanged_pages(demo):
    dirs, truth = demo["dirs"], demo["truth1"]
    changes = truth["changes"]
    store = index.open_store(dirs["store_url"])
    for name, summary in demo["second"].items():
        changed = {sid for src, sid in changes["changed"] if src == name}
        new = {sid for src, sid in changes["new"] if src == name}
        removed = {sid for src, sid in changes["removed"] if src == name}
        assert (summary["new"], summary["changed"], summary["gone"]) == (
            len(new),
            len(changed),
            len(removed),
        )
        first = demo["first"][name]
        assert summary["unchanged"] == first["new"] - len(changed) - len(removed)
        # Only new and changed ad pages were fetched again (each fetched page is in the WARC).
        paths = {a["site_ad_id"]: a["url_path"] for a in truth["ads"] if a["source"] == name}
        fetched = {urlsplit(u).path for u in _warc_urls(dirs["archive_dir"], summary["warc_file"])}
        refetched_ads = {sid for sid, path in paths.items() if path in fetched}
        assert refetched_ads == changed | new
        for sid in changed:
            ad = store.get_ad(index.make_ad_id(name, sid))
            assert ad["version"] == 2 and len(store.get_versions(ad["ad_id"])) == 2
        for ad in store.get_ads([index.make_ad_id(name, sid) for sid in removed]):
            assert ad["crawl_status"] == "gone"
    store.close()
