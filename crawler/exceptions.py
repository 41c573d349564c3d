"""Errors of the crawler.

CrawlerError
 ├── ProfileError     a site profile is missing, unreadable or invalid
 └── CrawlFailed      a crawl subprocess died or printed no summary
"""

from __future__ import annotations


class CrawlerError(Exception):
    """Base of every crawler error."""


class ProfileError(CrawlerError):
    """A site profile is missing, unreadable or does not match the schema."""


class CrawlFailed(CrawlerError):
    """A crawl run did not finish with a summary; ``log_tail`` holds its last log lines."""

    def __init__(self, message: str, log_tail: str = ""):
        super().__init__(message)
        self.log_tail = log_tail
