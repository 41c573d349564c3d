"""The ad store: one contract (:class:`AdStore`) with an embedded SQLite and an
Elasticsearch backend, and the document schema of ads and clusters."""

from index.contract import AdStore, SearchQuery, SearchResult, UpsertResult
from index.exceptions import (
    BulkWriteError,
    IndexError_,
    StoreConfigError,
    StoreUnavailable,
    UnknownFieldError,
)
from index.schema import content_hash, make_ad_id, risk_band
from index.stores import open_store

__all__ = [
    "AdStore",
    "BulkWriteError",
    "IndexError_",
    "SearchQuery",
    "SearchResult",
    "StoreConfigError",
    "StoreUnavailable",
    "UnknownFieldError",
    "UpsertResult",
    "content_hash",
    "make_ad_id",
    "open_store",
    "risk_band",
]
