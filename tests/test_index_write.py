"""SQLite bulk write paths: history kept in ``ad_versions`` only for superseded
versions, ``ad_keys`` changed by difference (no index by ad id), chunked
transactions, sort ties by storage order (new ads append to the sort indexes),
and the migrations of existing files (schema 2 and 3 to 4)."""

from __future__ import annotations

import pytest

from index import SearchQuery, UnknownFieldError, make_ad_id, open_store
from index import sqlite_store as sqlite_module
from index.sqlite_schema import SCHEMA_VERSION


def _obs(i, **extra):
    return {
        "source": "s",
        "site_ad_id": str(i),
        "url": f"http://s/{i}",
        "title": f"titel {i}",
        "text": f"tekst {i}",
        "observed_at": "2024-05-01T10:00:00Z",
        "images": [{"sha256": f"img{i}"}],
        **extra,
    }


def _key_rows(store, ad_id):
    return sorted(
        tuple(r)
        for r in store._db.execute(
            "SELECT kind, key FROM ad_keys WHERE ad_id = ? ORDER BY kind, key", (ad_id,)
        )
    )


def test_history_holds_each_version_with_the_time_it_was_first_seen(sqlite_store):
    store = sqlite_store
    a = make_ad_id("s", "1")
    store.upsert_observations([_obs(1)])
    store.upsert_observations([_obs(1, observed_at="2024-05-02T10:00:00Z")])  # unchanged
    result = store.upsert_observations(
        [
            _obs(1, text="tweede", observed_at="2024-05-03T10:00:00Z"),
            _obs(1, text="derde", observed_at="2024-05-04T10:00:00Z"),  # twice in one call
            _obs(1, text="derde", observed_at="2024-05-05T10:00:00Z"),
        ]
    )
    assert result.changed == [a, a] and result.unchanged == [a]
    versions = store.get_versions(a)
    assert [(v["version"], v["text"], v["observed_at"]) for v in versions] == [
        (1, "tekst 1", "2024-05-01T10:00:00Z"),
        (2, "tweede", "2024-05-03T10:00:00Z"),
        (3, "derde", "2024-05-04T10:00:00Z"),
    ]
    ad = store.get_ad(a)
    assert ad["version"] == 3 and ad["last_seen"] == "2024-05-05T10:00:00Z"
    # Only superseded versions are copies; the current one is the ad itself.
    assert store._db.execute("SELECT count(*) FROM ad_versions").fetchone()[0] == 2
    assert store.stats()["versions"] == 3


def test_image_keys_follow_a_changed_ad_and_go_with_a_deleted_one(sqlite_store):
    store = sqlite_store
    a = make_ad_id("s", "1")
    store.upsert_observations([_obs(1), _obs(2)])
    assert store.key_counts("image_sha256", ["img1"]) == {"img1": 1}
    store.upsert_observations([_obs(1, images=[{"sha256": "img2"}, {"sha256": "new"}])])
    assert store.key_counts("image_sha256", ["img1", "img2", "new"]) == {
        "img1": 0,
        "img2": 2,
        "new": 1,
    }
    store.write_enrichments([{"ad_id": a, "phones": ["+31611111111"], "text_bands": ["b1"]}])
    assert store.delete_ads([a]) == 1
    assert _key_rows(store, a) == []
    assert store.key_counts("image_sha256", ["img2", "new"]) == {"img2": 1, "new": 0}
    assert store.get_versions(a) == []


def test_enrichment_keys_change_by_difference(sqlite_store):
    store = sqlite_store
    store.upsert_observations([_obs(1), _obs(2)])
    a, b = make_ad_id("s", "1"), make_ad_id("s", "2")
    store.write_enrichments(
        [
            {
                "ad_id": a,
                "phones": ["+31611111111", "+31622222222"],
                "indicators": [{"id": "new_in_town", "category": "movement"}],
            },
            {"ad_id": b, "phones": "+31611111111"},  # one phone as a plain string
        ]
    )
    assert store.lookup("phone", ["+31611111111"])["+31611111111"] == sorted([(a, None), (b, None)])
    store.write_enrichments(
        [
            {"ad_id": a, "phones": ["+31622222222", "+31633333333"], "indicators": []},
            {"ad_id": b, "risk": 0.5},  # no key fields: its keys stay
            {"ad_id": b, "phones": []},  # the same ad again in one call: the later wins
            {"ad_id": b, "phones": ["+31644444444"]},
        ]
    )
    assert _key_rows(store, a) == [
        ("image_sha256", "img1"),
        ("phone", "+31622222222"),
        ("phone", "+31633333333"),
    ]
    assert _key_rows(store, b) == [("image_sha256", "img2"), ("phone", "+31644444444")]
    assert store.search(SearchQuery(filters={"indicator": "new_in_town"})).total == 0
    assert store.search(SearchQuery(filters={"phone": "+31633333333"})).total == 1
    assert store.get_ad(b)["risk"] == 0.5


def test_bulk_write_in_many_chunks(sqlite_store, monkeypatch):
    """Chunk boundaries neither lose nor duplicate ads, also when an ad repeats
    across them."""
    monkeypatch.setattr(sqlite_module, "WRITE_CHUNK", 7)
    store = sqlite_store
    batch = [_obs(i % 40, text=f"tekst {i}" if i >= 40 else f"tekst {i % 40}") for i in range(60)]
    result = store.upsert_observations(batch)
    assert len(result.new) == 40 and len(result.changed) == 20 and not result.unchanged
    assert store.count() == 40 and store.stats()["versions"] == 60
    assert store.search(SearchQuery(text="tekst", size=0)).total == 40
    assert store.key_counts("image_sha256", [f"img{i}" for i in range(40)]) == {
        f"img{i}": 1 for i in range(40)
    }
    enriched = store.write_enrichments(
        {"ad_id": make_ad_id("s", str(i)), "phones": [f"+3161234{i:04d}"]} for i in range(40)
    )
    assert enriched == 40 and store.count(processing="done") == 40


def _as_schema_2(url):
    """Turn a current file into what schema 2 wrote: every version (the current one
    too) in ``ad_versions``, ``ad_keys`` indexed by ad id, no ``version_at``."""
    with open_store(url) as store:
        db = store._db
        db.execute(
            "INSERT INTO ad_versions(ad_id, version, content_hash, title, text, images,"
            " observed_at, evidence) SELECT ad_id, version, content_hash, title, text, images,"
            " version_at, evidence FROM ads"
        )
        db.execute("CREATE INDEX ad_keys_ad ON ad_keys(ad_id, kind, key)")
        db.execute("ALTER TABLE ads DROP COLUMN version_at")
        _old_sort_indexes(db)
        db.execute("PRAGMA user_version = 2")


#: Schema 2 and 3 broke sort ties by ad id and had a second ad-id index.
OLD_SORT_INDEXES = {
    "meta_queue": "review_status, flagged, COALESCE(risk, -1.0), ad_id",
    "meta_risk": "COALESCE(risk, -1.0), ad_id",
    "meta_last_seen": "last_seen, ad_id",
    "meta_first_seen": "first_seen, ad_id",
    "meta_cluster_size": "cluster_size, ad_id",
}


def _old_sort_indexes(db):
    for name, columns in OLD_SORT_INDEXES.items():
        db.execute(f"DROP INDEX {name}")
        db.execute(f"CREATE INDEX {name} ON ad_meta({columns})")
    db.execute("CREATE UNIQUE INDEX meta_ad_id ON ad_meta(ad_id)")


def _index_sql(db) -> dict[str, str]:
    return dict(
        db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    )


def _assert_new_sort_indexes(db):
    sql = _index_sql(db)
    assert "meta_ad_id" not in sql
    for name in OLD_SORT_INDEXES:
        assert "ad_id" not in sql[name], sql[name]


def test_schema_2_file_is_migrated_in_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'v2.db'}"
    a, b = make_ad_id("s", "1"), make_ad_id("s", "2")
    with open_store(url) as store:
        store.setup()
        store.upsert_observations([_obs(i) for i in range(1, 4)])
        store.upsert_observations([_obs(1, text="nieuw", observed_at="2024-06-01T10:00:00Z")])
        store.write_enrichments([{"ad_id": b, "phones": ["+31611111111"], "risk": 0.9}])
    _as_schema_2(url)
    with open_store(url) as store:
        db = store._db
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        assert "ad_keys_ad" not in names
        _assert_new_sort_indexes(db)
        assert not db.execute(
            "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).fetchall()  # no planner statistics (they slow the search plans)
        assert db.execute("SELECT count(*) FROM ad_versions").fetchone()[0] == 1
        assert [(v["version"], v["text"], v["observed_at"]) for v in store.get_versions(a)] == [
            (1, "tekst 1", "2024-05-01T10:00:00Z"),
            (2, "nieuw", "2024-06-01T10:00:00Z"),
        ]
        assert store.stats()["versions"] == 4 and store.count() == 3
        # Writes after the migration keep history and keys right.
        store.upsert_observations([_obs(1, text="derde", observed_at="2024-07-01T10:00:00Z")])
        assert [v["observed_at"] for v in store.get_versions(a)] == [
            "2024-05-01T10:00:00Z",
            "2024-06-01T10:00:00Z",
            "2024-07-01T10:00:00Z",
        ]
        store.write_enrichments([{"ad_id": b, "phones": ["+31622222222"]}])
        assert store.key_counts("phone", ["+31611111111", "+31622222222"]) == {
            "+31611111111": 0,
            "+31622222222": 1,
        }
        assert store.search(SearchQuery(filters={"risk_min": 0.5})).total == 1
    with open_store(url) as store:  # opening again changes nothing
        assert store.stats()["versions"] == 5


def test_schema_3_file_gets_sort_indexes_without_the_ad_id(tmp_path):
    url = f"sqlite:///{tmp_path / 'v3.db'}"
    with open_store(url) as store:
        store.setup()
        store.upsert_observations([_obs(i) for i in range(30)])
        store.write_enrichments(
            [{"ad_id": make_ad_id("s", str(i)), "risk": 0.5} for i in range(0, 30, 3)]
        )
        before = [h["ad_id"] for h in store.search(SearchQuery(sort="risk", size=30)).hits]
        _old_sort_indexes(store._db)
        store._db.execute("PRAGMA user_version = 3")
    with open_store(url) as store:
        db = store._db
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        _assert_new_sort_indexes(db)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [h["ad_id"] for h in store.search(SearchQuery(sort="risk", size=30)).hits] == before
        # A cursor made before the upgrade (ties by ad id) goes on from its ad.
        old_cursor = [-1.0, before[20]]
        page = store.search(SearchQuery(sort="risk", size=30, search_after=old_cursor))
        assert [h["ad_id"] for h in page.hits] == before[21:]
        with pytest.raises(UnknownFieldError, match="first page"):
            store.search(SearchQuery(sort="risk", search_after=[-1.0, "no-such-ad"]))


def test_sort_ties_follow_the_order_ads_were_first_stored(sqlite_store):
    """Ties break by rowid: stored in reverse ad-id order, ties come back that way."""
    store = sqlite_store
    numbers = list(range(50))
    ids = sorted(make_ad_id("s", str(i)) for i in numbers)
    by_id = {make_ad_id("s", str(i)): i for i in numbers}
    for ad_id in reversed(ids):  # one call each: storage order = ad ids descending
        store.upsert_observations([_obs(by_id[ad_id])])
    store.write_enrichments([{"ad_id": a, "risk": 0.5} for a in ids])
    for sort in ("risk", "last_seen", "first_seen", "cluster_size"):
        for descending in (True, False):
            hits = store.search(SearchQuery(sort=sort, descending=descending, size=50)).hits
            got = [h["ad_id"] for h in hits]
            assert got == (ids if descending else ids[::-1]), (sort, descending)


@pytest.mark.parametrize("sort", ["risk", "last_seen", "ad_id"])
def test_walking_the_sort_index_pages_like_sorting_every_ad(sqlite_store, monkeypatch, sort):
    """Text-free searches over many ads walk the sort index (ad ids: ``ads``' own)."""
    import index.sqlite_search as plans

    store = sqlite_store
    for start in range(80, -1, -20):
        store.upsert_observations(
            [
                _obs(i, observed_at=f"2024-05-0{1 + i % 3}T10:00:00Z")
                for i in range(start, start + 20)
            ]
        )
    store.write_enrichments(
        [{"ad_id": make_ad_id("s", str(i)), "risk": (i % 4) / 4} for i in range(0, 100, 2)]
    )

    def pages(descending):
        out, after = [], None
        for _ in range(30):  # 100 ads in pages of 9: 12 pages
            page = store.search(
                SearchQuery(sort=sort, descending=descending, size=9, search_after=after)
            )
            out += [h["ad_id"] for h in page.hits]
            if page.next_after is None:
                return out
            after = page.next_after
        raise AssertionError("the pages never end: the cursor does not move on")

    for descending in (True, False):
        sorted_all = pages(descending)
        monkeypatch.setattr(plans, "FACET_SAMPLE", 5)  # every search walks the index
        walked = pages(descending)
        monkeypatch.undo()
        assert walked == sorted_all and len(set(walked)) == 100
    if sort == "ad_id":
        assert walked == sorted(walked)


@pytest.mark.parametrize(
    "query, index, sorts",
    [
        # the ad-id order walks ads' own ad-id index, with no sort of every ad
        (SearchQuery(sort="ad_id", descending=False, size=5), "sqlite_autoindex_ads_1", False),
        # a key filter reads ad_meta by rowid from the matching keys, no scan
        # (then sorts those few matches)
        (SearchQuery(filters={"phone": "+31611111111"}, size=5), "INTEGER PRIMARY KEY", True),
    ],
)
def test_ad_id_reads_need_no_ad_id_index_on_ad_meta(sqlite_store, monkeypatch, query, index, sorts):
    """The page queries the search really runs, explained: no scan of ``ad_meta``
    and no sort of every ad, though ``ad_meta`` has no index by ad id."""
    import index.sqlite_search as plans

    store = sqlite_store
    store.upsert_observations([_obs(i) for i in range(30)])
    store.write_enrichments([{"ad_id": make_ad_id("s", "3"), "phones": ["+31611111111"]}])
    monkeypatch.setattr(plans, "FACET_SAMPLE", 5)  # the large-set plans
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        assert store.search(query).hits
    finally:
        store._db.set_trace_callback(None)
    pages = [sql for sql in statements if "AS sort_key FROM" in sql and "LIMIT" in sql]
    assert pages
    for sql in pages:
        plan = " ".join(str(r[3]) for r in store._db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert index in plan and "SCAN a" not in plan, plan
        assert sorts or "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("kind", ["image_sha256", "phone"])
def test_key_lookups_use_the_primary_key(sqlite_store, kind):
    """With no index by ad id, every key read and delete must use the primary key."""
    plan = " ".join(
        str(r[3])
        for r in sqlite_store._db.execute(
            "EXPLAIN QUERY PLAN DELETE FROM ad_keys WHERE kind = ? AND key = ? AND ad_id = ?",
            (kind, "k", "a"),
        )
    )
    assert "PRIMARY KEY" in plan and "SCAN" not in plan


def test_claims_take_unclaimed_ads_oldest_first_then_expired_claims(sqlite_store):
    store = sqlite_store
    days = {1: "2024-05-03", 2: "2024-05-01", 3: "2024-05-02", 4: "2024-05-04"}
    store.upsert_observations([_obs(i, observed_at=f"{day}T10:00:00Z") for i, day in days.items()])
    a1, a2, a3, a4 = (make_ad_id("s", str(i)) for i in days)
    expired = store.claim_pending(1, worker="gone", lease_seconds=-1)
    assert [ad["ad_id"] for ad in expired] == [a2]
    held = store.claim_pending(1, worker="busy", lease_seconds=600)
    assert [ad["ad_id"] for ad in held] == [a3]
    claimed = store.claim_pending(10, worker="next")
    assert [ad["ad_id"] for ad in claimed] == [a1, a4, a2]
    assert store.claim_pending(10, worker="more") == []
