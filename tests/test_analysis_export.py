"""Case packages: every manifest hash verifies, the report lists every ad, the
WARC records are real, exports are audited, pseudonymisation hides phones and names."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from warcio.archiveiterator import ArchiveIterator

from review_ui.accounts.models import AuditEntry
from review_ui.analysis.exports import verify_package
from review_ui.analysis.models import ExportRecord
from tests import test_analysis_support as support
from tests.fixtures.review import PASSWORD
from tests.test_analysis_support import network_ad_ids

demo_home = support.demo_home
demo_store = support.demo_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client, role_users, demo_store, settings, tmp_path):
    settings.ADSCAN_EXPORT_DIR = tmp_path / "exports"
    client.login(username="analyst1", password=PASSWORD)
    return client


def _export(client, kind, target, purpose="Case 2026-041: network check", pseudonymise=False):
    data = {"kind": kind, "target": target, "purpose": purpose}
    if pseudonymise:
        data["pseudonymise"] = "on"
    response = client.post("/analysis/export/", data)
    assert response.status_code == 302, response.content
    record = ExportRecord.objects.latest("id")
    download = client.get(f"/analysis/exports/{record.pk}/download/")
    assert download.status_code == 200
    blob = b"".join(download.streaming_content)
    assert hashlib.sha256(blob).hexdigest() == record.sha256
    return record, blob


def _files(blob):
    zf = zipfile.ZipFile(io.BytesIO(blob))
    root = zf.namelist()[0].split("/")[0]
    return {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist()}, root


def test_cluster_package_verifies_and_lists_every_ad(analyst, demo_store, settings):
    net = max(demo_store.truth["networks"], key=lambda n: len(n["members"]))
    ids = network_ad_ids(demo_store, net)
    cluster_id = demo_store.store.get_ad(ids[0])["cluster_id"]
    record, blob = _export(analyst, "cluster", cluster_id)
    files, _root = _files(blob)
    manifest = json.loads(files["manifest.json"])
    # Every listed file is there with its hash; SHA256SUMS agrees.
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"], entry["path"]
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert verify_package(settings.ADSCAN_EXPORT_DIR / record.filename)["ok"]
    assert manifest["exported_by"] == "analyst1"
    assert manifest["purpose"] == "Case 2026-041: network check"
    assert manifest["n_ads"] == len(ids) == record.n_ads
    report = files["report.html"].decode()
    for ad_id in ids:
        assert f'data-ad-id="{ad_id}"' in report
        ad = json.loads(files[f"ads/{ad_id}.json"])
        assert ad["versions"] and ad["versions"][0]["evidence_file"]
        warc = files[ad["versions"][0]["evidence_file"]]
        records = list(ArchiveIterator(io.BytesIO(warc)))
        assert len(records) == 1
        assert (
            records[0]
            .rec_headers.get_header("WARC-Target-URI")
            .endswith(demo_store.store.get_ad(ad_id)["url"].split(".invalid")[1])
        )
        for name in ad["photo_files"]:
            sha = name.split("/")[1].split(".")[0]
            assert hashlib.sha256(files[name]).hexdigest() == sha
    for phone in net["phones"]:
        assert phone in report
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.target_type == "cluster" and entry.target_id == cluster_id
    assert entry.purpose == "Case 2026-041: network check"
    assert entry.details["sha256"] == record.sha256


def test_tampered_package_fails_verification(analyst, demo_store, settings, tmp_path):
    ad_id = next(iter(demo_store.ids.values()))
    record, blob = _export(analyst, "ad", ad_id)
    files, root = _files(blob)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in files.items():
            if name == "report.html":
                data = data.replace(b"adscan", b"adsCAN")
            zf.writestr(f"{root}/{name}", data)
    result = verify_package(bad)
    assert not result["ok"] and result["problems"] == ["report.html: hash differs"]


def test_search_package_holds_the_whole_result(analyst, demo_store):
    city = demo_store.store.search(support_query(facets=("city",))).facets["city"][0][0]
    record, blob = _export(analyst, "search", f"city={city}")
    files, _root = _files(blob)
    expected = {
        h["ad_id"] for h in demo_store.store.search(support_query(filters={"city": [city]})).hits
    }
    assert {n[4:-5] for n in files if n.startswith("ads/")} == expected
    assert record.n_ads == len(expected)


def test_pseudonymised_package_hides_phones_and_names(analyst, demo_store):
    net = next(n for n in demo_store.truth["networks"] if n["phones"])
    ids = network_ad_ids(demo_store, net)
    cluster_id = demo_store.store.get_ad(ids[0])["cluster_id"]
    record, blob = _export(analyst, "cluster", cluster_id, pseudonymise=True)
    files, _root = _files(blob)
    assert record.pseudonymised
    # report.pdf is binary; tests/test_analysis_pdf.py checks its pseudonymisation.
    text = b"".join(
        files[n] for n in files if not n.startswith("photos/") and not n.endswith(".pdf")
    ).decode()
    for phone in net["phones"]:
        assert phone not in text and phone[3:] not in text
    personas = {
        a["persona"] for a in demo_store.truth["ads"] if a["network_id"] == net["network_id"]
    }
    for persona in personas:
        assert persona not in text
    assert not any(n.startswith("evidence/") for n in files)
    cluster = json.loads(files["clusters.json"])[0]
    # One token per value, the same everywhere.
    (token,) = cluster["phones"]
    for ad_id in ids:
        assert json.loads(files[f"ads/{ad_id}.json"])["phones"] == [token]
    assert verify_package_bytes(blob)


def test_export_needs_a_purpose_and_the_export_role(client, role_users, demo_store):
    client.login(username="analyst1", password=PASSWORD)
    ad_id = next(iter(demo_store.ids.values()))
    before = ExportRecord.objects.count()
    client.post("/analysis/export/", {"kind": "ad", "target": ad_id, "purpose": ""})
    assert ExportRecord.objects.count() == before
    client.logout()
    client.login(username="operator1", password=PASSWORD)
    response = client.post(
        "/analysis/export/", {"kind": "ad", "target": ad_id, "purpose": "x" * 10}
    )
    assert response.status_code == 403


def verify_package_bytes(blob: bytes) -> bool:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.zip"
        path.write_bytes(blob)
        return verify_package(path)["ok"]


def support_query(**kw):
    from index import SearchQuery

    return SearchQuery(size=1000, **kw)
