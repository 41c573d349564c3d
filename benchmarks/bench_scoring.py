"""Scoring speed: embedding backends against plain ``SentenceTransformer.encode``, and the
processing stage end to end (extract, embed, score, link, write) for new and already-seen texts.

``python -m benchmarks.run scoring``; ``ADSCAN_BENCH_QUICK=1`` for a small variant.
The stage runs in a subprocess so its peak memory is its own.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

QUICK = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
ROOT = Path(__file__).resolve().parent.parent


def demo_texts(n: int, seed: int = 7) -> list[dict]:
    """Synthetic demo-market ads (Dutch and English), as observations."""
    from crawler.demo.market import DemoMarket

    market = DemoMarket(seed=seed, n_ads=max(30, n), hostile=False, bad_pages=False)
    out = []
    for ad in market.ads[:n]:
        out.append(
            {
                "source": ad.source,
                "site_ad_id": ad.site_ad_id,
                "url": f"http://bench.test/{ad.source}/{ad.site_ad_id}",
                "title": ad.title,
                "text": ad.text,
                "city": ad.city,
                "phone_region": "NL",
                "images": [],
                "observed_at": "2026-01-01T00:00:00Z",
            }
        )
    return out


def _rate(fn, texts, repeats: int = 2) -> tuple[float, np.ndarray]:
    best, out = 0.0, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best, out


def backends_table(texts: list[str]) -> list[dict]:
    """Ads per second and cosine to plain PyTorch for each backend (fresh cache every pass)."""
    from sentence_transformers import SentenceTransformer

    from classifier.embed import EmbeddingCache, SentenceEmbedder, default_model_path

    st = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
    st.encode(texts[:8])
    raw_rate, ref = _rate(
        lambda t: st.encode(t, batch_size=64, normalize_embeddings=True, show_progress_bar=False),
        texts,
    )
    rows = [
        {
            "backend": "SentenceTransformer.encode (raw)",
            "rate": raw_rate,
            "cos_mean": 1.0,
            "cos_min": 1.0,
        }
    ]
    for backend, max_len in (
        ("torch", None),
        ("onnx", None),
        ("onnx-int8", None),
        ("onnx-int8", 128),
    ):
        emb = SentenceEmbedder(backend=backend, max_seq_length=max_len).fit()
        emb.transform(["warm up"])

        def run(t, emb=emb):
            emb.set_params(cache=EmbeddingCache())
            emb.fit()
            return emb.transform(t)

        rate, vecs = _rate(run, texts)
        cos = (vecs * ref).sum(axis=1)
        label = backend + (f", max {max_len} tokens" if max_len else "")
        rows.append(
            {
                "backend": label,
                "rate": rate,
                "cos_mean": float(cos.mean()),
                "cos_min": float(cos.min()),
            }
        )
    return rows


def stage(n: int) -> dict:
    """The processing stage on ``n`` new ads, then on ``n`` re-posts of the same texts."""
    from index import open_store
    from review_ui.operations.processing import Scorer, process_pending

    obs = demo_texts(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/ads.db")
        store.setup()
        scorer = Scorer(embedding_cache_dir=Path(tmp) / "cache").load()
        # Warm the models on other text so load time is not counted.
        scorer._embedder.transform(["warm up text"])
        store.upsert_observations(obs)
        start = time.perf_counter()
        first = process_pending(store, scorer, batch_size=64)
        new_rate = first["processed"] / (time.perf_counter() - start)
        # The same texts again under new ids: re-posts and re-queued ads whose text is known.
        store.upsert_observations(
            [dict(o, site_ad_id=f"re-{o['site_ad_id']}", url=o["url"] + "-re") for o in obs]
        )
        start = time.perf_counter()
        second = process_pending(store, scorer, batch_size=256)
        seen_rate = second["processed"] / (time.perf_counter() - start)
        # Unchanged re-crawl: the store recognises the content hash; nothing is re-embedded.
        start = time.perf_counter()
        store.upsert_observations(obs)
        third = process_pending(store, scorer, batch_size=256)
        recrawl_rate = n / (time.perf_counter() - start)
        store.close()
    return {
        "n": n,
        "new_per_s": new_rate,
        "known_text_per_s": seen_rate,
        "unchanged_recrawl_per_s": recrawl_rate,
        "recrawl_reprocessed": third["processed"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def section() -> str:
    n_embed = 64 if QUICK else 256
    n_stage = 128 if QUICK else 600
    obs = demo_texts(n_embed)
    texts = [f"{o['title']}\n{o['text']}" for o in obs]
    rows = backends_table(texts)
    raw = rows[0]["rate"]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_scoring", "--stage", str(n_stage)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "review_ui.settings"},
        timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"stage subprocess failed:\n{proc.stderr[-3000:]}")
    st = json.loads(proc.stdout.strip().splitlines()[-1])
    lines = [
        "## Scoring: embedding backends and the processing stage",
        "",
        f"{len(texts)} synthetic demo ads (Dutch/English), {os.cpu_count()} CPUs, all-MiniLM-L6-v2; "
        "best of 2 passes. Cosine is to plain sentence-transformers output.",
        "",
        "| embedding | ads/s | × raw encode | mean cosine | min cosine |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['rate']:.1f} | {r['rate'] / raw:.2f} | {r['cos_mean']:.4f} | {r['cos_min']:.4f} |"
        )
    lines += [
        "",
        f"Processing stage end to end (extract, indicators, embed, ad type, risk, link, write to SQLite), "
        f"{st['n']} ads, default backend:",
        "",
        "| pass | ads/s | target |",
        "|---|---:|---:|",
        f"| new ads | {st['new_per_s']:.1f} | 150 |",
        f"| known text (re-posts, re-queued; embedding cache hits) | {st['known_text_per_s']:.1f} | 5000 |",
        f"| unchanged re-crawl (upsert + nothing pending; {st['recrawl_reprocessed']} re-processed) | {st['unchanged_recrawl_per_s']:.1f} | 5000 |",
        f"| raw `SentenceTransformer.encode`, same run | {raw:.1f} | |",
        "",
        f"Peak memory of the stage process: {st['peak_rss_mb']:.0f} MB (target 1,500 MB).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--stage":
        import django

        django.setup()
        print(json.dumps(stage(int(sys.argv[2]))))
    else:
        print(section())
