"""The ad store contract, run unchanged against every backend (``store`` fixture)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index import SearchQuery, UnknownFieldError, make_ad_id

pytestmark = pytest.mark.contract


def obs(i: int, **kw):
    """A toy observation of ad number ``i`` of source ``demo``."""
    doc = {
        "source": "demo",
        "site_ad_id": str(i),
        "url": f"http://demo.test/ad/{i}",
        "title": f"Advertentie {i}",
        "text": f"Tekst van advertentie {i}",
        "city": "Utrecht",
        "observed_at": "2024-05-01T10:00:00Z",
        "images": [],
    }
    doc.update(kw)
    return doc


def aid(i: int) -> str:
    return make_ad_id("demo", str(i))


def test_upsert_new_unchanged_and_changed(store):
    first = store.upsert_observations([obs(1), obs(2)])
    assert sorted(first.new) == sorted([aid(1), aid(2)])
    ad = store.get_ad(aid(1))
    assert ad["version"] == 1
    assert ad["processing"] == "pending"
    assert ad["review_status"] == "open"
    assert ad["crawl_status"] == "active"
    assert ad["first_seen"] == ad["last_seen"] == "2024-05-01T10:00:00Z"

    again = store.upsert_observations([obs(1, observed_at="2024-05-03T08:00:00+02:00")])
    assert again.unchanged == [aid(1)] and not again.new and not again.changed
    ad = store.get_ad(aid(1))
    assert ad["version"] == 1
    assert ad["first_seen"] == "2024-05-01T10:00:00Z"
    assert ad["last_seen"] == "2024-05-03T06:00:00Z"

    changed = store.upsert_observations([obs(1, text="Nieuwe tekst", observed_at="2024-05-04")])
    assert changed.changed == [aid(1)]
    ad = store.get_ad(aid(1))
    assert ad["version"] == 2 and ad["text"] == "Nieuwe tekst"
    versions = store.get_versions(aid(1))
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["text"] for v in versions] == ["Tekst van advertentie 1", "Nieuwe tekst"]
    assert store.get_versions("nope") == []


def test_same_ad_twice_in_one_batch_is_one_ad(store):
    result = store.upsert_observations([obs(5), obs(5), obs(5, title="Anders")])
    assert result.new == [aid(5)] and result.unchanged == [aid(5)] and result.changed == [aid(5)]
    assert store.count() == 1
    assert [v["version"] for v in store.get_versions(aid(5))] == [1, 2]


def test_change_after_review_is_marked(store):
    store.upsert_observations([obs(1)])
    store.write_enrichments([{"ad_id": aid(1), "version": 1, "risk": 0.9, "flagged": True}])
    assert store.set_review_status([aid(1)], "escalated") == 1
    assert store.get_ad(aid(1))["changed_since_review"] is False
    store.upsert_observations([obs(1, text="andere tekst")])
    ad = store.get_ad(aid(1))
    assert ad["changed_since_review"] is True
    assert ad["processing"] == "pending"
    assert ad["review_status"] == "escalated"


def test_bad_observations_are_reported_not_dropped(store):
    result = store.upsert_observations([obs(1), {"title": "no source"}, {"source": "demo"}])
    assert result.new == [aid(1)]
    assert len(result.failed) == 2
    assert "source" in result.failed[0][1]
    assert result.counts == {"new": 1, "changed": 0, "unchanged": 0, "failed": 2}


def test_get_ads_keeps_order_and_skips_unknown(store):
    store.upsert_observations([obs(i) for i in range(3)])
    ads = store.get_ads([aid(2), "unknown", aid(0)])
    assert [a["ad_id"] for a in ads] == [aid(2), aid(0)]
    assert store.get_ad("unknown") is None


def test_mark_gone_only_touches_unseen_ads_of_the_source(store):
    store.upsert_observations([obs(i) for i in range(4)] + [obs(9, source="other")])
    assert store.mark_gone("demo", [aid(0), aid(1)]) == 2
    assert store.get_ad(aid(2))["crawl_status"] == "gone"
    assert store.get_ad(aid(0))["crawl_status"] == "active"
    assert store.get_ad(make_ad_id("other", "9"))["crawl_status"] == "active"
    store.upsert_observations([obs(2)])
    assert store.get_ad(aid(2))["crawl_status"] == "active"


def test_claim_and_enrich(store):
    store.upsert_observations([obs(i) for i in range(5)])
    first = store.claim_pending(3, worker="a")
    second = store.claim_pending(3, worker="b")
    ids1, ids2 = {a["ad_id"] for a in first}, {a["ad_id"] for a in second}
    assert len(ids1) == 3 and len(ids2) == 2 and not ids1 & ids2
    assert store.claim_pending(3) == []
    written = store.write_enrichments(
        [{"ad_id": a["ad_id"], "version": a["version"], "risk": 0.2} for a in first]
    )
    assert written == 3
    assert store.count(processing="done") == 3
    assert store.count(processing="pending") == 2


def test_expired_claim_is_claimed_again(store):
    store.upsert_observations([obs(1)])
    assert len(store.claim_pending(10, worker="crashed", lease_seconds=-1)) == 1
    again = store.claim_pending(10, worker="next")
    assert [a["ad_id"] for a in again] == [aid(1)]


def test_stale_enrichment_leaves_ad_pending(store):
    store.upsert_observations([obs(1)])
    (claimed,) = store.claim_pending(1)
    store.upsert_observations([obs(1, text="veranderd")])
    assert store.write_enrichments([{"ad_id": aid(1), "version": claimed["version"]}]) == 0
    ad = store.get_ad(aid(1))
    assert ad["processing"] == "pending" and ad["version"] == 2
    (again,) = store.claim_pending(1)
    assert again["version"] == 2 and again["text"] == "veranderd"


def test_enrichment_fields_round_trip(store):
    store.upsert_observations([obs(1)])
    enrichment = {
        "ad_id": aid(1),
        "version": 1,
        "phones": ["+31612345678"],
        "emails": ["a@example.org"],
        "handles": ["telegram:anna"],
        "extracted": {"prices": [{"amount": 100, "unit": "hour"}], "ages": [19]},
        "indicators": [
            {"id": "new_in_town", "category": "movement", "start": 0, "end": 5, "text": "nieuw"}
        ],
        "ad_type": "escort",
        "risk": 0.75,
        "risk_explanation": [{"feature": "new_in_town", "weight": 0.4, "text": "nieuw"}],
        "flagged": True,
        "phash_chunks": ["0:ab12", "1:cd34"],
        "text_bands": ["b0:ff"],
    }
    assert store.write_enrichments([enrichment]) == 1
    ad = store.get_ad(aid(1))
    for name, value in enrichment.items():
        if name != "version":
            assert ad[name] == value, name
    assert ad["risk_band"] == "high"
    assert ad["indicator_categories"] == ["movement"]
    assert ad["processing"] == "done"
    assert ad["processed_at"]


def test_lookup_and_key_counts(store):
    img = {"sha256": "f" * 64, "phash": "ab" * 8, "path": "x.jpg", "width": 1, "height": 1}
    store.upsert_observations([obs(1, images=[img]), obs(2, images=[img]), obs(3)])
    store.write_enrichments(
        [
            {"ad_id": aid(1), "phones": ["+31611111111", "+31622222222"]},
            {"ad_id": aid(2), "phones": ["+31611111111"]},
            {"ad_id": aid(3), "phones": ["+31633333333"], "phash_chunks": ["0:aa"]},
        ]
    )
    store.set_clusters({aid(1): "c1", aid(2): "c1"})
    found = store.lookup("phone", ["+31611111111", "+31699999999"])
    assert sorted(found["+31611111111"]) == sorted([(aid(1), "c1"), (aid(2), "c1")])
    assert found["+31699999999"] == []
    assert sorted(a for a, _ in store.lookup("image_sha256", ["f" * 64])["f" * 64]) == sorted(
        [aid(1), aid(2)]
    )
    assert store.lookup("phash_chunk", ["0:aa"])["0:aa"] == [(aid(3), None)]
    assert store.key_counts("phone", ["+31611111111", "+31633333333", "+31600000000"]) == {
        "+31611111111": 2,
        "+31633333333": 1,
        "+31600000000": 0,
    }
    # A new enrichment replaces the keys of the ad.
    store.write_enrichments([{"ad_id": aid(2), "phones": ["+31644444444"]}])
    assert [a for a, _ in store.lookup("phone", ["+31611111111"])["+31611111111"]] == [aid(1)]
    with pytest.raises(UnknownFieldError, match="'fax'"):
        store.lookup("fax", ["1"])


def test_clusters(store):
    store.upsert_observations([obs(i) for i in range(6)])
    assert store.set_clusters({aid(0): "c0", aid(1): "c0", aid(2): "c2", aid(3): "c2"}) == 4
    assert store.cluster_members("c0") == sorted([aid(0), aid(1)])
    assert store.reassign_cluster(["c2"], "c0") == 2
    assert store.cluster_members("c2") == []
    assert store.cluster_members("c0") == sorted([aid(i) for i in range(4)])
    assert store.lookup("phone", []) == {}

    clusters = [
        {"cluster_id": "c0", "ad_ids": [aid(i) for i in range(4)], "risk_max": 0.5,
         "cities": ["Utrecht", "Breda"], "last_seen": "2024-05-02T00:00:00Z", "growth": 1},
        {"cluster_id": "c4", "ad_ids": [aid(4), aid(5)], "risk_max": 0.9,
         "cities": ["Utrecht"], "last_seen": "2024-05-03T00:00:00Z", "growth": 3},
        {"cluster_id": "c9", "ad_ids": [], "size": 1, "risk_max": 0.1, "cities": []},
    ]  # fmt: skip
    assert store.upsert_clusters(clusters) == 3
    assert store.get_ad(aid(0))["cluster_size"] == 4
    assert store.get_ad(aid(4))["cluster_id"] == "c4"
    c0 = store.get_cluster("c0")
    assert c0["size"] == 4 and c0["n_cities"] == 2 and c0["ad_ids"] == [aid(i) for i in range(4)]
    assert store.get_cluster("nope") is None

    page, after = store.list_clusters(sort="size")
    assert [c["cluster_id"] for c in page] == ["c0", "c4"] and after is None
    page, _ = store.list_clusters(sort="risk_max")
    assert [c["cluster_id"] for c in page] == ["c4", "c0"]
    page, after = store.list_clusters(sort="growth", descending=False, size=1, min_size=1)
    assert [c["cluster_id"] for c in page] == ["c9"]
    page, after = store.list_clusters(
        sort="growth", descending=False, size=1, min_size=1, search_after=after
    )
    assert [c["cluster_id"] for c in page] == ["c0"]
    assert store.search(SearchQuery(filters={"cluster_size_min": 3})).total == 4

    assert store.delete_clusters(["c4", "nope"]) == 1
    assert store.get_cluster("c4") is None
    ad = store.get_ad(aid(4))
    assert ad["cluster_id"] is None and ad["cluster_size"] == 1


def _corpus(store):
    store.upsert_observations(
        [
            obs(1, title="Privé ontvangst", text="Nieuw in Den Haag, discreet", city="Den Haag",
                observed_at="2024-05-01T10:00:00Z"),
            obs(2, title="Sexy girls", text="New girls every week, visiting Amsterdam",
                city="Amsterdam", observed_at="2024-05-02T10:00:00Z"),
            obs(3, title="Massage", text="Ontspannende massage in het centrum",
                city="Utrecht", source="other", observed_at="2024-05-09T10:00:00Z"),
            obs(4, title="Werk aangeboden", text="Meisjes gezocht voor privéclub",
                city="Utrecht", observed_at="2024-06-01T10:00:00Z"),
        ]
    )  # fmt: skip
    ids = {i: make_ad_id("other" if i == 3 else "demo", str(i)) for i in range(1, 5)}
    store.write_enrichments(
        [
            {"ad_id": ids[1], "risk": 0.8, "flagged": True, "ad_type": "escort",
             "phones": ["+31611111111"],
             "indicators": [{"id": "new_in_town", "category": "movement"}]},
            {"ad_id": ids[2], "risk": 0.5, "flagged": True, "ad_type": "escort",
             "indicators": [{"id": "new_in_town", "category": "movement"},
                            {"id": "many_women", "category": "third_party"}]},
            {"ad_id": ids[4], "risk": 0.3, "ad_type": "job",
             "indicators": [{"id": "recruitment", "category": "third_party"}]},
        ]
    )  # fmt: skip
    return ids


def _ids(result):
    return [h["ad_id"] for h in result.hits]


def test_full_text_dutch_and_english(store):
    ids = _corpus(store)
    # Accents fold; words may come from title and text.
    assert _ids(store.search(SearchQuery(text="prive discreet"))) == [ids[1]]
    assert _ids(store.search(SearchQuery(text="PRIVÉ"))) == [ids[1]]
    # English stemming: "girl" finds "girls".
    assert _ids(store.search(SearchQuery(text="girl"))) == [ids[2]]
    assert _ids(store.search(SearchQuery(text="massage"))) == [ids[3]]
    assert set(_ids(store.search(SearchQuery(text="massage OR girls")))) == {ids[2], ids[3]}
    assert _ids(store.search(SearchQuery(text='"den haag"'))) == [ids[1]]
    assert _ids(store.search(SearchQuery(text="ontspan*"))) == [ids[3]]
    assert store.search(SearchQuery(text="nothingmatches")).total == 0
    assert store.search(SearchQuery(text='"(*) AND:')).total == 0  # never a syntax error
    rel = store.search(SearchQuery(text="girls", sort="relevance"))
    assert _ids(rel) == [ids[2]] and rel.hits[0]["score"] is not None


def test_filters(store):
    ids = _corpus(store)

    def found(**filters):
        return set(_ids(store.search(SearchQuery(filters=filters, size=50))))

    assert found(source="other") == {ids[3]}
    assert found(city=["Utrecht", "Amsterdam"]) == {ids[2], ids[3], ids[4]}
    assert found(indicator="new_in_town") == {ids[1], ids[2]}
    assert found(indicator_category="third_party") == {ids[2], ids[4]}
    assert found(ad_type="job") == {ids[4]}
    assert found(flagged=True) == {ids[1], ids[2]}
    assert found(flagged=False) == {ids[3], ids[4]}
    assert found(risk_min=0.4) == {ids[1], ids[2]}
    assert found(risk_min=0.4, risk_max=0.6) == {ids[2]}
    assert found(processing="pending") == {ids[3]}
    assert found(phone="+31611111111") == {ids[1]}
    assert found(date_from="2024-05-02", date_to="2024-05-09") == {ids[2], ids[3]}
    assert found(date_to="2024-05-01") == {ids[1]}
    assert found(review_status="open", city="Utrecht") == {ids[3], ids[4]}
    assert store.count(flagged=True, city="Den Haag") == 1
    assert store.count() == 4
    with pytest.raises(UnknownFieldError, match="'colour'"):
        store.search(SearchQuery(filters={"colour": "red"}))


def test_sort_facets_and_histogram(store):
    ids = _corpus(store)
    result = store.search(
        SearchQuery(
            sort="risk",
            facets=["city", "source", "ad_type", "indicator_categories", "risk_band"],
            histogram="month",
        )
    )
    # Unscored ads (risk None) sort last.
    assert _ids(result) == [ids[1], ids[2], ids[4], ids[3]]
    assert result.total == 4 and result.next_after is None
    assert dict(result.facets["city"]) == {"Utrecht": 2, "Den Haag": 1, "Amsterdam": 1}
    assert result.facets["city"][0] == ("Utrecht", 2)
    assert dict(result.facets["source"]) == {"demo": 3, "other": 1}
    assert dict(result.facets["indicator_categories"]) == {"movement": 2, "third_party": 2}
    assert dict(result.facets["risk_band"]) == {"high": 1, "medium": 1, "low": 1, "unknown": 1}
    assert result.histogram == [("2024-05-01", 3), ("2024-06-01", 1)]
    weekly = store.search(SearchQuery(histogram="week", size=0))
    assert weekly.histogram == [("2024-04-29", 2), ("2024-05-06", 1), ("2024-05-27", 1)]
    daily = store.search(SearchQuery(text="girls", histogram="day", facets=["city"]))
    assert daily.histogram == [("2024-05-02", 1)] and daily.facets["city"] == [("Amsterdam", 1)]
    asc = store.search(SearchQuery(sort="last_seen", descending=False))
    assert _ids(asc) == [ids[1], ids[2], ids[3], ids[4]]


def _every_page(store, query: SearchQuery) -> list[dict]:
    seen: list[dict] = []
    after = None
    for _ in range(40):
        page = store.search(replace(query, search_after=after))
        seen.extend(page.hits)
        after = page.next_after
        if after is None:
            return seen
    raise AssertionError("more pages than ads")


def test_deep_pagination_visits_every_ad_once_in_order(store):
    # Stored in ten calls in reverse order, so the order of storage is not the
    # order of the ad ids; either may break ties (the backend's choice).
    for start in range(900, -1, -100):
        store.upsert_observations(
            [
                obs(i, observed_at=f"2024-05-{1 + i % 28:02d}T10:00:00Z")
                for i in range(start, start + 100)
            ]
        )
    # Many ties in risk: the tiebreak must keep pages disjoint.
    store.write_enrichments(
        [{"ad_id": aid(i), "risk": round((i % 10) / 10, 1)} for i in range(0, 1000, 2)]
    )
    for sort, descending in [
        ("risk", True),
        ("last_seen", True),
        ("risk", False),
        ("ad_id", False),
    ]:
        query = SearchQuery(sort=sort, descending=descending, size=37)
        seen = _every_page(store, query)
        assert len(seen) == 1000
        assert len({h["ad_id"] for h in seen}) == 1000
        keys = [
            (-1 if h["risk"] is None else h["risk"]) if sort == "risk" else h[sort] for h in seen
        ]
        assert keys == sorted(keys, reverse=descending)
        # A fixed order: a second pass, with other page sizes, gives the same ads.
        again = _every_page(store, replace(query, size=101))
        assert [h["ad_id"] for h in again] == [h["ad_id"] for h in seen]


def test_hits_leave_out_bulky_internals(store):
    store.upsert_observations([obs(1)])
    store.write_enrichments([{"ad_id": aid(1), "extracted": {"x": 1}, "text_bands": ["b"]}])
    (hit,) = store.search(SearchQuery()).hits
    assert "extracted" not in hit and "text_bands" not in hit
    assert hit["title"] == "Advertentie 1" and "images" in hit and "indicators" in hit


def test_review_status_purge_and_delete(store):
    ids = _corpus(store)
    with pytest.raises(UnknownFieldError):
        store.set_review_status([ids[1]], "closed")
    assert store.set_review_status([ids[3], "unknown"], "dismissed") == 1
    assert store.count(review_status="dismissed") == 1
    # Flagged ads and escalated ones are never purge candidates.
    store.set_review_status([ids[4]], "escalated")
    assert store.purge_candidates("2024-12-31") == [ids[3]]
    assert store.purge_candidates("2024-05-05") == []
    assert store.delete_ads([ids[1], ids[3], "unknown"]) == 2
    assert store.get_ad(ids[1]) is None and store.get_versions(ids[1]) == []
    assert store.lookup("phone", ["+31611111111"]) == {"+31611111111": []}
    assert store.search(SearchQuery(text="discreet")).total == 0
    assert store.count() == 2


def test_stats(store):
    ids = _corpus(store)
    store.upsert_clusters([{"cluster_id": "c1", "ad_ids": [ids[1], ids[2]]}])
    store.mark_gone("other", [])
    stats = store.stats()
    assert stats["ads"] == 4
    assert stats["pending"] == 1 and stats["done"] == 3
    assert stats["flagged"] == 2 and stats["gone"] == 1
    assert stats["clusters"] == 1
    assert stats["by_source"] == {"demo": 3, "other": 1}
