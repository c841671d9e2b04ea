"""Where tinycrm keeps its files: platformdirs, overridden by TINYCRM_HOME and TINYCRM_DB."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

APP_NAME = "tinycrm"


def home_override() -> Path | None:
    """Return TINYCRM_HOME when set: one folder for data and config (tests, portable installs)."""
    home = os.environ.get("TINYCRM_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    """Return the folder that holds the database (not created here)."""
    home = home_override()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Return the folder that holds config.toml (not created here)."""
    home = home_override()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """Return the path of config.toml."""
    return config_dir() / "config.toml"


def default_db() -> Path:
    """Return the database path: TINYCRM_DB if set, else tinycrm.db in the data folder."""
    env = os.environ.get("TINYCRM_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / "tinycrm.db"


def demo_db() -> Path:
    """Return the demo database path, kept apart from the user's data."""
    return data_dir() / "demo.db"


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents for their owner only (mode 0700)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for each in reversed(missing):
        with contextlib.suppress(FileExistsError):
            each.mkdir(mode=0o700)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to the disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is atomic
    finally:
        os.close(fd)
