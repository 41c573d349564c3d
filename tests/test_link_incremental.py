"""Incremental linking against the real SQLite ad store: merges, splits, re-runs."""

from __future__ import annotations

import random

import pytest

from benchmarks.bench_link import pairwise_scores
from classifier.link import IdentifierLinker, IncrementalLinker, phash_chunks, text_signature
from index import make_ad_id, open_store
from tests.test_link_batch import template_ad


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path}/ads.db")
    s.setup()
    yield s
    s.close()


def observe(store, ads: list[dict]) -> None:
    """Store ads as crawled observations (ids are ``make_ad_id('t', name)``)."""
    store.upsert_observations(
        [
            {
                "source": "t",
                "site_ad_id": ad["name"],
                "title": "",
                "text": ad.get("text", ""),
                "city": ad.get("city"),
                "images": [
                    {"sha256": f"{i:064x}", "phash": p}
                    for i, p in enumerate(ad.get("image_phash", []))
                ],
            }
            for ad in ads
        ]
    )


def process(store, linker, given: dict[str, dict], batch_size=64, crash_before_write=False):
    """The processing stage's order: link, merges, enrichments, cluster documents."""
    results = []
    while docs := store.claim_pending(batch_size, lease_seconds=0 if crash_before_write else 600):
        inputs = [{**given[d["ad_id"]], "ad_id": d["ad_id"], "text": d["text"]} for d in docs]
        result = linker.link_batch(inputs)
        linker.apply_merges(result)
        if crash_before_write:
            return result
        store.write_enrichments(
            [
                {
                    "ad_id": d["ad_id"],
                    "version": d["version"],
                    "phones": given[d["ad_id"]].get("phones", []),
                    **result.keys[d["ad_id"]],
                    "cluster_id": result.assignments[d["ad_id"]],
                }
                for d in docs
            ]
        )
        linker.apply(result)
        results.append(result)
    return results


def ids(*names: str) -> list[str]:
    return [make_ad_id("t", n) for n in names]


def add(store, linker, *ads, **kw):
    observe(store, list(ads))
    given = {make_ad_id("t", a["name"]): a for a in ads}
    return process(store, linker, given, **kw)


def test_new_ad_joins_and_merge_keeps_the_larger_cluster_id(store):
    linker = IncrementalLinker(store)
    add(store, linker, {"name": "a1", "phones": ["+31611111111"]}, {"name": "a2", "phones": ["+31611111111"]},
        {"name": "a3", "phones": ["+31611111111"]})  # fmt: skip
    add(
        store,
        linker,
        {"name": "b1", "phones": ["+31622222222"]},
        {"name": "b2", "phones": ["+31622222222"]},
    )
    a1, a2, a3, b1, b2 = ids("a1", "a2", "a3", "b1", "b2")
    big = store.get_ads([a1])[0]["cluster_id"]
    small = store.get_ads([b1])[0]["cluster_id"]
    assert big == min(a1, a2, a3) and small == min(b1, b2)
    # One ad carrying both phones bridges the two clusters.
    (result,) = add(store, linker, {"name": "x", "phones": ["+31611111111", "+31622222222"]})
    (x,) = ids("x")
    assert result.merged == {small: big}
    assert result.assignments == {x: big}
    assert sorted(store.cluster_members(big)) == sorted([a1, a2, a3, b1, b2, x])
    assert store.get_cluster(small) is None
    doc = store.get_cluster(big)
    assert doc["size"] == 6 and doc["phones"] == ["+31611111111", "+31622222222"]
    # Evidence accumulates: the links of both old clusters and the bridge.
    reasons = {(link["kind"], link["key"]) for link in doc["links"]}
    assert reasons == {("phone", "+31611111111"), ("phone", "+31622222222")}
    assert any(x in (link["a"], link["b"]) for link in doc["links"])
    assert len(doc["links"]) == 5  # a spanning tree of 6 ads


def test_near_photo_and_template_text_link_to_stored_ads(store):
    linker = IncrementalLinker(store)
    add(store, linker, {"name": "p1", "image_phash": ["c3a58e0f12345678"]},
        {**template_ad("Anna", "Utrecht", "150 euro"), "name": "t1"})  # fmt: skip
    (result,) = add(store, linker, {"name": "p2", "image_phash": ["c3a58e0f1234567f"]},
                    {**template_ad("Bella", "Zwolle", "200 euro"), "name": "t2"})  # fmt: skip
    p1, t1, p2, t2 = ids("p1", "t1", "p2", "t2")
    assert result.assignments == {p2: p1, t2: t1}
    reasons = sorted(link.reason for link in result.links)
    assert reasons[0] == "near-identical photo (Hamming 3)"
    assert reasons[1].startswith("near-identical text (Jaccard ")
    assert result.keys[p2]["phash_chunks"] == phash_chunks("c3a58e0f1234567f")
    # The keys stored for the ad are the public signature's, batch or not.
    expected = text_signature(template_ad("Bella", "Zwolle", "200 euro")["text"]).bands
    assert result.keys[t2]["text_bands"] == expected and len(expected) == 42


def test_rerun_after_a_crash_gives_the_same_clusters(store):
    linker = IncrementalLinker(store)
    add(store, linker, {"name": "a1", "phones": ["+31611111111"]}, {"name": "a2", "phones": ["+31611111111"]},
        {"name": "a3", "phones": ["+31611111111"]}, {"name": "b1", "phones": ["+31622222222"]})  # fmt: skip
    bridge = {"name": "x", "phones": ["+31611111111", "+31622222222"]}
    first = add(store, linker, bridge, crash_before_write=True)  # merges applied, nothing written
    observe(store, [])
    given = {make_ad_id("t", "x"): bridge}
    (again,) = process(store, linker, given)
    assert again.assignments == first.assignments
    assert set(again.merged.values()) <= set(first.merged.values())
    cid = again.assignments[make_ad_id("t", "x")]
    assert store.get_cluster(cid)["size"] == 5


def test_phone_going_over_its_cap_splits_the_cluster_it_glued(store):
    linker = IncrementalLinker(store, phone_cap=3)
    reception = "+31201234567"
    add(store, linker, {"name": "s1", "phones": [reception]}, {"name": "s2", "phones": [reception]})
    add(store, linker, {"name": "s3", "phones": [reception], "image_phash": ["00000000000000ff"]})
    s1, s2, s3, s4, s5 = ids("s1", "s2", "s3", "s4", "s5")
    assert len(store.cluster_members(store.get_ads([s1])[0]["cluster_id"])) == 3
    # A fourth ad with a copy of s3's photo: four ads, but s3 and s4 are one
    # advertiser's copies, so three distinct ones: still under the cap.
    (result,) = add(
        store, linker, {"name": "s4", "phones": [reception], "image_phash": ["00000000000000fe"]}
    )
    assert not result.rejected
    assert len(store.cluster_members(result.assignments[s4])) == 4
    # A fifth distinct ad shows the phone is a reception: its links no longer
    # count, but s3 and s4 stay together through their photo.
    (result,) = add(store, linker, {"name": "s5", "phones": [reception]})
    assert [(r.kind, r.count) for r in result.rejected] == [("phone", 4)]
    clusters = {d["ad_id"]: d["cluster_id"] for d in store.get_ads([s1, s2, s3, s4, s5])}
    assert clusters[s3] == clusters[s4]
    assert len({clusters[s1], clusters[s2], clusters[s3], clusters[s5]}) == 4
    doc = store.get_cluster(clusters[s3])
    assert doc["size"] == 2 and [link["kind"] for link in doc["links"]] == ["image_near"]
    assert store.get_cluster(clusters[s1]) is None  # one ad: no document, its own id
    assert clusters[s1] and clusters[s5] == s5


def test_demo_market_in_shuffled_batches_matches_the_ground_truth(store):
    from tests.test_link_demo import market_ads

    ads, truth, _, _ = market_ads(seed=7, n_ads=600)
    order = list(range(len(ads)))
    random.Random(3).shuffle(order)
    given = {}
    obs = []
    for i in order:
        source, sid = ads[i]["ad_id"].split("/", 1)
        given[make_ad_id(source, sid)] = ads[i]
        obs.append(
            {
                "source": source,
                "site_ad_id": sid,
                "text": ads[i]["text"],
                "city": ads[i]["city"],
                "images": [
                    {"sha256": s, "phash": p}
                    for s, p in zip(ads[i]["image_sha256"], ads[i]["image_phash"], strict=False)
                ],
            }
        )
    for k in range(0, len(obs), 50):  # arrive in several crawls
        store.upsert_observations(obs[k : k + 50])
        process(store, IncrementalLinker(store), given, batch_size=32)
    all_ids = [make_ad_id(*a["ad_id"].split("/", 1)) for a in ads]
    cluster = {d["ad_id"]: d["cluster_id"] for d in store.get_ads(all_ids)}
    precision, recall = pairwise_scores([cluster[a] for a in all_ids], truth)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    batch_p, batch_r = pairwise_scores(IdentifierLinker().fit(ads).labels_.tolist(), truth)
    assert recall >= batch_r - 0.02
