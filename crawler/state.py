"""What the crawler remembers between runs beside the ad store: each ad's listing marker.

A listing's "updated" text (when the profile has one) tells whether an ad page
changed since we fetched it. It lives in a small SQLite file per source next
to the archive; the ad store stays the truth on which ads exist.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler


class CrawlState:
    """ad_id -> (listing marker, fetched_at) for one source."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS fetched (ad_id TEXT PRIMARY KEY, marker TEXT, fetched_at TEXT)"
        )
        self._db.commit()

    def get(self, ad_ids: Sequence[str]) -> dict[str, tuple[str | None, str]]:
        out: dict[str, tuple[str | None, str]] = {}
        ids = list(ad_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for ad_id, marker, fetched_at in self._db.execute(
                f"SELECT ad_id, marker, fetched_at FROM fetched WHERE ad_id IN ({marks})", chunk
            ):
                out[ad_id] = (marker, fetched_at)
        return out

    def put(self, rows: Iterable[tuple[str, str | None, str]]) -> None:
        self._db.executemany(
            "INSERT INTO fetched (ad_id, marker, fetched_at) VALUES (?, ?, ?) "
            "ON CONFLICT(ad_id) DO UPDATE SET marker=excluded.marker, fetched_at=excluded.fetched_at",
            list(rows),
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def crawl_resources(crawler: Crawler, source: str) -> dict[str, Any]:
    """The store and crawl state shared by the spider and the pipelines of one crawler."""
    res = getattr(crawler, "_adscan_resources", None)
    if res is None:
        from index import open_store

        store = open_store(crawler.settings.get("ADSCAN_STORE_URL"))
        store.setup()
        archive_dir = Path(crawler.settings.get("ADSCAN_ARCHIVE_DIR"))
        state = CrawlState(archive_dir / "state" / f"{source}.sqlite3")
        res = {"store": store, "state": state}
        crawler._adscan_resources = res  # type: ignore[attr-defined]
    return res


def close_resources(crawler: Crawler) -> None:
    res = getattr(crawler, "_adscan_resources", None)
    if res is not None:
        res["state"].close()
        res["store"].close()
        crawler._adscan_resources = None  # type: ignore[attr-defined]
