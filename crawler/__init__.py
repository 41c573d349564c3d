"""The crawler: a Scrapy project (spiders, items, pipelines, settings) driven by
declarative site profiles, with the WARC evidence archive, the content-addressed
image store and the runner used by ``adscan crawl`` and the scheduler."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "CrawlFailed",
    "CrawlerError",
    "ProfileError",
    "SiteProfile",
    "find_profile",
    "image_path",
    "load_profile",
    "run_crawl_subprocess",
]

# Imported on first use so `import crawler.demo` does not pull in Scrapy.
_LAZY = {
    "CrawlFailed": "crawler.exceptions",
    "CrawlerError": "crawler.exceptions",
    "ProfileError": "crawler.exceptions",
    "SiteProfile": "crawler.profiles",
    "find_profile": "crawler.profiles",
    "load_profile": "crawler.profiles",
    "image_path": "crawler.images",
    "run_crawl_subprocess": "crawler.runner",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crawler' has no attribute {name!r}")
