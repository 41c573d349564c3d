"""The generic spider: crawls any ordinary ad site its :class:`SiteProfile` describes.

``scrapy crawl profile -a profile=FILE.yaml [-a base_url=URL]`` runs a profile
file; ``scrapy crawl <source>`` runs a profile from ``crawler/profiles/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import AdItem
from crawler.login import (
    LoginFailed,
    check_logged_in,
    credentials,
    form_request,
    is_login_form,
    login_url,
)
from crawler.profiles import SiteProfile, load_profile
from crawler.state import crawl_resources

_OBS_FIELDS = (
    "site_ad_id",
    "url",
    "title",
    "text",
    "city",
    "posted_at",
    "price_text",
    "images",
    "evidence",
)


def canonical_url(url: str) -> str:
    """The URL without its fragment (the part a site can't see)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_reason(failure: Failure) -> str:
    """The stats key for a request that failed (``http_5xx``, ``too_large``, ``redirect_loop``...)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status // 100}xx"
    msg = str(exc)
    if isinstance(exc, IgnoreRequest):
        if "max redirections" in msg:
            return "redirect_loop"
        if "decompression" in msg.lower():
            return "decompression_bomb"
        return "ignored"
    name = type(exc).__name__
    if "Cancelled" in name or "maxsize" in msg or "max size" in msg:
        return "too_large"
    if "Timeout" in name:
        return "timeout"
    if "DNS" in name or "Connection" in name or "Resolve" in name:
        return "connection_error"
    if "DataLoss" in name:
        return "data_loss"
    return "download_error"


#: Debian's Chromium; adscan never downloads a browser (no ``playwright install``).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def skip_heavy_resources(request: Any) -> bool:
    """Playwright request filter: the browser skips images, media and fonts.

    Photos are fetched once by the archive pipeline; the browser fetching them
    too would double the load on the advertiser's server.
    """
    return request.resource_type in {"image", "media", "font"}


def browser_settings(max_pages: int) -> dict[str, Any]:
    """Scrapy settings that send ``meta={"playwright": True}`` requests through Chromium.

    Only a source with ``javascript: true`` gets them; other requests of that
    crawl (robots.txt, photos) still use Scrapy's own downloader.
    """
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS)},
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max_pages,
        "PLAYWRIGHT_ABORT_REQUEST": skip_heavy_resources,
    }


class ProfileSpider(scrapy.Spider):
    """Listing pages -> ad pages -> :class:`AdItem`, as the profile's selectors say."""

    name = "profile"
    #: Set on the per-source subclasses made from ``crawler/profiles/*.yaml``.
    profile_path: str | None = None

    def __init__(self, profile: str | None = None, base_url: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        path = profile or self.profile_path
        if not path:
            raise ValueError(
                "The generic spider needs a profile: scrapy crawl profile -a profile=FILE.yaml"
            )
        self.profile: SiteProfile = load_profile(path).with_base_url(base_url)
        self.source = self.profile.name
        self.seen_ad_ids: set[str] = set()
        self.listing_pages_visited: set[str] = set()
        self.listings_pending: set[str] = set()
        self.listings_failed = 0
        self.requested_ads: set[str] = set()
        self.run_id = ""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ProfileSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        prof = spider.profile
        pol = prof.politeness
        s = crawler.settings
        # Profile values sit at "spider" priority: a command-line -s still wins.
        s.set("DOWNLOAD_DELAY", pol.download_delay, priority="spider")
        s.set("CONCURRENT_REQUESTS_PER_DOMAIN", pol.concurrency, priority="spider")
        s.set("ROBOTSTXT_OBEY", pol.obey_robots, priority="spider")
        if pol.download_delay == 0:
            s.set("AUTOTHROTTLE_START_DELAY", 0, priority="spider")
        if prof.user_agent:
            s.set("USER_AGENT", prof.user_agent, priority="spider")
        if prof.javascript:
            for key, value in browser_settings(pol.concurrency).items():
                s.set(key, value, priority="spider")
        spider.run_id = s.get("ADSCAN_RUN_ID") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return spider

    # -- start and login -------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        if self.profile.login is not None:
            try:
                await self._log_in()
            except LoginFailed as exc:
                self.crawler.stats.inc_value("adscan/login/failed")
                self.logger.error("%s", exc)
                raise CloseSpider(str(exc)) from None
            self.crawler.stats.inc_value("adscan/login/ok")
        for request in self._start_listing_requests():
            yield request

    async def _log_in(self) -> None:
        """Post the login form through the downloader (cookies, redirects, robots apply)."""
        login = self.profile.login
        assert login is not None
        user, password = credentials(login)
        url = login_url(self.profile.base_url, login)
        engine = self.crawler.engine
        try:
            page = await engine.download_async(scrapy.Request(url, dont_filter=True))
            request = form_request(page, login, user, password)
            after = await engine.download_async(request)
        except LoginFailed:
            raise
        except Exception as exc:
            raise LoginFailed(
                f"login_failed: the login at {url} could not be fetched "
                f"({failure_reason(Failure(exc))}); check login.url and the site"
            ) from None
        check_logged_in(after, login)

    def _start_listing_requests(self) -> list[scrapy.Request]:
        return [self._listing_request(url) for url in self.profile.absolute_start_urls()]

    def _listing_request(self, url: str) -> scrapy.Request:
        self.listing_pages_visited.add(canonical_url(url))
        self.listings_pending.add(canonical_url(url))
        # Listings are fetched on every run and again after a resume (dont_filter).
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.on_listing_error,
            dont_filter=True,
            meta={
                "listing_key": canonical_url(url),
                **({"playwright": True} if self.profile.javascript else {}),
            },
            priority=10,
        )

    # -- listings --------------------------------------------------------
    def parse_listing(self, response: Response) -> Any:
        self.listings_pending.discard(response.meta.get("listing_key", ""))
        self.crawler.stats.inc_value("adscan/listing_pages")
        if not isinstance(response, TextResponse):
            self.listings_failed += 1
            self._drop("not_html")
            return
        if self._session_lost(response):
            self.listings_failed += 1
            return
        sel = self.profile.listing
        entries = []
        for node in (
            response.css(sel["item"].css)
            if sel["item"].css
            else response.xpath(sel["item"].xpath or "")
        ):
            link = sel["ad_link"].extract(node)
            if not link or not isinstance(link, str):
                self._drop("listing_entry_without_link")
                continue
            url = canonical_url(response.urljoin(link))
            site_id = sel["site_ad_id"].extract(node) if "site_ad_id" in sel else None
            marker = sel["updated"].extract(node) if "updated" in sel else None
            from index import make_ad_id

            ad_id = make_ad_id(self.source, site_id if isinstance(site_id, str) else None, url)
            entries.append((ad_id, url, site_id, marker))

        yield from self._decide(entries)

        if "next_page" in sel:
            nxt = sel["next_page"].extract(response)
            if isinstance(nxt, str) and nxt:
                url = response.urljoin(nxt)
                if canonical_url(url) not in self.listing_pages_visited:
                    yield self._listing_request(url)

    def _decide(self, entries: list[tuple[str, str, Any, Any]]) -> Any:
        """Fetch new and due ads; re-send the stored content of the others."""
        if not entries:
            return
        res = crawl_resources(self.crawler, self.source)
        ids = [e[0] for e in entries]
        stored = {ad["ad_id"]: ad for ad in res["store"].get_ads(ids)}
        state = res["state"].get(ids)
        horizon = datetime.now(UTC) - timedelta(hours=self.profile.recrawl_after_hours)
        for ad_id, url, site_id, marker in entries:
            if ad_id in self.seen_ad_ids:
                continue
            self.seen_ad_ids.add(ad_id)
            self.crawler.stats.inc_value("adscan/ads_seen")
            ad = stored.get(ad_id)
            known = state.get(ad_id)
            due = (
                ad is None
                or known is None
                or (marker is not None and marker != known[0])
                or _parse_time(known[1]) < horizon
            )
            if due:
                if url in self.requested_ads:
                    continue
                self.requested_ads.add(url)
                yield scrapy.Request(
                    url,
                    callback=self.parse_ad,
                    errback=self.on_ad_error,
                    dont_filter=True,
                    meta={
                        "ad_id": ad_id,
                        "listing_site_id": site_id,
                        "listing_marker": marker,
                        **({"playwright": True} if self.profile.javascript else {}),
                    },
                )
            else:
                self.crawler.stats.inc_value("adscan/not_due")
                yield self._listed_item(ad_id, ad or {}, marker)

    def _listed_item(self, ad_id: str, ad: dict[str, Any], marker: Any) -> AdItem:
        from index import content_hash

        item = AdItem(
            kind="listed",
            ad_id=ad_id,
            source=self.source,
            phone_region=ad.get("phone_region") or self.profile.phone_region,
            observed_at=now_iso(),
            crawl_run=self.run_id,
            listing_marker=marker,
        )
        for key in _OBS_FIELDS:
            item[key] = ad.get(key)
        item["images"] = ad.get("images") or []
        item["content_hash"] = ad.get("content_hash") or content_hash(
            ad.get("title") or "", ad.get("text") or "", [i["sha256"] for i in item["images"]]
        )
        return item

    # -- ad pages --------------------------------------------------------
    def parse_ad(self, response: Response) -> Any:
        if not isinstance(response, TextResponse):
            self._drop("not_html")
            return
        if self._session_lost(response):
            return
        text_response, repaired = repair_encoding(response)
        if repaired:
            self.crawler.stats.inc_value("adscan/repaired/encoding")
        fields = {}
        for key, selector in self.profile.ad.items():
            fields[key] = selector.extract(text_response)
        site_id = response.meta.get("listing_site_id") or fields.get("site_ad_id")
        text = fields.get("text") or ""
        phone = fields.get("phone")
        if phone and isinstance(phone, str) and phone not in text:
            text = f"{text}\n{phone}" if text else phone
        photos = fields.get("photos") or []
        if isinstance(photos, str):
            photos = [photos]
        item = AdItem(
            kind="fetched",
            ad_id=response.meta["ad_id"],
            source=self.source,
            site_ad_id=site_id if isinstance(site_id, str) else None,
            url=canonical_url(response.url),
            title=fields.get("title"),
            text=text,
            city=fields.get("city"),
            posted_at=fields.get("date"),
            price_text=fields.get("price"),
            phone_region=self.profile.phone_region,
            photo_urls=[response.urljoin(p) for p in photos],
            observed_at=now_iso(),
            crawl_run=self.run_id,
            listing_marker=response.meta.get("listing_marker"),
            response={
                "url": response.url,
                "status": response.status,
                "headers": [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, vs in response.headers.items()
                    for v in vs
                ],
                "body": response.body,
            },
        )
        yield item

    # -- failures --------------------------------------------------------
    def _session_lost(self, response: Response) -> bool:
        """A source behind a login that shows its login form again: the session ran out."""
        login = self.profile.login
        if login is None or not is_login_form(response, login):
            return False
        self._drop("login_required")
        self.logger.warning("Login form instead of content (session lost?): %s", response.url)
        return True

    def _drop(self, reason: str) -> None:
        self.crawler.stats.inc_value(f"adscan/dropped/{reason}")

    def on_listing_error(self, failure: Failure) -> None:
        self.listings_pending.discard(failure.request.meta.get("listing_key", ""))  # type: ignore[attr-defined]
        self.listings_failed += 1
        reason = failure_reason(failure)
        self._drop(reason)
        self.logger.warning("Listing page failed (%s): %s", reason, failure.request.url)  # type: ignore[attr-defined]

    def on_ad_error(self, failure: Failure) -> None:
        from crawler.resume import AlreadyStoredThisRun

        if isinstance(failure.value, AlreadyStoredThisRun):
            return  # counted as adscan/resume_skipped; the ad is stored
        reason = failure_reason(failure)
        self._drop(reason)
        self.logger.warning("Ad page dropped (%s): %s", reason, failure.request.url)  # type: ignore[attr-defined]

    @property
    def listings_complete(self) -> bool:
        """Every listing page was fetched and parsed (so absent ads are really gone)."""
        return not self.listings_pending and self.listings_failed == 0


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def repair_encoding(response: TextResponse) -> tuple[TextResponse, bool]:
    """A page that declares one encoding but is in another decodes with U+FFFD;
    re-decode it as the encoding that fits (UTF-8, else Windows-1252)."""
    try:
        text = response.text
    except Exception:
        text = "\ufffd"
    if "\ufffd" not in text:
        return response, False
    body = response.body
    for enc in ("utf-8", "cp1252", "latin-1"):
        try:
            decoded = body.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\ufffd" not in decoded or enc == "latin-1":
            if enc == response.encoding.lower().replace("_", "-"):
                return response, False
            return response.replace(body=decoded.encode("utf-8"), encoding="utf-8"), True
    return response, False
