"""Lookup keys for near-duplicates: perceptual-hash chunks and MinHash LSH bands.

Both are plain short strings, so a store finds candidates with exact lookups;
the candidates are then verified (Hamming distance, Jaccard similarity).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: Words per shingle.
SHINGLE_SIZE = 3
#: MinHash permutations, split into ``N_BANDS`` bands of ``BAND_ROWS`` rows
#: (126 used): a pair with Jaccard 0.4 shares a band with probability 0.94,
#: one with 0.2 with 0.29, one with 0.1 with 0.04.
NUM_PERM = 128
N_BANDS = 42
BAND_ROWS = 3
#: Texts with fewer distinct shingles than this get no bands: "call me now"
#: is no evidence that two ads share an author.
MIN_SHINGLES = 4


def _permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


_PERM_A, _PERM_B = _permutations(NUM_PERM)
_BAND_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93]
    + [0x9E3779B97F4A7C15 ^ (i * 0x100000001B3) for i in range(4, 64)],
    dtype=np.uint64,
)

# -- perceptual hashes -------------------------------------------------------


def parse_phash(phash_hex: str) -> int:
    """A 64-bit perceptual hash from its 16 hex digits.

    >>> parse_phash("ffffffffffffffff") == 2**64 - 1
    True
    """
    text = (phash_hex or "").strip().lower()
    if len(text) != 16 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(
            f"Perceptual hash {phash_hex!r} is not 16 hex digits; expected a 64-bit "
            "hash such as str(imagehash.phash(img)) ('c3a58e...')."
        )
    return int(text, 16)


def phash_chunks(phash_hex: str, n_chunks: int = 4) -> list[str]:
    """Multi-index keys of a 64-bit perceptual hash: ``"<chunk index>:<hex>"``.

    Two hashes within Hamming distance ``n_chunks - 1`` share at least one
    key (pigeonhole), so near photos are found with ``n_chunks`` exact lookups.

    >>> phash_chunks("0123456789abcdef")
    ['0:0123', '1:4567', '2:89ab', '3:cdef']
    """
    if n_chunks not in (1, 2, 4, 8, 16):
        raise ValueError(
            f"n_chunks={n_chunks!r}; expected 1, 2, 4, 8 or 16 (it must divide 64 bits)."
        )
    text = f"{parse_phash(phash_hex):016x}"
    width = 16 // n_chunks
    return [f"{i}:{text[i * width : (i + 1) * width]}" for i in range(n_chunks)]


def hamming(a: str | int, b: str | int) -> int:
    """Hamming distance of two 64-bit hashes (hex strings or ints).

    >>> hamming("0000000000000000", "000000000000000f")
    4
    """
    ia = parse_phash(a) if isinstance(a, str) else a
    ib = parse_phash(b) if isinstance(b, str) else b
    return (ia ^ ib).bit_count()


# -- text --------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Words: runs of letters. Digits (prices, phone numbers), punctuation and
# emoji fall between them.
_LETTERS = re.compile(r"[^\W\d_]+")
#: Currency words that only ever belong to a price.
CURRENCY_WORDS = frozenset({"eur", "euro", "euros", "usd", "dollar", "dollars", "roses", "gbp"})


def _slot_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in cleaned) + r")\b", re.I)


def normalize_for_template(
    text: str | None, names: Sequence[str] = (), places: Sequence[str] = ()
) -> str:
    """Text reduced to its template: what stays when an advertiser reposts it.

    Lower case; URLs, e-mails, digits (so prices and phone numbers), currency words,
    emoji and punctuation removed; known ``names`` and ``places`` (from extraction)
    replaced by the slot tokens ``xname`` and ``xplace``.

    >>> normalize_for_template("Hi I'm Anna 😘 in Utrecht, 150 EUR, call 06-12345678!",
    ...                        names=["Anna"], places=["Utrecht"])
    'hi i m xname in xplace call'
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    name_re = _slot_pattern(names)
    if name_re is not None:
        text = name_re.sub(" xname ", text)
    place_re = _slot_pattern(places)
    if place_re is not None:
        text = place_re.sub(" xplace ", text)
    low = text.casefold()
    if "http" in low or "www." in low:
        low = _URL.sub(" ", low)
    if "@" in low:
        low = _EMAIL.sub(" ", low)
    return " ".join(w for w in _LETTERS.findall(low) if w not in CURRENCY_WORDS)


def _tokens_to_shingles(tokens: list[str], k: int) -> list[str]:
    if not tokens:
        return []
    if len(tokens) < k:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]


def shingles(
    text: str | None, names: Sequence[str] = (), places: Sequence[str] = (), k: int = SHINGLE_SIZE
) -> frozenset[str]:
    """The word ``k``-shingles of the template-normalised text.

    >>> sorted(shingles("Sweet girl, new in town"))
    ['girl new in', 'new in town', 'sweet girl new']
    """
    return frozenset(_tokens_to_shingles(normalize_for_template(text, names, places).split(), k))


def shingle_hashes(
    text: str | None, names: Sequence[str] = (), places: Sequence[str] = (), k: int = SHINGLE_SIZE
) -> np.ndarray:
    """Sorted unique 32-bit hashes (CRC-32) of :func:`shingles`; deterministic."""
    tokens = normalize_for_template(text, names, places).split()
    return _hash_shingles(tokens, k)


_TOKEN_HASH: dict[str, int] = {}


def _hash_shingles(tokens: list[str], k: int) -> np.ndarray:
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    if len(tokens) < k:
        return np.array([zlib.crc32(" ".join(tokens).encode())], dtype=np.uint32)
    # Hash the tokens once and combine k consecutive ones: far cheaper than
    # hashing every joined shingle string.
    cache = _TOKEN_HASH
    if len(cache) > 1_000_000:
        cache.clear()
    th = np.fromiter(
        (cache.get(t) or cache.setdefault(t, zlib.crc32(t.encode()) | 1) for t in tokens),
        dtype=np.uint64,
        count=len(tokens),
    )
    acc = np.zeros(len(tokens) - k + 1, dtype=np.uint64)
    for j in range(k):
        acc = acc * np.uint64(0x100000001B3) + th[j : len(tokens) - k + 1 + j]
    acc ^= acc >> np.uint64(29)
    acc *= np.uint64(0xBF58476D1CE4E5B9)
    acc ^= acc >> np.uint64(32)
    return np.unique((acc & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def jaccard(a: Iterable | str | np.ndarray, b: Iterable | str | np.ndarray) -> float:
    """Jaccard similarity of two shingle sets (texts are shingled first).

    >>> jaccard("a new girl in town tonight", "a new girl in town today")
    0.6
    >>> jaccard("", "")
    0.0
    """
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return _jaccard_sorted(a, b)
    sa = shingles(a) if isinstance(a, str) else set(a)
    sb = shingles(b) if isinstance(b, str) else set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0


def _jaccard_sorted(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def minhash_many(hash_arrays: Sequence[np.ndarray], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signatures (``len(hash_arrays)`` x ``num_perm``, uint32) in one pass.

    Multiply-shift hashing over all shingles of all texts at once; an empty
    text gets the all-ones signature.
    """
    n = len(hash_arrays)
    out = np.full((n, num_perm), 0xFFFFFFFF, dtype=np.uint32)
    lengths = np.fromiter((len(h) for h in hash_arrays), dtype=np.int64, count=n)
    nonempty = np.flatnonzero(lengths)
    if not len(nonempty):
        return out
    flat = np.concatenate([hash_arrays[i] for i in nonempty.tolist()]).astype(np.uint64)
    starts = np.zeros(len(nonempty), dtype=np.int64)
    np.cumsum(lengths[nonempty][:-1], out=starts[1:])
    pa, pb = (_PERM_A, _PERM_B) if num_perm == NUM_PERM else _permutations(num_perm)
    shift = np.uint64(32)
    for j in range(num_perm):
        vals = (flat * pa[j] + pb[j]) >> shift
        out[nonempty, j] = np.minimum.reduceat(vals, starts).astype(np.uint32)
    return out


def band_values(
    signatures: np.ndarray, n_bands: int = N_BANDS, rows: int = BAND_ROWS
) -> np.ndarray:
    """One 48-bit value per LSH band (``n x n_bands``, uint64) from signatures."""
    if signatures.shape[1] < n_bands * rows:
        raise ValueError(
            f"{n_bands} bands of {rows} rows need {n_bands * rows} permutations; "
            f"the signatures have {signatures.shape[1]}."
        )
    sig = signatures[:, : n_bands * rows].astype(np.uint64).reshape(len(signatures), n_bands, rows)
    acc = np.zeros((len(signatures), n_bands), dtype=np.uint64)
    for r in range(rows):
        acc = (acc ^ sig[:, :, r]) * _BAND_MULT[r]
    acc ^= acc >> np.uint64(31)
    return acc >> np.uint64(16)


def band_keys(values: np.ndarray) -> list[str]:
    """Store keys of one text's band values: ``"b<band>:<12 hex>"``."""
    return [f"b{i}:{int(v):012x}" for i, v in enumerate(values)]


@dataclass(frozen=True)
class TextSignature:
    """What the store keeps to find near-identical texts."""

    minhash: np.ndarray
    bands: list[str]
    n_shingles: int


def text_signature(
    text: str | None,
    names: Sequence[str] = (),
    places: Sequence[str] = (),
    *,
    n_bands: int = N_BANDS,
    rows: int = BAND_ROWS,
    min_shingles: int = MIN_SHINGLES,
) -> TextSignature:
    """MinHash signature and LSH band keys of a text (no bands when too short).

    >>> sig = text_signature("Sweet new girl in town, call me for a nice time together")
    >>> len(sig.bands), sig.bands[0][:3]
    (42, 'b0:')
    >>> sig.bands == text_signature("SWEET new girl in town!! call me for a nice time together").bands
    True
    """
    hashes = shingle_hashes(text, names, places)
    sig = minhash_many([hashes], max(NUM_PERM, n_bands * rows))[0]
    if len(hashes) < min_shingles:
        return TextSignature(minhash=sig, bands=[], n_shingles=len(hashes))
    return TextSignature(
        minhash=sig,
        bands=band_keys(band_values(sig[None, :], n_bands, rows)[0]),
        n_shingles=len(hashes),
    )
