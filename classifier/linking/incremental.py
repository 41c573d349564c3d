"""Incremental linking against an ad store: :class:`IncrementalLinker`.

Order of operations for one batch (each step can be redone after a crash):

1. ``result = linker.link_batch(ads)`` only reads the store;
2. ``linker.apply_merges(result)`` moves the ads of merged clusters to the
   surviving id and sets the cluster id of the batch ads;
3. the caller writes the batch ads' enrichments, with ``result.keys[ad_id]``
   (``phash_chunks``, ``text_bands``) and ``result.assignments[ad_id]``;
4. ``linker.apply(result)`` redoes step 2 (a no-op when done) and rewrites the
   cluster documents (member ads, link evidence old and new).

A crash before step 3 leaves the batch pending, and re-running it finds the
same clusters (the merged ads already carry the surviving id). Clusters only
grow: an ad whose text changed stays in its cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from classifier.linking import keys as K
from classifier.linking.clusters import MAX_LINKS, build_cluster_document, merge_links
from classifier.linking.graph import (
    Link,
    RejectedKey,
    UnionFind,
    ad_identifiers,
    ad_names,
    ad_places,
    identifier_reason,
)
from classifier.linking.linker import IdentifierLinker, _rejected

#: A key on more than this many times its cap of ads is weak without a closer look.
HARD_CAP_FACTOR = 10

#: Store lookup kind of each identifier link kind.
STORE_KIND = {"phone": "phone", "email": "email", "handle": "handle", "image": "image_sha256"}


class LinkStore(Protocol):
    """The exact-lookup part of ``index.contract.AdStore`` that linking needs."""

    def lookup(self, kind: str, keys: Any) -> dict[str, list[tuple[str, str | None]]]: ...
    def key_counts(self, kind: str, keys: Any) -> dict[str, int]: ...
    def get_ads(self, ad_ids: Sequence[str]) -> list[dict[str, Any]]: ...
    def cluster_members(self, cluster_id: str) -> list[str]: ...
    def set_clusters(self, assignments: dict[str, str]) -> int: ...
    def reassign_cluster(self, old_ids: Any, new_id: str) -> int: ...
    def upsert_clusters(self, clusters: Any) -> int: ...
    def get_cluster(self, cluster_id: str) -> dict[str, Any] | None: ...
    def delete_clusters(self, cluster_ids: Any) -> int: ...


def stored_ad_text(ad: Mapping[str, Any]) -> str:
    """The text a stored ad document is linked by: its title and body."""
    return f"{ad.get('title') or ''}\n{ad.get('text') or ''}"


@dataclass
class LinkResult:
    """What :meth:`IncrementalLinker.link_batch` found for one batch."""

    #: cluster id of every batch ad (and of stored ads that had none)
    assignments: dict[str, str] = field(default_factory=dict)
    #: absorbed cluster id -> surviving cluster id
    merged: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    rejected: list[RejectedKey] = field(default_factory=list)
    #: lookup keys to store with each batch ad: ``phash_chunks``, ``text_bands``
    keys: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: the batch ads as given (their phones, names, risk feed the cluster documents)
    ads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: stored ads that leave their cluster because a key went over its cap -> new cluster id
    splits: dict[str, str] = field(default_factory=dict)
    #: cluster id -> the cluster ids split off it
    split_from: dict[str, list[str]] = field(default_factory=dict)
    #: (kind, key) pairs whose old links no longer count
    weak_keys: list[tuple[str, str]] = field(default_factory=list)
    #: cluster sizes after the splits (for choosing survivors)
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def clusters(self) -> list[str]:
        """Surviving cluster ids touched by the batch (joined, merged or split)."""
        touched = set(self.assignments.values())
        for origin, parts in self.split_from.items():
            touched.update([origin, *parts])
        return sorted({self.merged.get(c, c) for c in touched})


class IncrementalLinker:
    """Link each new batch of ads to the ads already in a store.

    Takes the same parameters as :class:`IdentifierLinker`; ``text_of`` reads
    the text of a *stored* ad document (title and body by default; batch ads
    bring their ``text``).
    """

    def __init__(
        self,
        store: LinkStore,
        text_of: Callable[[Mapping[str, Any]], str] = stored_ad_text,
        **params: Any,
    ) -> None:
        self.store = store
        self.text_of = text_of
        self.params = IdentifierLinker(**params)
        self.params._check_params()

    # -- step 1 ----------------------------------------------------------------
    def link_batch(self, ads: Sequence[Mapping[str, Any]]) -> LinkResult:
        """Find the links of ``ads`` (dicts with ``ad_id``) and their clusters; writes nothing."""
        p = self.params
        caps = p.caps()
        result = LinkResult()
        batch: dict[str, dict[str, Any]] = {}
        for ad in ads:
            if not ad.get("ad_id"):
                raise ValueError(
                    "IncrementalLinker.link_batch needs an 'ad_id' in every ad; got one without."
                )
            batch[str(ad["ad_id"])] = dict(ad)
        result.ads = batch
        ids = list(batch)
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(x: str, y: str) -> bool:
            rx, ry = find(x), find(y)
            if rx == ry:
                return False
            parent[max(rx, ry)] = min(rx, ry)
            return True

        loose: set[str] = set()  # stored ads without a cluster id yet
        moved = result.splits  # stored ads whose cluster splits in this batch

        def node(ad_id: str, cluster_id: str | None) -> str:
            if ad_id in batch:
                return "a:" + ad_id
            if ad_id in moved:
                return "c:" + moved[ad_id]
            if cluster_id is None:
                loose.add(ad_id)
                return "c:" + ad_id
            return "c:" + cluster_id

        # Near-identical photos and texts first: ads they link count once against the
        # caps of exact identifiers (copies of one ad are not an agency's many ads).
        ident = {aid: ad_identifiers(ad) for aid, ad in batch.items()}
        near: list[Link] = []
        where: dict[str, str | None] = {}  # stored ad -> its cluster id
        self._link_photos(batch, ident, result, near, where)
        self._link_texts(batch, result, near, where)

        # Exact identifiers: which keys are under their cap, and which just crossed it.
        docs: dict[str, dict[str, Any] | None] = {}  # cluster documents read in this batch
        accepted: list[tuple[str, str, list[tuple[str, str | None]], list[str]]] = []
        crossed: list[tuple[str, str, list[tuple[str, str | None]]]] = []
        for kind, store_kind in STORE_KIND.items():
            holders: dict[str, list[str]] = {}
            for aid in ids:
                for key in ident[aid][kind]:
                    holders.setdefault(key, []).append(aid)
            if not holders:
                continue
            counts = self.store.key_counts(store_kind, list(holders))
            wanted = []
            hard_cap = HARD_CAP_FACTOR * caps[kind]
            for key, members in holders.items():
                if counts.get(key, 0) - len(members) > hard_cap:
                    # Far over the cap before this batch already: nothing to look up.
                    result.rejected.append(_rejected(kind, key, counts[key], caps[kind]))
                else:
                    wanted.append(key)
            found = self.store.lookup(store_kind, wanted) if wanted else {}
            for key in wanted:
                stored = [(a, c) for a, c in found.get(key, []) if a not in batch]
                members = holders[key]
                total = len(stored) + len(members)
                if total > caps[kind]:
                    # Ads linked by other evidence (copies of one ad) count once.
                    distinct = (
                        total
                        if total > hard_cap
                        else self._groups(kind, key, stored, members, near, docs)
                    )
                    if distinct > caps[kind]:
                        result.rejected.append(_rejected(kind, key, distinct, caps[kind]))
                        if len(stored) >= 2:
                            crossed.append((kind, key, stored))
                        continue
                if total >= 2:
                    accepted.append((kind, key, stored, members))
        if crossed:
            self._split_weak(crossed, result, docs)

        for ad_id in ids:
            find("a:" + ad_id)
        # A re-processed ad stays in the cluster it had.
        for doc in self.store.get_ads(ids):
            if doc.get("cluster_id"):
                union("a:" + doc["ad_id"], "c:" + moved.get(doc["ad_id"], doc["cluster_id"]))
        for kind, key, stored, members in accepted:
            reason = identifier_reason(kind, key)
            anchor_id, anchor = (
                (stored[0][0], node(*stored[0])) if stored else (members[0], "a:" + members[0])
            )
            for a, c in stored[1:]:
                if union(anchor, node(a, c)):
                    result.links.append(Link(anchor_id, a, kind, key, reason))
            for m in members:
                if m != anchor_id:
                    union(anchor, "a:" + m)
                    result.links.append(Link(anchor_id, m, kind, key, reason))
        for new_id in set(moved.values()):
            find("c:" + new_id)
        for link in near:
            other = "a:" + link.b if link.b in batch else node(link.b, where.get(link.b))
            union("a:" + link.a, other)
            result.links.append(link)
        self._choose_ids(ids, loose, result, find, parent)
        return result

    def _cluster_doc(self, cid: str, docs: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
        if cid not in docs:
            docs[cid] = self.store.get_cluster(cid)
        return docs[cid] or {}

    def _parts(self, cid: str, weak: set[tuple[str, str]], docs) -> list[list[str]] | None:  # noqa: ANN001
        """Members of a cluster grouped by its link evidence without the ``weak`` keys;
        None when the evidence was cut short (then the cluster is left whole)."""
        links = self._cluster_doc(cid, docs).get("links") or []
        if len(links) >= MAX_LINKS:
            return None
        members = self.store.cluster_members(cid)
        index = {a: i for i, a in enumerate(members)}
        uf = UnionFind(len(members))
        for x in links:
            if (x["kind"], x["key"]) not in weak and x["a"] in index and x["b"] in index:
                uf.union(index[x["a"]], index[x["b"]])
        parts: dict[int, list[str]] = {}
        for a, i in index.items():
            parts.setdefault(uf.find(i), []).append(a)
        return list(parts.values())

    def _groups(self, kind: str, key: str, stored, members, near, docs) -> int:  # noqa: ANN001
        """How many ads with ``key`` remain apart without the key's own links."""
        label: dict[str, str] = {m: "a:" + m for m in members}
        by_cluster: dict[str, set[str]] = {}
        for a, c in stored:
            label[a] = "s:" + a
            if c is not None:
                by_cluster.setdefault(c, set()).add(a)
        for cid, holders in by_cluster.items():
            for i, part in enumerate(self._parts(cid, {(kind, key)}, docs) or []):
                for a in holders.intersection(part):
                    label[a] = f"p:{cid}:{i}"
        uf: dict[str, str] = {}

        def find(x: str) -> str:
            uf.setdefault(x, x)
            while uf[x] != x:
                x = uf[x]
            return x

        for link in near:
            if link.a in label and link.b in label:
                uf[find(label[link.a])] = find(label[link.b])
        return len({find(v) for v in label.values()})

    def _split_weak(self, crossed, result: LinkResult, docs) -> None:  # noqa: ANN001
        """Undo links by keys that just went over their cap (an agency phone seen once
        too often): rebuild each affected cluster from its remaining link evidence."""
        weak = {(kind, key) for kind, key, _ in crossed}
        result.weak_keys = sorted(weak)
        clusters = sorted({c for _, _, stored in crossed for _, c in stored if c})
        for cid in clusters:
            links = self._cluster_doc(cid, docs).get("links") or []
            if not any((x["kind"], x["key"]) in weak for x in links):
                continue  # never linked by these keys
            found = self._parts(cid, weak, docs)
            if found is None or len(found) < 2:
                continue
            parts = dict(enumerate(found))
            # The part holding the ad the cluster is named after keeps the id (else the
            # largest); the others are named after their smallest ad id, which cannot clash.
            ordered = sorted(parts.values(), key=lambda p: (cid not in p, -len(p), min(p)))
            result.split_from[cid] = []
            for part in ordered[1:]:
                new_id = min(part)
                result.split_from[cid].append(new_id)
                for a in part:
                    result.splits[a] = new_id
            result.sizes[cid] = len(ordered[0])
            for part in ordered[1:]:
                result.sizes[min(part)] = len(part)

    def _link_photos(self, batch, ident, result, near, where) -> None:  # noqa: ANN001
        p = self.params
        phashes: dict[str, list[int]] = {}
        chunk_holders: dict[str, list[str]] = {}
        for aid in batch:
            keys: list[str] = []
            for ph in ident[aid]["image_phash"]:
                try:
                    value = K.parse_phash(ph)
                    chunks = K.phash_chunks(ph, p.n_chunks)
                except ValueError as exc:
                    result.rejected.append(RejectedKey("image_near", str(ph), 1, str(exc)))
                    continue
                phashes.setdefault(aid, []).append(value)
                keys.extend(c for c in chunks if c not in keys)
            result.keys.setdefault(aid, {})["phash_chunks"] = keys
            for key in keys:
                chunk_holders.setdefault(key, []).append(aid)
        if not chunk_holders:
            return
        counts = self.store.key_counts("phash_chunk", list(chunk_holders))
        wanted = [k for k in chunk_holders if counts.get(k, 0) <= p.chunk_cap]
        found = self.store.lookup("phash_chunk", wanted) if wanted else {}
        candidates = {a for k in wanted for a, _ in found.get(k, []) if a not in batch}
        cluster_of = {a: c for k in wanted for a, c in found.get(k, [])}
        where.update(cluster_of)
        stored_hashes: dict[str, list[int]] = {}
        for doc in self.store.get_ads(sorted(candidates)):
            values = []
            for ph in ad_identifiers(doc)["image_phash"]:
                try:
                    values.append(K.parse_phash(ph))
                except ValueError:
                    continue
            stored_hashes[doc["ad_id"]] = values
        # Every photo of the batch against the candidates and the other batch photos.
        pool = [(a, v) for a, vs in stored_hashes.items() for v in vs] + [
            (a, v) for a, vs in phashes.items() for v in vs
        ]
        if not pool:
            return
        pool_ads = [a for a, _ in pool]
        seen: set[tuple[str, str]] = set()
        pool_vals = np.array([v for _, v in pool], dtype=np.uint64)
        for aid, values in phashes.items():
            for value in values:
                dist = np.bitwise_count(pool_vals ^ np.uint64(value))
                close = [
                    i
                    for i in np.flatnonzero(dist <= p.phash_distance).tolist()
                    if pool_ads[i] != aid
                ]
                near_ads = {pool_ads[i] for i in close}
                if len(near_ads) + 1 > p.image_cap:
                    result.rejected.append(
                        _rejected("image_near", f"{value:016x}", len(near_ads) + 1, p.image_cap)
                    )
                    continue
                for i in close:
                    other = pool_ads[i]
                    d = int(dist[i])
                    # Every verified pair is kept as evidence, not only the ones that
                    # joined clusters: a split must find the links that remain.
                    if (min(aid, other), max(aid, other)) not in seen:
                        seen.add((min(aid, other), max(aid, other)))
                        key = f"{value:016x}~{int(pool_vals[i]):016x}"
                        near.append(
                            Link(
                                aid,
                                other,
                                "image_near",
                                key,
                                f"near-identical photo (Hamming {d})",
                                1.0 - d / 64,
                            )
                        )

    def _link_texts(self, batch, result, near, where) -> None:  # noqa: ANN001
        p = self.params
        hashes: dict[str, np.ndarray] = {}
        band_holders: dict[str, list[str]] = {}
        for aid, ad in batch.items():
            result.keys.setdefault(aid, {})["text_bands"] = []
            h = K.shingle_hashes(ad.get("text"), ad_names(ad), ad_places(ad))
            if len(h) >= K.MIN_SHINGLES:
                hashes[aid] = h
        if hashes:
            # One MinHash pass for the whole batch.
            sigs = K.minhash_many(list(hashes.values()), max(K.NUM_PERM, p.n_bands * p.band_rows))
            values = K.band_values(sigs, p.n_bands, p.band_rows)
            for aid, row in zip(hashes, values, strict=True):
                bands = K.band_keys(row)
                result.keys[aid]["text_bands"] = bands
                for key in bands:
                    band_holders.setdefault(key, []).append(aid)
        if not band_holders:
            return
        counts = self.store.key_counts("text_band", list(band_holders))
        wanted = []
        for key in band_holders:
            if counts.get(key, 0) > p.bucket_cap:
                result.rejected.append(_rejected("text_band", key, counts[key], p.bucket_cap))
            else:
                wanted.append(key)
        found = self.store.lookup("text_band", wanted) if wanted else {}
        pairs: dict[tuple[str, str], str] = {}
        cluster_of: dict[str, str | None] = {}
        for key in wanted:
            members = band_holders[key]
            stored = [(a, c) for a, c in found.get(key, []) if a not in batch]
            for a, c in stored:
                cluster_of[a] = c
                where[a] = c
            for i, m in enumerate(members):
                for other in [a for a, _ in stored] + members[i + 1 :]:
                    pairs.setdefault((m, other), key)
        stored_ids = sorted({o for _, o in pairs if o not in batch})
        for doc in self.store.get_ads(stored_ids):
            hashes[doc["ad_id"]] = K.shingle_hashes(
                self.text_of(doc), ad_names(doc), ad_places(doc)
            )
        for (m, other), key in sorted(pairs.items()):
            if other not in hashes:
                continue
            sim = K._jaccard_sorted(hashes[m], hashes[other])
            if sim >= p.text_threshold:
                near.append(
                    Link(
                        m,
                        other,
                        "text",
                        key,
                        f"near-identical text (Jaccard {sim:.2f})",
                        round(sim, 4),
                    )
                )

    def _choose_ids(self, ids, loose, result, find, parent) -> None:  # noqa: ANN001
        components: dict[str, list[str]] = {}
        for n in list(parent):
            components.setdefault(find(n), []).append(n)
        sizes: dict[str, int] = {}
        for members in components.values():
            for n in members:
                if n.startswith("c:") and n[2:] not in loose:
                    c = n[2:]
                    sizes[c] = result.sizes.get(c) or len(self.store.cluster_members(c))
        for members in components.values():
            existing = [n[2:] for n in members if n.startswith("c:") and n[2:] not in loose]
            if existing:
                # The largest cluster keeps its id; ties go to the smallest id.
                survivor = min(existing, key=lambda c: (-sizes.get(c, 0), c))
            else:
                survivor = min(n[2:] for n in members)
            for c in existing:
                if c != survivor:
                    result.merged[c] = survivor
            for n in members:
                if n.startswith("a:") or n[2:] in loose:
                    result.assignments[n[2:]] = survivor

    # -- steps 2 and 4 -------------------------------------------------------
    def apply_merges(self, result: LinkResult) -> None:
        """Split clusters, move absorbed ones to their survivor, set the batch ads' cluster ids."""
        if result.splits:
            self.store.set_clusters(dict(result.splits))
        by_survivor: dict[str, list[str]] = {}
        for old, new in result.merged.items():
            by_survivor.setdefault(new, []).append(old)
        for new, olds in sorted(by_survivor.items()):
            self.store.reassign_cluster(sorted(olds), new)
        if result.assignments:
            self.store.set_clusters(dict(result.assignments))

    def apply(self, result: LinkResult, now: datetime | None = None) -> list[dict[str, Any]]:
        """Apply merges and rewrite the documents of every cluster the batch touched.

        Returns the cluster documents written (clusters of one ad get none).
        """
        self.apply_merges(result)
        weak = set(map(tuple, result.weak_keys))
        touched = result.clusters
        pool: list[dict[str, Any]] = []
        for old in sorted({*touched, *result.merged, *result.split_from}):
            old_doc = self.store.get_cluster(old)
            if old_doc:
                pool.extend(old_doc.get("links") or [])
        pool.extend(link.as_dict() for link in result.links)
        docs, lone = [], {}
        for cid in touched:
            members = self.store.cluster_members(cid)
            if len(members) < 2:
                lone.update(dict.fromkeys(members, cid))
                continue
            inside = set(members)
            ads = []
            for doc in self.store.get_ads(members):
                given = result.ads.get(doc["ad_id"])
                ads.append({**doc, **given} if given else doc)
            links = merge_links(
                x
                for x in pool
                if x["a"] in inside and x["b"] in inside and (x["kind"], x["key"]) not in weak
            )
            docs.append(build_cluster_document(cid, ads, links, now=now))
        if docs:
            self.store.upsert_clusters(docs)
        gone = [old for old in result.merged if old not in touched]
        gone += [c for c in set(lone.values()) if self.store.get_cluster(c)]
        if gone:
            self.store.delete_clusters(sorted(gone))
            if lone:  # a cluster of one keeps its id, without a document
                self.store.set_clusters(lone)
        return docs
