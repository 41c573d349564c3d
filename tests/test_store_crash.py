"""Crash safety with real processes: a writer or worker killed with SIGKILL
loses no ad and duplicates none once the work is run again (every backend)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from index import SearchQuery, open_store

ROOT = Path(__file__).resolve().parent.parent
N = 3000

CHILD_HEADER = textwrap.dedent(
    """
    import sys, time
    from index import open_store

    def obs(i):
        return {"source": "crash", "site_ad_id": str(i), "url": f"http://c/{i}",
                "title": f"advertentie {i}", "text": "crashtest tekst",
                "observed_at": "2024-05-01T10:00:00Z"}

    def slow(n):
        for i in range(n):
            if i % 250 == 0:
                time.sleep(0.05)  # keep the bulk write long enough to be killed in
            yield obs(i)

    store = open_store(sys.argv[1])
    """
)

WRITER = (
    CHILD_HEADER + "store.upsert_observations(slow(int(sys.argv[2])))\nprint('done', flush=True)\n"
)

WORKER = CHILD_HEADER + textwrap.dedent(
    """
    batch = store.claim_pending(int(sys.argv[2]), worker="doomed", lease_seconds=2)
    print(len(batch), flush=True)
    time.sleep(60)  # killed before it writes anything back
    """
)


def _child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


@pytest.mark.slow
def test_writer_killed_mid_bulk_loses_and_duplicates_nothing(store):
    proc = _child(WRITER, store.url, str(N))
    _wait_until(lambda: store.count() >= 1000 or proc.poll() is not None)
    _kill(proc)
    assert proc.returncode == -signal.SIGKILL
    partial = store.count()
    assert 0 < partial < N, "the writer should have died in the middle of the bulk write"

    # The crawl runs again: every ad is there exactly once, as version 1.
    again = _child(WRITER, store.url, str(N))
    assert again.communicate(timeout=120)[0].strip() == "done"
    assert store.count() == N
    stats = store.stats()
    assert stats["ads"] == N and stats["versions"] == N and stats["pending"] == N
    assert store.search(SearchQuery(text="crashtest", size=0)).total == N
    page = store.search(SearchQuery(sort="ad_id", size=N))
    assert len({h["ad_id"] for h in page.hits}) == N
    assert {h["version"] for h in page.hits} == {1}


@pytest.mark.slow
def test_worker_killed_mid_batch_gets_its_ads_processed_once(store):
    store.upsert_observations(
        {"source": "crash", "site_ad_id": str(i), "url": f"http://c/{i}", "title": "t",
         "text": f"x{i}", "observed_at": "2024-05-01T10:00:00Z"}
        for i in range(300)
    )  # fmt: skip
    doomed = _child(WORKER, store.url, "100")
    assert doomed.stdout is not None
    assert doomed.stdout.readline().strip() == "100"
    _kill(doomed)

    processed: list[str] = []
    deadline = time.monotonic() + 30
    while store.count(processing="pending") and time.monotonic() < deadline:
        batch = store.claim_pending(64, worker="survivor")
        if not batch:
            time.sleep(0.2)  # the dead worker's lease runs out
            continue
        store.write_enrichments([{"ad_id": a["ad_id"], "version": a["version"]} for a in batch])
        processed.extend(a["ad_id"] for a in batch)
    assert store.count(processing="done") == 300
    assert len(processed) == len(set(processed)) == 300
    assert store.count() == 300


def test_open_store_in_child_sees_parent_writes(store):
    store.upsert_observations([{"source": "s", "site_ad_id": "1", "url": "u", "title": "t"}])
    code = "import sys\nfrom index import open_store\nprint(open_store(sys.argv[1]).count())"
    out = subprocess.run(
        [sys.executable, "-c", code, store.url], cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip() == "1", out.stderr
    with open_store(store.url) as again:
        assert again.count() == 1
