"""Errors of the ad store.

IndexError_
 ├── StoreConfigError   a store URL or setting is wrong
 ├── StoreUnavailable   the server cannot be reached (after retries)
 └── BulkWriteError     some documents were refused; lists which and why
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
