"""The SQLite search plans for large match sets return the same pages as the simple plan.

One real SQLite file with a few thousand synthetic ads (common words, ties in
risk and dates, ads without risk) is searched twice: with the thresholds so high
that every search copies its matches and sorts them (the simple plan), and so
low that every search takes the large-set plans (sort-index walk with full-text
probes, bounded totals, sampled facets, relevance in blocks). Every page, down
to the last one by ``search_after``, must agree.
"""

from __future__ import annotations

import random

import pytest

import index.sqlite_search as plans
from index import SearchQuery, open_store

ADS = 2500
WORDS = "massage nieuw discreet escort hotel lieve vrouw weekend".split()
CITIES = ["Utrecht", "Breda", "Zwolle", None]


def _observations():
    rng = random.Random(5)
    for i in range(ADS):
        words = [rng.choice(WORDS) if rng.random() < 0.12 else f"w{rng.randrange(300)}" for _ in range(25)]  # fmt: skip
        yield {
            "source": f"s{i % 3}",
            "site_ad_id": str(i),
            "url": f"http://plans.test/{i}",
            "title": " ".join(words[:4]),
            "text": " ".join(words[4:]),
            "city": CITIES[i % 4],
            # few distinct days: many ties on last_seen / first_seen
            "observed_at": f"2024-03-{1 + i % 12:02d}T10:00:00Z",
            "images": [],
        }


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "ads.db"
    with open_store(f"sqlite:///{path}") as s:
        s.setup()
        s.upsert_observations(_observations())
        rng = random.Random(9)
        ids = [r[0] for r in s._db.execute("SELECT ad_id FROM ad_meta ORDER BY rid")]
        s.write_enrichments(
            {
                "ad_id": a,
                "version": 1,
                "risk": rng.choice([0.1, 0.5, 0.5, 0.9]),  # heavy ties
                "flagged": n % 3 == 0,
                "indicators": [{"id": "x", "category": f"c{n % 3}"}] if n % 2 else [],
            }
            for n, a in enumerate(ids)
            if n % 7  # every seventh ad stays without risk (sorts as -1)
        )
        yield s


def _simple(monkeypatch):
    for name in ("FACET_SAMPLE", "TRACK_TOTAL", "RANK_BLOCK"):
        monkeypatch.setattr(plans, name, 10**9)


def _large(monkeypatch, walk: str = "probe"):
    # walk: probe each rowid of a sort-index chunk, or pass over every match
    monkeypatch.setattr(plans, "PASS_COST_US", 0.0 if walk == "pass" else 1e9)
    monkeypatch.setattr(plans, "FACET_SAMPLE", 20)
    monkeypatch.setattr(plans, "TRACK_TOTAL", 60)
    monkeypatch.setattr(plans, "RANK_BLOCK", 90)
    monkeypatch.setattr(plans, "WALK_CHUNK_MAX", 128)


def _all_pages(store, query: SearchQuery, limit: int = 200):
    """Every page of ``query`` by search_after: (ad ids, scores, results)."""
    ids, scores, results, after = [], [], [], None
    for _ in range(limit):
        query.search_after = after
        page = store.search(query)
        results.append(page)
        ids += [h["ad_id"] for h in page.hits]
        scores += [h.get("score") for h in page.hits]
        if page.next_after is None:
            return ids, scores, results
        after = page.next_after
    raise AssertionError("pagination did not end")


CASES = [
    ("massage", {}),
    ("nieuw discreet", {}),
    ("massage OR escort", {"date_from": "2024-03-05"}),
    ("weekend", {"city": ["Utrecht", "Breda"], "date_to": "2024-03-09"}),
    ('esc* OR "lieve vrouw"', {}),
    ("hotel", {"flagged": True}),
]


@pytest.mark.parametrize("text, filters", CASES)
@pytest.mark.parametrize(
    "sort, descending",
    [("risk", True), ("risk", False), ("last_seen", True), ("first_seen", False), ("ad_id", True)],
)
def test_walk_pages_equal_the_simple_plan(store, monkeypatch, text, filters, sort, descending):
    _walk_equals_simple(store, monkeypatch, text, filters, sort, descending, "probe")


@pytest.mark.parametrize("text, filters", CASES)
@pytest.mark.parametrize("sort, descending", [("risk", True), ("first_seen", False)])
def test_walk_by_one_pass_equals_the_simple_plan(
    store, monkeypatch, text, filters, sort, descending
):
    _walk_equals_simple(store, monkeypatch, text, filters, sort, descending, "pass")


def _walk_equals_simple(store, monkeypatch, text, filters, sort, descending, walk):
    query = SearchQuery(text=text, filters=filters, sort=sort, descending=descending, size=23)
    _simple(monkeypatch)
    want, _, simple = _all_pages(store, query)
    assert simple[0].total == len(want) == len(set(want)) > 2 * 20  # a large set below
    assert simple[0].total_relation == "eq" and not simple[0].estimated
    _large(monkeypatch, walk)
    got, _, large = _all_pages(store, query)
    assert got == want
    first = large[0]
    if len(want) > plans.TRACK_TOTAL:
        assert (first.total, first.total_relation) == (plans.TRACK_TOTAL, "gte")
    else:
        assert (first.total, first.total_relation) == (len(want), "eq")


def test_a_deep_cursor_alone_gives_the_same_page(store, monkeypatch):
    """A cursor taken from the simple plan continues the same way in the walk plan."""
    query = SearchQuery(text="massage", sort="risk", size=31, filters={"date_from": "2024-03-03"})
    _simple(monkeypatch)
    want, _, pages = _all_pages(store, query)
    cursor = pages[4].next_after
    _large(monkeypatch)
    page = store.search(SearchQuery(**{**query.__dict__, "search_after": cursor}))
    assert [h["ad_id"] for h in page.hits] == want[5 * 31 : 6 * 31]


@pytest.mark.parametrize("text, filters", CASES)
@pytest.mark.parametrize("descending", [True, False])
def test_relevance_blocks_visit_every_match_once_in_block_order(
    store, monkeypatch, text, filters, descending
):
    query = SearchQuery(
        text=text, filters=filters, sort="relevance", descending=descending, size=17
    )
    _simple(monkeypatch)
    want, want_scores, _ = _all_pages(store, query)
    score_of = dict(zip(want, want_scores, strict=True))
    _large(monkeypatch)
    got, got_scores, pages = _all_pages(store, query)
    assert sorted(got) == sorted(want) and len(got) == len(set(got))
    assert dict(zip(got, got_scores, strict=True)) == score_of  # the same bm25 scores
    assert pages[0].relevance_blocks or text != "massage"  # hundreds of matches: blocks
    if not pages[0].relevance_blocks:  # a plain relevance ranking
        assert got == want and len(want) <= 3 * plans.RANK_BLOCK
        return
    assert all(p.relevance_blocks for p in pages) and len(want) > plans.RANK_BLOCK / 3
    # The order: blocks of rowids (newest first when descending), bm25 within.
    rid = dict(store._db.execute("SELECT ad_id, rid FROM ad_meta"))
    lo, span = pages[0].next_after[2:] if pages[0].next_after else (0, 10**9)
    sign = -1 if descending else 1

    def block(ad_id):
        return sign * ((rid[ad_id] - lo) // span)

    if descending:  # ties on the score: rid (storage order) descending too
        expected = sorted(got, key=lambda a: (-block(a), score_of[a], rid[a]), reverse=True)
    else:
        expected = sorted(got, key=lambda a: (block(a), score_of[a], rid[a]))
    assert got == expected
    assert len({block(a) for a in got}) > 1  # really more than one block


@pytest.mark.parametrize("windows", [True, False])
def test_large_text_search_facets_are_flagged_estimates(store, monkeypatch, windows):
    query = SearchQuery(
        text="massage OR escort",
        filters={"date_from": "2024-03-02"},
        facets=["city", "indicator_categories"],
        histogram="day",
    )
    _simple(monkeypatch)
    exact = store.search(query)
    assert not exact.estimated and exact.total_relation == "eq"
    # rowid windows (on any index) or a hash over every match (on none)
    monkeypatch.setattr(plans, "WINDOW_MAX_SEGMENTS", 10**6 if windows else -1)
    monkeypatch.setattr(plans, "FACET_SAMPLE", 200)
    monkeypatch.setattr(plans, "TRACK_TOTAL", 300)
    approx = store.search(query)
    assert exact.total > 300
    assert approx.estimated and (approx.total, approx.total_relation) == (300, "gte")
    assert [h["ad_id"] for h in approx.hits] == [h["ad_id"] for h in exact.hits]
    # Scaled by the sample's stride: the estimates add up to about the true total.
    estimate = sum(n for _, n in approx.histogram)
    assert abs(estimate - exact.total) < 0.25 * exact.total
    assert set(dict(approx.facets["city"])) == set(dict(exact.facets["city"]))
