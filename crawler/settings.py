"""Scrapy settings of the adscan crawler (``scrapy crawl`` reads these via scrapy.cfg).

The ``ADSCAN_*`` settings are set by :mod:`crawler.runner` from its arguments;
under a bare ``scrapy crawl`` they fall back to ``ADSCAN_*`` environment
variables and then to ``var/`` in the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

BOT_NAME = "adscan"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

_HOME = Path(os.environ.get("ADSCAN_HOME", Path.cwd() / "var"))
ADSCAN_STORE_URL = os.environ.get("ADSCAN_INDEX_URL", f"sqlite:///{_HOME / 'ads.db'}")
ADSCAN_ARCHIVE_DIR = os.environ.get("ADSCAN_ARCHIVE_DIR", str(_HOME / "archive"))
ADSCAN_IMAGE_DIR = os.environ.get("ADSCAN_IMAGE_DIR", str(_HOME / "images"))
ADSCAN_RUN_ID = os.environ.get("ADSCAN_RUN_ID", "")
#: Observations written to the store per batch (a killed crawl keeps what it stored).
ADSCAN_STORE_BATCH = 50
#: Images per ad that are downloaded at most.
ADSCAN_MAX_PHOTOS = 20
ADSCAN_MAX_IMAGE_PIXELS = 40_000_000
ADSCAN_CRAWL_CONTACT = os.environ.get("ADSCAN_CRAWL_CONTACT", "")

# An honest user agent; a profile may set its own.
USER_AGENT = "adscan/0.1 (+{})".format(
    ADSCAN_CRAWL_CONTACT or "research crawler; operator contact not configured"
)
ROBOTSTXT_OBEY = True

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
DOWNLOAD_DELAY = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4

# Bad input: oversized pages and compressed bombs are cut at this size.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 1
COOKIES_ENABLED = True

# Resumed runs only (crawler.runner sets ADSCAN_RUN_RESUMED_FROM): skip ad pages
# the killed run already stored.
DOWNLOADER_MIDDLEWARES = {"crawler.resume.StoredThisRunFilter": 50}

ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.ArchivePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}

TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
