"""Batch linking of a list of ads into networks: :class:`IdentifierLinker`."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import NotFittedError

from classifier.linking import keys as K
from classifier.linking.clusters import build_cluster_document
from classifier.linking.graph import (
    Link,
    RejectedKey,
    UnionFind,
    ad_identifiers,
    ad_names,
    ad_places,
    identifier_reason,
)

_CHUNK = 4096


class IdentifierLinker(ClusterMixin, BaseEstimator):
    """Link ads that share a phone, e-mail, handle, photo or near-identical text.

    Clusters are the connected components of the accepted links. A key that
    more than its cap of ads carry (an agency's reception phone, a stock
    photo) links nothing and is listed in ``rejected_`` with the reason.

    Parameters
    ----------
    phone_cap : int
        Most distinct ads one phone may link (ads already linked by a
        near-identical text or photo count once); above it the phone is a weak
        key, such as an agency's reception. ``email_cap`` and ``handle_cap`` default to it.
    image_cap : int
        Most ads one photo (exact or near) may link.
    text_threshold : float
        Least Jaccard similarity of template-normalised 3-word shingles.
    phash_distance : int
        Largest Hamming distance of two 64-bit perceptual hashes of one photo.
    n_chunks : int
        Multi-index chunks per perceptual hash (16-bit chunks for 4).
    chunk_cap : int
        Hash-chunk buckets with more photos are not searched (degenerate hashes).
    n_bands, band_rows : int
        MinHash LSH banding (``n_bands * band_rows`` permutations are used).
    bucket_cap : int
        LSH buckets with more texts are not verified pair by pair.

    Attributes
    ----------
    labels_ : ndarray of int
        Cluster label of every ad; a singleton has a label of its own.
    cluster_ids_ : list of str
        Stable cluster id of every ad: the smallest ad id in its cluster.
    ad_ids_ : list of str
    links_ : list of Link
    rejected_ : list of RejectedKey

    Examples
    --------
    >>> ads = [{"phones": ["+31612345678"], "text": "Sweet Anna new in Utrecht call me now"},
    ...        {"phones": ["+31612345678"]},
    ...        {"text": "Sweet Eva new in Utrecht call me now"},
    ...        {"text": "Completely different words about something else"}]
    >>> IdentifierLinker().fit(ads).labels_.tolist()
    [0, 0, 0, 1]
    """

    def __init__(
        self,
        phone_cap: int = 8,
        image_cap: int = 25,
        text_threshold: float = 0.4,
        phash_distance: int = 8,
        email_cap: int | None = None,
        handle_cap: int | None = None,
        n_chunks: int = 4,
        chunk_cap: int = 2000,
        n_bands: int = K.N_BANDS,
        band_rows: int = K.BAND_ROWS,
        bucket_cap: int = 1000,
    ) -> None:
        self.phone_cap = phone_cap
        self.image_cap = image_cap
        self.text_threshold = text_threshold
        self.phash_distance = phash_distance
        self.email_cap = email_cap
        self.handle_cap = handle_cap
        self.n_chunks = n_chunks
        self.chunk_cap = chunk_cap
        self.n_bands = n_bands
        self.band_rows = band_rows
        self.bucket_cap = bucket_cap

    # -- public --------------------------------------------------------------
    def caps(self) -> dict[str, int]:
        return {
            "phone": self.phone_cap,
            "email": self.email_cap if self.email_cap is not None else self.phone_cap,
            "handle": self.handle_cap if self.handle_cap is not None else self.phone_cap,
            "image": self.image_cap,
        }

    def fit(self, ads: Iterable[Mapping[str, Any]], y: Any = None) -> IdentifierLinker:
        """Link ``ads`` (dicts, any iterable; each is read once) and cluster them."""
        self._check_params()
        caps = self.caps()
        ad_ids: list[str] = []
        # First holder of every key by the key's hash (no string kept: most keys
        # are unique), and the holders of keys seen again by the key itself.
        first: dict[str, dict[int, int]] = {k: {} for k in caps}
        groups: dict[str, dict[str, list[int]]] = {k: {} for k in caps}
        img_ad = array("q")
        img_hash = array("Q")
        text = _TextAccumulator(self.n_bands, self.band_rows)
        for i, ad in enumerate(ads):
            ad_ids.append(str(ad["ad_id"]) if ad.get("ad_id") is not None else str(i))
            ident = ad_identifiers(ad)
            for kind in caps:
                for key in ident[kind]:
                    if key in groups[kind]:
                        groups[kind][key].append(i)
                    elif (j := first[kind].setdefault(hash(key), i)) != i:
                        groups[kind][key] = [j, i]
            for ph in ident["image_phash"]:
                img_ad.append(i)
                img_hash.append(K.parse_phash(ph))
            text.add(i, ad.get("text"), ad_names(ad), ad_places(ad))
        n = len(ad_ids)
        uf = UnionFind(n)
        links: list[Link] = []
        rejected: list[RejectedKey] = []
        # Texts and photos first: ads they link count as one against the caps below,
        # so a phone on 12 copies of 2 ads is not mistaken for a reception phone.
        posts = UnionFind(n)
        self._link_texts(text, ad_ids, uf, links, rejected, posts)
        self._link_images(
            np.frombuffer(img_ad, dtype=np.int64) if img_ad else np.empty(0, np.int64),
            np.frombuffer(img_hash, dtype=np.uint64) if img_hash else np.empty(0, np.uint64),
            ad_ids,
            uf,
            links,
            rejected,
            posts,
        )
        for kind, by_key in groups.items():
            for key, members in by_key.items():
                if len(members) < 2:
                    continue
                if len(members) > caps[kind]:
                    distinct = len({posts.find(m) for m in members})
                    if distinct > caps[kind]:
                        rejected.append(_rejected(kind, key, distinct, caps[kind]))
                        continue
                reason = identifier_reason(kind, key)
                head = members[0]
                for m in members[1:]:
                    links.append(Link(ad_ids[head], ad_ids[m], kind, key, reason))
                    uf.union(head, m)
        del groups, first
        roots = np.fromiter((uf.find(i) for i in range(n)), dtype=np.int64, count=n)
        _, first_index, labels = np.unique(roots, return_index=True, return_inverse=True)
        # Relabel by first appearance so labels read naturally (0 is the first ad's cluster).
        order = np.argsort(first_index, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.labels_ = rank[labels].astype(np.int64)
        smallest: dict[int, str] = {}
        for i, label in enumerate(self.labels_.tolist()):
            if label not in smallest or ad_ids[i] < smallest[label]:
                smallest[label] = ad_ids[i]
        self.cluster_ids_ = [smallest[label] for label in self.labels_.tolist()]
        self.ad_ids_ = ad_ids
        self.links_ = links
        self.rejected_ = rejected
        return self

    def fit_predict(self, ads: Iterable[Mapping[str, Any]], y: Any = None) -> np.ndarray:
        return self.fit(ads).labels_

    def cluster_documents(
        self,
        ads: Iterable[Mapping[str, Any]],
        now: datetime | None = None,
        min_size: int = 2,
    ) -> list[dict[str, Any]]:
        """Cluster documents (see ``index.schema.CLUSTER_FIELDS``) for the fitted ads.

        ``ads`` are the same ads in the same order as given to :meth:`fit`.
        """
        if not hasattr(self, "labels_"):
            raise NotFittedError("Call IdentifierLinker.fit(ads) before cluster_documents(ads).")
        members: dict[str, list[Mapping[str, Any]]] = {}
        for i, ad in enumerate(ads):
            if i >= len(self.cluster_ids_):
                raise ValueError(
                    f"cluster_documents got more ads than fit ({len(self.cluster_ids_)}); pass the same ads."
                )
            cid = self.cluster_ids_[i]
            row = dict(ad)
            row["ad_id"] = self.ad_ids_[i]
            members.setdefault(cid, []).append(row)
        cluster_of = dict(zip(self.ad_ids_, self.cluster_ids_, strict=True))
        links: dict[str, list[Link]] = {}
        for link in self.links_:
            links.setdefault(cluster_of[link.a], []).append(link)
        return [
            build_cluster_document(cid, rows, [x.as_dict() for x in links.get(cid, [])], now=now)
            for cid, rows in members.items()
            if len(rows) >= min_size
        ]

    # -- parts ---------------------------------------------------------------
    def _check_params(self) -> None:
        if not 0.0 < self.text_threshold <= 1.0:
            raise ValueError(
                f"text_threshold={self.text_threshold!r}; expected a Jaccard similarity in (0, 1]."
            )
        if not 0 <= self.phash_distance < 32:
            raise ValueError(
                f"phash_distance={self.phash_distance!r}; expected a small Hamming distance such as 8."
            )
        for name, value in self.caps().items():
            if value < 2:
                raise ValueError(
                    f"{name} cap is {value!r}; a cap below 2 links nothing, expected for example 25."
                )

    def _link_images(
        self,
        img_ad: np.ndarray,
        img_hash: np.ndarray,
        ad_ids: list[str],
        uf: UnionFind,
        links: list[Link],
        rejected: list[RejectedKey],
        posts: UnionFind,
    ) -> None:
        if not len(img_ad):
            return
        values, inverse = np.unique(img_hash, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(len(values) + 1))
        counts = np.diff(starts)

        def ads_of(u: int) -> np.ndarray:
            return np.unique(img_ad[order[starts[u] : starts[u + 1]]])

        pairs = near_pairs(values, self.phash_distance, self.n_chunks, self.chunk_cap)
        # Stock photos: a hash whose near neighbourhood spans too many ads.
        reach = counts.astype(np.int64)
        for u, v, _ in pairs:
            reach[u] += counts[v]
            reach[v] += counts[u]
        weak = reach > self.image_cap
        for u in np.flatnonzero(weak).tolist():
            rejected.append(
                _rejected("image_near", f"{int(values[u]):016x}", int(reach[u]), self.image_cap)
            )
        for u in np.flatnonzero((counts > 1) & ~weak).tolist():
            members = ads_of(u)
            key = f"{int(values[u]):016x}"
            for m in members[1:].tolist():
                posts.union(int(members[0]), m)
                if uf.union(int(members[0]), m):
                    links.append(
                        Link(
                            ad_ids[members[0]],
                            ad_ids[m],
                            "image_near",
                            key,
                            "near-identical photo (Hamming 0)",
                        )
                    )
        for u, v, dist in pairs:
            if weak[u] or weak[v]:
                continue
            a, b = int(ads_of(u)[0]), int(ads_of(v)[0])
            if a != b:
                posts.union(a, b)
            if a != b and uf.find(a) != uf.find(b):
                uf.union(a, b)
                key = f"{int(values[u]):016x}~{int(values[v]):016x}"
                links.append(
                    Link(
                        ad_ids[a],
                        ad_ids[b],
                        "image_near",
                        key,
                        f"near-identical photo (Hamming {dist})",
                        1.0 - dist / 64,
                    )
                )

    def _link_texts(
        self,
        text: _TextAccumulator,
        ad_ids: list[str],
        uf: UnionFind,
        links: list[Link],
        rejected: list[RejectedKey],
        posts: UnionFind,
    ) -> None:
        idx, flat, starts, bands, digests = text.finish()
        if not len(idx):
            return
        ends = np.append(starts[1:], len(flat))

        def hashes(r: int) -> np.ndarray:
            return flat[starts[r] : ends[r]]

        # Identical normalised texts: one representative each, linked directly.
        _, first_of, rep_of = np.unique(digests, return_index=True, return_inverse=True)
        first_row = first_of[rep_of]
        for r in np.flatnonzero(first_row != np.arange(len(digests))).tolist():
            a, b = idx[int(first_row[r])], idx[r]
            uf.union(a, b)
            posts.union(a, b)
            links.append(
                Link(
                    ad_ids[a],
                    ad_ids[b],
                    "text",
                    f"{int(digests[r]):016x}",
                    "identical text (Jaccard 1.00)",
                )
            )
        reps_arr = np.sort(first_of).astype(np.int64)
        tuf = UnionFind(len(idx))
        for band in range(bands.shape[1]):
            col = bands[reps_arr, band]
            order = np.argsort(col, kind="stable")
            sorted_col = col[order]
            cut = np.flatnonzero(sorted_col[1:] != sorted_col[:-1]) + 1
            starts_b = np.concatenate(([0], cut))
            sizes = np.diff(np.append(starts_b, len(order)))
            for s, size in zip(
                starts_b[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True
            ):
                members = reps_arr[order[s : s + size]].tolist()
                if size > self.bucket_cap:
                    rejected.append(
                        _rejected(
                            "text_band", f"b{band}:{int(sorted_col[s]):08x}", size, self.bucket_cap
                        )
                    )
                    continue
                groups: dict[int, int] = {}
                for m in members:
                    root = tuf.find(m)
                    if root in groups:
                        continue
                    for other in list(groups.values()):
                        if tuf.find(other) == tuf.find(m):
                            continue
                        sim = K._jaccard_sorted(hashes(m), hashes(other))
                        if sim >= self.text_threshold:
                            tuf.union(m, other)
                            a, b = idx[other], idx[m]
                            uf.union(a, b)
                            posts.union(a, b)
                            links.append(
                                Link(
                                    ad_ids[a],
                                    ad_ids[b],
                                    "text",
                                    f"b{band}:{int(sorted_col[s]):08x}",
                                    f"near-identical text (Jaccard {sim:.2f})",
                                    round(sim, 4),
                                )
                            )
                    groups = {tuf.find(x): x for x in list(groups.values()) + [m]}


def near_pairs(
    values: np.ndarray, max_distance: int, n_chunks: int = 4, chunk_cap: int = 2000
) -> list[tuple[int, int, int]]:
    """Index pairs ``(u, v, distance)`` of distinct 64-bit hashes within ``max_distance``.

    Multi-index hashing: hashes sharing any ``64 / n_chunks``-bit chunk are
    compared. Pairs further than ``n_chunks - 1`` apart can be missed.
    """
    width = 64 // n_chunks
    mask = np.uint64((1 << width) - 1)
    found: dict[tuple[int, int], int] = {}
    for c in range(n_chunks):
        chunk = (values >> np.uint64(64 - width * (c + 1))) & mask
        order = np.argsort(chunk, kind="stable")
        sc = chunk[order]
        cut = np.flatnonzero(sc[1:] != sc[:-1]) + 1
        starts = np.concatenate(([0], cut))
        sizes = np.diff(np.append(starts, len(order)))
        for s, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            if size > chunk_cap:
                continue
            members = order[s : s + size]
            vals = values[members]
            dist = np.bitwise_count(vals[:, None] ^ vals[None, :])
            iu, ju = np.nonzero(np.triu(dist <= max_distance, k=1))
            for i, j in zip(iu.tolist(), ju.tolist(), strict=True):
                u, v = int(members[i]), int(members[j])
                if u > v:
                    u, v = v, u
                found[(u, v)] = int(dist[i, j])
    return [(u, v, d) for (u, v), d in sorted(found.items())]


def _rejected(kind: str, key: str, count: int, cap: int) -> RejectedKey:
    what = {
        "phone": "phone",
        "email": "e-mail",
        "handle": "handle",
        "image": "photo",
        "image_near": "photo (with its near copies)",
        "text_band": "text band",
    }[kind]
    return RejectedKey(
        kind, key, count, f"{what} {key} is shared by {count} ads (cap {cap}): too common to link"
    )


class _TextAccumulator:
    """Shingle hashes and LSH band values of many texts, built in chunks."""

    def __init__(self, n_bands: int, rows: int) -> None:
        self.n_bands, self.rows = n_bands, rows
        self.num_perm = max(K.NUM_PERM, n_bands * rows)
        self.pending: list[tuple[int, np.ndarray]] = []
        self.idx = array("q")
        self.flat: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.bands: list[np.ndarray] = []
        self.digests = array("Q")

    def add(self, i: int, text: str | None, names: list[str], places: list[str]) -> None:
        if not text:
            return
        h = K.shingle_hashes(text, names, places)
        if len(h) < K.MIN_SHINGLES:
            return
        self.pending.append((i, h))
        self.digests.append(
            int.from_bytes(hashlib.blake2b(h.tobytes(), digest_size=8).digest(), "little")
        )
        if len(self.pending) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        arrays = [h for _, h in self.pending]
        sig = K.minhash_many(arrays, self.num_perm)
        # The top 32 of the 48 band bits: half the memory; rare chance collisions
        # only cost a Jaccard check.
        self.bands.append(
            (K.band_values(sig, self.n_bands, self.rows) >> np.uint64(16)).astype(np.uint32)
        )
        self.idx.extend(i for i, _ in self.pending)
        self.flat.append(np.concatenate(arrays))
        self.lengths.append(
            np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        )
        self.pending = []

    def finish(self) -> tuple[Sequence[int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        self._flush()
        if not self.idx:
            empty = np.empty(0, dtype=np.uint64)
            return (
                [],
                np.empty(0, dtype=np.uint32),
                np.empty(0, dtype=np.int64),
                empty.reshape(0, self.n_bands),
                empty,
            )
        lengths = np.concatenate(self.lengths)
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        return (
            self.idx,
            _drain(self.flat, np.uint32),
            starts,
            _drain(self.bands, np.uint32),
            np.frombuffer(self.digests, dtype=np.uint64),
        )


def _drain(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    """Concatenate ``chunks`` while freeing each one: peak memory is the result
    plus one chunk, not twice the data."""
    total = sum(len(c) for c in chunks)
    out = np.empty((total, *chunks[0].shape[1:]), dtype=dtype)
    pos = 0
    chunks.reverse()
    while chunks:
        c = chunks.pop()
        out[pos : pos + len(c)] = c
        pos += len(c)
    return out
