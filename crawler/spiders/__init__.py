"""Spiders: the generic :class:`ProfileSpider` and one spider per profile in ``crawler/profiles/``.

A site too hard for a profile gets its own module here.
"""
