"""The demo sites over real HTTP on 127.0.0.1: pages, photos, robots, paging, bad pages, epochs, CLI."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from scrapy import Selector

from crawler.demo import DemoMarket, DemoServer

ROOT = Path(__file__).resolve().parent.parent
NEXT = {
    "demo-velvet": "nav.paging a.next::attr(href)",
    "demo-rozenhof": "div.paginas a[rel=next]::attr(href)",
    "demo-lantern": "nav.pager a[data-dir=next]::attr(href)",
}
LINK = {
    "demo-velvet": "li.ad a.title::attr(href)",
    "demo-rozenhof": "tr.advertentie a.kop::attr(href)",
    "demo-lantern": "div.card h3 a::attr(href)",
}
START = {
    "demo-velvet": "/listings?page=1",
    "demo-rozenhof": "/advertenties?pagina=1",
    "demo-lantern": "/browse?offset=0",
}


@pytest.fixture(scope="module")
def server():
    market = DemoMarket(seed=3, n_ads=120)
    with DemoServer(market) as srv:
        yield srv


def _get(url: str) -> tuple[int, dict, bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _crawl_links(base: str, site: str) -> list[str]:
    links, url, pages = [], base + START[site], 0
    while url and pages < 50:
        status, _, body = _get(url)
        assert status == 200, url
        sel = Selector(text=body.decode("utf-8"))
        links += sel.css(LINK[site]).getall()
        nxt = sel.css(NEXT[site]).get()
        url = base + nxt if nxt else None
        pages += 1
    return links


def test_three_sites_on_loopback_ports(server):
    urls = server.base_urls
    assert set(urls) == {"demo-velvet", "demo-rozenhof", "demo-lantern"}
    assert len(set(server.ports.values())) == 3
    assert all(u.startswith("http://127.0.0.1:") for u in urls.values())
    sites = {s["name"]: s for s in server.ground_truth()["sites"]}
    assert sites["demo-velvet"]["port"] == server.ports["demo-velvet"]
    assert sites["demo-lantern"]["base_url"] == urls["demo-lantern"]
    assert all((ROOT / s["profile"]).is_file() for s in sites.values())
    assert (
        server.market.profile_path("demo-rozenhof") == ROOT / "crawler/profiles/demo-rozenhof.yaml"
    )


@pytest.mark.parametrize("site", ["demo-velvet", "demo-rozenhof", "demo-lantern"])
def test_listing_pages_reach_every_ad_and_pages_serve(server, site):
    base = server.base_urls[site]
    status, headers, body = _get(base + "/robots.txt")
    assert status == 200 and b"User-agent: *" in body and b"Disallow: /__demo__/" in body
    links = _crawl_links(base, site)
    expected = server.market.site_ads(site)
    assert sorted(links) == sorted(a.url_path for a in expected)
    ok = next(a for a in expected if a.bad is None and a.hostile is None)
    status, headers, body = _get(base + ok.url_path)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert ok.site_ad_id in body.decode()
    status, headers, body = _get(base + ok.photo_paths[0])
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(body)).size == (320, 240)
    assert _get(base + "/nope")[0] == 404


def test_bad_pages_misbehave_as_planted(server):
    market, urls = server.market, server.base_urls
    bad = {a.bad: a for a in market.ads if a.bad}
    assert _get(urls[bad["500"].source] + bad["500"].url_path)[0] == 500
    assert _get(urls[bad["404"].source] + bad["404"].url_path)[0] == 404
    loop = bad["redirect-loop"]
    status, headers, _ = _get(urls[loop.source] + loop.url_path)
    assert status == 302
    status2, headers2, _ = _get(urls[loop.source] + headers["Location"])
    assert status2 == 302 and headers2["Location"] == loop.url_path
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(urls[loop.source] + loop.url_path, timeout=10)
    excinfo.value.close()
    corrupt = bad["corrupt-image"]
    status, _, data = _get(urls[corrupt.source] + corrupt.photo_paths[-1])
    assert status == 200 and data[:2] == b"\xff\xd8"
    with pytest.raises(OSError):
        Image.open(io.BytesIO(data)).load()
    status, _, body = _get(urls["demo-lantern"] + bad["malformed"].url_path)
    assert (
        status == 200
        and b"<<<" in body
        and Selector(text=body.decode()).css("h1.listing-title::text").get()
    )


def test_epoch_switch_over_http_changes_the_listing(server):
    market, urls = server.market, server.base_urls
    removed = next(k for k in market.changes["removed"] if k[0] == "demo-velvet")
    removed_path = f"/ad/{removed[1]}"
    assert _get(urls["demo-velvet"] + removed_path)[0] == 200
    before = _crawl_links(urls["demo-rozenhof"], "demo-rozenhof")
    try:
        status, _, body = _get(urls["demo-lantern"] + "/__demo__/epoch?set=1")
        assert status == 200 and json.loads(body) == {"epoch": 1}
        assert market.epoch == 1
        assert _get(urls["demo-velvet"] + removed_path)[0] == 404
        after = _crawl_links(urls["demo-rozenhof"], "demo-rozenhof")
        assert set(after) != set(before)
        new = [k for k in market.changes["new"] if k[0] == "demo-rozenhof"]
        assert all(f"/advertentie/{k[1]}.html" in after for k in new)
        # Changed ads show a new "updated" stamp on page 1 of the listing.
        changed = next(a for a in market.ads if a.status == "changed" and a.source == "demo-velvet")
        _, _, page1 = _get(urls["demo-velvet"] + "/listings?page=1")
        item = Selector(text=page1.decode()).css(f'li.ad[data-id="{changed.site_ad_id}"]')
        assert item.css(".updated::text").get() == f"{changed.updated:%Y-%m-%d %H:%M}"
        assert _get(urls["demo-velvet"] + "/__demo__/epoch?set=5")[0] == 400
        gt = json.loads(_get(urls["demo-velvet"] + "/__demo__/ground-truth")[2])
        assert gt["epoch"] == 1 and gt["changes"]["removed"]
    finally:
        server.set_epoch(0)
    assert _get(urls["demo-velvet"] + removed_path)[0] == 200


def test_server_stops_and_frees_its_ports():
    srv = DemoServer(DemoMarket(seed=1, n_ads=30)).start()
    url = srv.base_urls["demo-velvet"]
    assert _get(url + "/robots.txt")[0] == 200
    srv.stop()
    with pytest.raises(OSError):
        _get(url + "/robots.txt")


def test_cli_serve_prints_urls_and_stops_on_sigterm(tmp_path):
    truth_file = tmp_path / "gt.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.demo",
            "serve",
            "--ads",
            "40",
            "--seed",
            "5",
            "--ground-truth",
            str(truth_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()  # empty only when the server died at start
        info = json.loads(line)
        assert set(info["base_urls"]) == {"demo-velvet", "demo-rozenhof", "demo-lantern"}
        assert _get(info["base_urls"]["demo-lantern"] + "/robots.txt")[0] == 200
        truth = json.loads(truth_file.read_text())
        assert len(truth["ads"]) == 40
        assert {s["port"] for s in truth["sites"]} == {
            int(u.rsplit(":", 1)[1]) for u in info["base_urls"].values()
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_cli_ground_truth_writes_a_file(tmp_path):
    out = tmp_path / "truth.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.demo",
            "ground-truth",
            "--seed",
            "7",
            "--ads",
            "60",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    truth = json.loads(out.read_text())
    assert truth["seed"] == 7 and len(truth["ads"]) == 60
    assert truth == DemoMarket(seed=7, n_ads=60).ground_truth()
