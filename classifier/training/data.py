"""Readers for the real third-party corpora in ``../shared/data`` used to train and evaluate.

Nothing read here is ever written into the repository: models keep only
learned weights, and model cards name the files by path and SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ClassifierError

__all__ = [
    "AD_TYPES",
    "Ad",
    "TrainingDataError",
    "file_sha256",
    "load_ad_type_corpus",
    "load_unlabelled_corpus",
    "near_duplicate_groups",
]

#: The ad types the ad-type model tells apart, in a fixed order.
AD_TYPES = ("escort", "massage", "job", "other")

# Label scheme shared by dig-ads-classifier and WEDC.
_NUMERIC_LABELS = {"2": "massage", "3": "escort", "4": "job"}
# The Craigslist author's hand sorting: personal posts and buyers are not ads for
# sex work, massage or jobs ("other"); solicitations are escort ads.
_CRAIGSLIST_LABELS = {
    "women_not_sex_work": "other",
    "men_buyer_solicitation": "other",
    "women_sex_work_solicitation": "escort",
}


class TrainingDataError(ClassifierError, FileNotFoundError):
    """A training corpus is missing or unreadable."""


@dataclass(frozen=True)
class Ad:
    """One ad text with its label (None when unlabelled) and where it came from."""

    text: str
    label: str | None
    source: str


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (model cards record one per training file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _need(path: Path) -> Path:
    if not path.exists():
        raise TrainingDataError(
            f"Training data {str(path)!r} is missing; pass --data-dir pointing at the shared data folder "
            "(the one holding dig-ads-classifier/ and wedc-labelled/)."
        )
    return path


def _csv_rows(path: Path):
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        yield from csv.DictReader(fh)


_TAG = re.compile(r"<[^>]+>")
_BODY = re.compile(r'<section id="postingbody">(.*?)</section>', re.S)
_TITLE = re.compile(r'<h2 class="postingtitle">(.*?)</h2>', re.S)


def _craigslist_text(page: str) -> str:
    parts = []
    for rx in (_TITLE, _BODY):
        m = rx.search(page)
        if m:
            parts.append(html.unescape(_TAG.sub(" ", m.group(1))))
    return "\n".join(" ".join(p.split()) for p in parts)


def load_ad_type_corpus(
    data_dir: Path, *, with_craigslist: bool = True
) -> tuple[list[Ad], list[Path]]:
    """The labelled ads for the ad-type model and the files they came from.

    dig-ads-classifier/training.csv and wedc-labelled (escort, massage, job)
    plus the hand-sorted Craigslist posts (personal ads and buyers as ``other``).
    """
    data_dir = Path(data_dir)
    files: list[Path] = []
    ads: list[Ad] = []
    dig = _need(data_dir / "dig-ads-classifier" / "training.csv")
    files.append(dig)
    for row in _csv_rows(dig):
        label = _NUMERIC_LABELS.get((row.get("label") or "").strip())
        text = (row.get("extracted_text") or "").strip()
        if label and text:
            ads.append(Ad(text, label, "dig-ads-classifier"))
    wedc = _need(data_dir / "wedc-labelled" / "labelled_posts.jsonl")
    files.append(wedc)
    with open(wedc, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            label = _NUMERIC_LABELS.get(str(rec.get("label")))
            text = (rec.get("content") or "").strip()
            if label and text:
                ads.append(Ad(text, label, "wedc-labelled"))
    manifest = data_dir / "craigslist-nyc-2013-html" / "manifest.json"
    if with_craigslist and manifest.is_file():
        files.append(manifest)
        for rec in json.loads(manifest.read_text(encoding="utf-8")):
            label = _CRAIGSLIST_LABELS.get(rec.get("label") or "")
            page = manifest.parent / rec["file"]
            if label and page.is_file():
                text = _craigslist_text(page.read_text(encoding="utf-8", errors="replace"))
                if text:
                    ads.append(Ad(text, label, "craigslist-nyc-2013-html"))
    return ads, files


def load_unlabelled_corpus(data_dir: Path, limit: int | None = None) -> tuple[list[Ad], list[Path]]:
    """Real unlabelled ads (Backpage 2013–2018) for weak supervision of the risk model.

    Exact duplicate texts (daily re-crawls) are kept once.
    """
    data_dir = Path(data_dir)
    files: list[Path] = []
    texts: dict[str, Ad] = {}

    def add(text: str, source: str) -> None:
        text = (text or "").strip()
        if len(text) >= 20:
            key = " ".join(text.lower().split())
            texts.setdefault(key, Ad(text, None, source))

    bp = data_dir / "backpage-ca-2018-flagged" / "scraped_backpage_postings.csv"
    if bp.is_file():
        files.append(bp)
        for row in _csv_rows(bp):
            add(f"{row.get('title') or ''}\n{row.get('body') or ''}", "backpage-ca-2018-flagged")
    dig = data_dir / "dig-alignment-backpage" / "x-backpage-data-2255.json"
    if dig.is_file():
        files.append(dig)
        for rec in json.loads(dig.read_text(encoding="utf-8")):
            title = (rec.get("titleText") or {}).get("content") or ""
            body = (rec.get("bodyText") or {}).get("content") or ""
            add(f"{title}\n{body}", "dig-alignment-backpage")
    cmu = data_dir / "cmu-tjbatch-backpage" / "ads_with_tj_extractions.jsonl"
    if cmu.is_file():
        files.append(cmu)
        with open(cmu, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                add(f"{rec.get('title') or ''}\n{rec.get('body') or ''}", "cmu-tjbatch-backpage")
    if not files:
        raise TrainingDataError(
            f"No unlabelled corpus found under {str(data_dir)!r}; pass --data-dir pointing at the shared data folder."
        )
    ads = list(texts.values())
    if limit is not None:
        ads = ads[:limit]
    return ads, files


_NOISE = re.compile(r"[^a-z]+")


def near_duplicate_groups(texts: list[str]) -> list[int]:
    """A group id per text; re-posts that differ only in digits, case or punctuation share one.

    Cross-validation splits by these groups so a re-post never sits on both sides.

    Examples
    --------
    >>> near_duplicate_groups(["Call 555-1234 now!", "call 555 9999 NOW", "Hiring drivers"])
    [0, 0, 1]
    """
    ids: dict[str, int] = {}
    out = []
    for text in texts:
        key = _NOISE.sub("", text.lower())[:400]
        out.append(ids.setdefault(key, len(ids)))
    return out
