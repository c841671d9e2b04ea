"""The config file itself: read it, and write it back atomically and privately with a small
TOML writer, so `crm config set` keeps it valid."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from tinycrm.config.checks import is_secret
from tinycrm.errors import StorageError, ValidationError


def read(path: Path | None = None) -> dict[str, Any]:
    """Return the parsed config file as a dict (empty when missing); refuse a file that is not
    TOML."""
    from tinycrm import paths

    target = path or paths.config_file()
    try:
        return tomllib.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{target} is not valid TOML: {exc}") from None


def _toml_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ValidationError(f"cannot write {value!r} to the config file")


def _table(lines: list[str], names: list[str], table: dict[str, Any]) -> None:
    """Append a table and, after it, its sub-tables ([scoring] then [scoring.decay]); a
    sub-table holding only tables needs no header of its own."""
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
    if plain or len(names) == 1 or len(plain) == len(table):
        lines.append("")
        lines.append("[" + ".".join(_toml_key(n) for n in names) + "]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in plain.items())
    for key, value in table.items():
        if isinstance(value, dict):
            _table(lines, [*names, key], value)


def dumps(data: dict[str, Any]) -> str:
    """Render a dict of tables (values: str, int, bool, lists of them, tables) as TOML."""
    lines = ["# tinycrm settings; edit with `crm config set KEY VALUE`."]
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for key, value in top.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for section, table in data.items():
        if isinstance(table, dict):
            _table(lines, [section], table)
    return "\n".join(lines) + "\n"


def _fsync(fd: int) -> None:
    os.fsync(fd)


def write(data: dict[str, Any], path: Path | None = None) -> Path:
    """Write the config file atomically: a private temporary file in the same folder, flushed
    to the disk, renamed over it.

    A new file (and any folder made for it) is readable by its owner only; an existing file
    keeps the mode its owner gave it, and a link to the file stays a link.
    """
    from tinycrm import paths

    target = path or paths.config_file()
    content = dumps(data)
    if tomllib.loads(content) != data:
        raise ValidationError("the settings cannot be written as TOML; the file was not changed")
    import tempfile

    real = target.resolve() if target.is_symlink() else target
    try:
        paths.make_private_dirs(real.parent)
        try:
            mode = stat.S_IMODE(os.stat(real).st_mode)
        except FileNotFoundError:
            mode = 0o600
        fd, name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(content)
                fh.flush()
                _fsync(fh.fileno())
            os.chmod(name, mode)
            os.replace(name, real)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        paths.sync_folder(real.parent)
    except OSError as exc:
        raise StorageError(
            f"cannot write {target}: {exc.strerror or exc}", hint="the file was not changed"
        ) from None
    return target


def exposed(path: Path | None = None) -> bool:
    """Tell whether the config file holds a secret and other users may read it."""
    from tinycrm import paths

    target = path or paths.config_file()
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return False
    if not mode & 0o077:
        return False
    data = read(target)
    keys = [
        f"{section}.{name}" if isinstance(table, dict) else section
        for section, table in data.items()
        for name in (table if isinstance(table, dict) else [""])
    ]
    return any(is_secret(key) for key in keys)
