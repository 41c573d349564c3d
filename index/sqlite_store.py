"""The embedded ad store: one SQLite file in WAL mode, FTS5 for full text.

One writer and several readers may use the file at once (the pipeline and the
web app); each thread gets its own connection. ``synchronous=NORMAL`` under WAL:
a crashed process loses nothing committed; a power cut may lose the last
transactions (never corrupts the file). Schema: :mod:`index.sqlite_schema`.
"""

from __future__ import annotations

import itertools
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
    LOOKUP_FIELDS,
    REVIEW_STATUSES,
    AdStore,
    UpsertResult,
)
from index.exceptions import StoreConfigError, UnknownFieldError
from index.schema import (
    KEY_FIELDS,
    indicator_ids,
    now_iso,
    prepare_enrichment,
    prepare_observation,
    utc_iso,
)
from index.sqlite_schema import (
    JSON_COLUMNS,
    SCHEMA_VERSION,
    create_schema,
)
from index.sqlite_search import SqliteSearch, as_list, row_doc

CLUSTER_SORTS = ("size", "risk_max", "n_cities", "last_seen", "growth")
CHUNK = 500
#: Ads per write transaction (bounded so a huge call does not hold the lock for
#: long). Bigger transactions write fewer pages per ad: every commit writes each
#: page it dirtied, and inserts keyed by the random ad id dirty one page per ad
#: and index whatever the size, less the pages that two ads of it share.
WRITE_CHUNK = 2000
#: Page cache of a connection once it writes, in MiB (readers keep
#: ``READ_CACHE_MB``): the random-key indexes of a million ads must stay in it.
WRITE_CACHE_MB = 1024
READ_CACHE_MB = 256
#: WAL pages after which a writer's commit copies them into the database
#: (SQLite's default is 1,000). A checkpoint syncs the disk, so a bulk write
#: should do it rarely; pages rewritten between two checkpoints are copied
#: once. The WAL file is cut back to ``WAL_KEEP_BYTES`` after one.
WAL_CHECKPOINT_PAGES = 65536
WAL_KEEP_BYTES = 64 * 1024 * 1024
#: Key kinds and the ``ads`` column their keys are derived from.
KEY_COLUMNS = {
    kind: ("indicators" if kind == "indicator" else fieldname)
    for kind, fieldname in KEY_FIELDS.items()
}


#: One encoder for every write (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> str:
    if value is None:
        return "null"
    if not value and isinstance(value, list):
        return "[]"
    return _ENCODER.encode(value)


def _column_value(name: str, value: Any) -> Any:
    if name in JSON_COLUMNS:
        return _dumps(value)
    if name == "flagged":
        return int(bool(value))
    return value


def _keys_of(kind: str, value: Any) -> set[str]:
    """The ``ad_keys`` keys of ``kind`` for the value of its column (parsed JSON)."""
    if kind == "indicator":
        keys: list[Any] = indicator_ids({"indicators": value})
    else:
        keys = as_list(value)
    return {str(k) for k in keys if k not in (None, "")}


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqliteAdStore(SqliteSearch, AdStore):
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
            conn.execute(f"PRAGMA cache_size = -{READ_CACHE_MB * 1024}")
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
        create_schema(conn)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at its start so writers queue, not deadlock."""
        conn = self._db
        if not getattr(self._local, "writer", False):
            conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_MB * 1024}")
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
            self._local.writer = True
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
    @staticmethod
    def _change_keys(
        conn: sqlite3.Connection,
        removed: Iterable[tuple[str, str, str]],
        added: Iterable[tuple[str, str, str]],
    ) -> None:
        """Delete and insert ``(kind, key, ad_id)`` rows of ``ad_keys`` by primary key."""
        conn.executemany(
            "DELETE FROM ad_keys WHERE kind = ? AND key = ? AND ad_id = ?", sorted(removed)
        )
        conn.executemany(
            "INSERT OR IGNORE INTO ad_keys(kind, key, ad_id) VALUES (?, ?, ?)", sorted(added)
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
            if len(batch) >= WRITE_CHUNK:
                self._upsert_chunk(batch, result)
                batch = []
        if batch:
            self._upsert_chunk(batch, result)
        return result

    def _upsert_chunk(self, batch: list[dict[str, Any]], result: UpsertResult) -> None:
        """Write one chunk in one transaction: a read of what is known, then one
        ``executemany`` per run of same-kind writes (new ads, re-seen ads)."""
        with self._write() as conn:
            ids = list({d["ad_id"] for d in batch})
            known: dict[str, dict[str, Any]] = {}
            for part in _chunks(ids):
                marks = ",".join("?" * len(part))
                for row in conn.execute(
                    "SELECT ad_id, content_hash, version, review_status, changed_since_review,"
                    f" image_sha256 FROM ads WHERE ad_id IN ({marks})",
                    list(part),
                ):
                    known[row["ad_id"]] = dict(row)
            ops: list[tuple[str, dict[str, Any], int, bool, Any]] = []
            for doc in batch:
                ad_id = doc["ad_id"]
                old = known.get(ad_id)
                if old is None:
                    ops.append(("new", doc, 1, False, None))
                    known[ad_id] = {
                        "content_hash": doc["content_hash"],
                        "version": 1,
                        "review_status": "open",
                        "changed_since_review": 0,
                        "image_sha256": doc["image_sha256"],
                    }
                    result.new.append(ad_id)
                elif old["content_hash"] == doc["content_hash"]:
                    ops.append(("seen", doc, old["version"], False, None))
                    result.unchanged.append(ad_id)
                else:
                    version = old["version"] + 1
                    reviewed = old["review_status"] != "open" or bool(old["changed_since_review"])
                    ops.append(("changed", doc, version, reviewed, old["image_sha256"]))
                    old.update(content_hash=doc["content_hash"], version=version)
                    old["image_sha256"] = doc["image_sha256"]
                    old["changed_since_review"] = int(reviewed)
                    result.changed.append(ad_id)
            for kind, run in itertools.groupby(ops, key=lambda op: op[0]):
                docs = list(run)
                if kind == "new":
                    # In ad id order: each insert into an index keyed by the
                    # random ad id lands next to the previous one.
                    self._insert_ads(conn, sorted((op[1] for op in docs), key=lambda d: d["ad_id"]))
                elif kind == "seen":
                    conn.executemany(
                        "UPDATE ads SET last_seen = max(last_seen, ?), first_seen = min(first_seen, ?),"
                        " observed_at = max(coalesce(observed_at, ''), ?), crawl_status = 'active',"
                        " crawl_run = coalesce(?, crawl_run) WHERE ad_id = ?",
                        [
                            (
                                d["observed_at"],
                                d["observed_at"],
                                d["observed_at"],
                                d["crawl_run"],
                                d["ad_id"],
                            )
                            for _, d, _, _, _ in docs
                        ],
                    )
                else:
                    for _, doc, version, reviewed, old_images in docs:
                        self._update_ad(conn, doc, version, reviewed, old_images)

    def _insert_ads(self, conn: sqlite3.Connection, docs: list[dict[str, Any]]) -> None:
        conn.executemany(
            "INSERT INTO ads(ad_id, source, site_ad_id, url, title, text, city, posted_at,"
            " price_text, phone_region, content_hash, observed_at, crawl_run, version,"
            " first_seen, last_seen, images, evidence, image_sha256, version_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?,?,?)",
            [
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
                    doc["observed_at"],
                    doc["crawl_run"],
                    doc["observed_at"],
                    doc["observed_at"],
                    _dumps(doc["images"]),
                    _dumps(doc["evidence"]),
                    _dumps(doc["image_sha256"]),
                    doc["observed_at"],
                )
                for doc in docs
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO ad_keys(kind, key, ad_id) VALUES ('image_sha256', ?, ?)",
            sorted((k, doc["ad_id"]) for doc in docs for k in doc["image_sha256"]),
        )

    def _update_ad(
        self,
        conn: sqlite3.Connection,
        doc: dict[str, Any],
        version: int,
        reviewed: bool,
        old_images: Any,
    ) -> None:
        """A changed text: the current version goes to history, the ad takes the new one."""
        seen = doc["observed_at"]
        conn.execute(
            "INSERT OR REPLACE INTO ad_versions(ad_id, version, content_hash, title, text, images,"
            " observed_at, evidence) SELECT ad_id, version, content_hash, title, text, images,"
            " coalesce(version_at, observed_at), evidence FROM ads WHERE ad_id = ?",
            (doc["ad_id"],),
        )
        conn.execute(
            "UPDATE ads SET url = coalesce(?, url), title = ?, text = ?, city = ?, posted_at = ?,"
            " price_text = ?, phone_region = coalesce(?, phone_region), content_hash = ?,"
            " observed_at = ?, crawl_run = coalesce(?, crawl_run), version = ?,"
            " last_seen = max(last_seen, ?), crawl_status = 'active', processing = 'pending',"
            " claimed_by = NULL, claimed_until = NULL, changed_since_review = ?,"
            " images = ?, evidence = ?, image_sha256 = ?, version_at = ? WHERE ad_id = ?",
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
                seen,
                doc["ad_id"],
            ),
        )
        if isinstance(old_images, str):
            old_images = json.loads(old_images)
        old = _keys_of("image_sha256", old_images)
        new = _keys_of("image_sha256", doc["image_sha256"])
        ad_id = doc["ad_id"]
        self._change_keys(
            conn,
            [("image_sha256", k, ad_id) for k in old - new],
            [("image_sha256", k, ad_id) for k in new - old],
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
        return row_doc(row) if row is not None else None

    def get_ads(self, ad_ids: Sequence[str]) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(ad_ids))
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            for row in self._db.execute(f"SELECT * FROM ads WHERE ad_id IN ({marks})", list(part)):
                found[row["ad_id"]] = row_doc(row)
        return [found[a] for a in ad_ids if a in found]

    def get_versions(self, ad_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT ad_id, version, content_hash, title, text, images, observed_at, evidence"
            " FROM ad_versions WHERE ad_id = ? UNION ALL"
            " SELECT ad_id, version, content_hash, title, text, images,"
            " coalesce(version_at, observed_at), evidence FROM ads WHERE ad_id = ?"
            " ORDER BY version",
            (ad_id, ad_id),
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
            # Unclaimed ads first, then expired claims, each oldest first: two
            # walks of the pending index that stop at the limit (one query with
            # both would sort every pending ad, a million after a bulk load).
            rows = conn.execute(
                "SELECT * FROM ads WHERE processing = 'pending' AND claimed_until IS NULL"
                " ORDER BY last_seen LIMIT ?",
                (int(limit),),
            ).fetchall()
            if len(rows) < limit:
                rows += conn.execute(
                    "SELECT * FROM ads WHERE processing = 'pending' AND claimed_until < ?"
                    " ORDER BY last_seen LIMIT ?",
                    (now, int(limit) - len(rows)),
                ).fetchall()
            conn.executemany(
                "UPDATE ads SET claimed_by = ?, claimed_until = ? WHERE rid = ?",
                [(worker, now + lease_seconds, row["rid"]) for row in rows],
            )
        return [row_doc(row) for row in rows]

    def write_enrichments(self, enrichments: Iterable[dict[str, Any]]) -> int:
        items = [prepare_enrichment(e) for e in enrichments]
        written = 0
        for part in _chunks(items, WRITE_CHUNK):
            with self._write() as conn:
                written += self._enrich_chunk(conn, part)
        return written

    def _enrich_chunk(self, conn: sqlite3.Connection, items: Sequence[dict[str, Any]]) -> int:
        """Enrich a chunk with one ``executemany`` per run of items that set the same fields.

        Keys change by difference: the ad's old keys come from its own columns
        (read with its version), only keys that went away are deleted and only
        new ones inserted, all by primary key.
        """
        names_of = [tuple(n for n in item if n not in ("ad_id", "version")) for item in items]
        present = set().union(*names_of) if names_of else set()
        key_kinds = [
            kind
            for kind, column in KEY_COLUMNS.items()
            if kind != "image_sha256" and column in present
        ]
        columns = list(dict.fromkeys(KEY_COLUMNS[kind] for kind in key_kinds))
        versions: dict[str, int] = {}
        stored: dict[str, dict[str, Any]] = {}
        ids = list({str(item["ad_id"]) for item in items})
        for part in _chunks(ids):
            marks = ",".join("?" * len(part))
            for row in conn.execute(
                f"SELECT {', '.join(['ad_id', 'version', *columns])} FROM ads"
                f" WHERE ad_id IN ({marks})",
                list(part),
            ):
                versions[row[0]] = row[1]
                stored[row[0]] = {
                    c: None if row[2 + i] is None else json.loads(row[2 + i])
                    for i, c in enumerate(columns)
                }
        stale: list[tuple[str]] = []
        runs: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
        in_run: set[str] = set()
        for item, names in zip(items, names_of, strict=True):
            ad_id = str(item["ad_id"])
            if ad_id not in versions:
                continue
            if item.get("version") is not None and int(item["version"]) != versions[ad_id]:
                # Processed an older text: release the claim, the ad stays pending.
                stale.append((ad_id,))
                continue
            # A new run when the fields differ, or when the ad is already in this
            # run (its later enrichment must win, keys included).
            if not runs or runs[-1][0] != names or ad_id in in_run:
                runs.append((names, []))
                in_run = set()
            runs[-1][1].append(item)
            in_run.add(ad_id)
        conn.executemany(
            "UPDATE ads SET claimed_by = NULL, claimed_until = NULL WHERE ad_id = ?", stale
        )
        written = 0
        for names, run in runs:
            sets = ["processing = 'done'", "claimed_by = NULL", "claimed_until = NULL"]
            sets += [f"{name} = ?" for name in names]
            conn.executemany(
                f"UPDATE ads SET {', '.join(sets)} WHERE ad_id = ?",
                [[*(_column_value(n, item[n]) for n in names), str(item["ad_id"])] for item in run],
            )
            written += len(run)
            kinds = [kind for kind in key_kinds if KEY_COLUMNS[kind] in names]
            removed: list[tuple[str, str, str]] = []
            added: list[tuple[str, str, str]] = []
            for item in run:
                ad_id = str(item["ad_id"])
                old_values = stored[ad_id]
                for kind in kinds:
                    column = KEY_COLUMNS[kind]
                    old_keys = _keys_of(kind, old_values[column])
                    new_keys = _keys_of(kind, item[column])
                    removed.extend((kind, k, ad_id) for k in old_keys - new_keys)
                    added.extend((kind, k, ad_id) for k in new_keys - old_keys)
                for column in {KEY_COLUMNS[kind] for kind in kinds}:
                    old_values[column] = item[column]  # a later run of this chunk
            self._change_keys(conn, removed, added)
        return written

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
            "SELECT ad_id FROM ad_meta WHERE last_seen < ? AND flagged = 0"
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
                keys: list[tuple[str, str, str]] = []
                for row in conn.execute(
                    f"SELECT ad_id, {', '.join(KEY_COLUMNS.values())} FROM ads"
                    f" WHERE ad_id IN ({marks})",
                    list(part),
                ):
                    for i, kind in enumerate(KEY_COLUMNS, start=1):
                        value = json.loads(row[i]) if row[i] is not None else None
                        keys.extend((kind, k, row[0]) for k in _keys_of(kind, value))
                gone += conn.execute(
                    f"DELETE FROM ads WHERE ad_id IN ({marks})", list(part)
                ).rowcount
                conn.execute(f"DELETE FROM ad_versions WHERE ad_id IN ({marks})", list(part))
                self._change_keys(conn, keys, [])
        return gone

    def optimize(self) -> dict[str, Any]:
        """Merge the full-text index into one segment.

        Text searches on a merged index probe one b-tree per term instead of
        one per segment: at 1M ads the store benchmark's text searches took
        52 / 71 ms (p50 / p95) merged against 85-95 / 98-142 ms as bulk-loaded.
        The merge took 2-7 s at 1M ads."""
        start = time.perf_counter()
        before = self._segments()
        with self._write() as conn:
            conn.execute("INSERT INTO ads_fts(ads_fts) VALUES('optimize')")
        # The merge rewrites the whole full-text index into the WAL; until it is
        # copied back, every read looks pages up in that WAL too (at 1M ads that
        # made searches slower than before the merge). Readers still reading an
        # old snapshot only postpone the truncation.
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        # No ANALYZE / PRAGMA optimize: with statistics the planner leaves the
        # plans the search code is built around (at 1M ads, text search went
        # from 56 to 152 ms median on a merged index).
        return {
            "fts_segments_before": before,
            "fts_segments_after": self._segments(),
            "seconds": round(time.perf_counter() - start, 2),
        }

    def _segments(self) -> int:
        (n,) = self._db.execute("SELECT count(DISTINCT segid) FROM ads_fts_idx").fetchone()
        return int(n)

    def stats(self) -> dict[str, Any]:
        db = self._db
        row = db.execute(
            "SELECT coalesce(sum(n), 0), coalesce(sum(n * (processing = 'pending')), 0),"
            " coalesce(sum(n * (processing = 'done')), 0), coalesce(sum(n * flagged), 0),"
            " coalesce(sum(n * (crawl_status = 'gone')), 0) FROM ad_cube"
        ).fetchone()
        by_source = {
            r[0]: r[1]
            for r in db.execute(
                "SELECT source, sum(n) AS c FROM ad_cube GROUP BY source HAVING c > 0"
            )
        }
        by_review = {
            r[0]: r[1]
            for r in db.execute(
                "SELECT review_status, sum(n) AS c FROM ad_cube GROUP BY review_status HAVING c > 0"
            )
        }
        clusters = db.execute("SELECT count(*) FROM clusters").fetchone()[0]
        # Superseded versions, plus the current one of every ad.
        versions = db.execute("SELECT count(*) FROM ad_versions").fetchone()[0] + row[0]
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
