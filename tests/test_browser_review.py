"""An officer's work in a real browser (Debian's Chromium via Playwright), and
the XSS corpus rendered without anything executing.

Screenshots go to var/screenshots/ (gitignored).
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import SHOTS
from tests.fixtures.review import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.set_default_timeout(15000)
    yield page
    context.close()


def login(page, base: str, username: str) -> None:
    page.goto(base + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(base + "/")


def assert_nothing_executed(page) -> None:
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.evaluate("typeof window.__xss") == "undefined"
    injected = page.evaluate(
        """() => {
        const bad = [];
        for (const el of document.querySelectorAll('*')) {
            for (const attr of el.attributes) {
                if (attr.name.startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
            }
        }
        for (const el of document.querySelectorAll('iframe, svg, base, meta[http-equiv], style, math, details'))
            bad.push(el.tagName);
        for (const s of document.scripts)
            if (!s.src.includes('/static/adscan/')) bad.push('script ' + s.src);
        for (const a of document.querySelectorAll('a[href]'))
            if (a.href.toLowerCase().startsWith('javascript')) bad.push('a ' + a.href);
        return bad;
    }"""
    )
    assert injected == []


def test_officer_works_the_queue(page, live_server, sample_market, role_users):
    base, ids = live_server.url, sample_market.ids
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Inloggen bij adscan"
    page.screenshot(path=str(SHOTS / "01-login.png"))
    login(page, base, "officer1")

    rows = page.locator("#queue-table tbody tr")
    assert rows.count() == 4
    assert page.locator("h1").inner_text() == "Werkvoorraad"
    page.screenshot(path=str(SHOTS / "02-queue.png"), full_page=True)

    page.select_option("#id_indicator_category", "control")
    page.select_option("#id_city", "Rotterdam")
    page.click("#filter-form button[type=submit]")
    page.wait_for_url(re.compile(r"city=Rotterdam"))
    assert [r.get_attribute("data-ad-id") for r in rows.all()] == [ids["rotterdam"]]
    page.screenshot(path=str(SHOTS / "03-queue-filtered.png"), full_page=True)

    page.goto(base + "/")
    page.keyboard.press("j")  # first row: the highest risk, Den Haag
    assert "is-current" in (rows.first.get_attribute("class") or "")
    page.keyboard.press("o")
    page.wait_for_url(base + f"/ad/{ids['denhaag']}/")

    marks = page.locator("mark.evidence")
    assert marks.count() >= 4
    assert "net 18 jaar" in page.locator("mark.evidence.cat-age").inner_text()
    table = page.locator("#indicator-list").inner_text()
    assert "alleen via mijn manager" in table and "young_age" in table
    assert "+31612345678" in page.locator("#phones").inner_text()
    cluster = page.locator("#cluster-table").inner_text()
    assert "Lisa nu in Rotterdam" in cluster and "same phone number +31612345678" in cluster
    assert page.locator(".photos img").count() == 1
    # The photo is lazy-loaded: wait until the browser has finished with it
    # (a broken image completes too, with width 0, so this still fails then).
    page.locator(".photos img").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.photos img').complete", timeout=15_000)
    assert page.evaluate("document.querySelector('.photos img').naturalWidth") == 2
    page.screenshot(path=str(SHOTS / "04-ad.png"), full_page=True)

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("e")
    assert page.locator("input[name=decision][value=escalate]").is_checked()
    page.select_option("#id_reason", "possible_minor")
    page.fill("#id_note", "Leeftijd en manager; doorzetten naar zedenpolitie.")
    page.click("#decision-submit")
    page.wait_for_selector("#review-status[data-status=escalated]")
    assert "Opgeslagen" in page.locator(".messages").inner_text()
    assert "Mogelijk minderjarig" in page.locator("#current-decision").inner_text()
    page.screenshot(path=str(SHOTS / "05-escalated.png"), full_page=True)

    page.click("text=Geëscaleerd")
    listed = page.locator("#decision-table tbody tr")
    assert listed.count() == 1
    assert "Nieuw in Den Haag" in listed.first.inner_text()
    assert "officer1" in listed.first.inner_text()
    page.screenshot(path=str(SHOTS / "06-escalated-list.png"), full_page=True)

    page.goto(base + "/")
    assert ids["denhaag"] not in [r.get_attribute("data-ad-id") for r in rows.all()]
    assert_nothing_executed(page)


def test_xss_corpus_never_executes(page, live_server, sample_market, role_users):
    base, ids = live_server.url, sample_market.ids
    login(page, base, "officer1")
    assert_nothing_executed(page)
    page.goto(base + f"/ad/{ids['hostile']}/")
    assert "<script>window.__xss=1" in page.locator("#ad-title").inner_text()
    assert "javascript:window.__xss=99" in page.locator("code.url").inner_text()
    page.wait_for_load_state("networkidle")
    assert_nothing_executed(page)
    page.screenshot(path=str(SHOTS / "07-hostile-ad.png"), full_page=True)
    # Decide on it with a hostile note, then see it in lists and the linked-ads table.
    page.locator("input[name=decision][value=dismiss]").check()
    page.select_option("#id_reason", "no_indicators")
    page.fill("#id_note", "<img src=x onerror=window.__xss=20>")
    page.click("#decision-submit")
    page.wait_for_selector("#review-status[data-status=dismissed]")
    assert_nothing_executed(page)
    for url in ("/decisions/?decision=all", f"/ad/{ids['denhaag']}/", "/?review_status="):
        page.goto(base + url)
        page.wait_for_load_state("networkidle")
        assert_nothing_executed(page)


def test_analyst_reads_but_cannot_decide(page, live_server, sample_market, role_users):
    base, ids = live_server.url, sample_market.ids
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "analyst1")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()
    response = page.goto(base + f"/ad/{ids['denhaag']}/")
    assert response.status == 200
    assert page.locator("#decision-form").count() == 0
    assert page.goto(base + "/").status == 403
