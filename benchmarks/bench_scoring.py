"""Scoring speed: embedding backends against plain ``SentenceTransformer.encode``, and the
processing stage end to end (extract, embed, score, link, write) for new and already-seen texts.

``python -m benchmarks.run scoring``; ``ADSCAN_BENCH_QUICK=1`` for a small variant.
The stage runs in a subprocess so its peak memory is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.memory import peak_rss_mb

QUICK = os.environ.get("ADSCAN_BENCH_QUICK") == "1"
ROOT = Path(__file__).resolve().parent.parent
#: The network cut to its first k of 6 layers (``SentenceEmbedder(layers=k)``):
#: the raw rate of each k, and a stage configuration trained on ``CUT_LAYERS``
#: (the fastest; every k < 6 loses the Dutch massage and job ads alike).
CUT_LAYER_ROWS = (1, 2, 3)
CUT_LAYERS = 1
#: Word pieces per ad the shipped models embed (the model's own limit is 256;
#: real ads run past it): ``classifier.training.ad_type.DEFAULT_EMBEDDER``.
SHORT_TOKENS = 128
#: Stage configurations on the whole network with other word-piece limits,
#: each trained here on the real data: the model's own 256 and two shorter.
OTHER_TOKENS = (256, 96, 64)


def demo_texts(n: int, seed: int = 7) -> list[dict]:
    """Synthetic demo-market ads (Dutch and English), as observations."""
    return [obs for obs, _ in demo_ads(n, seed)]


def demo_ads(n: int, seed: int = 7) -> list[tuple[dict, dict]]:
    """Observations with the market's ground truth (ad type, planted indicators)."""
    from crawler.demo.market import DemoMarket

    market = DemoMarket(seed=seed, n_ads=max(30, n), hostile=False, bad_pages=False)
    out = []
    for ad in market.ads[:n]:
        truth = {"ad_type": ad.ad_type, "risky": bool(ad.indicators)}
        out.append(
            (
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
                },
                truth,
            )
        )
    return out


def _rate(fn, texts, repeats: int = 2) -> tuple[float, np.ndarray]:
    best, out = 0.0, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best, out


def real_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` real labelled ad texts (DIG and WEDC), read at run time; empty without the data."""
    import random

    from classifier.training.data import load_ad_type_corpus

    data = ROOT.parent / "shared" / "data"
    if not (data / "dig-ads-classifier").is_dir():
        return []
    ads, _ = load_ad_type_corpus(data, with_craigslist=False)
    return [a.text for a in random.Random(seed).sample(ads, min(n, len(ads)))]


def backends_table(sets: dict[str, list[str]]) -> list[dict]:
    """Ads per second (and per CPU-second) and cosine to plain sentence-transformers for each
    backend on each set of texts (fresh cache every pass; best of 2)."""
    from sentence_transformers import SentenceTransformer

    from classifier.embed import EmbeddingCache, SentenceEmbedder, default_model_path

    st = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
    st.encode(next(iter(sets.values()))[:8])

    def measure(fn) -> dict:
        row: dict = {}
        for name, texts in sets.items():
            cpu = time.process_time()
            rate, vecs = _rate(fn, texts)
            row[name] = {
                "rate": rate,
                "cpu_rate": 2 * len(texts) / max(1e-9, time.process_time() - cpu),
                "vecs": vecs,
            }
        return row

    # Plain means sentence-transformers' own batch size (32): with 64 in a batch, the quick
    # variant's 64 texts went through as one batch padded to the longest ad, which made the
    # raw rate a third lower than on 256 texts and every "x raw" figure that much higher.
    raw = measure(lambda t: st.encode(t, normalize_embeddings=True, show_progress_bar=False))
    rows = [{"backend": "SentenceTransformer.encode (raw)", **raw}]
    for backend, max_len, layers in (
        ("torch", None, None),
        ("torch", SHORT_TOKENS, None),
        ("onnx", None, None),
        ("onnx", SHORT_TOKENS, None),
        ("onnx-int8", None, None),
        ("onnx-int8", SHORT_TOKENS, None),
        *(("onnx", n, None) for n in OTHER_TOKENS if n < SHORT_TOKENS),
        *(("onnx", None, k) for k in CUT_LAYER_ROWS),
        ("static", None, None),
    ):
        emb = SentenceEmbedder(backend=backend, max_seq_length=max_len, layers=layers).fit()
        emb.transform(["warm up"])

        def run(t, emb=emb):
            emb.set_params(cache=EmbeddingCache())
            emb.fit()
            return emb.transform(t)

        label = (
            backend
            + (f", max {max_len} tokens" if max_len else "")
            + (f", first {layers} of 6 layers" if layers else "")
        )
        rows.append({"backend": label, **measure(run)})
    for row in rows:
        for name in sets:
            cos = (
                (row[name].pop("vecs") * raw[name]["vecs"]).sum(axis=1)
                if row is not rows[0]
                else np.ones(1)
            )
            row[name]["cos_mean"], row[name]["cos_min"] = float(cos.mean()), float(cos.min())
            row[name]["x_raw"] = row[name]["rate"] / raw[name]["rate"]
    for name in sets:
        raw[name].pop("vecs", None)
    return rows


def stage(n: int, models_dir: str | None = None) -> dict:
    """The processing stage on ``n`` new ads, then on ``n`` re-posts of the same texts.

    ``models_dir`` holds ``ad_type.joblib`` and ``risk.joblib`` to use instead
    of the shipped models.
    """
    from sklearn.metrics import f1_score, roc_auc_score

    from index import make_ad_id, open_store
    from review_ui.operations.processing import Scorer, process_pending

    pairs = demo_ads(n)
    obs = [o for o, _ in pairs]
    warm = demo_ads(8, seed=99)
    paths = {}
    if models_dir:
        paths = {
            "ad_type_path": Path(models_dir) / "ad_type.joblib",
            "risk_path": Path(models_dir) / "risk.joblib",
        }
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/ads.db")
        store.setup()
        scorer = Scorer(embedding_cache_dir=Path(tmp) / "cache", **paths).load()
        # Warm the whole stage on other ads, so loading models, importing and
        # compiling patterns is not counted as per-ad work.
        scorer.score([dict(o, ad_id=f"warm-{k}", version=1) for k, (o, _) in enumerate(warm)])
        careful = getattr(scorer._ad_type, "careful_", None)
        if careful is not None:
            careful.predict([o["text"] for o, _ in warm])
        scorer._ad_type.n_escalated_ = scorer._ad_type.n_predicted_ = 0
        store.upsert_observations(obs)
        start = time.perf_counter()
        cpu = time.process_time()
        first = process_pending(store, scorer, batch_size=64)
        new_rate = first["processed"] / (time.perf_counter() - start)
        new_cpu_rate = first["processed"] / max(1e-9, time.process_time() - cpu)
        escalated = getattr(scorer._ad_type, "n_escalated_", 0) / max(1, first["processed"])
        docs = store.get_ads([make_ad_id(o["source"], o["site_ad_id"]) for o in obs])
        by_id = {d["ad_id"]: d for d in docs}
        got = [by_id[make_ad_id(o["source"], o["site_ad_id"])] for o in obs]
        truth_type = [t["ad_type"] for _, t in pairs]
        risky = [t["risky"] for _, t in pairs]
        recall = {
            kind: float(
                np.mean(
                    [
                        d["ad_type"] == kind
                        for d, t in zip(got, truth_type, strict=True)
                        if t == kind
                    ]
                )
            )
            if kind in truth_type
            else float("nan")
            for kind in ("job", "massage")
        }
        quality = {
            "job_recall": recall["job"],
            "massage_recall": recall["massage"],
            "ad_type_accuracy": float(
                np.mean([d["ad_type"] == t for d, t in zip(got, truth_type, strict=True)])
            ),
            "ad_type_macro_f1": float(
                f1_score(truth_type, [d["ad_type"] for d in got], average="macro")
            ),
            "risk_auc": float(roc_auc_score(risky, [d["risk"] for d in got])),
        }
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
        "new_per_cpu_s": new_cpu_rate,
        "escalated": escalated,
        **quality,
        "known_text_per_s": seen_rate,
        "unchanged_recrawl_per_s": recrawl_rate,
        "recrawl_reprocessed": third["processed"],
        "peak_rss_mb": peak_rss_mb(),
    }


def _train_models(
    out: Path,
    escalate_below: float,
    embedder_params: dict | None = None,
    careful_embedder_params: dict | None = None,
) -> bool:
    """Ad-type and risk models on the given embedder (default: the static backend),
    trained on the real data; False without it."""
    from classifier.training.ad_type import train_ad_type
    from classifier.training.risk import train_risk

    data = ROOT.parent / "shared" / "data"
    if not (data / "dig-ads-classifier").is_dir():
        return False
    out.mkdir(parents=True, exist_ok=True)
    train_ad_type(
        data,
        out / "ad_type.joblib",
        cross_validate=False,
        embedder_params=embedder_params or {"backend": "static"},
        escalate_below=escalate_below,
        careful_embedder_params=careful_embedder_params,
        progress=False,
    )
    train_risk(data, out / "risk.joblib", ad_type_path=out / "ad_type.joblib", progress=False)
    return True


def _run_stage(n: int, models_dir: Path | None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_scoring", "--stage", str(n)]
    if models_dir is not None:
        cmd.append(str(models_dir))
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "review_ui.settings"},
        timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"stage subprocess failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def section() -> str:
    from classifier.training.ad_type import ESCALATE_BELOW

    n_embed = 64 if QUICK else 256
    n_stage = 128 if QUICK else 600
    load_before = os.getloadavg()
    obs = demo_texts(n_embed)
    sets = {"demo": [f"{o['title']}\n{o['text']}" for o in obs]}
    real = real_texts(n_embed)
    if real:
        sets["real"] = real
    rows = backends_table(sets)
    raw = rows[0]["demo"]["rate"]
    configs: list[tuple[str, dict]] = [
        (f"shipped: onnx, first {SHORT_TOKENS} word pieces", _run_stage(n_stage, None))
    ]
    cut = {"backend": "onnx", "layers": CUT_LAYERS}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (label, tau, params, careful) in enumerate(
            (
                *(
                    (
                        f"onnx, first {n} word pieces"
                        + (" (the model's limit)" if n == 256 else ""),
                        0.0,
                        {"backend": "onnx", "max_seq_length": n},
                        None,
                    )
                    for n in OTHER_TOKENS
                ),
                (f"onnx, first {CUT_LAYERS} of 6 layers", 0.0, cut, None),
                (f"static, cascade to onnx below {ESCALATE_BELOW}", ESCALATE_BELOW, None, None),
                ("static only", 0.0, None, None),
            )
        ):
            models = Path(tmp) / f"config-{k}"
            if _train_models(models, tau, params, careful):
                configs.append((label, _run_stage(n_stage, models)))
    st = configs[0][1]
    lines = [
        "## Scoring: embedding backends and the processing stage",
        "",
        f"{n_embed} synthetic demo ads (Dutch/English; median ~120 word pieces) and, where "
        f"../shared/data is present, {n_embed} real labelled ads (DIG, WEDC; half run past the "
        f"model's 256 word pieces); {os.cpu_count()} CPUs shared, load average "
        f"{load_before[0]:.1f} at the start, all-MiniLM-L6-v2; best of 2 passes; ads/s with "
        "ads per CPU-second of this process in brackets. The onnx backend runs the export with "
        "fused attention (onnxruntime's transformer optimizer). Cosine is to plain "
        "sentence-transformers on the same texts (the static backend's vectors live in another "
        "space: its quality is judged by the models on top, below).",
        "",
        "| embedding | demo ads/s (CPU) | × raw | real ads/s (CPU) | × raw | cosine mean / min (demo) | cosine mean / min (real) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(r, name):
        if name not in r:
            return "| | "
        c = r[name]
        return f"{c['rate']:.1f} ({c['cpu_rate']:.1f}) | {c['x_raw']:.2f} | "

    def cos(r, name):
        return f"{r[name]['cos_mean']:.4f} / {r[name]['cos_min']:.4f}" if name in r else ""

    for r in rows:
        lines.append(
            f"| {r['backend']} | {cell(r, 'demo')}{cell(r, 'real')}{cos(r, 'demo')} | {cos(r, 'real')} |"
        )
    lines += [
        "",
        f"Processing stage end to end (extract, indicators, embed, ad type, risk, link, write to SQLite) "
        f"on {st['n']} new synthetic ads, after warming the stage on 8 other ads, per model "
        "configuration. The other configurations are trained here on the real data (ad type, "
        "then risk on its embeddings); the cut network's vectors (first layers only) differ from "
        "the full network's, so its low cosine above says nothing of its quality; quality columns compare the stage's output with the demo "
        "market's ground truth: ad type as generated, risk AUC of ads with planted indicators "
        "against the rest.",
        "",
        "| models | new ads/s (CPU) | × raw encode | escalated | ad type acc / macro-F1 | job / massage recall | risk AUC |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, c in configs:
        lines.append(
            f"| {label} | {c['new_per_s']:.1f} ({c['new_per_cpu_s']:.1f}) | "
            f"{c['new_per_s'] / raw:.2f} | {c['escalated']:.1%} | "
            f"{c['ad_type_accuracy']:.3f} / {c['ad_type_macro_f1']:.3f} | "
            f"{c['job_recall']:.2f} / {c['massage_recall']:.2f} | {c['risk_auc']:.3f} |"
        )
    if len(configs) == 1:
        lines.append("| other configurations | not measured: ../shared/data is absent | | | | | |")
    lines += [
        "",
        "The issue's target, 150 new ads/s, assumed raw encode at 60 ads/s (2.5x raw encode); "
        "raw encode of these ads is slower, so judge by the absolute rate. Shipped models, "
        "other passes:",
        "",
        "| pass | ads/s | target |",
        "|---|---:|---:|",
        f"| known text (re-posts, re-queued; embedding cache hits) | {st['known_text_per_s']:.1f} | |",
        f"| unchanged re-crawl (upsert + nothing pending; {st['recrawl_reprocessed']} re-processed) | {st['unchanged_recrawl_per_s']:.1f} | 5000 |",
        f"| raw `SentenceTransformer.encode`, same run | {raw:.1f} | |",
        "",
        f"Load average at the end: {os.getloadavg()[0]:.1f}. Peak memory of the stage process: "
        + ", ".join(f"{label} {c['peak_rss_mb']:.0f} MB" for label, c in configs)
        + " (target 1,500 MB).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--stage":
        import django

        django.setup()
        print(json.dumps(stage(int(sys.argv[2]), sys.argv[3] if len(sys.argv) == 4 else None)))
    else:
        print(section())
