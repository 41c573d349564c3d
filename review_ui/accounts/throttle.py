"""Login throttling against password guessing.

Failures are counted per (username, client address) in Django's cache; after
``ADSCAN_LOGIN_MAX_FAILURES`` failures the pair is locked for
``ADSCAN_LOGIN_LOCKOUT_MINUTES``. With the default LocMemCache the counts live
in one server process, which is what a single-server install runs; a multi-
process deployment should configure a shared cache (e.g. Redis or database).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, addr: str) -> str:
    raw = f"{username.strip().lower()}\x1f{addr}".encode()
    return "adscan:login-fail:" + hashlib.sha256(raw).hexdigest()


def max_failures() -> int:
    return int(getattr(settings, "ADSCAN_LOGIN_MAX_FAILURES", 5))


def lockout_seconds() -> int:
    return int(getattr(settings, "ADSCAN_LOGIN_LOCKOUT_MINUTES", 15)) * 60


def is_locked(username: str, addr: str) -> bool:
    return int(cache.get(_key(username, addr), 0)) >= max_failures()


def register_failure(username: str, addr: str) -> int:
    """Count one failure; returns the failures so far in the window."""
    key = _key(username, addr)
    if cache.add(key, 1, lockout_seconds()):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, lockout_seconds())
        count = 1
    if count >= max_failures():
        cache.touch(key, lockout_seconds())  # the lock runs from the last failure
    return int(count)


def reset(username: str, addr: str) -> None:
    cache.delete(_key(username, addr))
