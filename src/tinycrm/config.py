"""Settings from config.toml, read once per command into a frozen object; the schema of known
keys, their checks, and a small writer so `crm config set` keeps the file valid TOML."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinycrm.errors import NotFoundError, StorageError, ValidationError

Value = str | int | bool | list[str]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHANNELS = ("stdout", "desktop", "email", "command")


def _currency(value: Value) -> Value:
    code = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("an ISO 4217 code of three letters, such as USD, EUR, GBP")
    return code


def _date_format(value: Value) -> Value:
    text = str(value)
    if "%" not in text:
        raise ValueError("a strftime pattern such as %Y-%m-%d or %d/%m/%Y")
    from datetime import date

    try:
        date(2026, 1, 2).strftime(text)
    except ValueError as exc:
        raise ValueError(f"a strftime pattern such as %Y-%m-%d ({exc})") from None
    return text


def _weekday(value: Value) -> Value:
    key = str(value).strip().lower()
    found = [d for d in WEEKDAYS if d.startswith(key)] if len(key) >= 2 else []
    if len(found) != 1:
        raise ValueError(f"a day of the week: {', '.join(WEEKDAYS)}")
    return found[0]


def _days(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a whole number of days, 0 or more")
    return value


def _channels(value: Value) -> Value:
    items = [str(v).strip().lower() for v in value] if isinstance(value, list) else []
    unknown = [v for v in items if v not in CHANNELS]
    if unknown:
        raise ValueError(
            f"known channels ({', '.join(CHANNELS)}); unknown reminder channel {unknown[0]!r}"
        )
    if not items:
        raise ValueError(f"a list of channels from: {', '.join(CHANNELS)}")
    return list(dict.fromkeys(items))


def _email(value: Value) -> Value:
    text = str(value).strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError("an email address such as you@example.com")
    return text


def _emails(value: Value) -> Value:
    items = value if isinstance(value, list) else [str(value)]
    if not items:
        raise ValueError("one or more email addresses, such as you@example.com")
    return [str(_email(v)) for v in items]


def _time_of_day(value: Value) -> Value:
    text = str(value).strip()
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        raise ValueError("a time of day as HH:MM, such as 09:00")
    return text


def _port(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ValueError("a port number from 1 to 65535")
    return value


def _server_mode(value: Value) -> Value:
    chosen = str(value).strip().lower()
    if chosen not in ("auto", "on", "off"):  # client.MODES; config may not import the client
        raise ValueError("auto (use it, start it when needed), on (wait for it) or off")
    return chosen


def _minutes(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 60:
        raise ValueError("a whole number of minutes from 1 to 1440")
    return value


def _flag(value: Value) -> Value:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _text(value: Value) -> Value:
    text = str(value).strip()
    if not text:
        raise ValueError("some text")
    return text


def _reasons(value: Value) -> Value:
    items = [str(v).strip() for v in value] if isinstance(value, list) else []
    if any(not v for v in items):
        raise ValueError("a list of short texts, without empty ones")
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class Key:
    """A known setting: its type, default, meaning, and the check a new value must pass."""

    name: str
    kind: type
    default: Value | None
    help: str
    check: Callable[[Value], Value]


SCHEMA: dict[str, Key] = {
    k.name: k
    for k in (
        Key("general.default_currency", str, "USD", "ISO 4217 code for new deals", _currency),
        Key("general.date_format", str, "%Y-%m-%d", "how dates are shown (strftime)", _date_format),
        Key("general.week_start", str, "monday", "first day of the week", _weekday),
        Key("pipeline.stale_days", int, 14, "stale threshold for new stages (days)", _days),
        Key("reminders.channels", list, ["stdout"], "where reminders go", _channels),
        Key("reminders.all_day_at", str, "09:00", "when all-day follow-ups fall due", _time_of_day),
        Key("reminders.email_to", list, None, "addresses for email reminders", _emails),
        Key("reminders.email_from", str, None, "sender of email reminders", _email),
        Key("reminders.sendmail", str, None, "local sendmail program for email", _text),
        Key("reminders.smtp_host", str, None, "SMTP server for email reminders", _text),
        Key("reminders.smtp_port", int, 25, "SMTP port", _port),
        Key("reminders.smtp_starttls", bool, False, "use STARTTLS with SMTP", _flag),
        Key("reminders.smtp_user", str, None, "SMTP login", _text),
        Key("reminders.smtp_password", str, None, "SMTP password", _text),
        Key(
            "reminders.smtp_password_command",
            str,
            None,
            "command whose first output line is the SMTP password",
            _text,
        ),
        Key("reminders.command", str, None, "command run with each reminder", _text),
        Key("deals.won_follow_up_days", int, 0, "follow up N days after a win (0: no)", _days),
        Key("deals.lost_reasons", list, [], "suggested reasons for lost deals", _reasons),
        Key("server.mode", str, "auto", "the command server: auto, on or off", _server_mode),
        Key("server.idle_minutes", int, 5, "the command server exits after this", _minutes),
    )
}


@dataclass(frozen=True)
class Settings:
    """The seller's preferences; every field has a working default."""

    default_currency: str = "USD"
    date_format: str = "%Y-%m-%d"
    week_start: str = "monday"
    raw: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        """Return the value of a dotted key (e.g. 'reminders.channels'), or its default."""
        known = known_key(key)
        section, _, name = key.partition(".")
        table = self.raw.get(section)
        if isinstance(table, dict) and name in table:
            return table[name]
        return known.default


def known_key(key: str) -> Key:
    """Return the schema entry of `key`, or raise NotFoundError with the known keys."""
    found = SCHEMA.get(key.strip().lower())
    if found is None:
        raise NotFoundError(
            f"no setting called {key!r}", hint=f"settings: {', '.join(sorted(SCHEMA))}"
        )
    return found


SECRET_WORDS = ("password", "secret", "token")
MASK = "***"


def is_secret(key: str) -> bool:
    """Tell whether a setting holds a secret (its name says password, secret or token)."""
    return any(word in key.lower() for word in SECRET_WORDS)


def shown(key: str, value: Any) -> Any:
    """Return the value to show for `key`: a secret that is set shows as ***."""
    return MASK if is_secret(key) and value not in (None, "") else value


def check(key: str, value: Value) -> Value:
    """Return `value` checked and normalised for `key`, or raise ValidationError saying why
    (a secret's value is never repeated)."""
    known = known_key(key)
    if is_secret(known.name):
        try:
            return _check(known, value)
        except ValidationError as exc:
            raise ValidationError(
                exc.message.replace(repr(value), MASK).replace(repr([value]), MASK), exc.hint
            ) from None
    return _check(known, value)


def _check(known: Key, value: Value) -> Value:
    if known.kind is list and isinstance(value, str):
        value = [value]  # a single item may be written without brackets
    if known.kind is bool and not isinstance(value, bool):
        raise ValidationError(f"{known.name} must be true or false, not {value!r}")
    if known.kind is list and not isinstance(value, list):
        raise ValidationError(f"{known.name} must be a list, not {value!r}", hint="use a,b,c")
    if known.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(
            f"{known.name} must be a whole number, not {value!r}", hint="write digits, e.g. 14"
        )
    if known.kind is str and not isinstance(value, str):
        raise ValidationError(f"{known.name} must be text, not {value!r}", hint="quote it")
    try:
        return known.check(value)
    except ValueError as exc:
        raise ValidationError(f"bad value for {known.name}: {value!r}", hint=f"use {exc}") from None


def parse(key: str, text: str) -> Value:
    """Read what a person typed for `key` (a list as 'a,b,c'; a number as digits) and check it."""
    known = known_key(key)
    value: Value
    if known.kind is list:
        value = [part.strip() for part in text.split(",") if part.strip()]
    elif known.kind is bool:
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            raise ValidationError(f"{known.name} must be true or false, not {text!r}")
        value = lowered in ("true", "yes", "on", "1")
    elif known.kind is int:
        if not re.fullmatch(r"[+-]?\d+", text.strip()):
            raise ValidationError(
                f"{known.name} must be a whole number, not {text!r}", hint="write digits, e.g. 14"
            )
        value = int(text)
    else:
        value = text
    return check(known.name, value)


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


def _checked(data: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """Return the file's data with known keys checked and normalised; unknown keys kept."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for key in SCHEMA:
        section, _, name = key.partition(".")
        table = out.get(section)
        if not isinstance(table, dict) or name not in table:
            continue
        try:
            table[name] = check(key, table[name])
        except ValidationError as exc:
            from tinycrm import paths

            reason = f" ({exc.hint})" if exc.hint else ""
            raise ValidationError(
                f"{path or paths.config_file()}: {exc.message}{reason}",
                hint=f"fix it with crm config set {key} VALUE, or crm config unset {key}",
            ) from None
    return out


def load(path: Path | None = None) -> Settings:
    """Read config.toml (a missing file means defaults); refuse a file that is not TOML or
    that holds a value a known setting cannot take."""
    data = _checked(read(path), path)
    general = data.get("general", {}) if isinstance(data.get("general"), dict) else {}
    return Settings(
        default_currency=str(general.get("default_currency", "USD")),
        date_format=str(general.get("date_format", "%Y-%m-%d")),
        week_start=str(general.get("week_start", "monday")),
        raw=data,
    )


def set_value(key: str, text: str, path: Path | None = None) -> Value:
    """Check and store a setting in config.toml; return the stored value."""
    known = known_key(key)
    value = parse(known.name, text)
    data = read(path)
    section, _, name = known.name.partition(".")
    table = data.setdefault(section, {})
    if not isinstance(table, dict):
        raise ValidationError(f"[{section}] in the config file is not a table")
    table[name] = value
    write(data, path)
    return value


def unset(key: str, path: Path | None = None) -> bool:
    """Remove a setting from config.toml (it falls back to its default); True if it was set."""
    known = known_key(key)
    data = read(path)
    section, _, name = known.name.partition(".")
    table = data.get(section)
    if not isinstance(table, dict) or name not in table:
        return False
    del table[name]
    if not table:
        del data[section]
    write(data, path)
    return True


def effective(path: Path | None = None) -> list[tuple[str, Value | None, bool]]:
    """Return every known setting as (key, value, set in the file), sorted by key."""
    settings = load(path)
    out = []
    for key in sorted(SCHEMA):
        section, _, name = key.partition(".")
        table = settings.raw.get(section)
        is_set = isinstance(table, dict) and name in table
        out.append((key, settings.get(key), is_set))
    return out


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


def dumps(data: dict[str, Any]) -> str:
    """Render a dict of tables (values: str, int, bool, lists of them) as TOML."""
    lines = ["# tinycrm settings; edit with `crm config set KEY VALUE`."]
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for key, value in top.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for section, table in data.items():
        if not isinstance(table, dict):
            continue
        if any(isinstance(v, dict) for v in table.values()):
            raise ValidationError(f"[{section}] has nested tables, which tinycrm does not write")
        lines.append("")
        lines.append(f"[{_toml_key(section)}]")
        for key, value in table.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
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
