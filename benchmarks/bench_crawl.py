"""Crawl throughput: the adscan crawler with every pipeline on vs a bare Scrapy spider.

Both crawl the same synthetic demo site (``crawler.demo``, served on 127.0.0.1)
in the same run, fetching the same listing pages, ad pages and photos, with no
delay and the same concurrency. ``python -m benchmarks.bench_crawl bare URL``
is the bare spider's subprocess entry point.
"""

from __future__ import annotations

import json
import os
import statistics
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


def _full_subprocess(base_url: str) -> dict[str, Any]:
    from crawler.profiles import find_profile
    from crawler.runner import run_crawl_subprocess

    with tempfile.TemporaryDirectory() as tmp:
        return run_crawl_subprocess(
            find_profile(SITE),
            base_url=base_url,
            store_url=f"sqlite:///{tmp}/ads.db",
            archive_dir=f"{tmp}/archive",
            image_dir=f"{tmp}/images",
            settings=SETTINGS,
            timeout=600,
        )


def _rate(run: dict[str, Any]) -> float:
    """Pages per second of one crawl: its own responses over its own engine time."""
    return run["pages"] / run["elapsed_s"]


def section() -> str:
    from crawler.demo import DemoMarket, DemoServer

    quick = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
    n_ads = 150 if quick else 900
    rounds = 4 if quick else 5  # a crawl of 150 ads takes ~2 s: fewer rounds are noise
    server = DemoServer(DemoMarket(seed=7, n_ads=n_ads)).start()
    pairs = []
    try:
        base_url = server.base_urls[SITE]
        # Interleaved (bare, full, bare, full, ...) so load from other work on the
        # machine falls on both alike; each pair gives one ratio.
        for _ in range(rounds):
            bare = _bare_subprocess(base_url)
            full = _full_subprocess(base_url)
            pairs.append((bare, full))
    finally:
        server.stop()
    ratios = [_rate(f) / _rate(b) for b, f in pairs]
    lines = [
        "## Crawl throughput",
        "",
        f"Demo site `{SITE}` ({n_ads} ads in the market, about a third on this site) on 127.0.0.1, "
        f"no delay, 8 concurrent requests; {rounds} interleaved rounds (bare, full, bare, "
        "full, ...). Full = adscan's spider with validate, WARC + image store (SHA-256, pHash) "
        "and SQLite store pipelines; bare = a plain Scrapy spider fetching the same listings, "
        "ad pages and photos. Pages = responses received (robots.txt, listings, ads, photos); "
        "seconds = the crawl engine's own elapsed time (process start-up not included); "
        "pages/s = pages / seconds of that row.",
        "",
        "| round | bare pages | bare s | bare pages/s | full pages | full s | full pages/s "
        "| full / bare |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, ((bare, full), ratio) in enumerate(zip(pairs, ratios, strict=True), 1):
        lines.append(
            f"| {i} | {bare['pages']} | {bare['elapsed_s']:.2f} | {_rate(bare):.1f} "
            f"| {full['pages']} | {full['elapsed_s']:.2f} | {_rate(full):.1f} | {ratio:.2f} |"
        )
    median = statistics.median(ratios)
    same = all(b["pages"] == f["pages"] for b, f in pairs)
    full = pairs[-1][1]
    lines += [
        "",
        f"Median ratio full / bare: **{median:.2f}** (target >= 0.8; min {min(ratios):.2f}, "
        f"max {max(ratios):.2f}). Median pages/s: bare "
        f"{statistics.median(_rate(b) for b, _ in pairs):.1f}, full "
        f"{statistics.median(_rate(f) for _, f in pairs):.1f}. Ads stored per full crawl: "
        f"{full['new']}; photos stored: {full['images_stored']}; dropped: "
        f"{full['dropped'] or 'none'}."
        + ("" if same else " NOTE: the two crawlers fetched different page counts."),
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
