"""An analyst's work in a real browser (Debian's Chromium via Playwright) on the
processed demo market: search, "who else uses this phone / photo", following
a network across cities, trends, and exporting a case package.

Screenshots go to var/screenshots/analysis-*.png (gitignored).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import test_analysis_support as support
from tests.fixtures.browser import SHOTS
from tests.fixtures.review import PASSWORD
from tests.test_analysis_support import network_ad_ids

demo_home = support.demo_home
demo_store = support.demo_store


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, demo_store, role_users, settings, tmp_path):
    settings.ADSCAN_EXPORT_DIR = tmp_path / "exports"
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="en-GB", viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    # Script errors, CSP refusals and failed requests (but the browser's favicon probe).
    page.on(
        "console",
        lambda m: (
            page.problems.append(m.text)  # type: ignore[attr-defined]
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            page.problems.append(f"{r.status} {r.url}")  # type: ignore[attr-defined]
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: page.problems.append(str(e)))  # type: ignore[attr-defined]
    page.set_default_timeout(20000)
    base = live_server.url
    page.goto(base + "/accounts/login/?next=/analysis/")
    page.fill("#id_username", "analyst1")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(base + "/analysis/")
    yield page
    context.close()


def test_analyst_follows_a_phone_across_cities_and_exports_the_network(
    page, live_server, demo_store
):
    base = live_server.url
    net = max(
        (n for n in demo_store.truth["networks"] if n["phones"]), key=lambda n: len(n["cities"])
    )
    phone = net["phones"][0]
    written = "0" + phone[3:5] + "-" + phone[5:] if phone.startswith("+31") else phone
    members = network_ad_ids(demo_store, net)

    # Search with a facet.
    city = net["cities"][0]
    page.fill("#id_q", city)
    page.click("#search-form button.primary")
    page.wait_for_selector("#hits .hit")
    assert page.locator("#hits mark").count() >= 1
    assert page.locator(".js-chart svg rect.bar").count() >= 1  # the per-day histogram
    page.locator('#facets [data-facet="source"] a').first.click()
    page.wait_for_selector("#facets a.is-on")
    page.screenshot(path=str(SHOTS / "analysis-search.png"), full_page=True)

    # Who else uses this phone? (pasted in a national format)
    page.fill("#id_identifier", written)
    page.click("#lookup-form button")
    page.wait_for_selector("#lookup-table")
    assert page.locator("#lookup-table tbody tr").count() == len(members)
    assert f"same phone number {phone}" in page.inner_text("#lookup-table")
    for c in net["cities"]:
        assert c in page.inner_text("#lookup-result")
    page.screenshot(path=str(SHOTS / "analysis-lookup-phone.png"), full_page=True)

    # Follow the network: graph, timeline across cities, link reasons.
    page.locator("#lookup-result .cluster-links a").first.click()
    page.wait_for_selector("#network-graph svg .node-ad")
    assert page.locator("#network-graph .node-ad").count() == len(members)
    assert page.locator("#network-graph .node-phone").count() >= 1
    assert page.locator("#timeline svg circle.dot").count() == len(members)
    labels = page.locator("#timeline .row-label").all_text_contents()
    assert sorted(labels) == sorted(net["cities"])
    page.locator("#network-graph line.edge").first.hover(force=True)
    page.wait_for_function("document.getElementById('graph-reason').textContent.length > 0")
    assert "phone" in page.inner_text("#graph-reason") or "photo" in page.inner_text(
        "#graph-reason"
    )
    assert phone in page.inner_text("#fact-phones")
    page.screenshot(path=str(SHOTS / "analysis-network.png"), full_page=True)

    # Export the network as a case package.
    page.click("#export-box summary")
    page.fill("#export-box input[name=purpose]", "Case 2026-041: network across cities")
    page.click("#export-box button.primary")
    page.wait_for_url(base + "/analysis/exports/")
    row = page.locator("#export-table tbody tr").first
    assert "Case 2026-041" in row.inner_text()
    assert str(len(members)) in row.inner_text()
    page.screenshot(path=str(SHOTS / "analysis-exports.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]


def test_analyst_finds_a_resized_photo_and_reads_the_trends(
    page, live_server, demo_store, tmp_path
):
    base = live_server.url
    net = next(n for n in demo_store.truth["networks"] if n["photos"])
    sha = net["photos"][0]
    img = Image.open(io.BytesIO((demo_store.image_dir / sha[:2] / sha[2:4] / sha).read_bytes()))
    copy = tmp_path / "copy.jpg"
    img.convert("RGB").resize((img.width // 2, img.height // 2)).save(copy, quality=75)
    page.set_input_files("#photo-lookup-form input[type=file]", str(copy))
    page.click("#photo-lookup-form button")
    page.wait_for_selector("#lookup-table")
    assert "near-identical photo" in page.inner_text("#lookup-table")
    assert page.locator("#lookup-table tbody tr").count() >= 2
    page.screenshot(path=str(SHOTS / "analysis-lookup-photo.png"), full_page=True)

    page.goto(base + "/analysis/clusters/?sort=n_cities")
    page.wait_for_selector("#cluster-table")
    page.screenshot(path=str(SHOTS / "analysis-clusters.png"), full_page=True)

    page.goto(base + "/analysis/trends/")
    for chart in (
        "ads_per_day",
        "new_phones_per_week",
        "flagged_share",
        "top_cities",
        "indicators",
    ):
        assert page.locator(f"#chart-{chart} svg").count() == 1, chart
    assert page.locator("#chart-ads_per_day svg rect.bar").count() > 3
    assert page.locator("#chart-flagged_share svg path.line").count() == 1
    with page.expect_download() as info:
        page.click("#chart-top_cities a.csv")
    assert info.value.suggested_filename == "adscan-top_cities.csv"
    page.screenshot(path=str(SHOTS / "analysis-trends.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]
