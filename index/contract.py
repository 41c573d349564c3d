"""The ad store contract: what the pipeline and the web app may ask of storage.

Every backend (``SqliteAdStore``, ``ElasticsearchAdStore``) implements
:class:`AdStore`; the contract test suite in ``tests/test_store_contract.py``
runs unchanged against each of them.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Identifier kinds that :meth:`AdStore.lookup` understands, and the ad
#: document field each one is read from.
LOOKUP_FIELDS: dict[str, str] = {
    "phone": "phones",
    "email": "emails",
    "handle": "handles",
    "image_sha256": "image_sha256",
    "phash_chunk": "phash_chunks",
    "text_band": "text_bands",
}

#: Review states of an ad. ``open`` is the default of every new ad.
REVIEW_STATUSES = ("open", "needs_info", "dismissed", "escalated")

#: Filters :class:`SearchQuery` accepts, with the kind of value each takes.
FILTERS: dict[str, str] = {
    "source": "keyword list",
    "city": "keyword list",
    "indicator_category": "keyword list",
    "indicator": "keyword list (indicator ids)",
    "ad_type": "keyword list",
    "review_status": "keyword list",
    "crawl_status": "keyword list",
    "processing": "keyword list",
    "cluster_id": "keyword list",
    "phone": "keyword list (E.164)",
    "flagged": "bool",
    "risk_min": "float",
    "risk_max": "float",
    "cluster_size_min": "int",
    "date_from": "ISO date or datetime, compared with last_seen",
    "date_to": "ISO date or datetime, compared with last_seen",
}

#: Fields :class:`SearchQuery` may sort on. Ties are broken in a fixed order the
#: backend chooses: by ``ad_id`` on Elasticsearch, by the order ads were first
#: stored on SQLite (so bulk writes append to its sort indexes).
SORT_FIELDS = ("risk", "last_seen", "first_seen", "cluster_size", "ad_id", "relevance")

#: Fields that term facets may be asked for.
FACET_FIELDS = (
    "source",
    "city",
    "ad_type",
    "indicator_categories",
    "review_status",
    "crawl_status",
    "risk_band",
)


@dataclass
class UpsertResult:
    """What a bulk write of observations did, ad by ad."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (ad_id, reason)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
        }


@dataclass
class SearchQuery:
    """A search over ads: optional full text, filters, sort and a page.

    ``search_after`` is the ``next_after`` of the previous page, opaque to the
    caller and only meaningful to the store that made it; it keeps deep pages
    correct and fast (no offsets).
    """

    text: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str = "risk"
    descending: bool = True
    size: int = 25
    search_after: list[Any] | None = None
    facets: Sequence[str] = ()
    facet_size: int = 20
    histogram: str | None = None  # "day" | "week" | "month" over last_seen


@dataclass
class SearchResult:
    """One page of a search, with the total, facets and histogram of the whole match set.

    Like Elasticsearch's ``hits.total.relation``, ``total_relation`` says whether
    ``total`` is exact (``"eq"``) or a lower bound (``"gte"``: at least that many
    ads match; a backend may stop counting a very large filtered match set).
    ``estimated`` is true when the facet and histogram counts were counted over a
    sample and scaled (estimates, not exact counts). ``relevance_blocks`` is true
    when a relevance sort over a very large match set ranked newer ads first in
    blocks and by relevance within each block (see the backend's documentation);
    pages still visit every match exactly once.
    """

    hits: list[dict[str, Any]]
    total: int
    next_after: list[Any] | None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    histogram: list[tuple[str, int]] = field(default_factory=list)
    total_relation: str = "eq"  # "eq" | "gte"
    estimated: bool = False
    relevance_blocks: bool = False


class AdStore(abc.ABC):
    """Storage of ads, their versions and clusters.

    Ad documents are dicts; :mod:`index.schema` documents every field.
    All writes are idempotent upserts keyed by ``ad_id`` / ``cluster_id``.
    """

    url: str

    # -- lifecycle -----------------------------------------------------
    @abc.abstractmethod
    def setup(self) -> None:
        """Create tables / index templates; safe to call on every start."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> AdStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- observations --------------------------------------------------
    @abc.abstractmethod
    def upsert_observations(self, observations: Iterable[dict[str, Any]]) -> UpsertResult:
        """Write crawled observations (see :data:`index.schema.OBSERVATION_FIELDS`).

        A new ad is stored with ``processing="pending"``. A known ad whose
        ``content_hash`` is unchanged only moves ``last_seen`` (and becomes
        ``crawl_status="active"`` again). A changed one gets a new version
        (old text kept in :meth:`get_versions`), ``processing="pending"``,
        and ``changed_since_review=True`` when it had been reviewed.
        """

    @abc.abstractmethod
    def mark_gone(self, source: str, seen_ad_ids: Iterable[str]) -> int:
        """Mark active ads of ``source`` not in ``seen_ad_ids`` as gone; return count."""

    @abc.abstractmethod
    def get_ad(self, ad_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    def get_ads(self, ad_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Ads in the order asked; unknown ids are left out."""

    @abc.abstractmethod
    def get_versions(self, ad_id: str) -> list[dict[str, Any]]:
        """All versions of an ad, oldest first."""

    # -- pending queue -------------------------------------------------
    @abc.abstractmethod
    def claim_pending(
        self, limit: int, worker: str = "worker", lease_seconds: int = 600
    ) -> list[dict[str, Any]]:
        """Claim up to ``limit`` pending ads for ``lease_seconds``.

        A claim that is not completed by :meth:`write_enrichments` expires and
        the ads are claimed again, so a crashed batch is never lost.
        """

    @abc.abstractmethod
    def write_enrichments(self, enrichments: Iterable[dict[str, Any]]) -> int:
        """Write the processing stage's results and set ``processing="done"``.

        Each item holds ``ad_id``, ``version`` (the version that was
        processed; a stale one leaves the ad pending) and any of the
        enrichment fields of :data:`index.schema.ENRICHMENT_FIELDS`.
        """

    # -- identifiers and clusters --------------------------------------
    @abc.abstractmethod
    def lookup(self, kind: str, keys: Iterable[str]) -> dict[str, list[tuple[str, str | None]]]:
        """Exact lookup: key -> [(ad_id, cluster_id), ...] for ``kind`` in :data:`LOOKUP_FIELDS`."""

    @abc.abstractmethod
    def key_counts(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        """How many ads carry each key (for frequency caps on weak links)."""

    @abc.abstractmethod
    def set_clusters(self, assignments: dict[str, str]) -> int:
        """Set ``cluster_id`` of ads: {ad_id: cluster_id}."""

    @abc.abstractmethod
    def reassign_cluster(self, old_ids: Iterable[str], new_id: str) -> int:
        """Move every ad of clusters ``old_ids`` to ``new_id``; return count."""

    @abc.abstractmethod
    def cluster_members(self, cluster_id: str) -> list[str]: ...

    @abc.abstractmethod
    def upsert_clusters(self, clusters: Iterable[dict[str, Any]]) -> int:
        """Write cluster documents (see :data:`index.schema.CLUSTER_FIELDS`) and
        the ``cluster_size`` of their member ads."""

    @abc.abstractmethod
    def get_cluster(self, cluster_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    def delete_clusters(self, cluster_ids: Iterable[str]) -> int: ...

    @abc.abstractmethod
    def list_clusters(
        self,
        sort: str = "size",
        descending: bool = True,
        size: int = 25,
        search_after: list[Any] | None = None,
        min_size: int = 2,
    ) -> tuple[list[dict[str, Any]], list[Any] | None]:
        """Clusters sorted by ``size``, ``risk_max``, ``n_cities``, ``last_seen``
        or ``growth``; returns (page, next_after)."""

    # -- search and review ---------------------------------------------
    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abc.abstractmethod
    def count(self, **filters: Any) -> int: ...

    @abc.abstractmethod
    def set_review_status(self, ad_ids: Iterable[str], status: str) -> int:
        """Mirror review decisions (the relational DB holds the truth)."""

    # -- retention and stats -------------------------------------------
    @abc.abstractmethod
    def purge_candidates(self, last_seen_before: str, limit: int = 1000) -> list[str]:
        """Ads last seen before the ISO time that were never flagged and whose
        review status is ``open`` or ``dismissed``."""

    @abc.abstractmethod
    def delete_ads(self, ad_ids: Iterable[str]) -> int:
        """Delete ads with their versions; returns how many went."""

    def optimize(self) -> dict[str, Any]:
        """Compact the store's indexes after bulk loads (run nightly; safe any time,
        readers keep working). Returns what was done; backends that compact
        themselves return an empty report."""
        return {}

    @abc.abstractmethod
    def stats(self) -> dict[str, Any]:
        """Counts: ads, pending, done, flagged, gone, clusters, by source."""
