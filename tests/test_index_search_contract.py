"""SearchResult says whether its total is exact and its facets counted: every backend."""

from __future__ import annotations

import pytest

from index import SearchQuery

pytestmark = pytest.mark.contract


def test_small_results_are_exact_and_say_so(store):
    store.upsert_observations(
        {
            "source": "demo",
            "site_ad_id": str(i),
            "url": f"http://demo.test/ad/{i}",
            "title": f"Advertentie {i}",
            "text": "lieve vrouw" if i % 2 else "iets anders",
            "city": ["Utrecht", "Breda"][i % 2],
            "observed_at": f"2024-05-0{1 + i % 3}T10:00:00Z",
            "images": [],
        }
        for i in range(12)
    )
    for query in (
        SearchQuery(text="vrouw", facets=["city"], histogram="day"),
        SearchQuery(text="vrouw", filters={"date_from": "2024-05-02"}, sort="relevance"),
        SearchQuery(facets=["city", "source"], histogram="week"),
    ):
        result = store.search(query)
        assert result.total_relation == "eq", query
        assert result.estimated is False and result.relevance_blocks is False, query
    result = store.search(SearchQuery(text="vrouw", facets=["city"], histogram="day"))
    assert result.total == 6 and result.facets["city"] == [("Breda", 6)]
    assert sum(n for _, n in result.histogram) == 6
