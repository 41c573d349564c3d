"""Pick an ad store backend from its URL (``ADSCAN_INDEX_URL``)."""

from __future__ import annotations

from index.contract import AdStore
from index.exceptions import StoreConfigError

EXPECTED = "sqlite:///path/to/ads.db, http(s)://host:9200 or opensearch+http(s)://host:port"


def open_store(url: str, **options: object) -> AdStore:
    """Return the store the URL names; nothing is created until ``setup()``.

    ``sqlite:///relative/ads.db`` and ``sqlite:////absolute/ads.db`` (three
    slashes, then the path) open the embedded SQLite store;
    ``http(s)://host:9200`` an Elasticsearch 8/9 cluster;
    ``opensearch+http(s)://host:port`` an OpenSearch-compatible server.
    ``options`` go to the backend's constructor (e.g. ``prefix`` for
    Elasticsearch index names).
    """
    text = str(url or "").strip()
    if text.startswith("sqlite:///") and len(text) > len("sqlite:///"):
        from index.sqlite_store import SqliteAdStore

        return SqliteAdStore(text, **options)  # type: ignore[arg-type]
    for scheme in ("http://", "https://", "opensearch+http://", "opensearch+https://"):
        if text.startswith(scheme) and len(text) > len(scheme):
            from index.es_store import ElasticsearchAdStore

            return ElasticsearchAdStore(text, **options)  # type: ignore[arg-type]
    raise StoreConfigError(f"Setting ADSCAN_INDEX_URL has value {url!r}; expected {EXPECTED}")
