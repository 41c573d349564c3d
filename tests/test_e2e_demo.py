"""End to end: `adscan demo --smoke` crawls the small synthetic market with the
real Scrapy engine over HTTP, processes it with the real models and links it;
the stored result is checked against the market's ground truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from index import make_ad_id, open_store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    home = tmp_path_factory.mktemp("smoke")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADSCAN_")}
    env["ADSCAN_HOME"] = str(home / "django")
    proc = subprocess.run(
        [sys.executable, "-m", "review_ui.manage", "demo", "--smoke", "--home", str(home)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one JSON line, got: {proc.stdout!r}"
    truth = json.loads((home / "demo" / "ground_truth.json").read_text())
    store = open_store(f"sqlite:///{home / 'ads.db'}")
    yield json.loads(lines[0]), truth, store
    store.close()


def test_smoke_prints_the_summary_line(smoke):
    summary, truth, store = smoke
    assert set(summary) == {"ads", "processed", "pending", "clusters", "largest_cluster", "flagged"}
    assert summary["pending"] == 0
    assert summary["processed"] == summary["ads"] > 40
    assert summary["clusters"] >= 2
    assert summary["largest_cluster"] >= 3
    assert 0 < summary["flagged"] < summary["ads"]
    assert store.stats()["ads"] == summary["ads"]


def _stored(truth, store):
    stored = {}
    for ad in truth["ads"]:
        if ad.get("bad"):
            continue
        doc = store.get_ad(make_ad_id(ad["source"], ad["site_ad_id"]))
        if doc is not None:
            stored[(ad["source"], ad["site_ad_id"])] = doc
    return stored


def test_planted_networks_are_one_cluster_each(smoke):
    _, truth, store = smoke
    stored = _stored(truth, store)
    checked = 0
    for net in truth["networks"]:
        members = [stored[tuple(m)] for m in net["members"] if tuple(m) in stored]
        if len(members) < 3:
            continue
        clusters = {doc["cluster_id"] for doc in members}
        assert len(clusters) == 1, f"{net['network_id']} ({net['kinds']}) split into {clusters}"
        assert None not in clusters
        checked += 1
    assert checked >= 2


def test_ordinary_ads_stay_apart_and_unflagged(smoke):
    _, truth, store = smoke
    stored = _stored(truth, store)
    network_of = {tuple(m): n["network_id"] for n in truth["networks"] for m in n["members"]}
    by_cluster = defaultdict(set)
    for key, doc in stored.items():
        by_cluster[doc["cluster_id"]].add(network_of.get(key) or ("alone", key))
    # No cluster mixes two planted networks or a network with an ordinary ad.
    mixed = {cid: owners for cid, owners in by_cluster.items() if len(owners) > 1}
    agency_ids = {make_ad_id(a["source"], a["site_ad_id"]) for a in truth["ads"] if a.get("agency")}
    mixed = {
        cid: owners
        for cid, owners in mixed.items()
        if not all(isinstance(o, tuple) and make_ad_id(*o[1]) in agency_ids for o in owners)
    }
    assert not mixed, f"clusters mixing unrelated ads: {mixed}"
    plain = [
        doc
        for key, doc in stored.items()
        if key not in network_of and not doc.get("indicators") and not doc.get("hostile")
    ]
    assert plain, "the market should have ordinary ads without indicators"
    flagged_plain = [d["ad_id"] for d in plain if d["flagged"]]
    assert len(flagged_plain) <= len(plain) // 10, flagged_plain


def test_phones_in_obfuscated_styles_are_read(smoke):
    _, truth, store = smoke
    stored = _stored(truth, store)
    found = total = 0
    for ad in truth["ads"]:
        doc = stored.get((ad["source"], ad["site_ad_id"]))
        if doc is None or not ad.get("phone_e164"):
            continue
        total += 1
        found += ad["phone_e164"] in doc["phones"]
    assert total > 30
    assert found / total >= 0.95, f"{found}/{total} phones read"


def test_smoke_runs_on_the_opensearch_backend(tmp_path, opensearch_url):
    """The same path with the ad store on an OpenSearch-compatible server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADSCAN_")}
    env["ADSCAN_HOME"] = str(tmp_path / "django")
    proc = subprocess.run(
        [sys.executable, "-m", "review_ui.manage", "demo", "--smoke", "--home", str(tmp_path)]
        + ["--index-url", opensearch_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["pending"] == 0
    assert summary["processed"] == summary["ads"] > 40
    assert summary["largest_cluster"] >= 3
    assert not (tmp_path / "ads.db").exists()
    store = open_store(opensearch_url)
    try:
        assert store.stats()["ads"] == summary["ads"]
    finally:
        store.close()
