"""Linking throughput and memory on synthetic ads (100k, and 1M unless quick).

Every size runs in a subprocess of its own so that peak memory (max RSS) is
that run's alone. ``python -m benchmarks.bench_link N`` runs one size.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from benchmarks.memory import peak_rss_mb

VOCAB_SIZE = 20_000
NETWORK_SHARE = 0.05
_SERIAL = itertools.count(1)


def _vocab(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < VOCAB_SIZE:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def synthetic_ads(n: int, seed: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    """``n`` synthetic ads with their planted network (-1 for none), streamed.

    About 5% of the ads belong to networks of 3-8 ads linked by one phone,
    one photo (re-encoded: a few bits of its perceptual hash flipped) or a
    template text whose name, city and price change. Every 2,000 ads an agency
    phone is shared by 40 unrelated ads and a stock photo by 60: neither is a
    network. Everything else is unique.
    """
    rng = random.Random(seed)
    vocab = _vocab(rng)
    # Zipf-like word choice: ordinary ads share common words, rarely 3 in a row.
    weights = list(itertools.accumulate(1.0 / (i + 10) for i in range(len(vocab))))
    names = [w.capitalize() for w in rng.sample(vocab, 300)]
    cities = [w.capitalize() for w in rng.sample(vocab, 60)]
    net_id = 0
    produced = 0
    pending: list[tuple[dict[str, Any], int]] = []
    agency_phone = stock_sha = None
    while produced < n:
        if not pending:
            if rng.random() < NETWORK_SHARE / 5.5:
                pending = _network(rng, vocab, weights, names, cities, net_id)
                net_id += 1
            else:
                pending = [(_ordinary(rng, vocab, weights, names, cities), -1)]
        ad, label = pending.pop()
        if label == -1 and produced % 2000 < 40:
            if agency_phone is None or produced % 2000 == 0:
                agency_phone = f"+3185{rng.randrange(10**7):07d}"
            ad["phones"] = [agency_phone]
        elif label == -1 and 100 <= produced % 2000 < 160:
            if stock_sha is None or produced % 2000 == 100:
                stock_sha = f"{rng.getrandbits(256):064x}"
            ad["image_sha256"] = [stock_sha]
        ad["ad_id"] = f"ad{produced:08d}"
        produced += 1
        yield ad, label


def _words(rng: random.Random, vocab: list[str], weights: list[float], k: int) -> list[str]:
    return rng.choices(vocab, cum_weights=weights, k=k)


def _ordinary(rng, vocab, weights, names, cities) -> dict[str, Any]:  # noqa: ANN001
    text = " ".join(_words(rng, vocab, weights, rng.randint(30, 80)))
    return {
        "text": f"{rng.choice(names)} in {rng.choice(cities)}. {text}. {rng.randint(80, 300)} euro",
        # A serial number, not a random one: random phones would collide by chance.
        "phones": [f"+316{next(_SERIAL) % 10**8:08d}"],
        "image_sha256": [f"{rng.getrandbits(256):064x}"],
        "image_phash": [f"{rng.getrandbits(64):016x}"],
    }


def _network(rng, vocab, weights, names, cities, net_id) -> list[tuple[dict[str, Any], int]]:  # noqa: ANN001
    size = rng.randint(3, 8)
    kind = rng.choice(["phone", "photo", "template"])
    phone = f"+317{next(_SERIAL) % 10**8:08d}"
    phash = rng.getrandbits(64)
    template = _words(rng, vocab, weights, rng.randint(40, 80))
    out = []
    for _ in range(size):
        ad = _ordinary(rng, vocab, weights, names, cities)
        if kind == "phone":
            ad["phones"] = [phone]
        elif kind == "photo":
            flipped = phash
            for bit in rng.sample(range(64), rng.randint(0, 3)):
                flipped ^= 1 << bit
            ad["image_phash"] = [f"{flipped:016x}"]
        else:
            words = list(template)
            for _ in range(rng.randint(0, 2)):  # light rewording
                words[rng.randrange(len(words))] = rng.choice(vocab)
            ad["text"] = (
                f"{rng.choice(names)} new in {rng.choice(cities)}. {' '.join(words)}. "
                f"Only {rng.randint(80, 300)} euro, ask for {rng.choice(names)}."
            )
        out.append((ad, net_id))
    return out


def pairwise_scores(labels, truth) -> tuple[float, float]:  # noqa: ANN001
    """Pairwise precision and recall of predicted clusters against planted networks."""
    from collections import Counter

    pred_pairs = sum(c * (c - 1) // 2 for c in Counter(labels).values())
    truth_labels = [t if t >= 0 else -(i + 1) for i, t in enumerate(truth)]
    true_pairs = sum(c * (c - 1) // 2 for c in Counter(truth_labels).values())
    both = sum(c * (c - 1) // 2 for c in Counter(zip(labels, truth_labels, strict=True)).values())
    return (both / pred_pairs if pred_pairs else 1.0, both / true_pairs if true_pairs else 1.0)


def run_one(n: int) -> dict[str, Any]:
    from classifier.link import IdentifierLinker

    truth: list[int] = []

    def ads() -> Iterator[dict[str, Any]]:
        for ad, label in synthetic_ads(n):
            truth.append(label)
            yield ad

    started = time.perf_counter()
    cpu0 = time.process_time()
    linker = IdentifierLinker().fit(ads())
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    precision, recall = pairwise_scores(linker.labels_.tolist(), truth)
    kinds: dict[str, int] = {}
    for link in linker.links_:
        kinds[link.kind] = kinds.get(link.kind, 0) + 1
    return {
        "n": n,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "ads_per_second": round(n / seconds),
        "peak_rss_mb": round(peak_rss_mb()),
        "links": len(linker.links_),
        "rejected": len(linker.rejected_),
        "clusters": int(linker.labels_.max()) + 1,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "by_kind": kinds,
    }


def minhash_rates(n: int = 3000) -> dict[str, float]:
    """Signatures per second: our numpy MinHash against datasketch's (128 permutations)."""
    from datasketch import MinHash

    from classifier.linking import keys as K

    texts = [ad["text"] for ad, _ in synthetic_ads(n, seed=5)]
    hashes = [K.shingle_hashes(t) for t in texts]
    sets = [[s.encode() for s in K.shingles(t)] for t in texts]
    start = time.perf_counter()
    K.minhash_many(hashes)
    ours = n / (time.perf_counter() - start)
    start = time.perf_counter()
    MinHash.bulk(sets, num_perm=128, seed=1)
    theirs = n / (time.perf_counter() - start)
    return {"ours": round(ours), "datasketch": round(theirs)}


def incremental_rate(n: int, batch_size: int = 64) -> dict[str, Any]:
    """Ads per second through ``IncrementalLinker`` on the SQLite store, as the
    processing stage runs it (link, merges, enrichments, cluster documents)."""
    import tempfile

    from classifier.link import IncrementalLinker
    from index import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/ads.db")
        store.setup()
        given = {}
        observations = []
        for ad, _ in synthetic_ads(n, seed=9):
            observations.append(
                {"source": "bench", "site_ad_id": ad["ad_id"], "text": ad["text"],
                 "images": [{"sha256": s, "phash": p} for s, p in zip(ad.get("image_sha256", []), ad["image_phash"], strict=False)]}
            )  # fmt: skip
            given[ad["ad_id"]] = ad
        store.upsert_observations(observations)
        from index import make_ad_id

        by_id = {make_ad_id("bench", k): v for k, v in given.items()}
        linker = IncrementalLinker(store)
        start = time.perf_counter()
        while docs := store.claim_pending(batch_size):
            inputs = [{**by_id[d["ad_id"]], "ad_id": d["ad_id"]} for d in docs]
            result = linker.link_batch(inputs)
            linker.apply_merges(result)
            store.write_enrichments(
                [{"ad_id": d["ad_id"], "version": d["version"], "phones": by_id[d["ad_id"]]["phones"],
                  **result.keys[d["ad_id"]], "cluster_id": result.assignments[d["ad_id"]]} for d in docs]
            )  # fmt: skip
            linker.apply(result)
        seconds = time.perf_counter() - start
        store.close()
    return {"n": n, "seconds": round(seconds, 1), "ads_per_second": round(n / seconds)}


def section() -> str:
    quick = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
    sizes = [10_000] if quick else [100_000, 1_000_000]
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_link", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    load = os.getloadavg()[0]
    mh = minhash_rates()
    inc = incremental_rate(1000 if quick else 5000)
    lines = [
        "## Linking (`IdentifierLinker.fit`, synthetic ads)",
        "",
        "Phones, e-mails, photo SHA-256, perceptual-hash multi-index (4 x 16-bit chunks, "
        "Hamming <= 8), MinHash LSH (42 bands x 3 rows, Jaccard >= 0.4) on one "
        "process (one core); seconds include generating the synthetic ads; peak memory is the run's max RSS. 5% of the ads are in planted "
        "networks; agency phones (40 ads) and stock photos (60 ads) must be rejected. "
        f"Target: 1M ads in <= 10 min within 2 GB. Load average at the end: {os.getloadavg()[0]:.1f} "
        f"(at the start {load:.1f}) on a machine shared with other work: CPU s is the fairer figure.",
        "",
        "| ads | seconds | CPU s | ads/s | peak RSS MB | links | rejected keys | clusters | pairwise P | pairwise R |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['seconds']} | {r['cpu_seconds']} | {r['ads_per_second']:,} | {r['peak_rss_mb']:,} "
            f"| {r['links']:,} | {r['rejected']:,} | {r['clusters']:,} | {r['precision']} | {r['recall']} |"
        )
    lines += [
        "",
        f"MinHash signatures (128 permutations): ours {mh['ours']:,}/s, datasketch "
        f"`MinHash.bulk` {mh['datasketch']:,}/s (so adscan uses its own numpy MinHash).",
        "",
        f"Incremental linking on the SQLite store (batches of 64, as `adscan process` runs it, "
        f"without scoring): {inc['n']:,} ads in {inc['seconds']} s = {inc['ads_per_second']:,} ads/s.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(json.dumps(run_one(int(sys.argv[1]))))
