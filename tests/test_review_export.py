"""An officer exports a single ad as a case package from the ad's own page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from review_ui.accounts.models import AuditEntry
from review_ui.accounts.roles import ANALYST, CAPABILITIES
from review_ui.analysis.exports import verify_package
from review_ui.analysis.models import ExportRecord
from tests.fixtures.review import PASSWORD

pytestmark = pytest.mark.django_db

HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"[^>]*>')


def _export_box(html: str) -> str:
    start = html.index('id="export-box"')
    return html[start : html.index("</form>", start)]


def test_officer_exports_the_ad_from_its_page(
    client, role_users, sample_market, settings, tmp_path
):
    settings.ADSCAN_EXPORT_DIR = tmp_path / "exports"
    ad_id = sample_market.ids["denhaag"]
    client.login(username="officer1", password=PASSWORD)
    page = reverse("review:ad", kwargs={"ad_id": ad_id})
    html = client.get(page).content.decode()
    box = _export_box(html)
    assert 'action="/analysis/export/"' in box
    fields = dict(HIDDEN.findall(box))
    assert fields["kind"] == "ad" and fields["target"] == ad_id and fields["next"] == page

    # The officer fills in the purpose and sends the form as the page has it.
    response = client.post("/analysis/export/", {**fields, "purpose": "Case 2026-007: one ad"})
    assert response.status_code == 302 and response["Location"] == "/analysis/exports/"
    record = ExportRecord.objects.get()
    assert (record.username, record.kind, record.target, record.n_ads) == (
        "officer1",
        "ad",
        ad_id,
        1,
    )
    checked = verify_package(settings.ADSCAN_EXPORT_DIR / record.filename)
    assert checked["ok"], checked["problems"]
    manifest = checked["manifest"]
    assert manifest["selection"]["ad_ids"] == [ad_id]
    assert manifest["purpose"] == "Case 2026-007: one ad"
    assert f"ads/{ad_id}.json" in {f["path"] for f in manifest["files"]}
    assert AuditEntry.objects.filter(action="export", username="officer1").exists()


def test_no_export_box_without_the_export_capability(
    client, role_users, sample_market, monkeypatch
):
    monkeypatch.setitem(CAPABILITIES, "export", frozenset({ANALYST}))
    client.login(username="officer1", password=PASSWORD)
    html = client.get(
        reverse("review:ad", kwargs={"ad_id": sample_market.ids["denhaag"]})
    ).content.decode()
    assert 'id="decision-form"' in html  # the page itself is there
    assert 'id="export-box"' not in html and "/analysis/export/" not in html
