"""Errors raised by the classifier library.

Hierarchy::

    ClassifierError
    └── ExtractionInputError   (a value handed to an extractor is unusable)
"""

from __future__ import annotations

__all__ = ["ClassifierError", "ExtractionInputError"]


class ClassifierError(Exception):
    """Base class of every error the classifier library raises on purpose."""


class ExtractionInputError(ClassifierError, ValueError):
    """An argument handed to an extractor cannot be used (wrong type, unknown region)."""
