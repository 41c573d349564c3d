"""The ad store on Elasticsearch (or an OpenSearch-compatible server).

Writes use ``refresh="wait_for"`` by default so that what was written is
searchable when the call returns (the pending queue and lookups depend on it);
``?refresh=false`` in the URL trades that for bulk-load speed.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import NotFoundError, helpers

from index import es_schema
from index.contract import (
    FACET_FIELDS,
    FILTERS,
    LOOKUP_FIELDS,
    REVIEW_STATUSES,
    SORT_FIELDS,
    AdStore,
    SearchQuery,
    SearchResult,
    UpsertResult,
)
from index.es_client import ClientSettings
from index.exceptions import (
    BulkWriteError,
    StoreConfigError,
    StoreUnavailable,
    UnknownFieldError,
)
from index.schema import (
    HIT_EXCLUDED_FIELDS,
    indicator_ids,
    now_iso,
    prepare_enrichment,
    prepare_observation,
    utc_iso,
)
from index.textquery import TOKEN

F = TypeVar("F", bound=Callable[..., Any])

INTERNAL_FIELDS = ("claimed_by", "claimed_until", "indicator_ids")
NEW_AD_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "crawl_status": "active",
    "processing": "pending",
    "review_status": "open",
    "changed_since_review": False,
    "cluster_id": None,
    "cluster_size": 1,
    "ad_type": None,
    "risk": None,
    "risk_band": "unknown",
    "flagged": False,
    "processed_at": None,
    "phones": [],
    "emails": [],
    "handles": [],
    "extracted": {},
    "indicators": [],
    "indicator_categories": [],
    "indicator_ids": [],
    "risk_explanation": [],
    "phash_chunks": [],
    "text_bands": [],
    "claimed_by": None,
    "claimed_until": None,
}
KEYWORD_FILTERS = {
    "source": "source",
    "city": "city",
    "ad_type": "ad_type",
    "review_status": "review_status",
    "crawl_status": "crawl_status",
    "processing": "processing",
    "cluster_id": "cluster_id",
    "indicator": "indicator_ids",
    "indicator_category": "indicator_categories",
    "phone": "phones",
}
SORTS: dict[str, dict[str, dict[str, Any]]] = {
    "risk": {"risk": {"missing": -1}},
    "last_seen": {"last_seen": {}},
    "first_seen": {"first_seen": {}},
    "cluster_size": {"cluster_size": {}},
    "ad_id": {"ad_id": {}},
    "relevance": {"_score": {}},
}
TEXT_FIELDS = ["title^2", "text", "title.nl^2", "text.nl", "title.en^2", "text.en"]
SPECIAL = re.compile(r'[+\-=&|><!(){}\[\]^"~*?:\\/]')
CLUSTER_SORTS = ("size", "risk_max", "n_cities", "last_seen", "growth")
PAGE = 1000


def simple_query(text: str) -> str | None:
    """The search box syntax (words AND-ed, "phrases", prefix*, OR) as a
    ``simple_query_string``; ``None`` when nothing searchable is left."""
    parts: list[str] = []
    for phrase, word in TOKEN.findall(text or ""):
        if word == "OR":
            if parts and parts[-1] != "|":
                parts.append("|")
            continue
        prefix = bool(word) and word.endswith("*")
        term = SPECIAL.sub(" ", phrase or word).strip()
        if not any(ch.isalnum() for ch in term):
            continue
        if phrase:
            parts.append(f'"{term}"')
        else:
            parts.extend(w + ("*" if prefix else "") for w in term.split())
    while parts and parts[-1] == "|":
        parts.pop()
    return " ".join(parts) or None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reason(info: dict[str, Any]) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        caused = error.get("caused_by") or {}
        text = f"{error.get('type')}: {error.get('reason')}"
        if caused.get("reason"):
            text += f" ({caused.get('reason')})"
        return text
    return str(error or info.get("status"))


def _guard(method: F) -> F:
    """Turn 'cannot reach the server (after retries)' into one clear StoreUnavailable."""

    @functools.wraps(method)
    def wrapper(self: ElasticsearchAdStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise StoreUnavailable(
                f"The ad store at {self.settings.display} cannot be reached after "
                f"{self.settings.retries + 1} tries ({type(exc).__name__}); start the search "
                "server or point ADSCAN_INDEX_URL at one that runs."
            ) from exc
        except NotFoundError as exc:
            if exc.error != "index_not_found_exception":
                raise
            raise StoreConfigError(
                f"The ad store at {self.settings.display} has no indices under the prefix "
                f"{self.settings.prefix!r}; run `adscan index setup` first."
            ) from exc

    return wrapper  # type: ignore[return-value]


class ElasticsearchAdStore(AdStore):
    """The ad store on Elasticsearch 8/9 (``http(s)://``) or an OpenSearch-compatible
    server (``opensearch+http(s)://``)."""

    def __init__(self, url: str, **client_options: Any):
        self.url = url
        self.settings = ClientSettings(url)
        self.client = self.settings.client(**client_options)
        prefix = self.settings.prefix
        self.ads = es_schema.alias_name(prefix, "ads")
        self.versions = es_schema.alias_name(prefix, "versions")
        self.clusters = es_schema.alias_name(prefix, "clusters")
        self.refresh = self.settings.refresh

    # -- lifecycle -----------------------------------------------------
    @_guard
    def setup(self) -> None:
        self.setup_report = es_schema.setup(self.client, self.settings.prefix)

    @_guard
    def migrate(self, delete_old: bool = False) -> dict[str, Any]:
        """Reindex into new index generations and flip the aliases."""
        return es_schema.migrate(self.client, self.settings.prefix, delete_old=delete_old)

    def close(self) -> None:
        self.client.close()

    # -- helpers -------------------------------------------------------
    def _bulk(self, actions: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
        """Run bulk actions; return (op, id, reason) of every refused item."""
        failures = []
        for ok, info in helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=500,
            raise_on_error=False,
            max_retries=3,
            initial_backoff=0.5,
            refresh=self.refresh,
        ):
            if not ok:
                op, item = next(iter(info.items()))
                failures.append((op, str(item.get("_id")), _reason(item)))
        return failures

    def _public(self, source: dict[str, Any], exclude: Sequence[str] = ()) -> dict[str, Any]:
        doc = {k: v for k, v in source.items() if k not in INTERNAL_FIELDS and k not in exclude}
        for name, default in NEW_AD_DEFAULTS.items():
            if name not in INTERNAL_FIELDS and name not in exclude:
                doc.setdefault(name, default)
        return doc

    def _scan(
        self, index: str, query: dict[str, Any], sort_field: str, source: Any = True
    ) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            kwargs: dict[str, Any] = {}
            if after is not None:
                kwargs["search_after"] = after
            hits = self.client.search(
                index=index,
                query=query,
                sort=[{sort_field: "asc"}],
                size=PAGE,
                source=source,
                **kwargs,
            )["hits"]["hits"]
            yield from hits
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def _mget(self, index: str, ids: Sequence[str], **kwargs: Any) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in _chunks(list(ids), 1000):
            for doc in self.client.mget(index=index, ids=list(part), **kwargs)["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = doc
        return found

    # -- observations --------------------------------------------------
    @_guard
    def upsert_observations(self, observations: Iterable[dict[str, Any]]) -> UpsertResult:
        result = UpsertResult()
        batch: list[dict[str, Any]] = []
        for obs in observations:
            try:
                batch.append(prepare_observation(obs))
            except (ValueError, TypeError, KeyError) as exc:
                ad_id = obs.get("ad_id") if isinstance(obs, dict) else None
                result.failed.append((str(ad_id or "?"), str(exc)))
                continue
            if len(batch) >= 500:
                self._upsert_chunk(batch, result)
                batch = []
        if batch:
            self._upsert_chunk(batch, result)
        return result

    def _upsert_chunk(self, batch: list[dict[str, Any]], result: UpsertResult) -> None:
        known = {
            ad_id: hit["_source"]
            for ad_id, hit in self._mget(
                self.ads,
                list({d["ad_id"] for d in batch}),
                source_includes=[
                    "content_hash",
                    "version",
                    "review_status",
                    "changed_since_review",
                    "first_seen",
                    "last_seen",
                ],
            ).items()
        }
        version_actions: list[dict[str, Any]] = []
        ad_actions: list[dict[str, Any]] = []
        outcome: list[tuple[str, str]] = []
        for doc in batch:
            ad_id, seen = doc["ad_id"], doc["observed_at"]
            old = known.get(ad_id)
            if old is None:
                source = {**NEW_AD_DEFAULTS, **doc, "first_seen": seen, "last_seen": seen}
                ad_actions.append(
                    {"_op_type": "index", "_index": self.ads, "_id": ad_id, "_source": source}
                )
                version_actions.append(self._version_action(doc, 1))
                known[ad_id] = {
                    "content_hash": doc["content_hash"],
                    "version": 1,
                    "review_status": "open",
                    "changed_since_review": False,
                    "first_seen": seen,
                    "last_seen": seen,
                }
                outcome.append(("new", ad_id))
            elif old["content_hash"] == doc["content_hash"]:
                update = {
                    "last_seen": max(old["last_seen"], seen),
                    "first_seen": min(old["first_seen"], seen),
                    "observed_at": seen,
                    "crawl_status": "active",
                }
                if doc["crawl_run"]:
                    update["crawl_run"] = doc["crawl_run"]
                old.update(update)
                ad_actions.append(
                    {"_op_type": "update", "_index": self.ads, "_id": ad_id, "doc": update}
                )
                outcome.append(("unchanged", ad_id))
            else:
                version = int(old["version"]) + 1
                reviewed = old["review_status"] != "open" or bool(old["changed_since_review"])
                update = {
                    name: doc[name]
                    for name in doc
                    if name not in ("ad_id", "source", "site_ad_id", "first_seen")
                    and (doc[name] is not None or name in ("city", "posted_at", "price_text"))
                }
                update.update(
                    version=version,
                    last_seen=max(old["last_seen"], seen),
                    crawl_status="active",
                    processing="pending",
                    claimed_by=None,
                    claimed_until=None,
                    changed_since_review=reviewed,
                )
                old.update(
                    content_hash=doc["content_hash"],
                    version=version,
                    changed_since_review=reviewed,
                    last_seen=update["last_seen"],
                )
                version_actions.append(self._version_action(doc, version))
                ad_actions.append(
                    {"_op_type": "update", "_index": self.ads, "_id": ad_id, "doc": update}
                )
                outcome.append(("changed", ad_id))
        # Versions first: a crash between the two writes repeats the same
        # version id on the next run instead of losing the text.
        failed = {i: r for _, i, r in self._bulk(version_actions)}
        failed.update({i: r for _, i, r in self._bulk(ad_actions)})
        for what, ad_id in outcome:
            vid = f"{ad_id}:{known[ad_id]['version']}"
            reason = failed.get(ad_id) or failed.get(vid)
            if reason:
                if (ad_id, reason) not in result.failed:
                    result.failed.append((ad_id, reason))
            else:
                getattr(result, what).append(ad_id)

    def _version_action(self, doc: dict[str, Any], version: int) -> dict[str, Any]:
        return {
            "_op_type": "index",
            "_index": self.versions,
            "_id": f"{doc['ad_id']}:{version}",
            "_source": {
                "ad_id": doc["ad_id"],
                "version": version,
                "content_hash": doc["content_hash"],
                "title": doc["title"],
                "text": doc["text"],
                "images": doc["images"],
                "observed_at": doc["observed_at"],
                "evidence": doc["evidence"],
            },
        }

    @_guard
    def mark_gone(self, source: str, seen_ad_ids: Iterable[str]) -> int:
        seen = set(seen_ad_ids)
        query = {
            "bool": {"filter": [{"term": {"source": source}}, {"term": {"crawl_status": "active"}}]}
        }
        gone = [
            h["_id"] for h in self._scan(self.ads, query, "ad_id", False) if h["_id"] not in seen
        ]
        self._raise_failures(
            self._bulk(
                {
                    "_op_type": "update",
                    "_index": self.ads,
                    "_id": a,
                    "doc": {"crawl_status": "gone"},
                }
                for a in gone
            ),
            "mark ads gone",
        )
        return len(gone)

    @_guard
    def get_ad(self, ad_id: str) -> dict[str, Any] | None:
        try:
            return self._public(self.client.get(index=self.ads, id=ad_id)["_source"])
        except NotFoundError as exc:
            if exc.error == "index_not_found_exception":
                raise
            return None

    @_guard
    def get_ads(self, ad_ids: Sequence[str]) -> list[dict[str, Any]]:
        found = self._mget(self.ads, list(dict.fromkeys(ad_ids)))
        return [self._public(found[a]["_source"]) for a in ad_ids if a in found]

    @_guard
    def get_versions(self, ad_id: str) -> list[dict[str, Any]]:
        hits = self._scan(self.versions, {"term": {"ad_id": ad_id}}, "version")
        return [h["_source"] for h in hits]

    # -- pending queue -------------------------------------------------
    @_guard
    def claim_pending(
        self, limit: int, worker: str = "worker", lease_seconds: int = 600
    ) -> list[dict[str, Any]]:
        now = time.time()
        query = {
            "bool": {
                "filter": [{"term": {"processing": "pending"}}],
                "should": [
                    {"bool": {"must_not": [{"exists": {"field": "claimed_until"}}]}},
                    {"range": {"claimed_until": {"lt": now}}},
                ],
                "minimum_should_match": 1,
            }
        }
        hits = self.client.search(
            index=self.ads,
            query=query,
            sort=[{"last_seen": "asc"}, {"ad_id": "asc"}],
            size=int(limit),
            seq_no_primary_term=True,
        )["hits"]["hits"]
        until = now + lease_seconds
        # Optimistic concurrency: a claim only wins if nobody changed the ad
        # since we read it, so two workers never hold the same ad.
        failures = self._bulk(
            {
                "_op_type": "update",
                "_index": h["_index"],
                "_id": h["_id"],
                "if_seq_no": h["_seq_no"],
                "if_primary_term": h["_primary_term"],
                "doc": {"claimed_by": worker, "claimed_until": until},
            }
            for h in hits
        )
        lost = {i for _, i, _ in failures}
        return [self._public(h["_source"]) for h in hits if h["_id"] not in lost]

    @_guard
    def write_enrichments(self, enrichments: Iterable[dict[str, Any]]) -> int:
        items = [prepare_enrichment(e) for e in enrichments]
        written = 0
        for part in _chunks(items):
            current = self._mget(
                self.ads, [str(i["ad_id"]) for i in part], source_includes=["version"]
            )
            actions = []
            applied = []
            for item in part:
                ad_id = str(item["ad_id"])
                hit = current.get(ad_id)
                if hit is None:
                    continue
                cas = {"if_seq_no": hit["_seq_no"], "if_primary_term": hit["_primary_term"]}
                release = {"claimed_by": None, "claimed_until": None}
                if item.get("version") is not None and int(item["version"]) != int(
                    hit["_source"]["version"]
                ):
                    actions.append(
                        {"_op_type": "update", "_index": self.ads, "_id": ad_id, "doc": release}
                    )
                    continue
                doc = {k: v for k, v in item.items() if k not in ("ad_id", "version")}
                if "indicators" in doc:
                    doc["indicator_ids"] = indicator_ids(doc)
                doc.update(release, processing="done")
                actions.append(
                    {"_op_type": "update", "_index": self.ads, "_id": ad_id, "doc": doc, **cas}
                )
                applied.append(ad_id)
            failures = self._bulk(actions)
            # A version conflict means the text changed meanwhile: it stays pending.
            conflicts = {i for _, i, r in failures if "version_conflict" in r}
            self._raise_failures(
                [f for f in failures if f[1] not in conflicts], "write enrichments"
            )
            written += len([a for a in applied if a not in conflicts])
        return written

    def _raise_failures(self, failures: list[tuple[str, str, str]], what: str) -> None:
        if failures:
            pairs = [(i, r) for _, i, r in failures]
            raise BulkWriteError(
                f"Could not {what} for {len(pairs)} documents; first: {pairs[0][0]}: {pairs[0][1]}",
                pairs,
            )

    # -- identifiers and clusters --------------------------------------
    @_guard
    def lookup(self, kind: str, keys: Iterable[str]) -> dict[str, list[tuple[str, str | None]]]:
        field = _lookup_field(kind)
        asked = list(dict.fromkeys(str(k) for k in keys))
        out: dict[str, list[tuple[str, str | None]]] = {k: [] for k in asked}
        for part in _chunks(asked):
            wanted = set(part)
            query = {"terms": {field: list(part)}}
            for hit in self._scan(self.ads, query, "ad_id", ["ad_id", "cluster_id", field]):
                src = hit["_source"]
                for key in _as_list(src.get(field)):
                    if key in wanted:
                        out[key].append((src["ad_id"], src.get("cluster_id")))
        for key in out:
            out[key].sort()
        return out

    @_guard
    def key_counts(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        field = _lookup_field(kind)
        asked = list(dict.fromkeys(str(k) for k in keys))
        out = dict.fromkeys(asked, 0)
        for part in _chunks(asked):
            aggs = self.client.search(
                index=self.ads,
                size=0,
                query={"terms": {field: list(part)}},
                aggs={"k": {"terms": {"field": field, "include": list(part), "size": len(part)}}},
            )["aggregations"]
            for bucket in aggs["k"]["buckets"]:
                out[bucket["key"]] = bucket["doc_count"]
        return out

    @_guard
    def set_clusters(self, assignments: dict[str, str]) -> int:
        known = self._mget(self.ads, list(assignments), source=False)
        failures = self._bulk(
            {"_op_type": "update", "_index": self.ads, "_id": a, "doc": {"cluster_id": c}}
            for a, c in assignments.items()
            if a in known
        )
        self._raise_failures(failures, "set clusters")
        return len(known)

    @_guard
    def reassign_cluster(self, old_ids: Iterable[str], new_id: str) -> int:
        old = [o for o in dict.fromkeys(old_ids) if o != new_id]
        if not old:
            return 0
        ids = [
            h["_id"] for h in self._scan(self.ads, {"terms": {"cluster_id": old}}, "ad_id", False)
        ]
        self._raise_failures(
            self._bulk(
                {"_op_type": "update", "_index": self.ads, "_id": a, "doc": {"cluster_id": new_id}}
                for a in ids
            ),
            "reassign clusters",
        )
        return len(ids)

    @_guard
    def cluster_members(self, cluster_id: str) -> list[str]:
        hits = self._scan(self.ads, {"term": {"cluster_id": cluster_id}}, "ad_id", False)
        return [h["_id"] for h in hits]

    @_guard
    def upsert_clusters(self, clusters: Iterable[dict[str, Any]]) -> int:
        docs = []
        for doc in clusters:
            if not doc.get("cluster_id"):
                raise ValueError("a cluster document needs a cluster_id")
            doc = dict(doc)
            doc.setdefault("size", len(doc.get("ad_ids") or []))
            doc.setdefault("n_cities", len(doc.get("cities") or []))
            doc.setdefault("updated_at", now_iso())
            docs.append(doc)
        self._raise_failures(
            self._bulk(
                {"_op_type": "index", "_index": self.clusters, "_id": d["cluster_id"], "_source": d}
                for d in docs
            ),
            "write clusters",
        )
        members = {str(a): d for d in docs for a in d.get("ad_ids") or []}
        known = self._mget(self.ads, list(members), source=False)
        self._raise_failures(
            self._bulk(
                {
                    "_op_type": "update",
                    "_index": self.ads,
                    "_id": a,
                    "doc": {"cluster_id": d["cluster_id"], "cluster_size": int(d["size"])},
                }
                for a, d in members.items()
                if a in known
            ),
            "write cluster sizes",
        )
        return len(docs)

    @_guard
    def get_cluster(self, cluster_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.get(index=self.clusters, id=cluster_id)["_source"])
        except NotFoundError as exc:
            if exc.error == "index_not_found_exception":
                raise
            return None

    @_guard
    def delete_clusters(self, cluster_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(cluster_ids))
        if not ids:
            return 0
        present = self._mget(self.clusters, ids, source=False)
        self._raise_failures(
            self._bulk({"_op_type": "delete", "_index": self.clusters, "_id": c} for c in present),
            "delete clusters",
        )
        members = [
            h["_id"] for h in self._scan(self.ads, {"terms": {"cluster_id": ids}}, "ad_id", False)
        ]
        self._raise_failures(
            self._bulk(
                {
                    "_op_type": "update",
                    "_index": self.ads,
                    "_id": a,
                    "doc": {"cluster_id": None, "cluster_size": 1},
                }
                for a in members
            ),
            "detach cluster members",
        )
        return len(present)

    @_guard
    def list_clusters(
        self,
        sort: str = "size",
        descending: bool = True,
        size: int = 25,
        search_after: list[Any] | None = None,
        min_size: int = 2,
    ) -> tuple[list[dict[str, Any]], list[Any] | None]:
        if sort not in CLUSTER_SORTS:
            raise UnknownFieldError(
                f"Cluster sort {sort!r} is unknown; expected one of {', '.join(CLUSTER_SORTS)}"
            )
        order = "desc" if descending else "asc"
        missing = "_last" if sort == "last_seen" else -1
        kwargs: dict[str, Any] = {}
        if search_after:
            kwargs["search_after"] = search_after
        hits = self.client.search(
            index=self.clusters,
            query={"range": {"size": {"gte": int(min_size)}}},
            sort=[{sort: {"order": order, "missing": missing}}, {"cluster_id": order}],
            size=int(size) + 1,
            **kwargs,
        )["hits"]["hits"]
        more = len(hits) > size
        hits = hits[:size]
        page = [dict(h["_source"]) for h in hits]
        return page, (list(hits[-1]["sort"]) if more and hits else None)

    # -- search and review ---------------------------------------------
    def _filters(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        clauses: list[dict[str, Any]] = []
        for name, value in filters.items():
            if name not in FILTERS:
                raise UnknownFieldError(
                    f"Search filter {name!r} is unknown; expected one of {', '.join(FILTERS)}"
                )
            if value is None or value == [] or value == "":
                continue
            if name in KEYWORD_FILTERS:
                clauses.append(
                    {"terms": {KEYWORD_FILTERS[name]: [str(v) for v in _as_list(value)]}}
                )
            elif name == "flagged":
                clauses.append({"term": {"flagged": bool(value)}})
            elif name == "risk_min":
                clauses.append({"range": {"risk": {"gte": float(value)}}})
            elif name == "risk_max":
                clauses.append({"range": {"risk": {"lte": float(value)}}})
            elif name == "cluster_size_min":
                clauses.append({"range": {"cluster_size": {"gte": int(value)}}})
            elif name == "date_from":
                clauses.append({"range": {"last_seen": {"gte": utc_iso(value)}}})
            elif name == "date_to":
                clauses.append({"range": {"last_seen": {"lte": utc_iso(value, end_of_day=True)}}})
        return clauses

    @_guard
    def search(self, query: SearchQuery) -> SearchResult:
        if query.sort not in SORT_FIELDS:
            raise UnknownFieldError(
                f"Sort {query.sort!r} is unknown; expected one of {', '.join(SORT_FIELDS)}"
            )
        for facet in query.facets:
            if facet not in FACET_FIELDS:
                raise UnknownFieldError(
                    f"Facet {facet!r} is unknown; expected one of {', '.join(FACET_FIELDS)}"
                )
        if query.histogram is not None and query.histogram not in ("day", "week", "month"):
            raise UnknownFieldError(
                f"Histogram interval {query.histogram!r} is unknown; expected day, week or month"
            )
        bool_query: dict[str, Any] = {"filter": self._filters(query.filters)}
        text = simple_query(query.text) if query.text else None
        if query.text and not text:
            return SearchResult(hits=[], total=0, next_after=None)
        if text:
            bool_query["must"] = [
                {
                    "simple_query_string": {
                        "query": text,
                        "fields": TEXT_FIELDS,
                        "default_operator": "and",
                        "flags": "AND|OR|PHRASE|PREFIX|WHITESPACE",
                    }
                }
            ]
        sort_name = query.sort if (query.sort != "relevance" or text) else "risk"
        order = "desc" if query.descending else "asc"
        primary = {k: {**v, "order": order} for k, v in SORTS[sort_name].items()}
        aggs: dict[str, Any] = {}
        for facet in query.facets:
            aggs[f"facet_{facet}"] = {"terms": {"field": facet, "size": int(query.facet_size)}}
        if query.histogram:
            aggs["histogram"] = {
                "date_histogram": {
                    "field": "last_seen",
                    "calendar_interval": query.histogram,
                    "format": "yyyy-MM-dd",
                    "min_doc_count": 1,
                }
            }
        kwargs: dict[str, Any] = {}
        if query.search_after:
            kwargs["search_after"] = list(query.search_after)
        if aggs:
            kwargs["aggs"] = aggs
        size = max(0, int(query.size))
        resp = self.client.search(
            index=self.ads,
            query={"bool": bool_query},
            sort=[primary, {"ad_id": order}],
            size=size + 1,
            track_total_hits=True,
            source_excludes=[*HIT_EXCLUDED_FIELDS, *INTERNAL_FIELDS],
            **kwargs,
        )
        raw = resp["hits"]["hits"]
        more = len(raw) > size
        raw = raw[:size]
        hits = []
        for h in raw:
            hit = self._public(h["_source"], exclude=HIT_EXCLUDED_FIELDS)
            if text:
                hit["score"] = h.get("_score") if sort_name == "relevance" else None
            hits.append(hit)
        facets = {}
        histogram: list[tuple[str, int]] = []
        aggregations = resp.get("aggregations") or {}
        for facet in query.facets:
            buckets = aggregations.get(f"facet_{facet}", {}).get("buckets", [])
            facets[facet] = [(b["key"], b["doc_count"]) for b in buckets]
        if query.histogram:
            histogram = [
                (b["key_as_string"], b["doc_count"])
                for b in aggregations.get("histogram", {}).get("buckets", [])
                if b["doc_count"]
            ]
        total = resp["hits"]["total"]
        return SearchResult(
            hits=hits,
            total=int(total["value"]),
            next_after=list(raw[-1]["sort"]) if more and raw else None,
            facets=facets,
            histogram=histogram,
            # "gte" when the cluster stopped counting (track_total_hits bounded).
            total_relation="gte" if total.get("relation") == "gte" else "eq",
        )

    @_guard
    def count(self, **filters: Any) -> int:
        query = {"bool": {"filter": self._filters(filters)}}
        return int(self.client.count(index=self.ads, query=query)["count"])

    @_guard
    def set_review_status(self, ad_ids: Iterable[str], status: str) -> int:
        if status not in REVIEW_STATUSES:
            raise UnknownFieldError(
                f"Review status {status!r} is unknown; expected one of {', '.join(REVIEW_STATUSES)}"
            )
        ids = list(dict.fromkeys(ad_ids))
        known = self._mget(self.ads, ids, source=False)
        doc = {"review_status": status, "changed_since_review": False}
        self._raise_failures(
            self._bulk(
                {"_op_type": "update", "_index": self.ads, "_id": a, "doc": doc}
                for a in ids
                if a in known
            ),
            "set review status",
        )
        return len(known)

    # -- retention and stats -------------------------------------------
    @_guard
    def purge_candidates(self, last_seen_before: str, limit: int = 1000) -> list[str]:
        query = {
            "bool": {
                "filter": [
                    {"range": {"last_seen": {"lt": utc_iso(last_seen_before)}}},
                    {"terms": {"review_status": ["open", "dismissed"]}},
                ],
                "must_not": [{"term": {"flagged": True}}],
            }
        }
        hits = self.client.search(
            index=self.ads,
            query=query,
            sort=[{"last_seen": "asc"}, {"ad_id": "asc"}],
            size=int(limit),
            source=False,
        )["hits"]["hits"]
        return [h["_id"] for h in hits]

    @_guard
    def delete_ads(self, ad_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(ad_ids))
        if not ids:
            return 0
        present = self._mget(self.ads, ids, source=False)
        versions: list[str] = []
        for part in _chunks(ids):
            query = {"terms": {"ad_id": list(part)}}
            versions.extend(h["_id"] for h in self._scan(self.versions, query, "ad_id", False))
        self._raise_failures(
            self._bulk(
                [{"_op_type": "delete", "_index": self.ads, "_id": a} for a in present]
                + [{"_op_type": "delete", "_index": self.versions, "_id": v} for v in versions]
            ),
            "delete ads",
        )
        return len(present)

    @_guard
    def stats(self) -> dict[str, Any]:
        resp = self.client.search(
            index=self.ads,
            size=0,
            track_total_hits=True,
            aggs={
                "processing": {"terms": {"field": "processing", "size": 10}},
                "crawl_status": {"terms": {"field": "crawl_status", "size": 10}},
                "flagged": {"filter": {"term": {"flagged": True}}},
                "by_source": {"terms": {"field": "source", "size": 1000}},
                "by_review_status": {"terms": {"field": "review_status", "size": 10}},
            },
        )
        aggs = resp["aggregations"]

        def buckets(name: str) -> dict[str, int]:
            return {b["key"]: b["doc_count"] for b in aggs[name]["buckets"]}

        processing = buckets("processing")
        return {
            "backend": "opensearch" if self.settings.opensearch else "elasticsearch",
            "url": self.settings.display,
            "ads": int(resp["hits"]["total"]["value"]),
            "pending": processing.get("pending", 0),
            "done": processing.get("done", 0),
            "flagged": int(aggs["flagged"]["doc_count"]),
            "gone": buckets("crawl_status").get("gone", 0),
            "clusters": int(self.client.count(index=self.clusters)["count"]),
            "versions": int(self.client.count(index=self.versions)["count"]),
            "by_source": buckets("by_source"),
            "by_review_status": buckets("by_review_status"),
            "indices": {
                alias: es_schema.current_index(self.client, alias)
                for alias in (self.ads, self.versions, self.clusters)
            },
        }


def _lookup_field(kind: str) -> str:
    if kind not in LOOKUP_FIELDS:
        raise UnknownFieldError(
            f"Lookup kind {kind!r} is unknown; expected one of {', '.join(LOOKUP_FIELDS)}"
        )
    return LOOKUP_FIELDS[kind]
