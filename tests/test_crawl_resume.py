"""A crawl stopped mid-run resumes from its JOBDIR and neither loses nor duplicates ads.

A hard kill (SIGKILL, power loss) can leave Scrapy's disk queue torn; a
graceful stop (SIGINT) leaves it whole and the resumed run uses it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from scrapy.pqueues import _path_safe

import index
from crawler.runner import REPO_ROOT, crawl_command, run_crawl_subprocess
from tests.test_crawl_support import FAST, TinyMarket, TinySite, crawl_dirs, write_profile

N_ADS = 60


def _stored(store_url: str) -> int:
    try:
        store = index.open_store(store_url)
        try:
            return store.count(source=["tiny"])
        finally:
            store.close()
    except Exception:  # the file may not exist yet
        return 0


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "interrupted"])
def test_stopped_crawl_resumes_without_loss_or_duplicates(tmp_path, stop):
    site = TinySite(TinyMarket(n_ads=N_ADS), ad_delay=0.05).start()
    try:
        dirs = crawl_dirs(tmp_path)
        jobdir = tmp_path / "job"
        profile = write_profile(tmp_path, site.base_url)
        settings = {**FAST, "ADSCAN_STORE_BATCH": 5, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}
        cmd = crawl_command(profile=profile, jobdir=jobdir, settings=settings, **dirs)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        try:
            while (
                _stored(dirs["store_url"]) < 10
                and time.monotonic() < deadline
                and proc.poll() is None
            ):
                time.sleep(0.05)
        finally:
            proc.send_signal(stop)
            proc.wait(timeout=30)
        before = _stored(dirs["store_url"])
        assert 10 <= before < N_ADS, f"the stop should land mid-run ({before} ads stored)"
        marker = json.loads((jobdir / "adscan-run.json").read_text())
        run_id = marker["run_id"]
        # Only a graceful stop gets to close (and so keep) Scrapy's request queue.
        assert marker.get("queue_closed", False) is (stop == signal.SIGINT)

        store = index.open_store(dirs["store_url"])
        stored_before = {
            ad["site_ad_id"] for ad in store.search(index.SearchQuery(size=100, sort="ad_id")).hits
        }
        fetched_before = {p: n for p, n in site.ad_requests().items()}

        resumed = run_crawl_subprocess(
            profile=profile, jobdir=jobdir, settings=settings, timeout=120, **dirs
        )
        assert resumed["finished_ok"] and resumed["run_id"] == run_id
        assert resumed["warc_file"].endswith("-2.warc.gz")  # a fresh WARC file for the resumed part

        hits = store.search(index.SearchQuery(size=100, sort="ad_id")).hits
        site_ids = [ad["site_ad_id"] for ad in hits]
        want = [f"a{i:03d}" for i in range(N_ADS)]
        assert sorted(site_ids) == want, (  # none lost, none twice
            f"lost {sorted(set(want) - set(site_ids))}, twice {[s for s in set(site_ids) if site_ids.count(s) > 1]}, "
            f"summary {resumed}"
        )
        assert all(ad["version"] == 1 for ad in hits)
        assert all(len(store.get_versions(ad["ad_id"])) == 1 for ad in hits)
        assert resumed["new"] == N_ADS - len(stored_before)
        # Ads stored before the kill are not fetched again.
        for site_id in stored_before:
            assert site.requests[f"/ad/{site_id}"] == fetched_before[f"/ad/{site_id}"] == 1
        store.close()
    finally:
        site.stop()


def test_resume_survives_a_queue_file_torn_by_a_hard_kill(tmp_path):
    """Scrapy's disk queues write their header only on close: a kill can leave
    empty queue files, on which Scrapy fails to queue anything. The resumed run
    starts again from the listings instead and stores every ad once."""
    site = TinySite(TinyMarket(n_ads=N_ADS)).start()
    try:
        dirs = crawl_dirs(tmp_path)
        jobdir = tmp_path / "job"
        profile = write_profile(tmp_path, site.base_url)
        slot = jobdir / "requests.queue" / _path_safe("127.0.0.1")
        slot.mkdir(parents=True)
        (jobdir / "requests.queue" / "active.json").write_text("{}")
        for priority in ("-10", "0"):  # listing pages and ad pages
            (slot / priority).write_bytes(b"")
        (jobdir / "adscan-run.json").write_text(
            json.dumps({"run_id": "tiny-killed", "started": "2026-11-01T10:00:00Z"})
        )
        log = tmp_path / "resume.log"
        summary = run_crawl_subprocess(
            profile=profile, jobdir=jobdir, settings=FAST, timeout=120, log_file=log, **dirs
        )
        assert summary["run_id"] == "tiny-killed" and summary["finished_ok"]
        assert summary["errors"] == 0, log.read_text()[-3000:]
        assert summary["new"] == N_ADS and summary["listings_complete"]
        assert _stored(dirs["store_url"]) == N_ADS
        assert "was killed before it could save its request queue" in log.read_text()
        assert not (jobdir / "adscan-run.json").exists()  # the run is finished now
    finally:
        site.stop()
