"""Case packages: a ZIP with a readable report (HTML and PDF), the ads with
their versions, photos, WARC evidence records and a manifest with the SHA-256
of every file.

:func:`build_case_package` writes the ZIP; :func:`verify_package` checks one.
With ``pseudonymise`` phone numbers, e-mail addresses, handles and persona
names become keyed HMAC tokens, the same token for the same value across the
whole package; WARC records (the original pages) are then left out, since they
hold the values in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import textwrap
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from classifier.extract import find_names, find_phones
from index import AdStore
from review_ui.analysis.exceptions import ExportError

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_E164_RE = re.compile(r"\+\d{8,15}")
_EXT = {b"\xff\xd8\xff": ".jpg", b"\x89PNG": ".png", b"GIF8": ".gif"}


class Pseudonymiser:
    """Replaces identifying values with ``PHONE-1a2b3c4d``-style keyed tokens."""

    def __init__(self, key: str, enabled: bool):
        self.key = key.encode()
        self.enabled = enabled
        self.names: set[str] = set()
        self.values: dict[str, str] = {}

    def token(self, kind: str, value: str) -> str:
        norm = value.strip().lower()
        digest = hmac.new(self.key, f"{kind}\x1f{norm}".encode(), hashlib.sha256).hexdigest()
        out = f"{kind.upper()}-{digest[:10]}"
        self.values[value] = out
        return out

    def value(self, kind: str, value: Any) -> Any:
        if not self.enabled or not value:
            return value
        return self.token(kind, str(value))

    def values_of(self, kind: str, values: Any) -> Any:
        if not self.enabled:
            return values
        return [self.token(kind, str(v)) for v in values or []]

    def text(self, text: str | None, region: str = "NL") -> str:
        """Free text with phone numbers and persona names replaced."""
        text = text or ""
        if not self.enabled or not text:
            return text
        spans: list[tuple[int, int, str]] = []
        for pm in find_phones(text, default_region=region):
            spans.append((pm.start, pm.end, self.token("phone", pm.e164)))
        for n in find_names(text):
            self.names.add(n.name)
        for name in sorted(self.names, key=len, reverse=True):
            for m in re.finditer(rf"\b{re.escape(name)}\b", text, flags=re.I):
                spans.append((m.start(), m.end(), self.token("name", name)))
        for m in _E164_RE.finditer(text):
            spans.append((m.start(), m.end(), self.token("phone", m.group(0))))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        out, pos = [], 0
        for start, end, token in spans:
            if start < pos:
                continue
            out.append(text[pos:start])
            out.append(token)
            pos = end
        out.append(text[pos:])
        return "".join(out)


@dataclass
class PackageResult:
    path: Path
    sha256: str
    size: int
    n_ads: int
    files: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_warc_record(archive_dir: Path, evidence: dict[str, Any] | None) -> bytes | None:
    """The one WARC record named by ``evidence``, as a small .warc.gz of its own."""
    if not evidence or not evidence.get("warc_file") or not evidence.get("warc_record_id"):
        return None
    base = Path(archive_dir).resolve()
    path = (base / str(evidence["warc_file"])).resolve()
    if base not in path.parents or not path.is_file():
        return None  # never read outside the archive, whatever the store says
    wanted = str(evidence["warc_record_id"])
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_headers.get_header("WARC-Record-ID") != wanted:
                continue
            out = io.BytesIO()
            writer = WARCWriter(out, gzip=True)
            payload = record.content_stream().read()
            copy = writer.create_warc_record(
                record.rec_headers.get_header("WARC-Target-URI") or "",
                record.rec_type,
                payload=io.BytesIO(payload),
                length=len(payload),
                http_headers=record.http_headers,
                warc_headers_dict={
                    "WARC-Date": record.rec_headers.get_header("WARC-Date") or "",
                    "WARC-Record-ID": wanted,
                    "WARC-Source-File": str(evidence["warc_file"]),
                },
            )
            writer.write_record(copy)
            return out.getvalue()
    return None


def _photo_name(sha: str, data: bytes) -> str:
    for magic, ext in _EXT.items():
        if data.startswith(magic):
            return sha + ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return sha + ".webp"
    return sha + ".bin"


def build_case_package(
    store: AdStore,
    ad_ids: list[str],
    *,
    out_dir: Path,
    image_dir: Path,
    archive_dir: Path,
    exported_by: str,
    purpose: str,
    selection: dict[str, Any],
    pseudonymise: bool = False,
    pseudonym_key: str = "",
    clusters: list[dict[str, Any]] | None = None,
    package_id: str | None = None,
) -> PackageResult:
    """Write the case package of ``ad_ids`` to ``out_dir`` and return its hash."""
    purpose = (purpose or "").strip()
    if len(purpose) < 5:
        raise ExportError("A case package needs a stated purpose of at least 5 characters.")
    ads = store.get_ads(list(dict.fromkeys(ad_ids)))
    if not ads:
        raise ExportError("Nothing to export: the selection holds no ads that still exist.")
    now = datetime.now(UTC)
    package_id = (
        package_id
        or f"case-{now.strftime('%Y%m%dT%H%M%SZ')}-{_sha(','.join(a['ad_id'] for a in ads).encode())[:8]}"
    )
    ps = Pseudonymiser(pseudonym_key, pseudonymise)
    for ad in ads:  # persona names first, so every text replaces all of them
        for n in (ad.get("extracted") or {}).get("names") or []:
            if isinstance(n, dict) and (n.get("name") or n.get("text")):
                ps.names.add(str(n.get("name") or n.get("text")))
    for c in clusters or []:
        ps.names.update(str(p) for p in c.get("personas") or [])
    files: dict[str, bytes] = {}
    missing: list[str] = []
    report_ads = []
    for ad in ads:
        region = ad.get("phone_region") or "NL"
        versions = store.get_versions(ad["ad_id"])
        doc = _clean_ad(ad, ps, region)
        doc["versions"] = []
        photo_names = []
        for version in versions:
            v = {
                "version": version.get("version"),
                "observed_at": version.get("observed_at"),
                "content_hash": version.get("content_hash"),
                "title": ps.text(version.get("title"), region),
                "text": ps.text(version.get("text"), region),
                "images": [i.get("sha256") for i in version.get("images") or []],
                "evidence": version.get("evidence"),
            }
            evidence_name = None
            if not pseudonymise:
                record = read_warc_record(archive_dir, version.get("evidence"))
                if record is not None:
                    evidence_name = f"evidence/{ad['ad_id']}-v{version.get('version')}.warc.gz"
                    files[evidence_name] = record
                elif version.get("evidence"):
                    missing.append(f"WARC record of {ad['ad_id']} version {version.get('version')}")
            v["evidence_file"] = evidence_name
            doc["versions"].append(v)
        for image in ad.get("images") or []:
            sha = str(image.get("sha256") or "")
            if not _SHA_RE.match(sha):
                continue
            path = Path(image_dir) / sha[:2] / sha[2:4] / sha
            if not path.is_file():
                missing.append(f"photo {sha}")
                continue
            data = path.read_bytes()
            name = "photos/" + _photo_name(sha, data)
            files[name] = data
            photo_names.append(name)
        doc["photo_files"] = photo_names
        files[f"ads/{ad['ad_id']}.json"] = json.dumps(doc, indent=1, ensure_ascii=False).encode()
        report_ads.append(doc)
    cluster_docs = [_clean_cluster(c, ps) for c in clusters or []]
    if cluster_docs:
        files["clusters.json"] = json.dumps(cluster_docs, indent=1, ensure_ascii=False).encode()
    meta = {
        "package_id": package_id,
        "exported_by": exported_by,
        "exported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "purpose": purpose,
        "selection": selection,
        "pseudonymised": bool(pseudonymise),
        "n_ads": len(ads),
        "missing": missing,
        "note": (
            "Phone numbers, e-mail addresses, handles and persona names are replaced by keyed "
            "tokens; the same value has the same token throughout. WARC records are left out."
            if pseudonymise
            else "Original values. Contains personal data: handle under the applicable rules."
        ),
    }
    report = render_to_string(
        "analysis/case_report.html",
        {"meta": meta, "ads": report_ads, "clusters": cluster_docs},
    )
    files["report.html"] = report.encode()
    files["report.pdf"] = pdf_report(meta, report_ads)
    entries = [
        {"path": name, "sha256": _sha(data), "size": len(data)}
        for name, data in sorted(files.items())
    ]
    manifest = {**meta, "files": entries}
    files[MANIFEST] = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
    sums = "".join(f"{e['sha256']}  {e['path']}\n" for e in entries)
    sums += f"{_sha(files[MANIFEST])}  {MANIFEST}\n"
    files[CHECKSUMS] = sums.encode()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{package_id}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{package_id}/{name}", date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    data = path.read_bytes()
    return PackageResult(path, _sha(data), len(data), len(ads), entries, missing)


def _clean_ad(ad: dict[str, Any], ps: Pseudonymiser, region: str) -> dict[str, Any]:
    keep = (
        "ad_id", "source", "site_ad_id", "url", "city", "posted_at", "price_text", "first_seen",
        "last_seen", "crawl_status", "version", "review_status", "ad_type", "risk", "risk_band",
        "risk_explanation", "flagged", "indicator_categories", "cluster_id", "cluster_size",
        "image_sha256",
    )  # fmt: skip
    doc = {k: ad.get(k) for k in keep}
    doc["title"] = ps.text(ad.get("title"), region)
    doc["text"] = ps.text(ad.get("text"), region)
    doc["phones"] = ps.values_of("phone", ad.get("phones"))
    doc["emails"] = ps.values_of("email", ad.get("emails"))
    doc["handles"] = ps.values_of("handle", ad.get("handles"))
    doc["persona_names"] = ps.values_of(
        "name",
        [
            n.get("name") or n.get("text")
            for n in (ad.get("extracted") or {}).get("names") or []
            if isinstance(n, dict)
        ],
    )
    doc["indicators"] = [
        {**i, "text": ps.text(str(i.get("text") or ""), region)} for i in ad.get("indicators") or []
    ]
    if ps.enabled:
        doc["url"] = ps.text(ad.get("url"), region)
    return doc


def _clean_cluster(cluster: dict[str, Any], ps: Pseudonymiser) -> dict[str, Any]:
    doc = {
        k: cluster.get(k)
        for k in ("cluster_id", "size", "ad_ids", "cities", "n_cities", "sources", "first_seen",
                  "last_seen", "risk_max", "risk_mean", "growth")
    }  # fmt: skip
    doc["phones"] = ps.values_of("phone", cluster.get("phones"))
    doc["emails"] = ps.values_of("email", cluster.get("emails"))
    doc["handles"] = ps.values_of("handle", cluster.get("handles"))
    doc["personas"] = ps.values_of("name", cluster.get("personas"))
    links = []
    for link in cluster.get("links") or []:
        kind = str(link.get("kind") or "")
        key = str(link.get("key") or "")
        if ps.enabled and kind in ("phone", "email", "handle"):
            key = ps.token(kind, key)
        links.append(
            {
                "a": link.get("a"),
                "b": link.get("b"),
                "kind": kind,
                "key": key,
                "reason": ps.text(str(link.get("reason") or "")),
            }
        )
    doc["links"] = links
    return doc


PDF_PAGE_INCHES = (8.27, 11.69)  # A4
PDF_FONT = "DejaVu Sans Mono"  # ships with matplotlib; fixed width makes wrapping exact
PDF_FONT_SIZE = 8
PDF_COLUMNS = 100
PDF_LINES_PER_PAGE = 80
_PDF_CHARS: frozenset[int] | None = None


def _pdf_chars() -> frozenset[int]:
    """Code points the PDF font can draw."""
    global _PDF_CHARS
    if _PDF_CHARS is None:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font

        path = font_manager.findfont(font_manager.FontProperties(family=PDF_FONT))
        _PDF_CHARS = frozenset(FT2Font(path).get_charmap())
    return _PDF_CHARS


def pdf_safe(text: Any) -> str:
    """``text`` with what the PDF font cannot draw replaced: control characters
    by a space, other missing glyphs by U+FFFD (or ``?``), wide characters too."""
    known = _pdf_chars()
    fallback = "\ufffd" if 0xFFFD in known else "?"
    out = []
    for ch in unicodedata.normalize("NFC", str(text if text is not None else "")):
        if ch in "\n":
            out.append(ch)
        elif ch == "\t" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" ")
        elif ord(ch) not in known or unicodedata.east_asian_width(ch) in ("W", "F"):
            out.append(fallback)
        else:
            out.append(ch)
    return "".join(out)


def _wrap(text: Any, indent: str = "", hanging: str | None = None) -> list[str]:
    """``text`` wrapped to the PDF's width; ``hanging`` indents the continuation lines."""
    lines: list[str] = []
    for paragraph in pdf_safe(text).split("\n"):
        wrapped = textwrap.wrap(
            paragraph,
            PDF_COLUMNS,
            initial_indent=indent,
            subsequent_indent=indent if hanging is None else hanging,
        )
        lines += wrapped or [""]
    return lines


def _field(label: str, value: Any) -> list[str]:
    return _wrap(f"{label}: {value if value not in (None, '') else '–'}", "", "    ")


def pdf_lines(meta: dict[str, Any], ads: list[dict[str, Any]]) -> list[str]:
    """The PDF report as lines of at most ``PDF_COLUMNS`` characters; a form
    feed line starts a new page."""
    selection = meta.get("selection") or {}
    lines = _wrap(_("adscan case package %(id)s") % {"id": meta.get("package_id")}) + [""]
    lines += _field(_("Exported by"), meta.get("exported_by"))
    lines += _field(_("Exported at (UTC)"), meta.get("exported_at"))
    lines += _field(_("Purpose"), meta.get("purpose"))
    lines += _field(_("Selection"), f"{selection.get('kind')} {selection.get('target') or ''}")
    lines += _field(_("Ads"), meta.get("n_ads"))
    lines += _field(_("Pseudonymised"), _("yes") if meta.get("pseudonymised") else _("no"))
    lines += _field(_("Note"), meta.get("note"))
    if meta.get("missing"):
        lines += _field(_("Not available"), "; ".join(meta["missing"]))
    lines += _wrap(
        _("The SHA-256 of every file is in manifest.json and SHA256SUMS (sha256sum -c SHA256SUMS).")
    )
    for ad in ads:
        lines += ["\f", *_wrap(_("Ad %(id)s") % {"id": ad.get("ad_id")}), "=" * PDF_COLUMNS]
        lines += _field(_("Title"), ad.get("title"))
        lines += _field(_("Source"), f"{ad.get('source')} ({ad.get('site_ad_id') or '–'})")
        lines += _field(_("City"), ad.get("city"))
        lines += _field(_("First seen"), ad.get("first_seen"))
        lines += _field(
            _("Last seen"), f"{ad.get('last_seen') or '–'} ({ad.get('crawl_status') or '–'})"
        )
        risk = ad.get("risk")
        shown = f"{risk:.2f} ({ad.get('risk_band')})" if isinstance(risk, int | float) else risk
        lines += _field(_("Risk"), shown)
        lines += _field(_("Phones"), ", ".join(map(str, ad.get("phones") or [])))
        lines += ["", *_wrap(_("Indicators"))]
        for i in ad.get("indicators") or []:
            lines += _wrap(
                f"- {i.get('id')} ({i.get('category')}): “{i.get('text')}”", "  ", "    "
            )
        if not ad.get("indicators"):
            lines += _wrap(_("none"), "  ")
        lines += ["", *_wrap(_("Text (current version %(v)s)") % {"v": ad.get("version")})]
        lines += _wrap(ad.get("text"), "  ")
    return lines


def _fits_core_font(lines: list[str]) -> bool:
    try:
        "".join(lines).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def pdf_report(meta: dict[str, Any], ads: list[dict[str, Any]]) -> bytes:
    """The case report as a PDF: the export's metadata, then one section per ad.

    Text that the PDF's built-in Courier can show (Windows-1252) is written with
    it, which is about fifty times faster than embedding a font; any other text
    makes the whole report use DejaVu Sans Mono, which draws far more scripts.
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    lines = pdf_lines(meta, ads)
    pages: list[list[str]] = [[]]
    for line in lines:
        if line == "\f" or len(pages[-1]) >= PDF_LINES_PER_PAGE:
            pages.append([])
        if line != "\f":
            pages[-1].append(line)
    core = _fits_core_font(lines)
    font: dict[str, Any] = (
        {"family": "Courier", "fontweight": "medium"} if core else {"family": PDF_FONT}
    )
    out = io.BytesIO()
    info = {"Title": f"adscan {meta.get('package_id')}", "Creator": "adscan", "Producer": "adscan"}
    with matplotlib.rc_context({"pdf.use14corefonts": core}), PdfPages(out, metadata=info) as pdf:
        for number, page in enumerate(pages, start=1):
            fig = Figure(figsize=PDF_PAGE_INCHES)
            fig.text(0.06, 0.965, "\n".join(page), va="top", ha="left", fontsize=PDF_FONT_SIZE,
                     linespacing=1.2, parse_math=False, **font)  # fmt: skip
            footer = f"{pdf_safe(meta.get('package_id'))} — {number}/{len(pages)}"
            fig.text(0.5, 0.02, footer, ha="center", fontsize=7, parse_math=False, **font)
            pdf.savefig(fig)
    return out.getvalue()


def verify_package(path: Path) -> dict[str, Any]:
    """Check every file of a package against its manifest; returns what was checked.

    ``ok`` is True when every listed file is present with its hash and no
    unlisted file is in the ZIP.
    """
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        root = names[0].split("/", 1)[0] if names else ""
        manifest = json.loads(zf.read(f"{root}/{MANIFEST}"))
        listed = {e["path"]: e for e in manifest["files"]}
        for name, entry in listed.items():
            try:
                data = zf.read(f"{root}/{name}")
            except KeyError:
                problems.append(f"{name}: missing")
                continue
            if _sha(data) != entry["sha256"]:
                problems.append(f"{name}: hash differs")
        extra = {n.split("/", 1)[1] for n in names} - set(listed) - {MANIFEST, CHECKSUMS}
        problems += [f"{n}: not in the manifest" for n in sorted(extra)]
    return {"ok": not problems, "checked": len(listed), "problems": problems, "manifest": manifest}
