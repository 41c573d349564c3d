"""Linking ads into networks: shared identifiers, near-identical photos and texts,
union-find clusters (batch and incremental) and cluster documents."""

from classifier.linking.clusters import build_cluster_document, merge_links
from classifier.linking.graph import LINK_KINDS, Link, RejectedKey, UnionFind
from classifier.linking.incremental import IncrementalLinker, LinkResult
from classifier.linking.keys import (
    TextSignature,
    hamming,
    jaccard,
    normalize_for_template,
    phash_chunks,
    shingles,
    text_signature,
)
from classifier.linking.linker import IdentifierLinker

__all__ = [
    "LINK_KINDS",
    "IdentifierLinker",
    "IncrementalLinker",
    "Link",
    "LinkResult",
    "RejectedKey",
    "TextSignature",
    "UnionFind",
    "build_cluster_document",
    "hamming",
    "jaccard",
    "merge_links",
    "normalize_for_template",
    "phash_chunks",
    "shingles",
    "text_signature",
]
