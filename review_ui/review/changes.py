"""What changed between two versions of an ad, word by word."""

from __future__ import annotations

import difflib
import re
from typing import Any

_TOKEN = re.compile(r"\s+|[^\s]+")


def diff_words(old: str, new: str) -> list[tuple[str, str]]:
    """``[(kind, text)]`` with kind ``equal``, ``insert`` or ``delete``."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return out


def version_history(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions newest first, each with what changed against the one before it."""
    out = []
    previous: dict[str, Any] | None = None
    for version in versions:
        entry: dict[str, Any] = {"version": version, "title_diff": None, "text_diff": None}
        if previous is not None:
            if (previous.get("title") or "") != (version.get("title") or ""):
                entry["title_diff"] = diff_words(
                    previous.get("title") or "", version.get("title") or ""
                )
            if (previous.get("text") or "") != (version.get("text") or ""):
                entry["text_diff"] = diff_words(
                    previous.get("text") or "", version.get("text") or ""
                )
            old_images = set(previous.get("image_sha256") or _shas(previous))
            new_images = set(version.get("image_sha256") or _shas(version))
            entry["images_added"] = len(new_images - old_images)
            entry["images_removed"] = len(old_images - new_images)
        out.append(entry)
        previous = version
    return list(reversed(out))


def _shas(doc: dict[str, Any]) -> list[str]:
    return [str(i.get("sha256")) for i in doc.get("images") or [] if i.get("sha256")]


def changes_since(
    versions: list[dict[str, Any]], since_version: int | None
) -> dict[str, Any] | None:
    """The change from ``since_version`` to the newest version, or None."""
    if since_version is None or not versions:
        return None
    newest = versions[-1]
    if int(newest.get("version") or 0) <= int(since_version):
        return None
    old = next((v for v in versions if int(v.get("version") or 0) == int(since_version)), None)
    if old is None:
        return None
    return {
        "from_version": since_version,
        "to_version": newest.get("version"),
        "title_diff": diff_words(old.get("title") or "", newest.get("title") or ""),
        "text_diff": diff_words(old.get("text") or "", newest.get("text") or ""),
    }
