"""The processing stage on a real SQLite store with the shipped models: what it
writes back, the local price norm, idempotence and re-crawled ads."""

from __future__ import annotations

import pytest

from index import open_store
from review_ui.operations.processing import PriceObservations, Scorer, process_pending

pytestmark = pytest.mark.slow


def _obs(i: int, city: str, text: str, title: str = "Massage") -> dict:
    return {
        "source": "test-site",
        "site_ad_id": str(i),
        "url": f"http://127.0.0.1/ad/{i}",
        "title": f"{title} {i}",
        "text": text,
        "city": city,
        "phone_region": "NL",
        "images": [],
        "content_hash": f"h{i}-{hash(text)}",
        "observed_at": "2026-11-01T10:00:00+00:00",
    }


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return Scorer(embedding_cache_dir=tmp_path_factory.mktemp("cache")).load()


def test_price_far_under_the_local_norm_is_an_indicator(tmp_path, scorer):
    ads = [
        _obs(
            i,
            "Utrecht",
            f"Ontspannende massage in Utrecht, €{150 + i} per uur. Bel 06 1{i}23 45 67.",
        )
        for i in range(8)
    ]
    ads.append(_obs(99, "Utrecht", "Massage in Utrecht voor maar €40 per uur. Bel 06 4876 54 32."))
    with open_store(f"sqlite:///{tmp_path / 'ads.db'}") as store:
        store.upsert_observations(ads)
        summary = process_pending(store, scorer, batch_size=4)
        assert summary["processed"] == 9
        assert store.stats()["pending"] == 0
        cheap = store.get_ad(_id(store, "99"))
        normal = store.get_ad(_id(store, "3"))
    assert "price.below_norm" in {h["id"] for h in cheap["indicators"]}
    assert "price.below_norm" not in {h["id"] for h in normal["indicators"]}
    assert cheap["risk"] > normal["risk"]
    assert cheap["phones"] == ["+31648765432"]


def _id(store, site_ad_id: str) -> str:
    from index import make_ad_id

    return make_ad_id("test-site", site_ad_id)


def test_shared_phone_links_and_reprocessing_changes_nothing(tmp_path, scorer):
    text = "Nieuw in de stad, alleen deze week! 24/7 beschikbaar. Bel 06 12 34 56 78."
    ads = [
        _obs(i, city, text.replace("stad", f"stad {city}"))
        for i, city in enumerate(["Breda", "Tilburg", "Delft"])
    ]
    ads.append(_obs(10, "Zwolle", "Rustige salon in Zwolle, afspraak via 06 55 44 33 22."))
    with open_store(f"sqlite:///{tmp_path / 'ads.db'}") as store:
        store.upsert_observations(ads)
        process_pending(store, scorer)
        docs = {a["site_ad_id"]: store.get_ad(_id(store, a["site_ad_id"])) for a in ads}
        clusters = {docs[k]["cluster_id"] for k in ("0", "1", "2")}
        assert len(clusters) == 1 and None not in clusters
        assert docs["10"]["cluster_id"] != docs["0"]["cluster_id"]
        assert docs["0"]["flagged"] and not docs["10"]["flagged"]
        # A re-crawl of the same content leaves nothing to do.
        result = store.upsert_observations(ads)
        assert len(result.unchanged) == 4
        assert process_pending(store, scorer)["processed"] == 0
        assert store.get_cluster(docs["0"]["cluster_id"])["size"] == 3


def test_price_observations_survive_a_restart(tmp_path):
    path = tmp_path / "norms.json"
    obs = PriceObservations(path, per_city=3)
    for price in (100, 120, 140, 160):
        obs.add("Utrecht", price)
    obs.save()
    again = PriceObservations(path, per_city=3)
    assert again.by_city == {"utrecht": [120.0, 140.0, 160.0]}
    assert again.norms(min_ads=3).norm("UTRECHT") == 140.0
    path.write_text("{not json")
    assert PriceObservations(path).by_city == {}
