"""One spider class per profile in ``crawler/profiles/``, so ``scrapy crawl <source>`` works.

Each class is :class:`ProfileSpider` with ``name`` and ``profile_path`` set. An
invalid profile is skipped with a warning here (``adscan crawl`` reports its error).
"""

from __future__ import annotations

import logging
import re

from crawler.exceptions import ProfileError
from crawler.profiles import PROFILE_DIR, load_profile
from crawler.spiders.profile import ProfileSpider

logger = logging.getLogger(__name__)

__all__: list[str] = []

for _path in sorted(PROFILE_DIR.glob("*.yaml")):
    try:
        _profile = load_profile(_path)
    except ProfileError as _exc:
        logger.warning("Skipping profile: %s", _exc)
        continue
    _cls_name = "".join(p.capitalize() for p in re.split(r"[-_]", _profile.name)) + "Spider"
    globals()[_cls_name] = type(
        _cls_name,
        (ProfileSpider,),
        {"name": _profile.name, "profile_path": str(_path), "__module__": __name__},
    )
    __all__.append(_cls_name)
