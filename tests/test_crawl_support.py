"""A tiny ad site for the crawler tests (ours, synthetic), served on 127.0.0.1.

``TinyMarket`` holds ads per epoch; ``TinySite`` serves its listings, ad pages,
photos and a set of deliberately bad pages, and logs every path requested.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

PER_PAGE = 10

PROFILE_YAML = """\
name: {name}
description: "Synthetic test site (ours) for the crawler tests."
base_url: {base_url}
start_urls: ["/listings?page=1"]
phone_region: NL
listing:
  item: {{css: "li.ad"}}
  ad_link: {{css: "a.title::attr(href)"}}
  site_ad_id: {{css: "::attr(data-id)"}}
  updated: {{css: ".updated::text"}}
  next_page: {{css: "a.next::attr(href)"}}
ad:
  site_ad_id: {{css: "article::attr(data-ad-id)"}}
  title: {{css: "h1::text"}}
  text: {{css: "div.body ::text", join: "\\n"}}
  date: {{css: "time::attr(datetime)"}}
  city: {{css: ".city::text"}}
  price: {{css: ".price::text"}}
  phone: {{css: ".contact::text"}}
  photos: {{css: "img.photo::attr(src)", many: true}}
politeness: {{download_delay: 0, concurrency: 8, obey_robots: true}}
recrawl_after_hours: 24
"""


def write_profile(directory: Path, base_url: str, name: str = "tiny") -> Path:
    path = Path(directory) / f"{name}.yaml"
    path.write_text(PROFILE_YAML.format(name=name, base_url=base_url), encoding="utf-8")
    return path


def _png(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 8):  # a pattern, so perceptual hashes differ
        for y in range(0, size[1], 8):
            if (x // 8 + y // 8 + color[0]) % 3 == 0:
                img.putpixel((x, y), (255 - color[0], 255 - color[1], 255 - color[2]))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


_BOMB: bytes | None = None


def bomb_png() -> bytes:
    """A small PNG that claims 144 million pixels (a decompression bomb)."""
    global _BOMB
    if _BOMB is None:
        buf = io.BytesIO()
        Image.new("1", (12_000, 12_000)).save(buf, "PNG")
        _BOMB = buf.getvalue()
    return _BOMB


class TinyMarket:
    """``n_ads`` synthetic ads; :meth:`set_epoch` changes some, removes some, adds some."""

    def __init__(self, n_ads: int = 25, bad: bool = False):
        self.n_ads = n_ads
        self.bad = bad
        self.epoch = 0
        self.ads: dict[str, dict[str, Any]] = {}
        for i in range(n_ads):
            self.ads[f"a{i:03d}"] = self._ad(i, version=0)

    def _ad(self, i: int, version: int) -> dict[str, Any]:
        return {
            "title": f"Testad {i} version {version}",
            "body": [f"Line one of test ad {i}.", f"Second line, version {version}."],
            "city": ["Haarlem", "Den Haag", "Harderwijk"][i % 3],
            "price": f"{100 + i} euro",
            "phone": f"06 1234 {i:04d}",
            "date": f"2025-01-{1 + i % 28:02d}",
            "photos": [f"/img/p{i}.png", "/img/shared.png"],
            "updated": f"e{version}",
        }

    def set_epoch(self, epoch: int) -> dict[str, set[str]]:
        """Epoch 1: ads 0-2 change, ads 3-4 disappear, two new ads appear."""
        assert epoch == 1
        self.epoch = 1
        changed = {"a000", "a001", "a002"}
        for ad_id in changed:
            self.ads[ad_id] = self._ad(int(ad_id[1:]), version=1)
        gone = {"a003", "a004"}
        for ad_id in gone:
            del self.ads[ad_id]
        new = {f"a{self.n_ads + k:03d}" for k in range(2)}
        for ad_id in new:
            self.ads[ad_id] = self._ad(int(ad_id[1:]), version=0)
        return {"changed": changed, "gone": gone, "new": new}

    def listing_entries(self) -> list[tuple[str, str, str]]:
        out = [(ad_id, f"/ad/{ad_id}", ad["updated"]) for ad_id, ad in sorted(self.ads.items())]
        if self.bad:
            for name in BAD_PAGES:
                out.append((name, f"/ad/{name}", "x"))
        return out


BAD_PAGES = (
    "e500",
    "e404",
    "garbage",
    "brokenhtml",
    "latin1",
    "binary",
    "huge",
    "gzipbomb",
    "corruptimg",
    "bombimg",
    "loop",
)


def ad_html(ad_id: str, ad: dict[str, Any]) -> str:
    photos = "".join(f'<img class="photo" src="{p}">' for p in ad["photos"])
    body = "".join(f"<p>{line}</p>" for line in ad["body"])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{ad['title']}</title></head><body>"
        f'<article data-ad-id="{ad_id}"><h1>{ad["title"]}</h1>'
        f'<time datetime="{ad["date"]}">{ad["date"]}</time>'
        f'<span class="city">{ad["city"]}</span><span class="price">{ad["price"]}</span>'
        f'<div class="body">{body}</div><p class="contact">{ad["phone"]}</p>{photos}'
        "</article></body></html>"
    )


class TinySite:
    """Serve a :class:`TinyMarket` on 127.0.0.1 (a thread); ``.requests`` counts paths."""

    def __init__(self, market: TinyMarket, ad_delay: float = 0.0):
        self.market = market
        self.ad_delay = ad_delay
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with site._lock:
                    site.requests[self.path] += 1
                site.handle(self)

            def do_POST(self) -> None:
                with site._lock:
                    site.requests[f"POST {self.path}"] += 1
                site.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> TinySite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ad_requests(self) -> Counter[str]:
        return Counter({p: n for p, n in self.requests.items() if p.startswith("/ad/")})

    @staticmethod
    def send(
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        market = self.market
        if path == "/robots.txt":
            return self.send(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path.startswith("/listings?page="):
            page = int(path.split("=")[1])
            entries = market.listing_entries()
            chunk = entries[(page - 1) * PER_PAGE : page * PER_PAGE]
            items = "".join(
                f'<li class="ad" data-id="{ad_id}"><a class="title" href="{href}">ad</a>'
                f'<span class="updated">{upd}</span></li>'
                for ad_id, href, upd in chunk
            )
            nxt = (
                f'<a class="next" href="/listings?page={page + 1}">next</a>'
                if page * PER_PAGE < len(entries)
                else ""
            )
            return self.send(h, 200, f"<html><body><ul>{items}</ul>{nxt}</body></html>".encode())
        if path.startswith("/ad/"):
            ad_id = path[4:]
            if ad_id in market.ads:
                if self.ad_delay:
                    time.sleep(self.ad_delay)
                return self.send(h, 200, ad_html(ad_id, market.ads[ad_id]).encode())
            return self.bad_page(h, ad_id)
        if path.startswith("/img/"):
            name = path[5:]
            if name == "corrupt.png":
                return self.send(
                    h, 200, b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20, "image/png"
                )
            if name == "bomb.png":
                return self.send(h, 200, bomb_png(), "image/png")
            digest = hashlib.sha256(name.encode()).digest()
            return self.send(h, 200, _png((digest[0], digest[1], digest[2])), "image/png")
        return self.send(h, 404, b"not found")

    def bad_page(self, h: BaseHTTPRequestHandler, name: str) -> None:
        ok = {
            "title": f"Bad-input ad {name}",
            "body": ["Ordinary text."],
            "city": "Haarlem",
            "price": "1",
            "phone": "06 9999 0000",
            "date": "2025-01-01",
            "photos": [],
            "updated": "x",
        }
        if name == "e500":
            return self.send(h, 500, b"server error")
        if name == "e404":
            return self.send(h, 404, b"gone")
        if name == "garbage":
            return self.send(h, 200, b"<html><<<>>><div <p>>>>< /</ \x00")
        if name == "brokenhtml":
            html = (
                ad_html(name, ok)
                .replace("</p>", "")
                .replace("</div>", "")
                .replace("</article>", "")
            )
            return self.send(h, 200, html.encode()[:-20])
        if name == "latin1":
            ad = dict(ok, title="Café crème in Zoë's straße", body=["Geen problemen, één keer."])
            return self.send(
                h, 200, ad_html(name, ad).encode("latin-1"), "text/html; charset=utf-8"
            )
        if name == "binary":
            noise = bytes((i * 7919) % 256 for i in range(4000))
            html = ad_html(name, dict(ok, title="Noise", body=["X"])).encode()
            return self.send(h, 200, html.replace(b"<p>X</p>", noise))
        if name == "huge":
            html = ad_html(name, dict(ok, body=["word " * 400_000])).encode()
            return self.send(h, 200, html)
        if name == "gzipbomb":
            bomb = gzip.compress(b"<html>" + b" " * 20_000_000, 9)
            return self.send(h, 200, bomb, headers={"Content-Encoding": "gzip"})
        if name == "corruptimg":
            return self.send(
                h,
                200,
                ad_html(name, dict(ok, photos=["/img/corrupt.png", "/img/fine.png"])).encode(),
            )
        if name == "bombimg":
            return self.send(h, 200, ad_html(name, dict(ok, photos=["/img/bomb.png"])).encode())
        if name == "loop":
            h.send_response(302)
            h.send_header("Location", "/ad/loop2")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if name == "loop2":
            h.send_response(302)
            h.send_header("Location", "/ad/loop")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        return self.send(h, 404, b"no such ad")


def crawl_dirs(tmp_path: Path) -> dict[str, Any]:
    """Store URL, archive and image directories under ``tmp_path``."""
    return {
        "store_url": f"sqlite:///{tmp_path / 'ads.db'}",
        "archive_dir": tmp_path / "archive",
        "image_dir": tmp_path / "images",
    }


#: Settings for fast test crawls: no throttling delays.
FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}
