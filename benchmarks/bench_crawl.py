"""Crawl throughput: the adscan crawler with every pipeline on vs a bare Scrapy spider.

Both crawl the same synthetic demo site (``crawler.demo``, served on 127.0.0.1)
in the same run, fetching the same listing pages, ad pages and photos, with no
delay and the same concurrency. ``python -m benchmarks.bench_crawl bare URL``
is the bare spider's subprocess entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import scrapy

SITE = "demo-velvet"
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
}
ROOT = Path(__file__).resolve().parent.parent


class BareSpider(scrapy.Spider):
    """Listing -> ad pages -> photos with the demo profile's selectors; yields plain dicts."""

    name = "bare"

    def __init__(self, base_url: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        from crawler.profiles import find_profile, load_profile

        self.profile = load_profile(find_profile(SITE)).with_base_url(base_url)

    async def start(self):
        for url in self.profile.absolute_start_urls():
            yield scrapy.Request(url, callback=self.parse_listing)

    def parse_listing(self, response):
        sel = self.profile.listing
        for node in response.css(sel["item"].css):
            link = sel["ad_link"].extract(node)
            if link:
                yield response.follow(link, callback=self.parse_ad)
        nxt = sel["next_page"].extract(response)
        if nxt:
            yield response.follow(nxt, callback=self.parse_listing)

    def parse_ad(self, response):
        fields = {key: s.extract(response) for key, s in self.profile.ad.items()}
        for photo in fields.get("photos") or []:
            yield response.follow(photo, callback=self.parse_photo)
        yield fields

    def parse_photo(self, response):
        return None


def _run_bare(base_url: str) -> None:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(
        {
            **SETTINGS,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
        }
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=base_url)
    process.start()
    stats = crawler.stats.get_stats()
    print(
        json.dumps(
            {
                "pages": stats.get("response_received_count", 0),
                "elapsed_s": stats.get("elapsed_time_seconds", 0.0),
            }
        )
    )


def _bare_subprocess(base_url: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_crawl", "bare", base_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def section() -> str:
    from crawler.demo import DemoMarket, DemoServer
    from crawler.profiles import find_profile
    from crawler.runner import run_crawl_subprocess

    quick = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
    n_ads = 150 if quick else 900
    rounds = 1 if quick else 2
    server = DemoServer(DemoMarket(seed=7, n_ads=n_ads)).start()
    rows = []
    try:
        base_url = server.base_urls[SITE]
        for _ in range(rounds):
            bare = _bare_subprocess(base_url)
            with tempfile.TemporaryDirectory() as tmp:
                full = run_crawl_subprocess(
                    find_profile(SITE),
                    base_url=base_url,
                    store_url=f"sqlite:///{tmp}/ads.db",
                    archive_dir=f"{tmp}/archive",
                    image_dir=f"{tmp}/images",
                    settings=SETTINGS,
                    timeout=600,
                )
            rows.append((bare, full))
    finally:
        server.stop()
    bare = max((b for b, _ in rows), key=lambda r: r["pages"] / r["elapsed_s"])
    full = max((f for _, f in rows), key=lambda r: r["pages"] / r["elapsed_s"])
    bare_rate = bare["pages"] / bare["elapsed_s"]
    full_rate = full["pages"] / full["elapsed_s"]
    ratio = full_rate / bare_rate
    lines = [
        "## Crawl throughput",
        "",
        f"Demo site `{SITE}` ({n_ads} ads in the market, about a third on this site) on 127.0.0.1, "
        f"no delay, 8 concurrent requests; best of {rounds} round(s). Full = adscan's spider with "
        "validate, WARC + image store (SHA-256, pHash) and SQLite store pipelines; bare = a plain "
        "Scrapy spider fetching the same listings, ad pages and photos.",
        "",
        "| crawler | pages | seconds | pages/s |",
        "|---|---:|---:|---:|",
        f"| bare Scrapy | {bare['pages']} | {bare['elapsed_s']:.2f} | {bare_rate:.1f} |",
        f"| adscan, all pipelines | {full['pages']} | {full['elapsed_s']:.2f} | {full_rate:.1f} |",
        "",
        f"Ratio full / bare: **{ratio:.2f}** (target >= 0.8). Ads stored: {full['new']}; "
        f"dropped: {full['dropped'] or 'none'}.",
        "",
        "Reproduce: `ADSCAN_BENCH_QUICK=1 .venv/bin/python -m benchmarks.run crawl` (quick) or "
        "`.venv/bin/python -m benchmarks.run crawl`.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "bare":
        _run_bare(sys.argv[2])
    else:
        print(section())
