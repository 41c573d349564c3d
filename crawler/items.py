"""Items the spiders yield: one :class:`AdItem` per observation of one ad."""

from __future__ import annotations

import scrapy


class AdItem(scrapy.Item):
    """One observation of one ad, as the spider saw it (before archiving).

    ``kind`` is ``"fetched"`` for an ad page fetched in this run, or
    ``"listed"`` for an ad seen on a listing that was not due for a fetch:
    its stored content is re-sent so the store only moves ``last_seen``.
    """

    kind = scrapy.Field()
    ad_id = scrapy.Field()
    source = scrapy.Field()
    site_ad_id = scrapy.Field()
    url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    city = scrapy.Field()
    posted_at = scrapy.Field()
    price_text = scrapy.Field()
    phone_region = scrapy.Field()
    photo_urls = scrapy.Field()  # absolute URLs; the archive pipeline turns them into images
    images = scrapy.Field()
    content_hash = scrapy.Field()
    observed_at = scrapy.Field()
    evidence = scrapy.Field()
    crawl_run = scrapy.Field()
    listing_marker = scrapy.Field()  # the listing's "updated" text, to skip unchanged ads next run
    response = scrapy.Field()  # {'url','status','headers','body'} for the WARC record; never stored
