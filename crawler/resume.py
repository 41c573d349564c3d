"""Resumed crawls skip ad pages the killed run already stored.

Scrapy keeps a crawl's pending requests in its JOBDIR. After a hard kill
(SIGKILL, power loss) the queue on disk can still hold requests the run had
already taken, fetched and stored, because the queue records what it handed
out only when it closes cleanly. On resume this downloader middleware drops an
ad-page request when the ad store already holds that ad as seen since the run
began, so a site is not asked twice for the same page in one run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.state import crawl_resources


class AlreadyStoredThisRun(IgnoreRequest):
    """The ad of this request was stored earlier in the same (resumed) run."""


class StoredThisRunFilter:
    """Downloader middleware, active when ``ADSCAN_RUN_RESUMED_FROM`` holds the run's first start."""

    def __init__(self, crawler: Any, started: datetime):
        self.crawler = crawler
        self.started = started

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoredThisRunFilter:
        value = crawler.settings.get("ADSCAN_RUN_RESUMED_FROM")
        if not value:
            raise NotConfigured("not a resumed run")
        return cls(crawler, _parse(value))

    def process_request(self, request: Any, spider: Any = None) -> None:
        ad_id = request.meta.get("ad_id")
        source = getattr(self.crawler.spider, "source", None)
        if not ad_id or not source:
            return None
        store = crawl_resources(self.crawler, source)["store"]
        for ad in store.get_ads([ad_id]):
            if _parse(ad.get("last_seen")) >= self.started:
                self.crawler.stats.inc_value("adscan/resume_skipped")
                raise AlreadyStoredThisRun(f"ad {ad_id} was stored earlier in this run")
        return None


def _parse(value: str | None) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=None)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
