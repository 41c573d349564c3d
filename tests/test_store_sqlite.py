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

from index import SearchQuery, StoreConfigError, open_store

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
