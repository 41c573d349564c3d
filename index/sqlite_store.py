"""The embedded ad store: one SQLite file in WAL mode, FTS5 for full text.

One writer and several readers may use the file at once (the pipeline and the
web app); each thread gets its own connection.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from index.exceptions import StoreConfigError, UnknownFieldError
from index.schema import (
    HIT_EXCLUDED_FIELDS,
    KEY_FIELDS,
    indicator_ids,
    now_iso,
    prepare_enrichment,
    prepare_observation,
    utc_iso,
)
from index.textquery import fts_query

SCHEMA_VERSION = 1

#: Scalar columns of ``ads`` (besides the internal ``rid``, ``claimed_*``).
SCALAR_COLUMNS = (
    "ad_id",
    "source",
    "site_ad_id",
    "url",
    "title",
    "text",
    "city",
    "posted_at",
    "price_text",
    "phone_region",
    "content_hash",
    "observed_at",
    "crawl_run",
    "version",
    "first_seen",
    "last_seen",
    "crawl_status",
    "processing",
    "review_status",
    "changed_since_review",
    "cluster_id",
    "cluster_size",
    "ad_type",
    "risk",
    "risk_band",
    "flagged",
    "processed_at",
)
JSON_COLUMNS = (
    "images",
    "evidence",
    "image_sha256",
    "phones",
    "emails",
    "handles",
    "extracted",
    "indicators",
    "indicator_categories",
    "risk_explanation",
    "phash_chunks",
    "text_bands",
)
BOOL_COLUMNS = ("changed_since_review", "flagged")
JSON_DEFAULTS: dict[str, Any] = {"evidence": None, "extracted": {}}

DDL = f"""
CREATE TABLE IF NOT EXISTS ads (
    rid INTEGER PRIMARY KEY,
    ad_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    site_ad_id TEXT, url TEXT, title TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '',
    city TEXT, posted_at TEXT, price_text TEXT, phone_region TEXT,
    content_hash TEXT NOT NULL, observed_at TEXT, crawl_run TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    crawl_status TEXT NOT NULL DEFAULT 'active',
    processing TEXT NOT NULL DEFAULT 'pending',
    review_status TEXT NOT NULL DEFAULT 'open',
    changed_since_review INTEGER NOT NULL DEFAULT 0,
    cluster_id TEXT, cluster_size INTEGER NOT NULL DEFAULT 1,
    ad_type TEXT, risk REAL, risk_band TEXT NOT NULL DEFAULT 'unknown',
    flagged INTEGER NOT NULL DEFAULT 0, processed_at TEXT,
    claimed_by TEXT, claimed_until REAL,
    {", ".join(f"{c} TEXT" for c in JSON_COLUMNS)}
);
CREATE INDEX IF NOT EXISTS ads_pending ON ads(claimed_until, last_seen) WHERE processing = 'pending';
CREATE INDEX IF NOT EXISTS ads_risk ON ads(COALESCE(risk, -1.0), ad_id);
CREATE INDEX IF NOT EXISTS ads_last_seen ON ads(last_seen, ad_id);
CREATE INDEX IF NOT EXISTS ads_first_seen ON ads(first_seen, ad_id);
CREATE INDEX IF NOT EXISTS ads_cluster_size ON ads(cluster_size, ad_id);
CREATE INDEX IF NOT EXISTS ads_queue ON ads(review_status, flagged, COALESCE(risk, -1.0), ad_id);
CREATE INDEX IF NOT EXISTS ads_source ON ads(source, crawl_status);
CREATE INDEX IF NOT EXISTS ads_city ON ads(city);
CREATE INDEX IF NOT EXISTS ads_cluster ON ads(cluster_id);
CREATE TABLE IF NOT EXISTS ad_keys (
    kind TEXT NOT NULL, key TEXT NOT NULL, ad_id TEXT NOT NULL,
    PRIMARY KEY (kind, key, ad_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ad_keys_ad ON ad_keys(ad_id, kind, key);
CREATE TABLE IF NOT EXISTS ad_versions (
    ad_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    title TEXT, text TEXT, images TEXT, observed_at TEXT, evidence TEXT,
    PRIMARY KEY (ad_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY, size INTEGER NOT NULL, risk_max REAL, n_cities INTEGER,
    last_seen TEXT, growth INTEGER, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clusters_size ON clusters(size, cluster_id);
CREATE INDEX IF NOT EXISTS clusters_risk_max ON clusters(risk_max, cluster_id);
CREATE INDEX IF NOT EXISTS clusters_n_cities ON clusters(n_cities, cluster_id);
CREATE INDEX IF NOT EXISTS clusters_last_seen ON clusters(last_seen, cluster_id);
CREATE INDEX IF NOT EXISTS clusters_growth ON clusters(growth, cluster_id);
-- Porter stemming over unicode61 with accent folding: English stems, Dutch
-- words are folded and stemmed the same way in documents and queries.
CREATE VIRTUAL TABLE IF NOT EXISTS ads_fts USING fts5(
    title, text, content='ads', content_rowid='rid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS ads_fts_insert AFTER INSERT ON ads BEGIN
    INSERT INTO ads_fts(rowid, title, text) VALUES (new.rid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS ads_fts_delete AFTER DELETE ON ads BEGIN
    INSERT INTO ads_fts(ads_fts, rowid, title, text) VALUES ('delete', old.rid, old.title, old.text);
END;
CREATE TRIGGER IF NOT EXISTS ads_fts_update AFTER UPDATE OF title, text ON ads BEGIN
    INSERT INTO ads_fts(ads_fts, rowid, title, text) VALUES ('delete', old.rid, old.title, old.text);
    INSERT INTO ads_fts(rowid, title, text) VALUES (new.rid, new.title, new.text);
END;
PRAGMA user_version = {SCHEMA_VERSION};
"""

#: Sort expressions; missing risk sorts as -1 so keyset pages stay total.
SORT_EXPR = {
    "risk": "COALESCE(a.risk, -1.0)",
    "last_seen": "a.last_seen",
    "first_seen": "a.first_seen",
    "cluster_size": "a.cluster_size",
    "ad_id": "a.ad_id",
    "relevance": "f.score",
}
KEYWORD_COLUMNS = {
    "source": "source",
    "city": "city",
    "ad_type": "ad_type",
    "review_status": "review_status",
    "crawl_status": "crawl_status",
    "processing": "processing",
    "cluster_id": "cluster_id",
}
KEY_FILTERS = {
    "indicator": "indicator",
    "indicator_category": "indicator_category",
    "phone": "phone",
}
FACET_COLUMNS = {
    "source": "a.source",
    "city": "a.city",
    "ad_type": "a.ad_type",
    "review_status": "a.review_status",
    "crawl_status": "a.crawl_status",
    "risk_band": "a.risk_band",
}
HISTOGRAM_EXPR = {
    "day": "substr(a.last_seen, 1, 10)",
    "week": "date(substr(a.last_seen, 1, 10), '-6 days', 'weekday 1')",
    "month": "substr(a.last_seen, 1, 7) || '-01'",
}
CLUSTER_SORTS = ("size", "risk_max", "n_cities", "last_seen", "growth")
CHUNK = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqliteAdStore(AdStore):
    """The ad store in one SQLite file (``sqlite:///path/to/ads.db``)."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000):
        self.url = url
        raw = url[len("sqlite:///") :]
        if not raw or raw.endswith("/"):
            raise StoreConfigError(
                f"Setting ADSCAN_INDEX_URL has value {url!r}; expected sqlite:///path/to/ads.db"
            )
        self.path = Path(raw)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        # Which thread holds each connection; a finished thread's connection is
        # handed to the next new thread (Django's dev server runs each request
        # in a new thread, so connections must not pile up).
        self._owners: dict[int, threading.Thread] = {}
        self._ready = False

    # -- connections ---------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._reuse() or self._connect()
            with self._lock:
                self._owners[id(conn)] = threading.current_thread()
            self._local.conn = conn
        return conn

    def _reuse(self) -> sqlite3.Connection | None:
        with self._lock:
            for conn in self._connections:
                owner = self._owners.get(id(conn))
                if owner is not None and not owner.is_alive():
                    self._owners[id(conn)] = threading.current_thread()
                    if conn.in_transaction:  # a thread that died mid-transaction
                        conn.execute("ROLLBACK")
                    return conn
        return None

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_ms / 1000,
                isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA mmap_size = 268435456")
        except (OSError, sqlite3.Error) as exc:
            raise StoreConfigError(
                f"Cannot open the ad store {str(self.path)!r} ({exc}); check that the "
                "directory is writable or set ADSCAN_INDEX_URL to another sqlite:/// path."
            ) from exc
        with self._lock:
            self._connections.append(conn)
        if not self._ready:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version < SCHEMA_VERSION:
                self._create_schema(conn)
            self._ready = True
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        try:
            conn.executescript("BEGIN IMMEDIATE;" + DDL + "COMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at its start so writers queue, not deadlock."""
        conn = self._db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def setup(self) -> None:
        existed = self.path.exists()
        self._create_schema(self._db)
        self.setup_report = {
            "created": [] if existed else [str(self.path)],
            "notes": [f"SQLite {sqlite3.sqlite_version}, schema version {SCHEMA_VERSION}"],
        }

    def close(self) -> None:
        with self._lock:
            conns, self._connections = self._connections, []
            self._owners.clear()
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    # -- documents -----------------------------------------------------
    def _doc(self, row: sqlite3.Row, exclude: Sequence[str] = ()) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for name in SCALAR_COLUMNS:
            doc[name] = row[name]
        for name in BOOL_COLUMNS:
            doc[name] = bool(doc[name])
        for name in JSON_COLUMNS:
            if name in exclude:
                continue
            raw = row[name]
            doc[name] = json.loads(raw) if raw is not None else JSON_DEFAULTS.get(name, [])
        return doc

    def _set_keys(
        self, conn: sqlite3.Connection, ad_id: str, kind: str, keys: Iterable[Any]
    ) -> None:
        conn.execute("DELETE FROM ad_keys WHERE kind = ? AND ad_id = ?", (kind, ad_id))
        conn.executemany(
            "INSERT OR IGNORE INTO ad_keys(kind, key, ad_id) VALUES (?, ?, ?)",
            [(kind, str(k), ad_id) for k in set(keys) if k not in (None, "")],
        )

    # -- observations --------------------------------------------------
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
            if len(batch) >= CHUNK:
                self._upsert_chunk(batch, result)
                batch = []
        if batch:
            self._upsert_chunk(batch, result)
        return result

    def _upsert_chunk(self, batch: list[dict[str, Any]], result: UpsertResult) -> None:
        with self._write() as conn:
            ids = list({d["ad_id"] for d in batch})
            marks = ",".join("?" * len(ids))
            known = {
                row["ad_id"]: dict(row)
                for row in conn.execute(
                    "SELECT ad_id, content_hash, version, review_status, changed_since_review,"
                    f" first_seen, last_seen FROM ads WHERE ad_id IN ({marks})",
                    ids,
                )
            }
            for doc in batch:
                ad_id = doc["ad_id"]
                old = known.get(ad_id)
                seen = doc["observed_at"]
                if old is None:
                    self._insert_ad(conn, doc)
                    known[ad_id] = {
                        "content_hash": doc["content_hash"],
                        "version": 1,
                        "review_status": "open",
                        "changed_since_review": 0,
                        "first_seen": seen,
                        "last_seen": seen,
                    }
                    result.new.append(ad_id)
                elif old["content_hash"] == doc["content_hash"]:
                    conn.execute(
                        "UPDATE ads SET last_seen = max(last_seen, ?), first_seen = min(first_seen, ?),"
                        " observed_at = max(coalesce(observed_at, ''), ?), crawl_status = 'active',"
                        " crawl_run = coalesce(?, crawl_run) WHERE ad_id = ?",
                        (seen, seen, seen, doc["crawl_run"], ad_id),
                    )
                    old["last_seen"] = max(old["last_seen"], seen)
                    result.unchanged.append(ad_id)
                else:
                    version = old["version"] + 1
                    reviewed = old["review_status"] != "open" or bool(old["changed_since_review"])
                    self._update_ad(conn, doc, version, reviewed)
                    old.update(content_hash=doc["content_hash"], version=version)
                    old["changed_since_review"] = int(reviewed)
                    result.changed.append(ad_id)

    def _insert_ad(self, conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
        seen = doc["observed_at"]
        conn.execute(
            "INSERT INTO ads(ad_id, source, site_ad_id, url, title, text, city, posted_at,"
            " price_text, phone_region, content_hash, observed_at, crawl_run, version,"
            " first_seen, last_seen, images, evidence, image_sha256)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?,?)",
            (
                doc["ad_id"],
                doc["source"],
                doc["site_ad_id"],
                doc["url"],
                doc["title"],
                doc["text"],
                doc["city"],
                doc["posted_at"],
                doc["price_text"],
                doc["phone_region"],
                doc["content_hash"],
                seen,
                doc["crawl_run"],
                seen,
                seen,
                _dumps(doc["images"]),
                _dumps(doc["evidence"]),
                _dumps(doc["image_sha256"]),
            ),
        )
        self._insert_version(conn, doc, 1)
        conn.executemany(
            "INSERT OR IGNORE INTO ad_keys(kind, key, ad_id) VALUES ('image_sha256', ?, ?)",
            [(k, doc["ad_id"]) for k in doc["image_sha256"]],
        )

    def _update_ad(
        self, conn: sqlite3.Connection, doc: dict[str, Any], version: int, reviewed: bool
    ) -> None:
        seen = doc["observed_at"]
        conn.execute(
            "UPDATE ads SET url = coalesce(?, url), title = ?, text = ?, city = ?, posted_at = ?,"
            " price_text = ?, phone_region = coalesce(?, phone_region), content_hash = ?,"
            " observed_at = ?, crawl_run = coalesce(?, crawl_run), version = ?,"
            " last_seen = max(last_seen, ?), crawl_status = 'active', processing = 'pending',"
            " claimed_by = NULL, claimed_until = NULL, changed_since_review = ?,"
            " images = ?, evidence = ?, image_sha256 = ? WHERE ad_id = ?",
            (
                doc["url"],
                doc["title"],
                doc["text"],
                doc["city"],
                doc["posted_at"],
                doc["price_text"],
                doc["phone_region"],
                doc["content_hash"],
                seen,
                doc["crawl_run"],
                version,
                seen,
                int(reviewed),
                _dumps(doc["images"]),
                _dumps(doc["evidence"]),
                _dumps(doc["image_sha256"]),
                doc["ad_id"],
            ),
        )
        self._insert_version(conn, doc, version)
        self._set_keys(conn, doc["ad_id"], "image_sha256", doc["image_sha256"])

    def _insert_version(self, conn: sqlite3.Connection, doc: dict[str, Any], version: int) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO ad_versions(ad_id, version, content_hash, title, text, images,"
            " observed_at, evidence) VALUES (?,?,?,?,?,?,?,?)",
            (
                doc["ad_id"],
                version,
                doc["content_hash"],
                doc["title"],
                doc["text"],
                _dumps(doc["images"]),
                doc["observed_at"],
                _dumps(doc["evidence"]),
            ),
        )

    def mark_gone(self, source: str, seen_ad_ids: Iterable[str]) -> int:
        seen = [(str(a),) for a in set(seen_ad_ids)]
        with self._write() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS seen_ids(ad_id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM temp.seen_ids")
            conn.executemany("INSERT OR IGNORE INTO temp.seen_ids(ad_id) VALUES (?)", seen)
            cur = conn.execute(
                "UPDATE ads SET crawl_status = 'gone' WHERE source = ? AND crawl_status = 'active'"
                " AND ad_id NOT IN (SELECT ad_id FROM temp.seen_ids)",
                (source,),
            )
            conn.execute("DELETE FROM temp.seen_ids")
            return cur.rowcount

    def get_ad(self, ad_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM ads WHERE ad_id = ?", (ad_id,)).fetchone()
        return self._doc(row) if row is not None else None

    def get_ads(self, ad_ids: Sequence[str]) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(ad_ids))
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            for row in self._db.execute(f"SELECT * FROM ads WHERE ad_id IN ({marks})", list(part)):
                found[row["ad_id"]] = self._doc(row)
        return [found[a] for a in ad_ids if a in found]

    def get_versions(self, ad_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT * FROM ad_versions WHERE ad_id = ? ORDER BY version", (ad_id,)
        ).fetchall()
        out = []
        for row in rows:
            doc = dict(row)
            doc["images"] = json.loads(doc["images"] or "[]")
            doc["evidence"] = json.loads(doc["evidence"]) if doc["evidence"] else None
            out.append(doc)
        return out

    # -- pending queue -------------------------------------------------
    def claim_pending(
        self, limit: int, worker: str = "worker", lease_seconds: int = 600
    ) -> list[dict[str, Any]]:
        now = time.time()
        with self._write() as conn:
            rows = conn.execute(
                "SELECT * FROM ads WHERE processing = 'pending'"
                " AND (claimed_until IS NULL OR claimed_until < ?)"
                " ORDER BY claimed_until IS NOT NULL, last_seen LIMIT ?",
                (now, int(limit)),
            ).fetchall()
            conn.executemany(
                "UPDATE ads SET claimed_by = ?, claimed_until = ? WHERE rid = ?",
                [(worker, now + lease_seconds, row["rid"]) for row in rows],
            )
        return [self._doc(row) for row in rows]

    def write_enrichments(self, enrichments: Iterable[dict[str, Any]]) -> int:
        items = [prepare_enrichment(e) for e in enrichments]
        written = 0
        for part in _chunks(items):
            with self._write() as conn:
                for item in part:
                    written += self._enrich_one(conn, item)
        return written

    def _enrich_one(self, conn: sqlite3.Connection, item: dict[str, Any]) -> int:
        ad_id = str(item["ad_id"])
        row = conn.execute("SELECT version FROM ads WHERE ad_id = ?", (ad_id,)).fetchone()
        if row is None:
            return 0
        if item.get("version") is not None and int(item["version"]) != row["version"]:
            # Processed an older text: release the claim, the ad stays pending.
            conn.execute(
                "UPDATE ads SET claimed_by = NULL, claimed_until = NULL WHERE ad_id = ?", (ad_id,)
            )
            return 0
        sets = ["processing = 'done'", "claimed_by = NULL", "claimed_until = NULL"]
        values: list[Any] = []
        for name, value in item.items():
            if name in ("ad_id", "version"):
                continue
            if name in JSON_COLUMNS:
                sets.append(f"{name} = ?")
                values.append(_dumps(value))
            elif name in ("flagged",):
                sets.append(f"{name} = ?")
                values.append(int(bool(value)))
            else:
                sets.append(f"{name} = ?")
                values.append(value)
        conn.execute(f"UPDATE ads SET {', '.join(sets)} WHERE ad_id = ?", [*values, ad_id])
        for kind, fieldname in KEY_FIELDS.items():
            if kind == "indicator" and "indicators" in item:
                self._set_keys(conn, ad_id, kind, indicator_ids(item))
            elif fieldname in item and kind != "image_sha256":
                self._set_keys(conn, ad_id, kind, _as_list(item[fieldname]))
        return 1

    # -- identifiers and clusters --------------------------------------
    def lookup(self, kind: str, keys: Iterable[str]) -> dict[str, list[tuple[str, str | None]]]:
        _check_kind(kind)
        asked = list(dict.fromkeys(str(k) for k in keys))
        out: dict[str, list[tuple[str, str | None]]] = {k: [] for k in asked}
        for part in _chunks(asked):
            marks = ",".join("?" * len(part))
            for row in self._db.execute(
                "SELECT k.key, k.ad_id, a.cluster_id FROM ad_keys k JOIN ads a ON a.ad_id = k.ad_id"
                f" WHERE k.kind = ? AND k.key IN ({marks}) ORDER BY k.key, k.ad_id",
                [kind, *part],
            ):
                out[row["key"]].append((row["ad_id"], row["cluster_id"]))
        return out

    def key_counts(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        _check_kind(kind)
        asked = list(dict.fromkeys(str(k) for k in keys))
        out = dict.fromkeys(asked, 0)
        for part in _chunks(asked):
            marks = ",".join("?" * len(part))
            for row in self._db.execute(
                f"SELECT key, count(*) FROM ad_keys WHERE kind = ? AND key IN ({marks}) GROUP BY key",
                [kind, *part],
            ):
                out[row[0]] = row[1]
        return out

    def set_clusters(self, assignments: dict[str, str]) -> int:
        items = list(assignments.items())
        done = 0
        for part in _chunks(items):
            with self._write() as conn:
                for ad_id, cluster_id in part:
                    done += conn.execute(
                        "UPDATE ads SET cluster_id = ? WHERE ad_id = ?", (cluster_id, ad_id)
                    ).rowcount
        return done

    def reassign_cluster(self, old_ids: Iterable[str], new_id: str) -> int:
        old = [o for o in dict.fromkeys(old_ids) if o != new_id]
        if not old:
            return 0
        with self._write() as conn:
            marks = ",".join("?" * len(old))
            return conn.execute(
                f"UPDATE ads SET cluster_id = ? WHERE cluster_id IN ({marks})", [new_id, *old]
            ).rowcount

    def cluster_members(self, cluster_id: str) -> list[str]:
        rows = self._db.execute(
            "SELECT ad_id FROM ads WHERE cluster_id = ? ORDER BY ad_id", (cluster_id,)
        )
        return [r[0] for r in rows]

    def upsert_clusters(self, clusters: Iterable[dict[str, Any]]) -> int:
        docs = list(clusters)
        for doc in docs:
            if not doc.get("cluster_id"):
                raise ValueError("a cluster document needs a cluster_id")
        written = 0
        for part in _chunks(docs, 200):
            with self._write() as conn:
                for doc in part:
                    doc = dict(doc)
                    ad_ids = [str(a) for a in doc.get("ad_ids") or []]
                    doc.setdefault("size", len(ad_ids))
                    doc.setdefault("n_cities", len(doc.get("cities") or []))
                    doc.setdefault("updated_at", now_iso())
                    conn.execute(
                        "INSERT OR REPLACE INTO clusters(cluster_id, size, risk_max, n_cities,"
                        " last_seen, growth, doc) VALUES (?,?,?,?,?,?,?)",
                        (
                            doc["cluster_id"],
                            int(doc["size"]),
                            doc.get("risk_max"),
                            int(doc["n_cities"]),
                            doc.get("last_seen"),
                            int(doc.get("growth") or 0),
                            _dumps(doc),
                        ),
                    )
                    conn.executemany(
                        "UPDATE ads SET cluster_id = ?, cluster_size = ? WHERE ad_id = ?",
                        [(doc["cluster_id"], int(doc["size"]), a) for a in ad_ids],
                    )
                    written += 1
        return written

    def get_cluster(self, cluster_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT doc FROM clusters WHERE cluster_id = ?", (cluster_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def delete_clusters(self, cluster_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(cluster_ids))
        gone = 0
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            with self._write() as conn:
                gone += conn.execute(
                    f"DELETE FROM clusters WHERE cluster_id IN ({marks})", list(part)
                ).rowcount
                conn.execute(
                    "UPDATE ads SET cluster_id = NULL, cluster_size = 1"
                    f" WHERE cluster_id IN ({marks})",
                    list(part),
                )
        return gone

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
        op, direction = ("<", "DESC") if descending else (">", "ASC")
        expr = f"COALESCE({sort}, -1)" if sort != "last_seen" else "COALESCE(last_seen, '')"
        where = ["size >= ?"]
        params: list[Any] = [int(min_size)]
        if search_after:
            where.append(f"({expr}, cluster_id) {op} (?, ?)")
            params.extend(search_after[:2])
        rows = self._db.execute(
            f"SELECT {expr} AS k, cluster_id, doc FROM clusters WHERE {' AND '.join(where)}"
            f" ORDER BY k {direction}, cluster_id {direction} LIMIT ?",
            [*params, int(size) + 1],
        ).fetchall()
        more = len(rows) > size
        rows = rows[:size]
        page = [json.loads(r["doc"]) for r in rows]
        next_after = [rows[-1]["k"], rows[-1]["cluster_id"]] if more and rows else None
        return page, next_after

    # -- search and review ---------------------------------------------
    def _where(self, filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for name, value in filters.items():
            if name not in FILTERS:
                raise UnknownFieldError(
                    f"Search filter {name!r} is unknown; expected one of {', '.join(FILTERS)}"
                )
            if value is None or value == [] or value == "":
                continue
            if name in KEYWORD_COLUMNS:
                values = [str(v) for v in _as_list(value)]
                where.append(f"a.{KEYWORD_COLUMNS[name]} IN ({','.join('?' * len(values))})")
                params.extend(values)
            elif name in KEY_FILTERS:
                values = [str(v) for v in _as_list(value)]
                where.append(
                    "a.ad_id IN (SELECT ad_id FROM ad_keys WHERE kind = ?"
                    f" AND key IN ({','.join('?' * len(values))}))"
                )
                params.extend([KEY_FILTERS[name], *values])
            elif name == "flagged":
                where.append("a.flagged = ?")
                params.append(int(bool(value)))
            elif name == "risk_min":
                where.append("a.risk >= ?")
                params.append(float(value))
            elif name == "risk_max":
                where.append("a.risk <= ?")
                params.append(float(value))
            elif name == "cluster_size_min":
                where.append("a.cluster_size >= ?")
                params.append(int(value))
            elif name == "date_from":
                where.append("a.last_seen >= ?")
                params.append(utc_iso(value))
            elif name == "date_to":
                where.append("a.last_seen <= ?")
                params.append(utc_iso(value, end_of_day=True))
        return where, params

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
        if query.histogram is not None and query.histogram not in HISTOGRAM_EXPR:
            raise UnknownFieldError(
                f"Histogram interval {query.histogram!r} is unknown; expected day, week or month"
            )
        where, params = self._where(query.filters)
        match = fts_query(query.text) if query.text else None
        source = "ads a"
        source_params: list[Any] = []
        if match:
            # bm25 is lower-is-better; negate it so "relevance descending" is best first.
            source = (
                "(SELECT rowid AS frid, -bm25(ads_fts, 2.0, 1.0) AS score FROM ads_fts"
                " WHERE ads_fts MATCH ?) f CROSS JOIN ads a ON a.rid = f.frid"
            )
            source_params = [match]
        elif query.text:  # only punctuation: matches nothing, like a search engine would
            return SearchResult(hits=[], total=0, next_after=None)
        sort = query.sort if (query.sort != "relevance" or match) else "risk"
        expr = SORT_EXPR[sort]
        where_sql = " AND ".join(where) or "1"
        base_params = [*source_params, *params]

        total = self._db.execute(
            f"SELECT count(*) FROM {source} WHERE {where_sql}", base_params
        ).fetchone()[0]

        page_where = list(where)
        page_params = list(params)
        op, direction = ("<", "DESC") if query.descending else (">", "ASC")
        if query.search_after:
            page_where.append(f"({expr}, a.ad_id) {op} (?, ?)")
            page_params.extend(query.search_after[:2])
        size = max(0, int(query.size))
        rows = self._db.execute(
            f"SELECT a.*, {expr} AS sort_key FROM {source} WHERE {' AND '.join(page_where) or '1'}"
            f" ORDER BY sort_key {direction}, a.ad_id {direction} LIMIT ?",
            [*source_params, *page_params, size + 1],
        ).fetchall()
        more = len(rows) > size
        rows = rows[:size]
        hits = []
        for row in rows:
            hit = self._doc(row, exclude=HIT_EXCLUDED_FIELDS)
            if match:
                hit["score"] = row["sort_key"] if sort == "relevance" else None
            hits.append(hit)
        next_after = [rows[-1]["sort_key"], rows[-1]["ad_id"]] if more and rows else None

        facets: dict[str, list[tuple[str, int]]] = {}
        for facet in query.facets:
            if facet == "indicator_categories":
                sql = (
                    f"SELECT k.key AS v, count(*) AS n FROM {source} CROSS JOIN ad_keys k"
                    " ON k.ad_id = a.ad_id AND k.kind = 'indicator_category'"
                    f" WHERE {where_sql} GROUP BY v ORDER BY n DESC, v LIMIT ?"
                )
            else:
                col = FACET_COLUMNS[facet]
                sql = (
                    f"SELECT {col} AS v, count(*) AS n FROM {source} WHERE {where_sql}"
                    f" AND {col} IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?"
                )
            facets[facet] = [
                (r["v"], r["n"])
                for r in self._db.execute(sql, [*base_params, int(query.facet_size)])
            ]
        histogram: list[tuple[str, int]] = []
        if query.histogram:
            hexpr = HISTOGRAM_EXPR[query.histogram]
            histogram = [
                (r[0], r[1])
                for r in self._db.execute(
                    f"SELECT {hexpr} AS b, count(*) FROM {source} WHERE {where_sql}"
                    " GROUP BY b ORDER BY b",
                    base_params,
                )
            ]
        return SearchResult(
            hits=hits, total=total, next_after=next_after, facets=facets, histogram=histogram
        )

    def count(self, **filters: Any) -> int:
        where, params = self._where(filters)
        return int(
            self._db.execute(
                f"SELECT count(*) FROM ads a WHERE {' AND '.join(where) or '1'}", params
            ).fetchone()[0]
        )

    def set_review_status(self, ad_ids: Iterable[str], status: str) -> int:
        if status not in REVIEW_STATUSES:
            raise UnknownFieldError(
                f"Review status {status!r} is unknown; expected one of {', '.join(REVIEW_STATUSES)}"
            )
        ids = list(dict.fromkeys(ad_ids))
        done = 0
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            with self._write() as conn:
                done += conn.execute(
                    "UPDATE ads SET review_status = ?, changed_since_review = 0"
                    f" WHERE ad_id IN ({marks})",
                    [status, *part],
                ).rowcount
        return done

    # -- retention and stats -------------------------------------------
    def purge_candidates(self, last_seen_before: str, limit: int = 1000) -> list[str]:
        rows = self._db.execute(
            "SELECT ad_id FROM ads WHERE last_seen < ? AND flagged = 0"
            " AND review_status IN ('open', 'dismissed') ORDER BY last_seen, ad_id LIMIT ?",
            (utc_iso(last_seen_before), int(limit)),
        )
        return [r[0] for r in rows]

    def delete_ads(self, ad_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(ad_ids))
        gone = 0
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            with self._write() as conn:
                gone += conn.execute(
                    f"DELETE FROM ads WHERE ad_id IN ({marks})", list(part)
                ).rowcount
                conn.execute(f"DELETE FROM ad_versions WHERE ad_id IN ({marks})", list(part))
                conn.execute(f"DELETE FROM ad_keys WHERE ad_id IN ({marks})", list(part))
        return gone

    def stats(self) -> dict[str, Any]:
        db = self._db
        row = db.execute(
            "SELECT count(*), coalesce(sum(processing = 'pending'), 0),"
            " coalesce(sum(processing = 'done'), 0), coalesce(sum(flagged), 0),"
            " coalesce(sum(crawl_status = 'gone'), 0) FROM ads"
        ).fetchone()
        by_source = {
            r[0]: r[1] for r in db.execute("SELECT source, count(*) FROM ads GROUP BY source")
        }
        by_review = {
            r[0]: r[1]
            for r in db.execute("SELECT review_status, count(*) FROM ads GROUP BY review_status")
        }
        clusters = db.execute("SELECT count(*) FROM clusters").fetchone()[0]
        versions = db.execute("SELECT count(*) FROM ad_versions").fetchone()[0]
        size = os.path.getsize(self.path) if self.path.exists() else 0
        return {
            "backend": "sqlite",
            "url": self.url,
            "ads": row[0],
            "pending": row[1],
            "done": row[2],
            "flagged": row[3],
            "gone": row[4],
            "clusters": clusters,
            "versions": versions,
            "by_source": by_source,
            "by_review_status": by_review,
            "size_bytes": size,
        }


def _check_kind(kind: str) -> None:
    if kind not in LOOKUP_FIELDS:
        raise UnknownFieldError(
            f"Lookup kind {kind!r} is unknown; expected one of {', '.join(LOOKUP_FIELDS)}"
        )
