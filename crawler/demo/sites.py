"""The three demo sites: each its own HTML layout, id scheme, date format and paging.

- ``demo-velvet``: English UI, numeric ids, ``<ul>`` listing, ISO dates, the phone
  only inside the ad text.
- ``demo-rozenhof``: Dutch UI, ``v-12345`` ids, table listing, ``dd-mm-jjjj`` dates,
  a details table with name, age, city, rate and phone.
- ``demo-lantern``: card grid, uuid ids, Unix-time and ``2 Jun 2025`` dates, lazy
  images (``data-src``), the phone in a separate contact box.

Every page is built with ``html.escape``: ad content is hostile input.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs

from .market import DemoAd, DemoMarket

# 1x1 transparent GIF: the lazy-image placeholder of demo-lantern.
BLANK_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _html(body: str, status: int = 200) -> Response:
    return Response(status, body.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day_month(when) -> str:
    """``2 Jun``: spelled out here, not with ``%b``, so the process locale cannot change the page."""
    return f"{when.day} {_MONTHS[when.month - 1]}"


def _text_paragraphs(text: str, tag: str = "p") -> str:
    return "".join(f"<{tag}>{escape(p)}</{tag}>" for p in text.split("\n\n"))


class DemoSite:
    """Base of the three site renderers: routing shared, layout per subclass."""

    name = ""
    title = ""
    page_size = 20
    robots = ""

    def handle(self, market: DemoMarket, path: str, query: str) -> Response:
        """The response of this site to ``GET path?query`` in the market's current epoch."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path == "/robots.txt":
            return Response(
                200, self.robots.encode(), {"Content-Type": "text/plain; charset=utf-8"}
            )
        if path == "/":
            return Response(302, b"", {"Location": self.first_page})
        if path.endswith(".jpg"):
            data = market.photo_at(self.name, path)
            if data is None:
                return self.not_found("Photo")
            return Response(
                200, data, {"Content-Type": "image/jpeg", "Cache-Control": "max-age=86400"}
            )
        listing = self.listing_page(path, params)
        if listing is not None:
            return self.render_listing(market, listing)
        ad = market.ad_at(self.name, path)
        if ad is None:
            if market.removed_at(self.name, path):
                return self.not_found("Ad removed")
            return self.not_found("Page")
        if ad.bad == "500":
            return _html("<h1>Internal Server Error</h1>", 500)
        if ad.bad == "404":
            return self.not_found("Ad")
        if ad.bad == "redirect-loop":
            target = ad.url_path if params.get("ref") == "loop" else ad.url_path + "?ref=loop"
            return Response(302, b"", {"Location": target})
        return _html(self.render_ad(ad))

    def not_found(self, what: str) -> Response:
        return _html(f"<html><body><h1>{escape(what)} not found</h1></body></html>", 404)

    # --- per site ---------------------------------------------------------------------
    first_page = "/"

    def listing_page(self, path: str, params: dict[str, str]) -> int | None:
        """The listing page number (0-based) that ``path`` asks for, or None."""
        raise NotImplementedError

    def render_listing(self, market: DemoMarket, page: int) -> Response:
        ads = market.site_ads(self.name)
        pages = max(1, math.ceil(len(ads) / self.page_size))
        if page < 0 or page >= pages:
            return self.not_found("Page")
        chunk = ads[page * self.page_size : (page + 1) * self.page_size]
        return _html(self.listing_html(chunk, page, pages))

    def listing_html(self, ads: list[DemoAd], page: int, pages: int) -> str:
        raise NotImplementedError

    def render_ad(self, ad: DemoAd) -> str:
        raise NotImplementedError


class VelvetSite(DemoSite):
    name = "demo-velvet"
    title = "Velvet Nights"
    page_size = 20
    first_page = "/listings?page=1"
    robots = "User-agent: *\nDisallow: /account/\nDisallow: /__demo__/\n"

    def listing_page(self, path, params):
        if path != "/listings":
            return None
        try:
            return int(params.get("page", "1")) - 1
        except ValueError:
            return -1

    def listing_html(self, ads, page, pages):
        items = "\n".join(
            f'<li class="ad" data-id="{escape(a.site_ad_id)}">'
            f'<img class="thumb" src="{escape(a.photo_paths[0])}" width="80" alt="">'
            f'<a class="title" href="{escape(a.url_path)}">{escape(a.title)}</a> '
            f'<span class="city">{escape(a.city)}</span> '
            f'<span class="updated">{a.updated:%Y-%m-%d %H:%M}</span></li>'
            for a in ads
        )
        nav = ""
        if page > 0:
            nav += f'<a class="prev" href="/listings?page={page}">Previous</a> '
        if page + 1 < pages:
            nav += f'<a class="next" href="/listings?page={page + 2}">Next</a>'
        return (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{self.title} – page {page + 1}</title></head>"
            f"<body><header><a href='/'>{self.title}</a> <a href='/account/login'>Log in</a></header>"
            f"<main><h2>Latest ads</h2><ul class='ads'>\n{items}\n</ul><nav class='paging'>{nav}</nav></main>"
            f"<footer>Page {page + 1} of {pages}</footer></body></html>"
        )

    def render_ad(self, ad):
        photos = "".join(f'<img class="photo" src="{escape(p)}" alt="">' for p in ad.photo_paths)
        age = f'<span class="age">{ad.age}</span> ' if ad.age else ""
        price = f'<span class="price">{escape(ad.price)}</span>' if ad.price else ""
        return (
            f"<!DOCTYPE html><html lang='{ad.lang}'><head><meta charset='utf-8'><title>{escape(ad.title)} – {self.title}</title></head>"
            f"<body><header><a href='/'>{self.title}</a></header>"
            f'<article class="ad" data-ad-id="{escape(ad.site_ad_id)}">'
            f"<h1>{escape(ad.title)}</h1>"
            f'<time datetime="{ad.posted:%Y-%m-%dT%H:%M:%S}">{_day_month(ad.posted)} {ad.posted.year}</time>'
            f'<p class="meta"><span class="city">{escape(ad.city)}</span> {age}{price}</p>'
            f'<div class="body">{_text_paragraphs(ad.text)}</div>'
            f'<div class="gallery">{photos}</div>'
            f"</article><footer>Report this ad</footer></body></html>"
        )


class RozenhofSite(DemoSite):
    name = "demo-rozenhof"
    title = "Rozenhof advertenties"
    page_size = 25
    first_page = "/advertenties?pagina=1"
    robots = "User-agent: *\nDisallow: /zoeken\nDisallow: /__demo__/\n"

    def listing_page(self, path, params):
        if path != "/advertenties":
            return None
        try:
            return int(params.get("pagina", "1")) - 1
        except ValueError:
            return -1

    def listing_html(self, ads, page, pages):
        rows = "\n".join(
            f'<tr class="advertentie" id="adv-{escape(a.site_ad_id)}">'
            f'<td class="foto"><img src="{escape(a.photo_paths[0])}" width="60" alt=""></td>'
            f'<td><a class="kop" href="{escape(a.url_path)}">{escape(a.title)}</a></td>'
            f'<td class="plaats">{escape(a.city)}</td>'
            f'<td class="gewijzigd">{a.updated:%d-%m-%Y %H:%M}</td></tr>'
            for a in ads
        )
        nav = " ".join(
            f'<a href="/advertenties?pagina={p + 1}"{" class=huidig" if p == page else ""}>{p + 1}</a>'
            for p in range(pages)
        )
        if page + 1 < pages:
            nav += f' <a rel="next" href="/advertenties?pagina={page + 2}">Volgende &raquo;</a>'
        return (
            f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>{self.title} – pagina {page + 1}</title></head>"
            f"<body><div id='kop'><a href='/'>{self.title}</a> | <a href='/zoeken'>Zoeken</a></div>"
            f"<table class='overzicht'><tr><th></th><th>Titel</th><th>Plaats</th><th>Gewijzigd</th></tr>\n{rows}\n</table>"
            f"<div class='paginas'>{nav}</div></body></html>"
        )

    def render_ad(self, ad):
        rows = [
            ("Naam", ad.persona),
            ("Leeftijd", str(ad.age) if ad.age else ""),
            ("Plaats", ad.city),
        ]
        rows += [
            ("Tarief", ad.price),
            ("Telefoon", ad.phone_text),
            ("Geplaatst", f"{ad.posted:%d-%m-%Y %H:%M}"),
        ]
        table = "".join(f"<tr><th>{k}</th><td>{escape(v)}</td></tr>" for k, v in rows if v)
        photos = "".join(f'<li><img src="{escape(p)}" alt="foto"></li>' for p in ad.photo_paths)
        return (
            f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>{escape(ad.title)}</title></head>"
            f"<body><div id='kop'><a href='/'>{self.title}</a></div>"
            f'<div id="advertentie" data-ref="{escape(ad.site_ad_id)}">'
            f'<h2 class="kop">{escape(ad.title)}</h2>'
            f'<table class="details">{table}</table>'
            f'<div class="omschrijving">{"<br><br>".join(escape(p) for p in ad.text.split(chr(10) * 2))}</div>'
            f'<ul class="fotos">{photos}</ul>'
            f"</div><div id='voet'>Advertentie-nummer {escape(ad.site_ad_id)}</div></body></html>"
        )


class LanternSite(DemoSite):
    name = "demo-lantern"
    title = "Red Lantern"
    page_size = 15
    first_page = "/browse?offset=0"
    robots = "User-agent: *\nCrawl-delay: 0\nDisallow: /admin\nDisallow: /__demo__/\n"

    def handle(self, market, path, query):
        if path == "/static/blank.gif":
            return Response(200, BLANK_GIF, {"Content-Type": "image/gif"})
        return super().handle(market, path, query)

    def listing_page(self, path, params):
        if path != "/browse":
            return None
        try:
            offset = int(params.get("offset", "0"))
        except ValueError:
            return -1
        return offset // self.page_size if offset % self.page_size == 0 else -1

    def listing_html(self, ads, page, pages):
        cards = "\n".join(
            f'<div class="card" data-uuid="{escape(a.site_ad_id)}">'
            f'<img class="lazy" src="/static/blank.gif" data-src="{escape(a.photo_paths[0])}" alt="">'
            f'<h3><a href="{escape(a.url_path)}">{escape(a.title)}</a></h3>'
            f'<div class="card-meta"><span class="loc">{escape(a.city)}</span> '
            f'<small class="ts" data-ts="{calendar.timegm(a.updated.timetuple())}">{_day_month(a.updated)} {a.updated:%H:%M}</small></div></div>'
            for a in ads
        )
        links = []
        if page > 0:
            links.append(
                f'<a class="page-link" data-dir="prev" href="/browse?offset={(page - 1) * self.page_size}">‹</a>'
            )
        if page + 1 < pages:
            links.append(
                f'<a class="page-link" data-dir="next" href="/browse?offset={(page + 1) * self.page_size}">›</a>'
            )
        return (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{self.title}</title></head>"
            f"<body><nav class='top'><a href='/'>{self.title}</a></nav>"
            f"<section class='grid'>\n{cards}\n</section>"
            f"<nav class='pager'>{''.join(links)}</nav></body></html>"
        )

    def render_ad(self, ad):
        slides = "".join(
            f'<figure><img class="lazy" src="/static/blank.gif" data-src="{escape(p)}" alt=""></figure>'
            for p in ad.photo_paths
        )
        facts = f'<dt>City</dt><dd class="city">{escape(ad.city)}</dd>'
        if ad.age:
            facts += f'<dt>Age</dt><dd class="age">{ad.age}</dd>'
        if ad.price:
            facts += f'<dt>Rate</dt><dd class="rate">{escape(ad.price)}</dd>'
        page = (
            f"<!DOCTYPE html><html lang='{ad.lang}'><head><meta charset='utf-8'><title>{escape(ad.title)} | {self.title}</title></head>"
            f"<body><nav class='top'><a href='/'>{self.title}</a></nav>"
            f'<main class="listing" id="l-{escape(ad.site_ad_id)}">'
            f'<header><h1 class="listing-title">{escape(ad.title)}</h1>'
            f'<span class="posted">Posted {_day_month(ad.posted)} {ad.posted:%Y, %H:%M}</span></header>'
            f'<div class="slides">{slides}</div>'
            f'<section class="description">{_text_paragraphs(ad.text)}</section>'
            f'<dl class="facts">{facts}</dl>'
            f'<aside class="contact">Call or WhatsApp: <span class="num">{escape(ad.phone_text)}</span></aside>'
            f"</main></body></html>"
        )
        if ad.bad == "malformed":
            # Broken markup on purpose: closing tags missing, a stray '<', an unclosed
            # attribute quote, a second </html>. Browsers and lxml still recover most of it.
            page = (
                page.replace("</h1>", "")
                .replace("</section>", "<section <b><i>")
                .replace("</main></body></html>", "<div class='x' title='unclosed></html></html>")
                .replace('<dl class="facts">', '<dl class="facts"><<<')
            )
        return page


SITES: dict[str, DemoSite] = {s.name: s for s in (VelvetSite(), RozenhofSite(), LanternSite())}
