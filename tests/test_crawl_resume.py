"""A crawl killed mid-run (SIGKILL) resumes from its JOBDIR and neither loses nor duplicates ads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

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


def test_killed_crawl_resumes_without_loss_or_duplicates(tmp_path):
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
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        before = _stored(dirs["store_url"])
        assert 10 <= before < N_ADS, f"the kill should land mid-run ({before} ads stored)"
        run_id = json.loads((jobdir / "adscan-run.json").read_text())["run_id"]

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
