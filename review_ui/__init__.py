"""The Django project and application shell of adscan: review, analysis,
operations and accounts apps, and the ``adscan`` management entry point."""

__all__: list[str] = []
