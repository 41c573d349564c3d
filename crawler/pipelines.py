"""Item pipelines: validate -> archive (WARC + images) -> store as pending in the ad store.

Each pipeline is built ``from_crawler``, raises ``NotConfigured`` to switch itself
off, and drops a bad item with ``DropItem(reason)`` after counting it under
``adscan/dropped/<reason>``.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.archive import WarcArchive
from crawler.images import ImageRejected, store_image
from crawler.items import AdItem
from crawler.spiders.profile import failure_reason
from crawler.state import close_resources, crawl_resources

logger = logging.getLogger(__name__)

#: Longest ad text kept, in characters; the rest is cut (a page is not a novel).
MAX_TEXT_CHARS = 50_000


def drop(crawler: Any, reason: str, detail: str = "") -> DropItem:
    """Count ``reason`` and return the DropItem to raise."""
    crawler.stats.inc_value(f"adscan/dropped/{reason}")
    return DropItem(f"{reason}: {detail}" if detail else reason, log_level="INFO")


def _garbled(text: str) -> bool:
    """True when a text is mostly replacement or control characters (binary, wrong codec)."""
    if not text:
        return False
    bad = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    )
    return bad / len(text) > 0.05


class ValidatePipeline:
    """Drop ads without a title or text, or whose text is garbled; tidy the rest."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: AdItem) -> AdItem:
        if item.get("kind") == "listed":
            return item
        title = item.get("title")
        text = item.get("text")
        if not isinstance(title, str) or not title.strip():
            raise drop(self.crawler, "missing_title", item.get("url", ""))
        if not isinstance(text, str) or not text.strip():
            raise drop(self.crawler, "missing_text", item.get("url", ""))
        if _garbled(title) or _garbled(text):
            raise drop(self.crawler, "bad_encoding", item.get("url", ""))
        item["title"] = " ".join(title.split())[:500]
        if len(text) > MAX_TEXT_CHARS:
            self.crawler.stats.inc_value("adscan/truncated/text")
            text = text[:MAX_TEXT_CHARS]
        item["text"] = text.strip()
        for key in ("city", "posted_at", "price_text", "site_ad_id"):
            value = item.get(key)
            item[key] = (
                " ".join(value.split())[:200] if isinstance(value, str) and value.strip() else None
            )
        return item


class ArchivePipeline:
    """Write the ad page to the run's WARC file and its photos to the image store.

    Image checks run in the reactor thread on purpose: on a worker thread the
    CPU-bound hashing starves the reactor of the GIL (measured: 2-3x slower).
    """

    def __init__(
        self, crawler: Any, archive_dir: str, image_dir: str, max_photos: int, max_pixels: int
    ):
        self.crawler = crawler
        self.archive_dir = archive_dir
        self.image_dir = image_dir
        self.max_photos = max_photos
        self.max_pixels = max_pixels
        self.warc: WarcArchive | None = None
        self._image_cache: dict[str, dict[str, Any] | None] = {}
        # Photos being downloaded now: ads that share one wait instead of fetching it again.
        self._image_waiters: dict[str, list[Deferred[dict[str, Any] | None]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        s = crawler.settings
        archive_dir, image_dir = s.get("ADSCAN_ARCHIVE_DIR"), s.get("ADSCAN_IMAGE_DIR")
        if not archive_dir or not image_dir:
            raise NotConfigured(
                "ADSCAN_ARCHIVE_DIR and ADSCAN_IMAGE_DIR are needed for the archive"
            )
        return cls(
            crawler,
            archive_dir,
            image_dir,
            s.getint("ADSCAN_MAX_PHOTOS", 20),
            s.getint("ADSCAN_MAX_IMAGE_PIXELS", 40_000_000),
        )

    def open_spider(self) -> None:
        spider = self.crawler.spider
        source = getattr(spider, "source", spider.name)
        self.warc = WarcArchive(self.archive_dir, source, spider.run_id)
        self.crawler.stats.set_value("adscan/warc_file", self.warc.relative_path)

    def close_spider(self) -> None:
        if self.warc is not None:
            self.warc.close()

    async def process_item(self, item: AdItem) -> AdItem:
        if item.get("kind") == "listed":
            return item
        from index import content_hash

        assert self.warc is not None
        resp = item.pop("response", None)
        if resp is not None:
            record_id = self.warc.write_response(
                resp["url"], resp["status"], resp["headers"], resp["body"]
            )
            item["evidence"] = {"warc_file": self.warc.relative_path, "warc_record_id": record_id}
        images = []
        seen: set[str] = set()
        for url in (item.pop("photo_urls", None) or [])[: self.max_photos]:
            info = await self._fetch_image(url)
            if info is not None and info["sha256"] not in seen:
                seen.add(info["sha256"])
                images.append(info)
        item["images"] = images
        item["content_hash"] = content_hash(
            item["title"], item["text"], [i["sha256"] for i in images]
        )
        return item

    async def _fetch_image(self, url: str) -> dict[str, Any] | None:
        if url in self._image_cache:
            return self._image_cache[url]
        waiters = self._image_waiters.get(url)
        if waiters is not None:
            waiting: Deferred[dict[str, Any] | None] = Deferred()
            waiters.append(waiting)
            return await maybe_deferred_to_future(waiting)
        self._image_waiters[url] = []
        info = None
        try:
            info = await self._download_image(url)
        finally:
            self._image_cache[url] = info
            for waiting in self._image_waiters.pop(url):
                waiting.callback(info)
        return info

    async def _download_image(self, url: str) -> dict[str, Any] | None:
        info = None
        try:
            response: Response = await self.crawler.engine.download_async(
                scrapy.Request(url, dont_filter=True)
            )
        except Exception as exc:
            from twisted.python.failure import Failure

            reason = failure_reason(Failure(exc))
            self.crawler.stats.inc_value(f"adscan/dropped/image_{reason}")
            logger.info("Photo dropped (%s): %s", reason, url)
        else:
            if response.status >= 400:
                self.crawler.stats.inc_value(
                    f"adscan/dropped/image_http_{response.status // 100}xx"
                )
            else:
                try:
                    info = store_image(self.image_dir, response.body, max_pixels=self.max_pixels)
                except ImageRejected as exc:
                    self.crawler.stats.inc_value(f"adscan/dropped/{exc.reason}")
                    logger.info("Photo dropped (%s): %s", exc, url)
                else:
                    assert self.warc is not None
                    headers = [
                        (k.decode("latin-1"), v.decode("latin-1"))
                        for k, vs in response.headers.items()
                        for v in vs
                    ]
                    self.warc.write_response(url, response.status, headers, response.body)
                    self.crawler.stats.inc_value("adscan/images_stored")
        return info


class StorePipeline:
    """Write observations to the ad store in small batches; mark vanished ads gone at the end."""

    def __init__(self, crawler: Any, batch_size: int):
        self.crawler = crawler
        self.batch_size = batch_size
        self.batch: list[AdItem] = []
        self.source: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        if not crawler.settings.get("ADSCAN_STORE_URL"):
            raise NotConfigured("ADSCAN_STORE_URL is not set")
        pipe = cls(crawler, crawler.settings.getint("ADSCAN_STORE_BATCH", 50))
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        return pipe

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.source = getattr(spider, "source", spider.name)
        crawl_resources(self.crawler, self.source)

    def process_item(self, item: AdItem) -> AdItem:
        self.batch.append(item)
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.batch:
            return
        from index.schema import OBSERVATION_FIELDS

        items, self.batch = self.batch, []
        res = crawl_resources(self.crawler, self.source or "")
        observations = [{k: item.get(k) for k in OBSERVATION_FIELDS} for item in items]
        result = res["store"].upsert_observations(observations)
        stats = self.crawler.stats
        for name, n in result.counts.items():
            if name == "failed":
                for ad_id, reason in result.failed:
                    logger.warning("Store refused ad %s: %s", ad_id, reason)
                    stats.inc_value("adscan/dropped/store_refused")
            elif n:
                stats.inc_value(f"adscan/{name}", n)
        failed = {ad_id for ad_id, _ in result.failed}
        res["state"].put(
            (item["ad_id"], item.get("listing_marker"), item["observed_at"])
            for item in items
            if item.get("kind") == "fetched" and item["ad_id"] not in failed
        )

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        try:
            self.flush()
            complete = bool(getattr(spider, "listings_complete", False)) and reason == "finished"
            self.crawler.stats.set_value("adscan/listings_complete", complete)
            if complete:
                res = crawl_resources(self.crawler, self.source or "")
                gone = res["store"].mark_gone(self.source, sorted(spider.seen_ad_ids))
                self.crawler.stats.set_value("adscan/gone", gone)
        finally:
            close_resources(self.crawler)
