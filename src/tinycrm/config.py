"""Settings from config.toml, read once per command into a frozen object."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinycrm.errors import ValidationError


@dataclass(frozen=True)
class Settings:
    """The seller's preferences; every field has a working default."""

    default_currency: str = "USD"
    date_format: str = "%Y-%m-%d"
    week_start: str = "monday"
    raw: dict[str, Any] = field(default_factory=dict)


def load(path: Path | None = None) -> Settings:
    """Read config.toml (a missing file means defaults); refuse a file that is not TOML."""
    from tinycrm import paths

    target = path or paths.config_file()
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{target} is not valid TOML: {exc}") from None
    general = data.get("general", {}) if isinstance(data.get("general"), dict) else {}
    return Settings(
        default_currency=str(general.get("default_currency", "USD")).upper(),
        date_format=str(general.get("date_format", "%Y-%m-%d")),
        week_start=str(general.get("week_start", "monday")),
        raw=data,
    )
