"""The production check: adscan refuses to start in production with the
development secret key or ``DEBUG`` on.

Production is ``ADSCAN_PRODUCTION=true``; ``adscan check --deploy`` runs the
same check without it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


def production_errors(conf: Any = settings) -> list[Error]:
    """What is wrong with ``conf`` for a production server."""
    errors: list[Error] = []
    key = getattr(conf, "SECRET_KEY", "")
    if not key or key == getattr(conf, "DEV_SECRET_KEY", None) or len(key) < 40:
        errors.append(
            Error(
                "ADSCAN_SECRET_KEY is the development key or shorter than 40 characters.",
                hint="Set ADSCAN_SECRET_KEY to a long random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                id="adscan.E001",
            )
        )
    if getattr(conf, "DEBUG", False):
        errors.append(
            Error(
                "DEBUG is on; it shows settings and ad content in error pages.",
                hint="Unset ADSCAN_DEBUG or set it to false.",
                id="adscan.E002",
            )
        )
    return errors


@register(Tags.security)
def check_production(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if not getattr(settings, "ADSCAN_PRODUCTION", False):
        return []
    return production_errors()


@register(Tags.security, deploy=True)
def check_deploy(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if getattr(settings, "ADSCAN_PRODUCTION", False):
        return []  # check_production already reported them
    return production_errors()
