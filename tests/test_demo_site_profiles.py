"""The demo site profiles (crawler/profiles/demo-*.yaml) extract the right fields from the demo pages.

Selectors are applied the way the profile format defines them: exactly one of
``css``/``xpath``, then ``regex`` (first group), ``join`` or ``many``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from scrapy import Selector

from crawler.demo import SITE_NAMES, DemoMarket
from crawler.demo.sites import SITES

PROFILES = Path(__file__).resolve().parent.parent / "crawler" / "profiles"
TOP_KEYS = {
    "name", "description", "base_url", "start_urls", "phone_region", "listing", "ad",
    "politeness", "recrawl_after_hours", "javascript",
}  # fmt: skip
LISTING_KEYS = {"item", "ad_link", "site_ad_id", "updated", "next_page"}
AD_KEYS = {"site_ad_id", "title", "text", "date", "city", "price", "phone", "photos"}


def extract(sel: Selector, spec: dict):
    """Apply one profile selector to ``sel``."""
    assert set(spec) <= {"css", "xpath", "regex", "join", "many"}, spec
    assert ("css" in spec) != ("xpath" in spec), spec
    values = sel.css(spec["css"]).getall() if "css" in spec else sel.xpath(spec["xpath"]).getall()
    if "regex" in spec:
        values = [m.group(1) for m in (re.search(spec["regex"], v) for v in values) if m]
    if "join" in spec:
        return spec["join"].join(values)
    if spec.get("many"):
        return values
    return values[0] if values else None


@pytest.fixture(scope="module")
def market() -> DemoMarket:
    return DemoMarket(seed=7, n_ads=120)


def _profile(site: str) -> dict:
    return yaml.safe_load((PROFILES / f"{site}.yaml").read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("site", SITE_NAMES)
def test_profile_has_exactly_the_agreed_keys(site):
    prof = _profile(site)
    assert set(prof) == TOP_KEYS
    assert prof["name"] == site
    assert set(prof["listing"]) == LISTING_KEYS
    assert set(prof["ad"]) <= AD_KEYS and {"site_ad_id", "title", "text", "photos"} <= set(
        prof["ad"]
    )
    assert prof["politeness"]["obey_robots"] is True and prof["javascript"] is False
    assert all(u.startswith("/") for u in prof["start_urls"])


def test_sites_are_built_differently():
    item_selectors = {_profile(s)["listing"]["item"]["css"] for s in SITE_NAMES}
    title_selectors = {str(_profile(s)["ad"]["title"]) for s in SITE_NAMES}
    assert len(item_selectors) == 3 and len(title_selectors) == 3
    assert "phone" not in _profile("demo-velvet")["ad"]  # that site has the phone only in the text


@pytest.mark.parametrize("site", SITE_NAMES)
def test_listing_selectors_extract_links_ids_and_next_page(market, site):
    prof, renderer = _profile(site), SITES[site]
    path, _, query = prof["start_urls"][0].partition("?")
    seen, pages = [], 0
    while path and pages < 20:
        resp = renderer.handle(market, path, query)
        assert resp.status == 200
        page = Selector(text=resp.body.decode("utf-8"))
        items = page.css(prof["listing"]["item"]["css"])
        assert items
        for item in items:
            link = extract(item, prof["listing"]["ad_link"])
            ad = market.ad_at(site, link)
            assert ad is not None, link
            assert extract(item, prof["listing"]["site_ad_id"]) == ad.site_ad_id
            assert extract(item, prof["listing"]["updated"])
            seen.append(ad.site_ad_id)
        nxt = extract(page, prof["listing"]["next_page"])
        path, _, query = (nxt or "").partition("?")
        pages += 1
    assert sorted(seen) == sorted(a.site_ad_id for a in market.site_ads(site))
    assert pages >= 2


@pytest.mark.parametrize("site", SITE_NAMES)
def test_ad_selectors_extract_every_field(market, site):
    prof, renderer = _profile(site), SITES[site]
    for ad in market.site_ads(site):
        if ad.bad == "malformed":
            continue
        page = Selector(text=renderer.render_ad(ad))
        fields = {k: extract(page, spec) for k, spec in prof["ad"].items()}
        assert fields["site_ad_id"] == ad.site_ad_id
        assert fields["title"] == ad.title
        assert _norm(fields["text"]) == _norm(ad.text)
        assert fields["photos"] == ad.photo_paths
        assert fields["city"] == ad.city
        assert (fields["price"] or "") == ad.price
        assert fields["date"] and str(ad.posted.year) in fields["date"]
        phone_source = fields.get("phone") or fields["text"]
        assert ad.phone_text in phone_source


def test_malformed_page_still_gives_title_and_id(market):
    ad = next(a for a in market.ads if a.bad == "malformed")
    prof = _profile(ad.source)
    page = Selector(text=SITES[ad.source].render_ad(ad))
    assert extract(page, prof["ad"]["site_ad_id"]) == ad.site_ad_id
    assert ad.title in extract(page, prof["ad"]["title"])


def test_hostile_payloads_are_escaped_in_html_and_literal_in_text(market):
    hostile = [a for a in market.ads if a.hostile]
    assert len(hostile) == 5
    for ad in hostile:
        prof, body = _profile(ad.source), SITES[ad.source].render_ad(ad)
        if "<" in ad.hostile:
            assert ad.hostile not in body
            assert html.escape(ad.hostile) in body
        page = Selector(text=body)
        text = extract(page, prof["ad"]["text"])
        assert ad.hostile in text
        if ad.hostile in ad.title:
            assert extract(page, prof["ad"]["title"]) == ad.title
        # No element or attribute from the payload made it into the DOM.
        assert not page.css(
            "article script, main script, div#advertentie script, svg, [onerror], [onload]"
        )
        assert not page.xpath("//a[starts-with(@href, 'javascript:')]")
