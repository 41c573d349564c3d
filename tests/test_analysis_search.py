"""Search with facets and direct lookups (phone in many formats, photo with a
resized copy) on the processed demo market, through the analyst's pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from index import SearchQuery
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


def _phone_network(demo):
    return next(n for n in demo.truth["networks"] if n["phones"])


def phone_formats(e164: str) -> list[str]:
    """A Dutch or foreign E.164 number as people write it."""
    assert e164.startswith("+")
    cc = "31" if e164.startswith("+31") else e164[1:3]
    national = e164[1 + len(cc) :]
    formats = [
        e164,
        f"+{cc} {national[:1]} {national[1:5]} {national[5:]}",
        f"00{cc}{national}",
        f"00{cc} {national[:3]} {national[3:6]} {national[6:]}",
        f"+{cc}-{national}",
        f"+{cc} ({national[:3]}) {national[3:]}",
    ]
    if cc == "31":
        formats += [
            f"0{national}",
            f"0{national[:1]}-{national[1:]}",
            f"(0{national[:1]}) {national[1:4]} {national[4:6]} {national[6:]}",
            f"0{national[:1]} {national[1:3]} {national[3:5]} {national[5:7]} {national[7:]}",
            national,  # without the leading zero
        ]
    return formats


@pytest.mark.parametrize("fmt", range(11))
def test_phone_lookup_in_any_format_finds_every_ad_with_that_phone(analyst, demo_store, fmt):
    nl = next(
        n for n in demo_store.truth["networks"] if any(p.startswith("+31") for p in n["phones"])
    )
    phone = next(p for p in nl["phones"] if p.startswith("+31"))
    formats = phone_formats(phone)
    expected = {
        demo_store.ids[(a["source"], a["site_ad_id"])]
        for a in demo_store.truth["ads"]
        if a["phone_e164"] == phone
    }
    response = analyst.get("/analysis/lookup/", {"identifier": formats[fmt]})
    assert response.status_code == 200, formats[fmt]
    found = {row["ad"]["ad_id"] for row in response.context["rows"]}
    assert found == expected, formats[fmt]
    assert len(expected) >= 3
    body = response.content.decode()
    assert f"same phone number {phone}" in body
    # The analyst can follow the network across cities from here.
    for city in nl["cities"]:
        assert city in body


def test_foreign_phone_lookup_and_audit(analyst, demo_store):
    net = next(
        n for n in demo_store.truth["networks"] if any(not p.startswith("+31") for p in n["phones"])
    )
    phone = next(p for p in net["phones"] if not p.startswith("+31"))
    before = AuditEntry.objects.filter(action="lookup").count()
    for written in phone_formats(phone)[:4]:
        response = analyst.get("/analysis/lookup/", {"identifier": written})
        found = {row["ad"]["ad_id"] for row in response.context["rows"]}
        assert set(network_ad_ids(demo_store, net)) <= found, written
    assert AuditEntry.objects.filter(action="lookup").count() == before + 4
    entry = AuditEntry.objects.filter(action="lookup").latest("id")
    assert entry.username == "analyst1" and entry.target_id == phone


def test_unknown_identifier_is_a_field_error(analyst, demo_store):
    response = analyst.get("/analysis/lookup/", {"identifier": "!!!"})
    assert response.status_code == 400
    assert "is not a phone number" in response.content.decode()


def test_photo_lookup_with_a_resized_copy_finds_the_ads_that_show_it(analyst, demo_store):
    net = next(n for n in demo_store.truth["networks"] if n["photos"])
    sha = net["photos"][0]
    original = (demo_store.image_dir / sha[:2] / sha[2:4] / sha).read_bytes()
    img = Image.open(io.BytesIO(original)).convert("RGB")
    small = img.resize((img.width * 3 // 5, img.height * 3 // 5))
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=80)
    buf.name = "copy.jpg"
    buf.seek(0)
    shows_it = {
        demo_store.ids[(a["source"], a["site_ad_id"])]
        for a in demo_store.truth["ads"]
        if sha in a["photos"]
    }
    members = set(network_ad_ids(demo_store, net))
    response = analyst.post("/analysis/lookup/photo/", {"photo": buf})
    assert response.status_code == 200
    rows = response.context["rows"]
    found = {r["ad"]["ad_id"] for r in rows}
    # The ads with this photo, and the network's other ads with its near copies; no others.
    assert shows_it <= found
    assert found <= members
    assert len(found) >= 2
    assert all(r["match"].kind == "image_near" for r in rows)  # not the same bytes
    assert "near-identical photo" in response.content.decode()
    assert AuditEntry.objects.filter(action="lookup", target_type="image").exists()


def test_photo_lookup_with_the_same_bytes_says_identical(analyst, demo_store):
    net = next(n for n in demo_store.truth["networks"] if n["photos"])
    sha = net["photos"][0]
    data = (demo_store.image_dir / sha[:2] / sha[2:4] / sha).read_bytes()
    upload = io.BytesIO(data)
    upload.name = "same.png"
    response = analyst.post("/analysis/lookup/photo/", {"photo": upload})
    rows = response.context["rows"]
    exact = {r["ad"]["ad_id"] for r in rows if r["match"].kind == "image_sha256"}
    assert exact == {
        demo_store.ids[(a["source"], a["site_ad_id"])]
        for a in demo_store.truth["ads"]
        if sha in a["photos"]
    }


def test_photo_lookup_rejects_a_non_image(analyst, demo_store):
    upload = io.BytesIO(b"not an image at all")
    upload.name = "x.jpg"
    response = analyst.post("/analysis/lookup/photo/", {"photo": upload})
    assert response.status_code == 400
    assert "could not be read as a photo" in response.content.decode()


def test_full_text_search_marks_the_words_and_says_why(analyst, demo_store):
    ad = next(a for a in demo_store.truth["ads"] if a["city"] and not a["hostile"])
    word = ad["city"]
    response = analyst.get("/analysis/", {"q": word})
    assert response.status_code == 200
    hits = response.context["hits"]
    assert hits and response.context["total"] >= len(hits)
    for h in hits:
        assert any(p.mark for p in h["snippet"]) or any("title contains" in w for w in h["why"])
        assert h["why"]
    body = response.content.decode()
    assert "<mark>" in body
    entry = AuditEntry.objects.filter(action="search", target_type="ads").latest("id")
    assert entry.details["q"] == word


def test_facets_filter_and_count(analyst, demo_store):
    store = demo_store.store
    response = analyst.get("/analysis/")
    groups = {g["name"]: g for g in response.context["facet_groups"]}
    city, count = groups["city"]["values"][0]["value"], groups["city"]["values"][0]["count"]
    assert count == store.count(city=[city])
    sources = [v["value"] for v in groups["source"]["values"]]
    assert sorted(sources) == sorted(store.stats()["by_source"])
    response = analyst.get("/analysis/", {"city": city, "source": sources[0]})
    total = response.context["total"]
    assert total == store.count(city=[city], source=[sources[0]])
    assert all(h["ad"]["city"] == city for h in response.context["hits"])
    assert all(any(w.startswith("city:") for w in h["why"]) for h in response.context["hits"])
    # risk band: every hit in the band; indicator category facet values exist.
    response = analyst.get("/analysis/", {"risk_band": "high"})
    assert all(h["ad"]["risk_band"] == "high" for h in response.context["hits"])
    everything = store.search(SearchQuery(size=200)).hits
    assert response.context["total"] == sum(1 for a in everything if a["risk_band"] == "high")


def test_date_filter_and_histogram(analyst, demo_store):
    response = analyst.get("/analysis/")
    histogram = response.context["histogram"]
    assert sum(b["n"] for b in histogram) == demo_store.store.stats()["ads"]
    day = histogram[len(histogram) // 2]["x"]
    response = analyst.get("/analysis/", {"date_from": day, "date_to": day})
    assert response.context["total"] == next(b["n"] for b in histogram if b["x"] == day)
    response = analyst.get("/analysis/", {"date_from": "2030-01-02", "date_to": "2030-01-01"})
    assert response.status_code == 400


def test_officer_may_search_operator_may_not(client, role_users, demo_store):
    client.login(username="operator1", password=PASSWORD)
    assert client.get("/analysis/").status_code == 403
    assert client.get("/analysis/lookup/", {"identifier": "0612345678"}).status_code == 403
    client.logout()
    assert client.get("/analysis/").status_code == 302
