"""Hostile ad content is escaped on every page; photos are served safely."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from review_ui.review.sample import XSS_PAYLOADS, XSS_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client, role_users):
    client.force_login(role_users["officer"])
    return client


def _pages(market):
    ids = market.ids
    return [
        "/",
        reverse("review:ad", args=[ids["hostile"]]),
        reverse("review:ad", args=[ids["denhaag"]]),  # shows the hostile ad as a linked ad
        reverse("review:decisions") + "?decision=all",
    ]


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _elements(html: str):
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def test_payloads_never_reach_the_page_as_markup(officer, sample_market):
    for url in _pages(sample_market):
        tags = _elements(officer.get(url).content.decode())
        scripts = [a.get("src") for t, a in tags if t == "script"]
        assert scripts and all(s.startswith("/static/adscan/") for s in scripts), url
        assert not [
            t for t, _a in tags if t in ("iframe", "svg", "base", "style", "math", "details")
        ]
        assert [t for t, _a in tags].count("body") == 1
        assert not [(t, a) for t, a in tags if t == "meta" and "http-equiv" in a]
        handlers = [(t, k) for t, a in tags for k in a if k.startswith("on")]
        assert not handlers, (url, handlers)
        links = [a.get("href") or "" for t, a in tags if t == "a"]
        assert not [h for h in links if h.strip().lower().startswith("javascript")], url
        images = [a.get("src") or "" for t, a in tags if t == "img"]
        assert all(src.startswith("/photo/") for src in images), (url, images)
    ad_html = officer.get(
        reverse("review:ad", args=[sample_market.ids["hostile"]])
    ).content.decode()
    assert "&lt;script&gt;window.__xss=1;alert(&#x27;xss-script&#x27;)&lt;/script&gt;" in ad_html
    assert XSS_URL.replace("'", "&#x27;") in ad_html  # shown as text, not as a link
    assert "{{ 7|add:7 }}{% debug %}" in ad_html  # template syntax in an ad stays text


def test_every_payload_is_escaped_in_the_ad_text(officer, sample_market):
    from django.utils.html import escape

    from review_ui.review.templatetags.review_tags import visible_controls

    html = officer.get(reverse("review:ad", args=[sample_market.ids["hostile"]])).content.decode()
    for payload in XSS_PAYLOADS:
        if "<" in payload:
            assert payload not in html
        assert escape(visible_controls(payload)) in html


def _photo(market, name, index):
    return market.store.get_ad(market.ids[name])["images"][index]["sha256"]


def test_photo_is_served_with_safe_headers(officer, sample_market):
    sha = _photo(sample_market, "denhaag", 0)
    response = officer.get(reverse("review:photo", args=[sha]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]


def test_svg_claiming_to_be_an_image_is_not_rendered(officer, sample_market):
    sha = _photo(sample_market, "hostile", 1)
    response = officer.get(reverse("review:photo", args=[sha]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_photo_not_used_by_any_ad_is_404(officer, sample_market):
    from review_ui.review.sample import store_image, tiny_png

    stray = store_image(sample_market.image_dir, tiny_png(42))
    assert officer.get(reverse("review:photo", args=[stray])).status_code == 404
    assert officer.get("/photo/..%2F..%2Fetc%2Fpasswd/").status_code == 404


def test_ad_page_never_links_to_the_source_site(officer, sample_market):
    html = officer.get(reverse("review:ad", args=[sample_market.ids["denhaag"]])).content.decode()
    assert "https://sample-site.invalid/ad/denhaag" in html
    assert 'href="https://sample-site.invalid' not in html
    assert 'src="http' not in html


def test_direction_overrides_are_shown_not_obeyed(officer, sample_market):
    html = officer.get(reverse("review:ad", args=[sample_market.ids["hostile"]])).content.decode()
    assert "\u202e" not in html and "\u200b" not in html
    assert "⟨U+202E⟩gnp.exe" in html and "scr⟨U+200B⟩ipt" in html
