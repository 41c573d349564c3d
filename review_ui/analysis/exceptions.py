"""Errors of the analysis app a person can act on.

AnalysisError
├── LookupInputError   a pasted identifier or uploaded photo adscan cannot read
├── ExportError        a case package that cannot be made (nothing selected, no purpose)
└── TokenError         an API token that is unknown, revoked or malformed
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Something about a search, lookup, export or token that a person can fix."""


class LookupInputError(AnalysisError):
    """The lookup input is not a phone number, e-mail, handle or readable photo."""


class ExportError(AnalysisError):
    """A case package cannot be made from this selection."""


class TokenError(AnalysisError):
    """An API token is unknown, revoked or malformed."""
