"""The SQLite ad store's schema: tables, indexes, triggers and in-place migrations.

``ads`` holds whole documents; ``ad_meta`` is a narrow copy of the filter, sort
and facet columns (kept by triggers) so searches never read the bulky rows;
``ad_cube`` / ``ad_cube_cat`` count ads per combination of keyword values (also
kept by triggers) so the review queue's totals and facets cost no scan.

Bulk writes of new ads are bounded by the B-trees keyed by the (random) ad id:
each such insert dirties one page that the commit writes to the WAL. So the
current version of an ad lives only in ``ads`` (``ad_versions`` holds the
superseded ones, copied there when the text changes) and ``ad_keys`` has no
index by ad id (old keys are found from the ad's own columns and deleted by
primary key), and the sort indexes of ``ad_meta`` break ties by rowid, the
order ads were first stored, so new ads append to them.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 4

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

#: Columns of ``ad_meta`` copied from ``ads`` (``cats`` is ``indicator_categories``).
META_COLUMNS = (
    "ad_id",
    "source",
    "city",
    "ad_type",
    "review_status",
    "crawl_status",
    "processing",
    "flagged",
    "risk",
    "risk_band",
    "last_seen",
    "first_seen",
    "cluster_size",
    "cluster_id",
)
#: Keyword dimensions of ``ad_cube``; NULL is stored as char(31) (a UNIQUE key
#: would treat NULLs as distinct).
CUBE_DIMS = (
    "review_status",
    "flagged",
    "source",
    "city",
    "crawl_status",
    "processing",
    "risk_band",
    "ad_type",
)
CUBE_NULL = "\x1f"
NULLABLE_DIMS = ("city", "ad_type")

BASE_DDL = f"""
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
    {", ".join(f"{c} TEXT" for c in JSON_COLUMNS)},
    version_at TEXT
);
CREATE INDEX IF NOT EXISTS ads_pending ON ads(claimed_until, last_seen) WHERE processing = 'pending';
CREATE INDEX IF NOT EXISTS ads_source ON ads(source, crawl_status);
CREATE INDEX IF NOT EXISTS ads_cluster ON ads(cluster_id);
CREATE TABLE IF NOT EXISTS ad_keys (
    kind TEXT NOT NULL, key TEXT NOT NULL, ad_id TEXT NOT NULL,
    PRIMARY KEY (kind, key, ad_id)
) WITHOUT ROWID;
-- Superseded versions only (the current one is the ads row); bulky rows are
-- appended in rowid order, only the narrow key is random.
CREATE TABLE IF NOT EXISTS ad_versions (
    vid INTEGER PRIMARY KEY,
    ad_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    title TEXT, text TEXT, images TEXT, observed_at TEXT, evidence TEXT,
    UNIQUE (ad_id, version)
);
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
CREATE TABLE IF NOT EXISTS ad_meta (
    rid INTEGER PRIMARY KEY,
    ad_id TEXT NOT NULL, source TEXT NOT NULL, city TEXT, ad_type TEXT,
    review_status TEXT NOT NULL, crawl_status TEXT NOT NULL, processing TEXT NOT NULL,
    flagged INTEGER NOT NULL, risk REAL, risk_band TEXT NOT NULL,
    last_seen TEXT NOT NULL, first_seen TEXT NOT NULL,
    cluster_size INTEGER NOT NULL, cluster_id TEXT, cats TEXT
);
-- Sort indexes break ties by rid (implicit last column): new ads append to
-- them in bulk writes instead of landing on a random page each.
CREATE INDEX IF NOT EXISTS meta_queue ON ad_meta(review_status, flagged, COALESCE(risk, -1.0));
CREATE INDEX IF NOT EXISTS meta_risk ON ad_meta(COALESCE(risk, -1.0));
CREATE INDEX IF NOT EXISTS meta_last_seen ON ad_meta(last_seen);
CREATE INDEX IF NOT EXISTS meta_first_seen ON ad_meta(first_seen);
CREATE INDEX IF NOT EXISTS meta_cluster_size ON ad_meta(cluster_size);
CREATE INDEX IF NOT EXISTS meta_cluster ON ad_meta(cluster_id);
CREATE TABLE IF NOT EXISTS ad_cube (
    {", ".join(CUBE_DIMS)}, n INTEGER NOT NULL,
    PRIMARY KEY ({", ".join(CUBE_DIMS)})
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ad_cube_cat (
    {", ".join(CUBE_DIMS)}, category, n INTEGER NOT NULL,
    PRIMARY KEY ({", ".join(CUBE_DIMS)}, category)
) WITHOUT ROWID;
"""

#: v1 indexes on ``ads`` that ``ad_meta`` now serves.
DROPPED_INDEXES = (
    "ads_risk",
    "ads_last_seen",
    "ads_first_seen",
    "ads_cluster_size",
    "ads_queue",
    "ads_city",
)


def _cube_values(row: str) -> str:
    return ", ".join(
        f"ifnull({row}.{d}, char(31))" if d in NULLABLE_DIMS else f"{row}.{d}" for d in CUBE_DIMS
    )


def _cube_match(row: str) -> str:
    return " AND ".join(
        f"{d} = ifnull({row}.{d}, char(31))" if d in NULLABLE_DIMS else f"{d} = {row}.{d}"
        for d in CUBE_DIMS
    )


def _cube_add(row: str) -> str:
    return f"""
    INSERT INTO ad_cube VALUES ({_cube_values(row)}, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO ad_cube_cat SELECT DISTINCT {_cube_values(row)}, j.value, 1
        FROM json_each({row}.cats) j WHERE j.value IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;"""


def _cube_remove(row: str) -> str:
    return f"""
    UPDATE ad_cube SET n = n - 1 WHERE {_cube_match(row)};
    UPDATE ad_cube_cat SET n = n - 1 WHERE {_cube_match(row)}
        AND category IN (SELECT j.value FROM json_each({row}.cats) j);"""


_META_VALUES = ", ".join(f"new.{c}" for c in META_COLUMNS)
#: ``ad_meta`` is updated per group of columns, and only when one of them
#: changed: SQLite rewrites every index over a column that an UPDATE sets, even
#: to the same value (a re-crawl must not rewrite the risk indexes).
META_UPDATE_GROUPS = {
    "seen": ("last_seen", "first_seen"),  # a re-crawl
    "cluster": ("cluster_size", "cluster_id"),
    "review": ("review_status",),
    "other": (
        "flagged",
        "risk",
        "source",
        "city",
        "ad_type",
        "crawl_status",
        "processing",
        "risk_band",
    ),
}


def _meta_update_trigger(name: str, columns: tuple[str, ...]) -> str:
    source = [*columns, "indicator_categories"] if name == "other" else list(columns)
    sets = [f"{c} = new.{c}" for c in columns]
    if name == "other":
        sets.append("cats = new.indicator_categories")
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in source)
    return (
        f"CREATE TRIGGER IF NOT EXISTS ads_meta_{name} AFTER UPDATE OF {', '.join(source)} ON ads"
        f" WHEN {changed} BEGIN\n"
        f"    UPDATE ad_meta SET {', '.join(sets)} WHERE rid = new.rid;\nEND;"
    )


_META_UPDATE_TRIGGERS = "\n".join(
    _meta_update_trigger(name, columns) for name, columns in META_UPDATE_GROUPS.items()
)

TRIGGER_DDL = f"""
DROP TRIGGER IF EXISTS ads_meta_update;
DROP TRIGGER IF EXISTS meta_cube_update;
DROP TRIGGER IF EXISTS ads_meta_queue;
-- Only a changed title or text reaches the full-text index.
CREATE TRIGGER IF NOT EXISTS ads_fts_update AFTER UPDATE OF title, text ON ads
WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
    INSERT INTO ads_fts(ads_fts, rowid, title, text) VALUES ('delete', old.rid, old.title, old.text);
    INSERT INTO ads_fts(rowid, title, text) VALUES (new.rid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS ads_meta_insert AFTER INSERT ON ads BEGIN
    INSERT INTO ad_meta(rid, {", ".join(META_COLUMNS)}, cats)
    VALUES (new.rid, {_META_VALUES}, new.indicator_categories);
END;
CREATE TRIGGER IF NOT EXISTS ads_meta_delete AFTER DELETE ON ads BEGIN
    DELETE FROM ad_meta WHERE rid = old.rid;
END;
{_META_UPDATE_TRIGGERS}
CREATE TRIGGER IF NOT EXISTS meta_cube_insert AFTER INSERT ON ad_meta BEGIN{_cube_add("new")}
END;
CREATE TRIGGER IF NOT EXISTS meta_cube_delete AFTER DELETE ON ad_meta BEGIN{_cube_remove("old")}
END;
CREATE TRIGGER IF NOT EXISTS meta_cube_change
AFTER UPDATE OF {", ".join((*CUBE_DIMS, "cats"))} ON ad_meta
WHEN {" OR ".join(f"old.{d} IS NOT new.{d}" for d in (*CUBE_DIMS, "cats"))} BEGIN{_cube_remove("old")}{_cube_add("new")}
END;
"""

#: Fills ``ad_meta`` and the cubes from the ads of a v1 file (a no-op on a new one).
MIGRATE_FILL = f"""
DROP TRIGGER IF EXISTS ads_fts_update;
INSERT INTO ad_meta(rid, {", ".join(META_COLUMNS)}, cats)
    SELECT rid, {", ".join(META_COLUMNS)}, indicator_categories FROM ads;
INSERT INTO ad_cube SELECT {_cube_values("m")}, count(*) FROM ad_meta m GROUP BY {", ".join(CUBE_DIMS)};
INSERT INTO ad_cube_cat SELECT {_cube_values("m")}, j.value, count(DISTINCT m.rid)
    FROM ad_meta m, json_each(m.cats) j WHERE j.value IS NOT NULL
    GROUP BY {", ".join(CUBE_DIMS)}, j.value;
"""


#: Schema 1 kept versions in a WITHOUT ROWID table keyed by the (random) ad id.
REBUILD_VERSIONS = """
ALTER TABLE ad_versions RENAME TO ad_versions_v1;
CREATE TABLE ad_versions (
    vid INTEGER PRIMARY KEY,
    ad_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    title TEXT, text TEXT, images TEXT, observed_at TEXT, evidence TEXT,
    UNIQUE (ad_id, version)
);
INSERT INTO ad_versions(ad_id, version, content_hash, title, text, images, observed_at, evidence)
    SELECT ad_id, version, content_hash, title, text, images, observed_at, evidence
    FROM ad_versions_v1;
DROP TABLE ad_versions_v1;
"""


#: Schema 2 kept every version (the current one too) in ``ad_versions`` and
#: indexed ``ad_keys`` by ad id; both cost a random page per ad in bulk writes.
MIGRATE_V3 = """
UPDATE ads SET version_at = (SELECT v.observed_at FROM ad_versions v
    WHERE v.ad_id = ads.ad_id AND v.version = ads.version);
DELETE FROM ad_versions WHERE (ad_id, version) IN (SELECT ad_id, version FROM ads);
DROP INDEX IF EXISTS ad_keys_ad;
"""


#: Schema 3 broke sort ties by the random ad id (one random page per new ad and
#: sort index) and kept a second ad-id index on ``ad_meta``; the new indexes are
#: made by ``BASE_DDL``.
MIGRATE_V4 = """
DROP INDEX IF EXISTS meta_queue;
DROP INDEX IF EXISTS meta_risk;
DROP INDEX IF EXISTS meta_last_seen;
DROP INDEX IF EXISTS meta_first_seen;
DROP INDEX IF EXISTS meta_cluster_size;
DROP INDEX IF EXISTS meta_ad_id;
"""


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the schema, or migrate an older file in place; idempotent."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        script = MIGRATE_V4 + BASE_DDL if 2 <= version < 4 else BASE_DDL
        if version == 1:
            script += REBUILD_VERSIONS
        if version < 2:
            script += "".join(f"\nDROP INDEX IF EXISTS {name};\n" for name in DROPPED_INDEXES)
            script += MIGRATE_FILL
        if 1 <= version < 3:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(ads)")}
            if "version_at" not in columns:
                script += "\nALTER TABLE ads ADD COLUMN version_at TEXT;\n"
            script += MIGRATE_V3
        script += TRIGGER_DDL + f"\nPRAGMA user_version = {SCHEMA_VERSION};\n"
        # executescript would commit first; run the statements one by one instead.
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    # No ``PRAGMA optimize`` after a migration: planner statistics make the
    # search plans slower (see ``SqliteAdStore.optimize``).


def _statements(script: str) -> list[str]:
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        out.append(buffer.strip())
    return out
