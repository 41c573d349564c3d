"""Real saved ad pages (../shared/data) served on 127.0.0.1 with a listing page of ours.

Nothing from ../shared/data is copied into the repository: the expected values
come from the data set's own manifest and CSVs at test time.
"""

from __future__ import annotations

import csv
import html
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import index
from crawler.profiles import find_profile
from crawler.runner import run_crawl_subprocess
from tests.test_crawl_support import FAST, crawl_dirs

pytestmark = pytest.mark.realdata

#: Craigslist NYC sub-area codes (in each posting's reply link) and their breadcrumb names.
SUBAREAS = {
    "mnh": "manhattan",
    "brk": "brooklyn",
    "que": "queens",
    "brx": "bronx",
    "stn": "staten island",
    "jsy": "new jersey",
    "lgi": "long island",
    "wch": "westchester",
    "fct": "fairfield",
}


class MirrorServer:
    """Serve ``pages`` (name -> file) and a listing page of ours (``/index.html``) on 127.0.0.1."""

    def __init__(self, pages: dict[str, Path], listing: bytes):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/index.html":
                    body, ctype, status = listing, "text/html; charset=utf-8", 200
                elif self.path.startswith("/pages/") and self.path[7:] in mirror.pages:
                    body, ctype, status = mirror.pages[self.path[7:]].read_bytes(), "text/html", 200
                else:
                    body, ctype, status = b"not found", "text/plain", 404
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.pages = pages
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _ascii(text: str) -> str:
    return re.sub(r"[^\x21-\x7e]", "", text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def craigslist(shared_data, tmp_path_factory):
    root = shared_data / "craigslist-nyc-2013-html"
    if not (root / "manifest.json").is_file():
        pytest.skip(
            "../shared/data/craigslist-nyc-2013-html is absent; real-page crawl test skipped"
        )
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    pages = {Path(m["file"]).name: root / m["file"] for m in manifest}
    pids = {name: re.search(r"craigslist(\d+)", name).group(1) for name in pages}
    # Our listing page (labelled as ours), pointing at the unmodified saved pages.
    rows = "".join(
        f'<li class="row" data-pid="{pids[n]}"><a href="/pages/{n}">{n}</a></li>'
        for n in sorted(pages)
    )
    listing = (
        f"<html><body><!-- adscan test listing (ours) --><ul class='rows'>{rows}</ul></body></html>"
    )
    server = MirrorServer(pages, listing.encode())
    tmp_path = tmp_path_factory.mktemp("craigslist")
    dirs = crawl_dirs(tmp_path)
    try:
        summary = run_crawl_subprocess(
            find_profile("craigslist-nyc-2013"),
            base_url=server.base_url,
            settings=FAST,
            timeout=240,
            **dirs,
        )
    finally:
        server.stop()
    store = index.open_store(dirs["store_url"])
    ads = {}
    for name, pid in pids.items():
        ad = store.get_ad(index.make_ad_id("craigslist-nyc-2013", pid))
        if ad is not None:
            ads[name] = ad
    store.close()
    return {"root": root, "manifest": manifest, "summary": summary, "ads": ads, "pages": pages}


def test_every_page_is_stored_with_title_text_and_date(craigslist):
    summary, ads = craigslist["summary"], craigslist["ads"]
    assert summary["finished_ok"] and summary["dropped"] == {}
    assert len(ads) == len(craigslist["pages"]) == summary["new"]
    for m in craigslist["manifest"]:
        ad = ads[Path(m["file"]).name]
        # The manifest keeps HTML entities and shows non-UTF-8 bytes as U+FFFD;
        # the crawler decodes entities and re-decodes such pages as Windows-1252.
        # So compare the ASCII skeletons.
        assert _ascii(ad["title"]) == _ascii(html.unescape(m["title"])), m["file"]
        if m["title"].isascii() and "&" not in m["title"]:
            assert ad["title"] == " ".join(m["title"].split())
        assert ad["text"].strip()
        assert re.fullmatch(r"2013-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]00", ad["posted_at"]), ad[
            "posted_at"
        ]
        assert ad["site_ad_id"] in m["file"]


def test_place_matches_the_sub_area_of_the_reply_link(craigslist):
    checked = 0
    for name, ad in craigslist["ads"].items():
        page = craigslist["pages"][name].read_text(encoding="utf-8", errors="replace")
        m = re.search(r"newyork\.craigslist\.org%2F([a-z]{3})%2F", page)
        if m and m.group(1) in SUBAREAS:
            assert ad["city"] == SUBAREAS[m.group(1)], name
            checked += 1
    assert checked >= 100


def test_date_and_phone_match_the_authors_csv(craigslist):
    root, ads = craigslist["root"], craigslist["ads"]
    checked = 0
    for csv_name in ("prostitute_numbers.csv", "john_numbers.csv"):
        with open(root / csv_name, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                ad = ads.get(row["webpage"])
                if ad is None:
                    continue
                assert ad["posted_at"] == row["time/date"]
                if row["obfuscated"].strip() == "no":
                    assert row["phone number"] in _digits(ad["title"] + ad["text"]), row["webpage"]
                checked += 1
    assert checked >= 5
