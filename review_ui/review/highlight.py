"""Evidence spans of indicators, cut into segments a template can render safely.

Indicator spans (``start``/``end``) are character offsets into
``title + "\\n" + text`` — exactly the string the processing stage matches on
(:func:`ad_body`). This module is the one place in the web app that relies on
that; if the processing stage changes the string, change :func:`ad_body`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def ad_body(ad: dict[str, Any]) -> str:
    """The string indicator spans point into."""
    return (ad.get("title") or "") + "\n" + (ad.get("text") or "")


@dataclass
class Segment:
    """A run of text and the indicators (by number) whose evidence covers it."""

    text: str
    marks: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # indicators that begin here


def numbered_indicators(ad: dict[str, Any]) -> list[dict[str, Any]]:
    """The ad's indicators with a 1-based ``n``, in text order, valid spans only."""
    body = ad_body(ad)
    found = []
    for ind in ad.get("indicators") or []:
        try:
            start, end = int(ind.get("start")), int(ind.get("end"))
        except (TypeError, ValueError):
            continue
        if 0 <= start < end <= len(body):
            found.append({**ind, "start": start, "end": end, "evidence": body[start:end]})
    found.sort(key=lambda i: (i["start"], i["end"]))
    for n, ind in enumerate(found, 1):
        ind["n"] = n
    return found


def segments(body: str, indicators: list[dict[str, Any]]) -> list[Segment]:
    """Cut ``body`` at every span boundary; overlapping spans share segments."""
    cuts = {0, len(body)}
    for ind in indicators:
        cuts.update((ind["start"], ind["end"]))
    points = sorted(cuts)
    out: list[Segment] = []
    for left, right in zip(points, points[1:], strict=False):
        covering = [i for i in indicators if i["start"] <= left and right <= i["end"]]
        out.append(
            Segment(
                text=body[left:right],
                marks=[i["n"] for i in covering],
                categories=sorted({str(i.get("category") or "") for i in covering}),
                starts=[i["n"] for i in covering if i["start"] == left],
            )
        )
    return out


def split_title(segs: list[Segment], title_len: int) -> tuple[list[Segment], list[Segment]]:
    """Split segments at the newline after the title (offset ``title_len``)."""
    title: list[Segment] = []
    text: list[Segment] = []
    pos = 0
    for seg in segs:
        end = pos + len(seg.text)
        if end <= title_len:
            title.append(seg)
        elif pos >= title_len + 1:
            text.append(seg)
        else:
            head = seg.text[: max(0, title_len - pos)]
            tail = seg.text[max(0, title_len + 1 - pos) :]
            if head:
                title.append(Segment(head, seg.marks, seg.categories, seg.starts))
            if tail:
                text.append(Segment(tail, seg.marks, seg.categories, [] if head else seg.starts))
        pos = end
    return title, text
