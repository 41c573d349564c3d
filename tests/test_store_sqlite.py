"""The SQLite backend beyond the contract: WAL, threads, concurrent claimers,
and the ``adscan index`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from index import SearchQuery, StoreConfigError, make_ad_id, open_store
from index.sqlite_schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent


def _obs(i):
    return {"source": "s", "site_ad_id": str(i), "url": f"http://s/{i}", "title": f"titel {i}"}


def test_wal_mode_and_schema(sqlite_store):
    db = sqlite_store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert {"ads", "ad_keys", "ad_versions", "clusters", "ads_fts"} <= tables
    plan = " ".join(
        str(r[3])
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT ad_id FROM ad_keys WHERE kind = 'phone' AND key = '+31'"
        )
    )
    assert "USING PRIMARY KEY" in plan or "USING COVERING INDEX" in plan


def test_relative_path_and_directory_creation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///var/data/ads.db") as store:
        store.upsert_observations([_obs(1)])
    assert (tmp_path / "var" / "data" / "ads.db").is_file()


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = open_store(f"sqlite:///{blocker}/ads.db")
    with pytest.raises(StoreConfigError, match="Cannot open the ad store .*ADSCAN_INDEX_URL"):
        store.count()


def test_one_store_shared_by_threads(sqlite_store):
    """The web app's threaded server reads while the pipeline writes."""
    errors: list[BaseException] = []

    def writer():
        try:
            for start in range(0, 400, 40):
                sqlite_store.upsert_observations(_obs(i) for i in range(start, start + 40))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def reader():
        try:
            for _ in range(30):
                sqlite_store.search(SearchQuery(text="titel", facets=["source"]))
                sqlite_store.count()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sqlite_store.count() == 400
    # setup's connection plus one per live thread; finished threads hand theirs on
    assert len(sqlite_store._connections) <= 5
    worker = threading.Thread(target=sqlite_store.count)
    worker.start()
    worker.join()
    assert len(sqlite_store._connections) <= 5


CLAIMER = """
import json, sys
from index import open_store
store = open_store(sys.argv[1])
got = []
while True:
    batch = store.claim_pending(7, worker=sys.argv[2])
    if not batch:
        break
    got += [a["ad_id"] for a in batch]
    store.write_enrichments([{"ad_id": a["ad_id"], "version": a["version"]} for a in batch])
print(json.dumps(got))
"""


def test_claims_are_atomic_across_processes(sqlite_store):
    sqlite_store.upsert_observations(_obs(i) for i in range(300))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, sqlite_store.url, f"w{n}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    claimed: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        claimed += json.loads(out)
    assert len(claimed) == len(set(claimed)) == 300
    assert sqlite_store.count(processing="done") == 300


@pytest.fixture
def index_url(tmp_path, settings):
    settings.ADSCAN_INDEX_URL = f"sqlite:///{tmp_path / 'cmd' / 'ads.db'}"
    return settings.ADSCAN_INDEX_URL


def test_index_command_setup_and_stats(index_url, capsys):
    call_command("index", "setup")
    assert "Ad store ready at sqlite:///" in capsys.readouterr().out
    call_command("index", "setup")  # idempotent
    assert "created" not in capsys.readouterr().out
    with open_store(index_url) as store:
        store.upsert_observations([_obs(1), _obs(2)])
    call_command("index", "stats", "--json")
    stats = json.loads(capsys.readouterr().out)
    assert stats["ads"] == 2 and stats["pending"] == 2 and stats["by_source"] == {"s": 2}
    call_command("index", "migrate")
    assert "Migration done." in capsys.readouterr().out


def test_index_command_bad_url_is_one_sentence(settings):
    settings.ADSCAN_INDEX_URL = "localhost:9200"
    with pytest.raises(CommandError, match="^Setting ADSCAN_INDEX_URL has value 'localhost:9200'"):
        call_command("index", "stats")


def test_index_command_on_opensearch(settings, opensearch_url, capsys):
    settings.ADSCAN_INDEX_URL = opensearch_url
    call_command("index", "setup")
    out = capsys.readouterr().out
    assert "created adscan-ads-v1" in out and "note: the server has no Dutch stemmer" in out
    call_command("index", "migrate")
    assert "adscan-ads: adscan-ads-v1 -> adscan-ads-v2 (0 documents)" in capsys.readouterr().out
    call_command("index", "stats")
    assert "adscan-ads-v2" in capsys.readouterr().out


def _keeps(doc, filters):
    return all(
        doc[name] == value if name == "flagged" else doc[name] in value
        for name, value in filters.items()
    )


def _all_ids(store):
    return [h["ad_id"] for h in store.search(SearchQuery(sort="ad_id", size=10_000)).hits]


FACETS = ["source", "city", "risk_band", "indicator_categories"]


def _churn(store):
    """New, re-seen and changed ads, enrichments, reviews, gone ads and deletions."""
    cities = ["Utrecht", "Breda", None]
    store.upsert_observations(
        {**_obs(i), "source": f"s{i % 3}", "city": cities[i % 3], "text": f"tekst {i % 4}"}
        for i in range(120)
    )
    ids = _all_ids(store)
    store.write_enrichments(
        {
            "ad_id": a,
            "risk": (n % 10) / 10,
            "flagged": n % 10 >= 7,
            "indicators": [{"id": f"i{n % 4}", "category": f"c{n % 3}"}] if n % 5 else [],
        }
        for n, a in enumerate(ids)
    )
    store.upsert_observations(
        {**_obs(i), "source": f"s{i % 3}", "city": "Breda", "text": "anders"}
        for i in range(0, 120, 7)
    )  # changed: pending again, city moved
    store.write_enrichments([{"ad_id": ids[3], "indicators": [], "risk": 0.95, "flagged": True}])
    store.set_review_status(ids[:30], "dismissed")
    store.mark_gone("s1", ids[:60])
    store.delete_ads(ids[100:110])
    return _all_ids(store)


@pytest.mark.parametrize(
    "filters",
    [{}, {"flagged": True, "review_status": ["open"]}, {"source": ["s0", "s2"], "city": ["Breda"]}],
)
def test_counters_match_the_documents(sqlite_store, filters):
    """Totals and facets from the trigger-kept counters equal a count over the documents."""
    ids = _churn(sqlite_store)
    docs = [d for d in sqlite_store.get_ads(ids) if _keeps(d, filters)]
    result = sqlite_store.search(SearchQuery(filters=filters, facets=FACETS, facet_size=50))
    assert result.total == len(docs) == sqlite_store.count(**filters)
    for facet in FACETS:
        expected: dict[str, int] = {}
        for doc in docs:
            values = set(doc[facet]) if facet == "indicator_categories" else {doc[facet]}
            for value in values - {None}:
                expected[value] = expected.get(value, 0) + 1
        assert dict(result.facets[facet]) == expected, facet
    # The same figures through the row path (a filter the counters cannot answer).
    rows = sqlite_store.search(
        SearchQuery(filters={**filters, "risk_min": 0.0}, facets=FACETS, facet_size=50)
    )
    assert rows.total == sum(1 for d in docs if d["risk"] is not None)
    stats = sqlite_store.stats()
    assert stats["ads"] == len(ids) == 110
    assert stats["gone"] == sum(1 for d in sqlite_store.get_ads(ids) if d["crawl_status"] == "gone")


def test_large_match_sets_sample_facets_but_keep_totals_and_pages(sqlite_store, monkeypatch):
    import index.sqlite_search as module

    sqlite_store.upsert_observations(
        {**_obs(i), "city": ["Utrecht", "Breda"][i % 2], "text": "gemeen woord"} for i in range(400)
    )
    query = SearchQuery(text="gemeen", sort="ad_id", size=30, facets=["city"], histogram="day")
    exact = sqlite_store.search(query)
    monkeypatch.setattr(module, "FACET_SAMPLE", 50)
    sampled = sqlite_store.search(query)
    assert sampled.total == exact.total == 400
    assert [h["ad_id"] for h in sampled.hits] == [h["ad_id"] for h in exact.hits]
    assert sampled.next_after == exact.next_after
    assert dict(exact.facets["city"]) == {"Utrecht": 200, "Breda": 200}
    # Estimates from a sample of about 50 ads, scaled to the total.
    estimate = dict(sampled.facets["city"])
    assert set(estimate) == {"Utrecht", "Breda"} and 360 <= sum(estimate.values()) <= 440
    assert sum(n for _, n in sampled.histogram) == pytest.approx(400, abs=20)
    # Text-free: counters are exact, the histogram is sampled.
    plain = sqlite_store.search(SearchQuery(facets=["city"], histogram="day", size=5))
    assert plain.total == 400 and dict(plain.facets["city"]) == {"Utrecht": 200, "Breda": 200}
    assert sum(n for _, n in plain.histogram) == pytest.approx(400, abs=20)
    # Filters on a large match set: the total is counted in full.
    utrecht = SearchQuery(text="gemeen", filters={"city": "Utrecht"}, facets=["source"])
    assert sqlite_store.search(utrecht).total == 200
    assert sum(n for _, n in sqlite_store.search(utrecht).facets["source"]) == pytest.approx(
        200, abs=40
    )
    # Deep pages of a large match set still visit every ad once, in order.
    monkeypatch.setattr(module, "FACET_SAMPLE", 10)
    for sort, filters in (("risk", {}), ("relevance", {}), ("last_seen", {"city": "Breda"})):
        seen, after = [], None
        while True:
            page = sqlite_store.search(
                SearchQuery(text="gemeen", filters=filters, sort=sort, size=70, search_after=after)
            )
            seen += [h["ad_id"] for h in page.hits]
            if page.next_after is None:
                break
            after = page.next_after
        assert len(seen) == len(set(seen)) == (200 if filters else 400), sort


def test_version_1_file_is_migrated_in_place(tmp_path):
    """A file of schema 1 (no ad_meta, no counters) gets them filled on open."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with open_store(url) as store:
        store.setup()
        store.upsert_observations(_obs(i) for i in range(20))
        ids = _all_ids(store)
        store.write_enrichments(
            {"ad_id": a, "risk": 0.9, "flagged": True, "indicators": [{"id": "x", "category": "c"}]}
            for a in ids[:5]
        )
        db = store._db
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%meta%'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {name}")
        for name in ("ad_meta", "ad_cube", "ad_cube_cat"):
            db.execute(f"DROP TABLE {name}")
        db.execute("CREATE INDEX ads_city ON ads(city)")
        db.execute("ALTER TABLE ad_versions RENAME TO new_versions")
        db.execute(
            "CREATE TABLE ad_versions (ad_id TEXT NOT NULL, version INTEGER NOT NULL,"
            " content_hash TEXT NOT NULL, title TEXT, text TEXT, images TEXT, observed_at TEXT,"
            " evidence TEXT, PRIMARY KEY (ad_id, version)) WITHOUT ROWID"
        )
        db.execute(
            "INSERT INTO ad_versions SELECT ad_id, version, content_hash, title, text, images,"
            " observed_at, evidence FROM new_versions"
        )
        db.execute("DROP TABLE new_versions")
        db.execute("PRAGMA user_version = 1")
    with open_store(url) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        result = store.search(
            SearchQuery(filters={"flagged": True}, facets=["indicator_categories"])
        )
        assert result.total == 5 and result.facets["indicator_categories"] == [("c", 5)]
        assert store.search(SearchQuery(text="titel", size=0)).total == 20
        assert store.count() == 20 and store.stats()["ads"] == 20
        names = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master")}
        assert "ads_city" not in names
        first = make_ad_id("s", "0")
        assert [v["title"] for v in store.get_versions(first)] == ["titel 0"]
        store.upsert_observations([{**_obs(0), "title": "nieuw"}])
        versions = store.get_versions(first)
        assert [(v["version"], v["title"]) for v in versions] == [(1, "titel 0"), (2, "nieuw")]
        assert store.stats()["versions"] == 21


def test_search_columns_follow_every_kind_of_update(sqlite_store):
    """The narrow search table follows re-crawls, clusters, reviews and enrichments."""
    store = sqlite_store
    store.upsert_observations(
        [{**_obs(i), "observed_at": "2024-05-01T10:00:00Z"} for i in range(3)]
    )
    a, b, c = (make_ad_id("s", str(i)) for i in range(3))
    store.upsert_observations([{**_obs(1), "observed_at": "2024-06-01T10:00:00Z"}])  # re-crawl

    def ids(**filters):
        return {h["ad_id"] for h in store.search(SearchQuery(filters=filters)).hits}

    assert ids(date_from="2024-05-15") == {b}
    store.set_clusters({a: "k1", c: "k1"})
    store.upsert_clusters([{"cluster_id": "k1", "ad_ids": [a, c], "size": 2}])
    assert ids(cluster_id="k1") == {a, c} and ids(cluster_size_min=2) == {a, c}
    store.write_enrichments([{"ad_id": c, "risk": 0.8, "flagged": True, "ad_type": "job"}])
    assert ids(risk_min=0.5) == {c} and ids(ad_type="job", risk_min=0.1) == {c}
    store.set_review_status([c], "escalated")
    assert ids(review_status="escalated", risk_min=0.5) == {c}
    store.mark_gone("s", [a, c])
    assert ids(crawl_status="gone", risk_max=1.0) == set()  # b is gone but unscored
    assert ids(crawl_status="gone", date_from="2024-01-01") == {b}
    store.delete_ads([b])
    assert ids(date_from="2024-01-01") == {a, c}


def test_optimize_merges_the_full_text_index_and_keeps_every_answer(index_url, capsys):
    with open_store(index_url) as store:
        store.setup()
        for start in range(0, 60, 10):  # one transaction each: one FTS segment each
            store.upsert_observations([_obs(i) for i in range(start, start + 10)])
        queries = [
            SearchQuery(text="titel", size=7, sort="ad_id"),
            SearchQuery(text="titel", size=5, sort="relevance"),
            SearchQuery(size=100, sort="ad_id"),
        ]
        before = [[h["ad_id"] for h in store.search(q).hits] for q in queries]
        totals = [store.search(q).total for q in queries]
        assert totals == [60, 60, 60] and all(before)
        assert store._segments() > 1
    call_command("index", "optimize")
    out = capsys.readouterr().out
    assert "Full-text index merged from" in out and "to 1 in" in out
    with open_store(index_url) as store:
        assert store._segments() == 1
        assert [[h["ad_id"] for h in store.search(q).hits] for q in queries] == before
        assert [store.search(q).total for q in queries] == totals
        assert store.optimize()["fts_segments_before"] == 1  # idempotent
        # No planner statistics: they turn the search plans slow at scale.
        assert not store._db.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
        ).fetchall()
