"""Errors of the ad store.

IndexError_
 ├── StoreConfigError   a store URL or setting is wrong
 ├── StoreUnavailable   the server cannot be reached (after retries)
 ├── BulkWriteError     some documents were refused; lists which and why
 └── UnknownFieldError  a filter, sort, facet or lookup kind the store does not know
"""


class IndexError_(Exception):
    """Base of every ad store error (named so it does not shadow the builtin)."""


class StoreConfigError(IndexError_):
    pass


class StoreUnavailable(IndexError_):
    pass


class BulkWriteError(IndexError_):
    def __init__(self, message: str, failures: list[tuple[str, str]]):
        super().__init__(message)
        self.failures = failures


class UnknownFieldError(IndexError_, ValueError):
    """A filter, sort, facet, lookup kind or status the store does not know."""
