"""The Elasticsearch backend beyond the contract: URLs, media types, schema
deployment, bulk failure reports and an unreachable server (osmem-server)."""

from __future__ import annotations

import socket

import pytest
from elasticsearch import ApiError, Elasticsearch

from index import (
    BulkWriteError,
    SearchQuery,
    StoreConfigError,
    StoreUnavailable,
    make_ad_id,
    open_store,
)
from index.es_client import ClientSettings, OpenSearchCompatibleNode
from index.es_store import ElasticsearchAdStore, simple_query
from index.sqlite_store import SqliteAdStore


def _obs(i, **kw):
    doc = {"source": "demo", "site_ad_id": str(i), "url": f"http://d/{i}", "title": f"ad {i}"}
    doc.update(text="tekst", observed_at="2024-05-01T10:00:00Z", **kw)
    return doc


@pytest.mark.parametrize(
    "url", ["localhost:9200", "", "ftp://x", "sqlite://", "http://", "postgres://db/ads"]
)
def test_bad_url_names_the_setting_and_the_forms(url):
    with pytest.raises(StoreConfigError) as info:
        open_store(url)
    assert str(info.value) == (
        f"Setting ADSCAN_INDEX_URL has value {url!r}; expected sqlite:///path/to/ads.db, "
        "http(s)://host:9200 or opensearch+http(s)://host:port"
    )


def test_url_forms_pick_backend_and_flavour(tmp_path):
    assert isinstance(open_store(f"sqlite:///{tmp_path}/a.db"), SqliteAdStore)
    es = open_store("http://127.0.0.1:9200")
    assert isinstance(es, ElasticsearchAdStore) and not es.settings.opensearch
    os_ = open_store("opensearch+https://user:pw@search.example:9443/?prefix=nl&refresh=false")
    assert os_.settings.opensearch and os_.settings.prefix == "nl"
    assert (
        os_.settings.refresh is False
        and os_.settings.server == "https://user:pw@search.example:9443/"
    )
    assert os_.settings.display == "opensearch+https://search.example:9443/"  # no password
    assert os_.ads == "nl-ads"
    with pytest.raises(StoreConfigError, match="unknown options.*colour"):
        ClientSettings("http://h:9200?colour=red")


def test_opensearch_node_sends_plain_json(opensearch_url):
    """The plain 9.x client sends the compatibility media type, which OpenSearch
    servers refuse; the node class sends application/json and works."""
    plain = Elasticsearch(opensearch_url.removeprefix("opensearch+"))
    with pytest.raises(ApiError, match="compatible-with=9.*not supported"):
        plain.indices.create(index="plain-client-probe", mappings={"properties": {}})
    plain.close()
    client = ClientSettings(opensearch_url).client()
    assert isinstance(client.transport.node_pool.get(), OpenSearchCompatibleNode)
    assert client.info()["version"]["distribution"] == "opensearch"
    assert client.indices.create(index="node-probe")["acknowledged"] is True
    client.close()


def test_setup_is_idempotent_and_uses_versioned_indices(opensearch_store):
    store = opensearch_store
    store.setup()
    assert store.setup_report["created"] == []
    client = store.client
    for kind in ("ads", "versions", "clusters"):
        assert list(client.indices.get_alias(name=f"adscan-{kind}").body) == [f"adscan-{kind}-v1"]
        assert client.indices.exists_index_template(name=f"adscan-{kind}")
    mapping = client.indices.get_mapping(index="adscan-ads").body["adscan-ads-v1"]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["phones"]["type"] == "keyword"


def test_osmem_lacks_dutch_stemming_and_setup_says_so(opensearch_url):
    store = open_store(opensearch_url)
    store.setup()
    assert any("Dutch" in note for note in store.setup_report["notes"])
    store.close()


def test_migrate_reindexes_and_flips_the_alias(opensearch_store):
    store = opensearch_store
    store.upsert_observations([_obs(i) for i in range(30)])
    store.upsert_clusters([{"cluster_id": "c1", "ad_ids": [make_ad_id("demo", "1")]}])
    report = store.migrate(delete_old=True)
    assert {m["to"] for m in report["moves"]} == {
        "adscan-ads-v2",
        "adscan-versions-v2",
        "adscan-clusters-v2",
    }
    assert list(store.client.indices.get_alias(name="adscan-ads").body) == ["adscan-ads-v2"]
    assert not store.client.indices.exists(index="adscan-ads-v1")
    assert store.count() == 30
    assert store.get_cluster("c1")["cluster_id"] == "c1"
    assert len(store.get_versions(make_ad_id("demo", "3"))) == 1
    assert store.upsert_observations([_obs(99)]).new == [make_ad_id("demo", "99")]


def test_refused_documents_are_reported_with_the_reason(opensearch_store):
    store = opensearch_store
    store.upsert_observations([_obs(1), _obs(2)])
    with pytest.raises(BulkWriteError) as info:
        store.write_enrichments(
            [
                {"ad_id": make_ad_id("demo", "1"), "processed_at": "yesterday"},
                {"ad_id": make_ad_id("demo", "2"), "risk": 0.5},
            ]
        )
    (failure,) = info.value.failures
    assert failure[0] == make_ad_id("demo", "1")
    assert "processed_at" in failure[1]
    assert store.get_ad(make_ad_id("demo", "2"))["risk"] == 0.5
    # A bad observation field is refused per ad, not silently dropped.
    result = store.upsert_observations([_obs(3, city={"name": "Utrecht"}), _obs(4)])
    assert result.new == [make_ad_id("demo", "4")]
    assert [a for a, _ in result.failed] == [make_ad_id("demo", "3")]
    assert "city" in result.failed[0][1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_gives_one_clear_sentence():
    url = f"opensearch+http://127.0.0.1:{_closed_port()}?retries=1"
    store = open_store(url)
    with pytest.raises(StoreUnavailable) as info:
        store.search(SearchQuery())
    message = str(info.value)
    assert message.startswith(
        f"The ad store at opensearch+http://127.0.0.1:{url.split(':')[-1].split('?')[0]}"
    )
    assert "cannot be reached after 2 tries" in message and "ADSCAN_INDEX_URL" in message
    assert "\n" not in message
    store.close()


def test_store_without_setup_says_to_run_setup(opensearch_url):
    store = open_store(opensearch_url)
    with pytest.raises(StoreConfigError, match="adscan index setup"):
        store.count()
    store.close()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("vrouw nieuw", "vrouw nieuw"),
        ('"den haag" massage*', '"den haag" massage*'),
        ("a OR b", "a | b"),
        ("(x) +31-6", "x 31 6"),
        ("!!", None),
    ],
)
def test_simple_query_translation(text, expected):
    assert simple_query(text) == expected
