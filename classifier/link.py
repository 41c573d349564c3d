"""Linking ads into networks (the public face of :mod:`classifier.linking`)."""

from classifier.linking import (
    LINK_KINDS,
    IdentifierLinker,
    IncrementalLinker,
    Link,
    LinkResult,
    RejectedKey,
    TextSignature,
    UnionFind,
    build_cluster_document,
    hamming,
    jaccard,
    merge_links,
    normalize_for_template,
    phash_chunks,
    shingles,
    text_signature,
)

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
