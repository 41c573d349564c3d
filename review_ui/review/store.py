"""The ad store as the web app and the review commands see it.

:func:`get_store` opens ``settings.ADSCAN_INDEX_URL`` once per thread (SQLite
connections must stay in the thread that made them) and reuses it.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from index import AdStore, open_store

_local = threading.local()


def get_store() -> AdStore:
    """The ad store named by ``settings.ADSCAN_INDEX_URL``, opened and set up."""
    url = settings.ADSCAN_INDEX_URL
    stores: dict[str, AdStore] = getattr(_local, "stores", None) or {}
    _local.stores = stores
    store = stores.get(url)
    if store is None:
        store = open_store(url)
        store.setup()
        stores[url] = store
    return store


def close_stores() -> None:
    """Close this thread's stores (tests, and when the URL setting changes)."""
    stores: dict[str, AdStore] = getattr(_local, "stores", None) or {}
    for store in stores.values():
        try:
            store.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
    _local.stores = {}


@receiver(setting_changed, dispatch_uid="adscan-review-store-setting")
def _url_changed(sender, setting, **kwargs):
    if setting == "ADSCAN_INDEX_URL":
        close_stores()
