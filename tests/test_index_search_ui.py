"""The analyst's search page says when the store's total is a lower bound and the
facet counts are estimates (a large match set on the SQLite store)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

import index.sqlite_search as plans
from index import SearchQuery
from tests import test_analysis_support as support
from tests.fixtures.review import PASSWORD

demo_home = support.demo_home
demo_store = support.demo_store

pytestmark = pytest.mark.django_db


def _common_word(store) -> str:
    words: Counter[str] = Counter()
    for hit in store.search(SearchQuery(size=500)).hits:
        words.update({w for w in re.findall(r"[a-z]{5,}", (hit.get("text") or "").lower())})
    return words.most_common(1)[0][0]


def test_search_page_shows_lower_bound_and_estimates(client, role_users, demo_store):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.login(username="analyst1", password=PASSWORD)
    word = _common_word(demo_store.store)
    exact = client.get("/analysis/", {"q": word})
    assert exact.context["total_relation"] == "eq" and not exact.context["estimated"]
    assert "≥" not in exact.content.decode()
    n = exact.context["total"]
    assert n >= 6
    # Thresholds below the match count: the large-set plans answer.
    plans_limits = {"FACET_SAMPLE": 2, "TRACK_TOTAL": n // 2, "SAMPLE_SIZE": 2}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in plans_limits.items():
            mp.setattr(plans, name, value)
        large = client.get("/analysis/", {"q": word, "sort": "risk"})
    assert large.context["total_relation"] == "gte" and large.context["estimated"]
    assert large.context["total"] == n // 2
    html = large.content.decode()
    count = re.search(r'id="result-count">([^<]*)<', html).group(1)
    assert count.startswith("≥ ") and str(n // 2) in count
    assert '<span class="count">~' in html
    assert [h["ad"]["ad_id"] for h in large.context["hits"]] == [
        h["ad"]["ad_id"]
        for h in client.get("/analysis/", {"q": word, "sort": "risk"}).context["hits"]
    ]
