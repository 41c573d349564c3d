"""The network explorer and the trends dashboard against the demo's planted networks."""

from __future__ import annotations

import csv
import io
import json

import pytest

from review_ui.accounts.models import AuditEntry
from tests import test_analysis_support as support
from tests.fixtures.review import PASSWORD
from tests.test_analysis_support import network_ad_ids

demo_home = support.demo_home
demo_store = support.demo_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client, role_users):
    # These tests read the English pages; test_review_i18n.py checks the Dutch ones.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.login(username="analyst1", password=PASSWORD)
    return client


def _cluster_of(demo, net):
    ids = network_ad_ids(demo, net)
    (cluster_id,) = {demo.store.get_ad(a)["cluster_id"] for a in ids}
    return cluster_id, ids


def test_every_planted_network_has_a_cluster_page_with_its_ads_cities_and_reasons(
    analyst, demo_store
):
    for net in demo_store.truth["networks"]:
        cluster_id, ids = _cluster_of(demo_store, net)
        response = analyst.get(f"/analysis/clusters/{cluster_id}/")
        assert response.status_code == 200
        ctx = response.context
        assert {a["ad_id"] for a in ctx["members"]} == set(ids), net["network_id"]
        assert [c for c, _n in ctx["cities"]] and {c for c, _n in ctx["cities"]} == set(
            net["cities"]
        )
        body = response.content.decode()
        for city in net["cities"]:
            assert city in body
        for phone in net["phones"]:
            assert phone in body
        # The graph links every member ad, and every edge says why.
        graph = json.loads(
            body.split('<script id="cluster-data" type="application/json">')[1].split("</script>")[
                0
            ]
        )["graph"]
        ad_nodes = {n["ad_id"] for n in graph["nodes"] if n["type"] == "ad"}
        assert ad_nodes == set(ids)
        linked = {e["source"][3:] for e in graph["edges"]}
        assert linked == set(ids), net["network_id"]
        assert all(e["reason"] for e in graph["edges"])
        kinds = {n["type"] for n in graph["nodes"]}
        if "phone" in net["kinds"]:
            assert "phone" in kinds
        if "template" in net["kinds"] and "phone" not in net["kinds"]:
            assert "text" in kinds
        # Timeline lists every member in time order.
        times = [r["first_seen"] for r in ctx["timeline"]]
        assert times == sorted(times) and len(times) == len(ids)
        assert AuditEntry.objects.filter(action="view_cluster", target_id=cluster_id).exists()


def test_cluster_page_shows_risk_indicators_and_personas(analyst, demo_store):
    net = max(demo_store.truth["networks"], key=lambda n: len(n["members"]))
    cluster_id, ids = _cluster_of(demo_store, net)
    response = analyst.get(f"/analysis/clusters/{cluster_id}/")
    ads = demo_store.store.get_ads(ids)
    assert response.context["cluster"]["risk_max"] == max(a["risk"] for a in ads)
    top = response.context["indicators"]
    counted = {}
    for a in ads:
        for i in {x["id"] for x in a["indicators"]}:
            counted[i] = counted.get(i, 0) + 1
    assert {i["id"]: i["ads"] for i in top} == dict(
        sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    )
    personas = {
        a["persona"].title()
        for a in demo_store.truth["ads"]
        if a["network_id"] == net["network_id"]
    }
    assert personas & set(response.context["personas"])


def test_cluster_list_sorts(analyst, demo_store):
    store = demo_store.store
    for sort, key in (("size", "size"), ("n_cities", "n_cities"), ("risk_max", "risk_max")):
        response = analyst.get("/analysis/clusters/", {"sort": sort})
        values = [r["c"][key] for r in response.context["rows"]]
        assert values == sorted(values, reverse=True) and values, sort
    response = analyst.get("/analysis/clusters/", {"sort": "personas_per_phone"})
    ppp = [r["ppp"] for r in response.context["rows"]]
    assert ppp == sorted(ppp, reverse=True)
    assert len(response.context["rows"]) == store.stats()["clusters"]


def test_unknown_cluster_is_404(analyst, demo_store):
    assert analyst.get("/analysis/clusters/nope/").status_code == 404
    assert analyst.get("/analysis/clusters/bad%20id/").status_code == 404


def test_trends_dashboard_figures_and_csv(analyst, demo_store):
    store = demo_store.store
    response = analyst.get("/analysis/trends/")
    assert response.status_code == 200
    charts = {c.id: c for c in response.context["charts"]}
    assert set(charts) == {
        "ads_per_day",
        "new_phones_per_week",
        "flagged_share",
        "top_cities",
        "growing_clusters",
        "indicators",
    }
    per_day = charts["ads_per_day"]
    assert sum(sum(s["values"]) for s in per_day.series) == store.stats()["ads"]
    assert {s["name"] for s in per_day.series} == set(store.stats()["by_source"])
    phones = {p for a in store.search(support_query()).hits for p in a.get("phones") or []}
    assert sum(charts["new_phones_per_week"].series[0]["values"]) == len(phones)
    top_city, top_n = charts["top_cities"].x[0], charts["top_cities"].series[0]["values"][0]
    assert store.count(city=[top_city]) == top_n
    response = analyst.get("/analysis/trends/top_cities.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["city", "ads"] and rows[1] == [top_city, str(top_n)]
    assert analyst.get("/analysis/trends/nope.csv").status_code == 404
    assert AuditEntry.objects.filter(action="export", target_type="trends").exists()


def support_query():
    from index import SearchQuery

    return SearchQuery(size=1000)
