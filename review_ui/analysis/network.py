"""A cluster as the network explorer shows it: the graph of ads and the phones,
photos, handles and texts that link them, a timeline, cities, personas,
prices and the strongest indicators."""

from __future__ import annotations

from collections import Counter
from typing import Any

from index import AdStore

#: Ads drawn in the graph at most (the tables list every member).
GRAPH_MAX_ADS = 150
MAX_MEMBERS = 2000

_IDENT_KIND = {"phone": "phone", "email": "email", "handle": "handle", "image": "photo"}


def personas_per_phone(cluster: dict[str, Any]) -> float:
    """Persona names per phone number: many names on one phone suggests a third party."""
    phones = len(cluster.get("phones") or [])
    return round(len(cluster.get("personas") or []) / phones, 2) if phones else 0.0


def cluster_members(store: AdStore, cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """The member ads of a cluster (current membership first, the document's list else)."""
    ids = store.cluster_members(cluster["cluster_id"]) or list(cluster.get("ad_ids") or [])
    return store.get_ads(ids[:MAX_MEMBERS])


def _label(ad: dict[str, Any]) -> str:
    names = [n.get("name") for n in (ad.get("extracted") or {}).get("names") or [] if n.get("name")]
    base = names[0] if names else (ad.get("title") or ad["ad_id"])
    return str(base)[:40]


def build_graph(cluster: dict[str, Any], ads: list[dict[str, Any]]) -> dict[str, Any]:
    """Nodes (ads and linking identifiers) and edges, each edge with its reason.

    Identifier nodes are made for phones, e-mails, handles and photos that at
    least two member ads share; ``image_near`` and ``text`` links become a
    "photo (near)" or "text" node between the two ads they join.
    """
    shown = sorted(ads, key=lambda a: (-(a.get("risk") or 0), a["ad_id"]))[:GRAPH_MAX_ADS]
    shown_ids = {a["ad_id"] for a in shown}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for ad in shown:
        nodes.append(
            {
                "id": "ad:" + ad["ad_id"],
                "type": "ad",
                "ad_id": ad["ad_id"],
                "label": _label(ad),
                "city": ad.get("city") or "",
                "risk": ad.get("risk") or 0,
                "risk_band": ad.get("risk_band") or "",
            }
        )
    holders: dict[tuple[str, str], list[str]] = {}
    for ad in shown:
        images = [i.get("sha256") for i in ad.get("images") or [] if i.get("sha256")]
        for kind, values in (
            ("phone", ad.get("phones")),
            ("email", ad.get("emails")),
            ("handle", ad.get("handles")),
            ("image", images),
        ):
            for value in values or []:
                holders.setdefault((kind, str(value)), []).append(ad["ad_id"])
    for (kind, key), ad_ids in sorted(holders.items()):
        if len(set(ad_ids)) < 2:
            continue
        ntype = _IDENT_KIND[kind]
        node_id = f"{ntype}:{key}"
        label = key if kind != "image" else "photo " + key[:8]
        nodes.append({"id": node_id, "type": ntype, "label": label, "key": key})
        reason = {
            "phone": f"uses phone {key}",
            "email": f"uses e-mail {key}",
            "handle": f"uses handle {key}",
            "image": f"shows photo {key[:12]}",
        }[kind]
        for ad_id in dict.fromkeys(ad_ids):
            edges.append(
                {"source": "ad:" + ad_id, "target": node_id, "kind": kind, "reason": reason}
            )
    made: set[str] = set()
    joined: set[tuple[str, str]] = set()
    for i, link in enumerate(cluster.get("links") or []):
        kind = str(link.get("kind") or "")
        a, b = str(link.get("a")), str(link.get("b"))
        if kind not in ("image_near", "text") or a not in shown_ids or b not in shown_ids:
            continue
        ntype = "photo_near" if kind == "image_near" else "text"
        # Links on the same key (one photo hash, one text digest) share one node.
        node_id = f"{ntype}:{link.get('key') or i}"
        if node_id not in made:
            made.add(node_id)
            nodes.append(
                {
                    "id": node_id,
                    "type": ntype,
                    "label": "near photo" if kind == "image_near" else "similar text",
                    "key": str(link.get("key") or ""),
                }
            )
        reason = str(link.get("reason") or kind)
        for ad_id in (a, b):
            if (ad_id, node_id) not in joined:
                joined.add((ad_id, node_id))
                edges.append(
                    {"source": "ad:" + ad_id, "target": node_id, "kind": kind, "reason": reason}
                )
    return {
        "nodes": nodes,
        "edges": edges,
        "truncated": max(0, len(ads) - len(shown)),
    }


def timeline(ads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The member ads by first sighting: when, where, which site."""
    rows = [
        {
            "ad_id": a["ad_id"],
            "first_seen": a.get("first_seen") or "",
            "last_seen": a.get("last_seen") or "",
            "city": a.get("city") or "?",
            "source": a.get("source") or "",
            "title": a.get("title") or "",
            "risk": a.get("risk") or 0,
        }
        for a in ads
    ]
    rows.sort(key=lambda r: (r["first_seen"], r["ad_id"]))
    return rows


def city_counts(ads: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counts = Counter((a.get("city") or "?") for a in ads)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def prices(ads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Distinct stated prices (amount, currency, unit) with how many ads state them."""
    counts: Counter[tuple[float, str, str]] = Counter()
    for ad in ads:
        seen = set()
        for p in (ad.get("extracted") or {}).get("prices") or []:
            amount = p.get("amount", p.get("value"))
            if amount is None:
                continue
            key = (float(amount), str(p.get("currency") or ""), str(p.get("unit") or ""))
            if key not in seen:
                seen.add(key)
                counts[key] += 1
    return [
        {"amount": a, "currency": c, "unit": u, "ads": n}
        for (a, c, u), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ][:20]


def strongest_indicators(ads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicators by the number of member ads that show them, with one example of evidence."""
    counts: Counter[str] = Counter()
    info: dict[str, dict[str, Any]] = {}
    for ad in ads:
        for ind in {
            str(i.get("id")): i for i in ad.get("indicators") or [] if i.get("id")
        }.values():
            counts[str(ind["id"])] += 1
            info.setdefault(
                str(ind["id"]),
                {
                    "category": ind.get("category") or "",
                    "example": str(ind.get("text") or "")[:120],
                },
            )
    return [
        {"id": k, "ads": n, **info[k]}
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ][:10]


def cluster_view(store: AdStore, cluster: dict[str, Any]) -> dict[str, Any]:
    """Everything the cluster page shows, JSON-able (the API returns the same)."""
    ads = cluster_members(store, cluster)
    return {
        "cluster": cluster,
        "members": ads,
        "graph": build_graph(cluster, ads),
        "timeline": timeline(ads),
        "cities": city_counts(ads),
        "prices": prices(ads),
        "indicators": strongest_indicators(ads),
        "personas": list(cluster.get("personas") or []),
        "personas_per_phone": personas_per_phone(cluster),
    }
