"""The trends dashboard's figures, each a chart that can also be written as CSV.

One pass over the ads (paged through the store's search, bounded) gives new
ads per day per source, new phones per week, the flagged share per week and
per-indicator counts; top cities and growing clusters come from facets and
the cluster list.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from index import AdStore, SearchQuery

MAX_ADS = 200_000
PAGE = 1000
MAX_DAYS = 120


@dataclass
class Chart:
    """One figure: a shared x axis and one or more named series."""

    id: str
    title: str
    kind: str  # "line" | "bar" | "stacked" | "hbar"
    x: list[str]
    series: list[dict[str, Any]] = field(default_factory=list)  # {"name", "values"}
    x_label: str = ""
    y_label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "x": self.x,
            "series": self.series,
            "x_label": self.x_label,
            "y_label": self.y_label,
        }

    @property
    def rows(self) -> list[list[Any]]:
        return [[x, *[s["values"][i] for s in self.series]] for i, x in enumerate(self.x)]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.x_label or "x", *[s["name"] for s in self.series]])
        for i, x in enumerate(self.x):
            writer.writerow([_csv_safe(x), *[s["values"][i] for s in self.series]])
        return out.getvalue()


def _csv_safe(value: Any) -> Any:
    # Ad content reaches CSV cells (city names): never let a spreadsheet run it as a formula.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _day(iso: str | None) -> date | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _week(d: date) -> str:
    monday = d - timedelta(days=d.weekday())
    return monday.isoformat()


def _all_ads(store: AdStore) -> list[dict[str, Any]]:
    ads: list[dict[str, Any]] = []
    after = None
    while len(ads) < MAX_ADS:
        result = store.search(
            SearchQuery(sort="ad_id", descending=False, size=PAGE, search_after=after)
        )
        ads += result.hits
        if not result.next_after or not result.hits:
            break
        after = result.next_after
    return ads


def _days(first: date, last: date) -> list[date]:
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def build_charts(store: AdStore, top: int = 15) -> list[Chart]:
    """Every chart of the dashboard, computed from the store as it is now."""
    ads = _all_ads(store)
    per_day_source: dict[str, Counter[date]] = defaultdict(Counter)
    phone_first: dict[str, date] = {}
    week_total: Counter[str] = Counter()
    week_flagged: Counter[str] = Counter()
    indicators: Counter[str] = Counter()
    for ad in ads:
        d = _day(ad.get("first_seen"))
        if d is None:
            continue
        per_day_source[str(ad.get("source") or "?")][d] += 1
        for phone in ad.get("phones") or []:
            if phone not in phone_first or d < phone_first[phone]:
                phone_first[phone] = d
        if ad.get("processing") == "done":
            week_total[_week(d)] += 1
            week_flagged[_week(d)] += 1 if ad.get("flagged") else 0
        for ind_id in {str(i.get("id")) for i in ad.get("indicators") or [] if i.get("id")}:
            indicators[ind_id] += 1
    charts: list[Chart] = []
    all_days = [d for c in per_day_source.values() for d in c]
    days = _days(min(all_days), max(all_days)) if all_days else []
    charts.append(
        Chart(
            "ads_per_day",
            _("New ads per day, per source"),
            "stacked",
            [d.isoformat() for d in days],
            [
                {"name": src, "values": [per_day_source[src][d] for d in days]}
                for src in sorted(per_day_source)
            ],
            _("day"),
            _("ads"),
        )
    )
    phone_weeks = Counter(_week(d) for d in phone_first.values())
    weeks = sorted(set(phone_weeks) | set(week_total))
    charts.append(
        Chart(
            "new_phones_per_week",
            _("New phone numbers per week"),
            "bar",
            weeks,
            [{"name": _("new phones"), "values": [phone_weeks[w] for w in weeks]}],
            _("week"),
            _("phones"),
        )
    )
    flagged_weeks = sorted(week_total)
    charts.append(
        Chart(
            "flagged_share",
            _("Share of new ads flagged, per week"),
            "line",
            flagged_weeks,
            [
                {
                    "name": _("flagged share (%)"),
                    "values": [
                        round(100.0 * week_flagged[w] / week_total[w], 1) if week_total[w] else 0
                        for w in flagged_weeks
                    ],
                }
            ],
            _("week"),
            _("% flagged"),
        )
    )
    cities = store.search(SearchQuery(size=0, facets=("city",), facet_size=top)).facets.get(
        "city", []
    )
    charts.append(
        Chart(
            "top_cities",
            _("Top cities by number of ads"),
            "hbar",
            [str(c) for c, _n in cities],
            [{"name": _("ads"), "values": [int(n) for _c, n in cities]}],
            _("city"),
            _("ads"),
        )
    )
    growing, _after = store.list_clusters(sort="growth", size=top, min_size=2)
    growing = [c for c in growing if (c.get("growth") or 0) > 0]
    if growing:
        charts.append(
            Chart(
                "growing_clusters",
                _("Fastest-growing networks (ads first seen in the last 7 days)"),
                "hbar",
                [str(c["cluster_id"]) for c in growing],
                [
                    {
                        "name": _("new ads (7 days)"),
                        "values": [int(c.get("growth") or 0) for c in growing],
                    },
                    {"name": _("size"), "values": [int(c.get("size") or 0) for c in growing]},
                ],
                _("cluster"),
                _("ads"),
            )
        )
    else:
        # Nothing new this week (a quiet market, or an archive): rank by ads per week instead.
        pool, _after = store.list_clusters(sort="size", size=500, min_size=2)
        pool.sort(key=lambda c: (-(c.get("ads_per_week") or 0), c["cluster_id"]))
        pool = pool[:top]
        charts.append(
            Chart(
                "growing_clusters",
                _("Fastest-growing networks (ads per week; none grew in the last 7 days)"),
                "hbar",
                [str(c["cluster_id"]) for c in pool],
                [{"name": _("ads per week"), "values": [c.get("ads_per_week") or 0 for c in pool]}],
                _("cluster"),
                _("ads per week"),
            )
        )
    top_ind = sorted(indicators.items(), key=lambda kv: (-kv[1], kv[0]))
    charts.append(
        Chart(
            "indicators",
            _("Ads per indicator"),
            "hbar",
            [k for k, _n in top_ind],
            [{"name": _("ads"), "values": [n for _k, n in top_ind]}],
            _("indicator"),
            _("ads"),
        )
    )
    return charts


CHART_IDS = (
    "ads_per_day",
    "new_phones_per_week",
    "flagged_share",
    "top_cities",
    "growing_clusters",
    "indicators",
)
