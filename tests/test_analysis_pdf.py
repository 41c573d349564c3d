"""The PDF report of a case package: listed in the manifest with a hash that
verifies, with the metadata and every ad on its pages, phones pseudonymised when
the package is, and any text (hostile, emoji, control characters) drawn safely."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib

import pytest

from review_ui.analysis.exports import build_case_package, pdf_report, pdf_safe, verify_package

pytestmark = pytest.mark.django_db

PURPOSE = "Case 2026-113: PDF check"
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)
_SHOW = re.compile(rb"\[((?:\((?:\\.|[^\\)])*\)|[^\]])*)\]\s*TJ|(\((?:\\.|[^\\)])*\))\s*Tj", re.S)


def pdf_text_lines(pdf: bytes) -> list[str]:
    """The text of a matplotlib PDF, one string per drawn line (with an embedded
    font, glyphs outside the first 256 are drawn as shapes and do not show here)."""
    lines = []
    for match in _STREAM.finditer(pdf):
        try:
            content = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        for show in _SHOW.finditer(content):
            strings = _STRING.findall(show.group(1) or show.group(2))
            parts = [re.sub(rb"\\(.)", rb"\1", s) for s in strings]
            lines.append(b"".join(parts).decode("cp1252", "replace"))
    return lines


def _package(sample_market, settings, tmp_path, pseudonymise):
    ids = list(sample_market.ids.values())
    result = build_case_package(
        sample_market.store,
        ids,
        out_dir=tmp_path / "exports",
        image_dir=sample_market.image_dir,
        archive_dir=tmp_path / "archive",
        exported_by="officer7",
        purpose=PURPOSE,
        selection={"kind": "search", "target": "q=meisje", "ad_ids": ids},
        pseudonymise=pseudonymise,
        pseudonym_key="test-key",
    )
    with zipfile.ZipFile(result.path) as zf:
        root = zf.namelist()[0].split("/")[0]
        pdf = zf.read(f"{root}/report.pdf")
        manifest = json.loads(zf.read(f"{root}/manifest.json"))
        sums = zf.read(f"{root}/SHA256SUMS").decode()
    return result, ids, pdf, manifest, sums


def test_pdf_is_in_the_manifest_and_lists_metadata_and_every_ad(sample_market, settings, tmp_path):
    result, ids, pdf, manifest, sums = _package(sample_market, settings, tmp_path, False)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    entry = {e["path"]: e for e in manifest["files"]}["report.pdf"]
    assert entry["sha256"] == hashlib.sha256(pdf).hexdigest() and entry["size"] == len(pdf)
    assert f"{entry['sha256']}  report.pdf" in sums
    checked = verify_package(result.path)
    assert checked["ok"], checked["problems"]

    text = "\n".join(pdf_text_lines(pdf))
    for value in ("officer7", PURPOSE, manifest["exported_at"], manifest["package_id"], "search"):
        assert value in text, value
    for ad_id in ids:
        assert ad_id in text
    denhaag = sample_market.store.get_ad(sample_market.ids["denhaag"])
    assert denhaag["phones"] and denhaag["phones"][0] in text
    assert denhaag["city"] in text
    evidence = [i["text"] for i in denhaag["indicators"] if i["text"].isascii()]
    assert evidence and all(word in text for word in evidence)
    assert "Afspraken alleen via mijn manager." in text  # the ad's own text
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= len(ids) + 1


def test_pseudonymised_pdf_holds_tokens_not_phone_numbers(sample_market, settings, tmp_path):
    result, ids, pdf, manifest, _sums = _package(sample_market, settings, tmp_path, True)
    assert verify_package(result.path)["ok"]
    text = "\n".join(pdf_text_lines(pdf))
    phones = {p for ad_id in ids for p in sample_market.store.get_ad(ad_id).get("phones") or []}
    assert phones
    for phone in phones:
        assert phone not in text and phone.replace("+31", "0") not in text
    assert "06-12345678" not in text
    assert re.search(r"PHONE-[0-9a-f]{10}", text)


def test_any_unicode_is_drawn_or_replaced():
    hostile = "a😀漢\x00\x1b[31m\u202e\u200b$\\alpha$ {% x %} <b>é€ж"
    safe = pdf_safe(hostile)
    assert safe == "a\ufffd\ufffd  [31m  $\\alpha$ {% x %} <b>é€ж"
    meta = {"package_id": "case-test", "purpose": "$x^2$ \\frac{a}{b}", "n_ads": 1}
    ad = {"ad_id": "ad-0001", "text": hostile * 40 + "\nnext line", "indicators": []}
    pdf = pdf_report(meta, [ad])  # a missing glyph would warn, and warnings are errors here
    lines = pdf_text_lines(pdf)
    assert pdf.startswith(b"%PDF-")
    assert any("$x^2$ \\frac{a}{b}" in line for line in lines)  # no mathtext
    assert "next line" in "\n".join(lines)
    assert max(len(line) for line in lines) <= 100
    assert b"DejaVuSansMono" in pdf


def test_latin_text_uses_the_built_in_courier():
    ad = {"ad_id": "ad-0002", "text": "Crème brûlée, 60 € per uur. Šárka", "indicators": []}
    pdf = pdf_report({"package_id": "case-core", "purpose": "Zaak 12"}, [ad])
    assert b"/Courier" in pdf and b"DejaVu" not in pdf
    assert "  Crème brûlée, 60 € per uur. Šárka" in pdf_text_lines(pdf)
