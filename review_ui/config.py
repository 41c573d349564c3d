"""Where adscan's settings come from: ``ADSCAN_*`` environment variables, then
an optional TOML config file (``ADSCAN_CONFIG``), then defaults."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any


class SettingError(Exception):
    """A setting has a value adscan cannot use."""


def _file_values() -> dict[str, Any]:
    path = os.environ.get("ADSCAN_CONFIG")
    if not path:
        return {}
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingError(
            f"Setting ADSCAN_CONFIG names '{path}', which does not exist; "
            "point it at a TOML file or unset it."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(
            f"Config file '{path}' is not valid TOML ({exc}); fix the file."
        ) from None
    return {str(k).upper(): v for k, v in data.items()}


def get(name: str, default: Any = None) -> Any:
    """Value of ``ADSCAN_<NAME>`` from the environment, the config file or ``default``."""
    env = os.environ.get(f"ADSCAN_{name}")
    if env is not None:
        return env
    return _file_values().get(name, default)


def get_bool(name: str, default: bool) -> bool:
    value = get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise SettingError(f"Setting ADSCAN_{name} has value '{value}'; expected true or false.")


def get_int(name: str, default: int) -> int:
    value = get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SettingError(
            f"Setting ADSCAN_{name} has value '{value}'; expected a whole number."
        ) from None


def home() -> Path:
    """The data directory: the SQLite files, the archive and the image store."""
    return Path(get("HOME", Path.cwd() / "var")).resolve()
