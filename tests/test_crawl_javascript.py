"""JavaScript sources: ``javascript: true`` renders pages in Debian's Chromium (scrapy-playwright).

The test site (ours, synthetic) sends empty page shells; a static JS file
inserts the ad list on the listing page and the ad itself on each ad page.
"""

from __future__ import annotations

import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import index
from crawler.runner import run_crawl_subprocess
from tests.test_crawl_support import FAST, TinyMarket, TinySite, ad_html, crawl_dirs, write_profile

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").is_file() or shutil.which("chromium") is None,
        reason="Debian's Chromium (/usr/bin/chromium) is not installed",
    ),
]

N_ADS = 6

_SHELL = (
    "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body>{body}<script src='{script}'></script></body></html>"
)


class JsSite(TinySite):
    """A :class:`TinyMarket` whose listing and ad pages are built by JavaScript in the browser."""

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        market, path = self.market, h.path
        if path.startswith("/listings"):
            body = _SHELL.format(
                title="Ads", body="<ul id='ads'></ul>", script="/static/listing.js"
            )
            return self.send(h, 200, body.encode())
        if path.startswith("/ad/") and path[4:] in market.ads:
            body = _SHELL.format(title="Ad", body="<main id='ad'></main>", script="/static/ad.js")
            return self.send(h, 200, body.encode())
        if path == "/static/listing.js":
            entries = market.listing_entries()
            js = (
                f"const ENTRIES = {json.dumps(entries)};\n"
                "const ul = document.getElementById('ads');\n"
                "for (const [id, href, updated] of ENTRIES) {\n"
                "  const li = document.createElement('li');\n"
                "  li.className = 'ad'; li.dataset.id = id;\n"
                "  const a = document.createElement('a');\n"
                "  a.className = 'title'; a.href = href; a.textContent = 'ad';\n"
                "  const u = document.createElement('span');\n"
                "  u.className = 'updated'; u.textContent = updated;\n"
                "  li.append(a, u); ul.append(li);\n"
                "}\n"
            )
            return self.send(h, 200, js.encode(), "text/javascript; charset=utf-8")
        if path == "/static/ad.js":
            pages = {
                ad_id: ad_html(ad_id, ad).split("<body>", 1)[1].split("</body>", 1)[0]
                for ad_id, ad in market.ads.items()
            }
            js = (
                f"const PAGES = {json.dumps(pages)};\n"
                "const id = location.pathname.split('/').pop();\n"
                "document.getElementById('ad').innerHTML = PAGES[id];\n"
            )
            return self.send(h, 200, js.encode(), "text/javascript; charset=utf-8")
        return super().handle(h)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("js")
    market = TinyMarket(n_ads=N_ADS)
    site = JsSite(market).start()
    out = {"market": market, "site": site}
    try:
        for js in (True, False):
            run_dir = tmp_path / ("js" if js else "plain")
            run_dir.mkdir()
            profile = write_profile(run_dir, site.base_url, name="tiny-js")
            with open(profile, "a", encoding="utf-8") as fh:
                fh.write(f"javascript: {'true' if js else 'false'}\n")
            dirs = crawl_dirs(run_dir)
            summary = run_crawl_subprocess(
                profile,
                settings=FAST,
                timeout=180,
                log_file=run_dir / "crawl.log",
                **dirs,
            )
            out[js] = {"summary": summary, "dirs": dirs, "log": run_dir / "crawl.log"}
    finally:
        site.stop()
    return out


def test_rendered_pages_give_every_ad(crawls):
    market, run = crawls["market"], crawls[True]
    summary = run["summary"]
    assert summary["finished_ok"], run["log"].read_text()[-3000:]
    assert summary["new"] == N_ADS and summary["dropped"] == {}
    store = index.open_store(run["dirs"]["store_url"])
    try:
        for site_id, truth in market.ads.items():
            ad = store.get_ad(index.make_ad_id("tiny-js", site_id))
            assert ad is not None, site_id
            assert ad["title"] == truth["title"]
            assert truth["body"][1] in ad["text"] and truth["phone"] in ad["text"]
            assert ad["city"] == truth["city"] and ad["posted_at"] == truth["date"]
            # Photo URLs came from the rendered DOM; the photos themselves were fetched.
            assert len(ad["images"]) == 2
    finally:
        store.close()
    assert summary["images_stored"] == N_ADS + 1


def test_evidence_is_the_rendered_page(crawls):
    market, run = crawls["market"], crawls[True]
    warc = Path(run["dirs"]["archive_dir"]) / run["summary"]["warc_file"]
    bodies = {}
    with open(warc, "rb") as fh:
        for rec in ArchiveIterator(fh):
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            if rec.rec_type == "response" and "/ad/" in uri:
                bodies[uri.rsplit("/", 1)[1]] = rec.content_stream().read().decode()
    assert set(bodies) == set(market.ads)
    for site_id, body in bodies.items():
        assert f"<h1>{market.ads[site_id]['title']}</h1>" in body


def test_the_same_profile_without_javascript_finds_no_ads(crawls):
    summary = crawls[False]["summary"]
    assert summary["finished_ok"]
    assert summary["listing_pages"] == 1
    assert summary["ads_seen"] == 0 and summary["new"] == 0
    store = index.open_store(crawls[False]["dirs"]["store_url"])
    try:
        assert store.count(source=["tiny-js"]) == 0
    finally:
        store.close()
