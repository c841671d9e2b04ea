"""Settings from config.toml, read once per command into one typed, frozen object: a section
per table, each field's default written once beside its meaning and check; the schema of
known keys that `crm config get/set/unset/list` work with is built from those fields."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tinycrm.config import checks
from tinycrm.config.checks import MASK, Value, is_secret
from tinycrm.config.files import read, write
from tinycrm.config.hooks import HookSettings, check_table
from tinycrm.config.scoring import POINT_TABLES, QUALIFICATION, RULES, Rule
from tinycrm.config.scoring import Rules as Rules
from tinycrm.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_S = TypeVar("_S", bound="DataclassInstance")


def _setting(default: Any, kind: type, meaning: str, check: Callable[[Value], Value]) -> Any:
    """A field of a settings section: its default (written here only), the type a value has in
    config.toml, what it means, and the check a new value must pass."""
    return field(default=default, metadata={"kind": kind, "help": meaning, "check": check})


@dataclass(frozen=True)
class GeneralSettings:
    """[general]: how money and dates are shown."""

    default_currency: str = _setting("USD", str, "ISO 4217 code for new deals", checks.currency)
    date_format: str = _setting(
        "%Y-%m-%d", str, "how dates are shown (strftime)", checks.date_format
    )
    week_start: str = _setting("monday", str, "first day of the week", checks.weekday)


@dataclass(frozen=True)
class PipelineSettings:
    """[pipeline]: the board's defaults."""

    stale_days: int = _setting(14, int, "stale threshold for new stages (days)", checks.days)


@dataclass(frozen=True)
class ReminderSettings:
    """[reminders]: when reminders fall due and where they go (see docs/reminders.md)."""

    channels: tuple[str, ...] = _setting(("stdout",), list, "where reminders go", checks.channels)
    all_day_at: str = _setting("09:00", str, "when all-day follow-ups fall due", checks.time_of_day)
    email_to: tuple[str, ...] | None = _setting(
        None, list, "addresses for email reminders", checks.emails
    )
    email_from: str | None = _setting(None, str, "sender of email reminders", checks.email)
    sendmail: str | None = _setting(None, str, "local sendmail program for email", checks.text)
    smtp_host: str | None = _setting(None, str, "SMTP server for email reminders", checks.text)
    smtp_port: int = _setting(25, int, "SMTP port", checks.port)
    smtp_starttls: bool = _setting(False, bool, "use STARTTLS with SMTP", checks.flag)
    smtp_user: str | None = _setting(None, str, "SMTP login", checks.text)
    smtp_password: str | None = _setting(None, str, "SMTP password", checks.text)
    smtp_password_command: str | None = _setting(
        None, str, "command whose first output line is the SMTP password", checks.text
    )
    command: str | None = _setting(None, str, "command run with each reminder", checks.text)
    date_kinds: tuple[str, ...] = _setting(
        checks.DATE_KINDS, list, "kinds of contact dates reminded ([]: none)", checks.date_kinds
    )
    date_days_before: int = _setting(
        0, int, "remind of a contact date this many days before it", checks.days_ahead
    )

    @property
    def all_day_time(self) -> time:
        """The local time from which all-day items are reminded."""
        return time.fromisoformat(self.all_day_at)


@dataclass(frozen=True)
class MailSettings:
    """[mail]: the seller's own addresses (which messages are outbound when mail is
    imported) and the signature of a message written with `crm mail` (see docs/mail.md)."""

    addresses: tuple[str, ...] = _setting(
        (), list, "your own email addresses (mail from them is outbound)", checks.emails
    )
    signature: str | None = _setting(None, str, "signature of messages you write", checks.text)


@dataclass(frozen=True)
class AgendaSettings:
    """[agenda]: what the agenda (`crm agenda`, the board's agenda screen) shows of the
    contacts' kept dates: birthdays, anniversaries and other dates."""

    date_kinds: tuple[str, ...] = _setting(
        checks.DATE_KINDS, list, "kinds of contact dates shown ([]: none)", checks.date_kinds
    )
    date_days: int = _setting(
        7, int, "show contact dates this many days ahead (within --days)", checks.days_ahead
    )


@dataclass(frozen=True)
class DealSettings:
    """[deals]: what happens when a deal is won or lost."""

    won_follow_up_days: int = _setting(0, int, "follow up N days after a win (0: no)", checks.days)
    lost_reasons: tuple[str, ...] = _setting(
        (), list, "suggested reasons for lost deals", checks.reasons
    )
    close_follow_ups: str = _setting(
        "cancel", str, "a closed deal's open follow-ups: cancel or keep", checks.close_follow_ups
    )


@dataclass(frozen=True)
class ServerSettings:
    """[server]: the command server."""

    mode: str = _setting("auto", str, "the command server: auto, on or off", checks.server_mode)
    idle_minutes: int = _setting(5, int, "the command server exits after this", checks.minutes)


@dataclass(frozen=True)
class Key:
    """A known setting: its type, default, meaning, and the check a new value must pass."""

    name: str
    kind: type
    default: Value | None
    help: str
    check: Callable[[Value], Value]


SECTIONS: dict[str, type] = {
    "general": GeneralSettings,
    "pipeline": PipelineSettings,
    "reminders": ReminderSettings,
    "mail": MailSettings,
    "agenda": AgendaSettings,
    "deals": DealSettings,
    "server": ServerSettings,
    "hooks": HookSettings,
}
RULE_FIELDS = {"points": "points", "per": "per", "max": "most"}


def _field_keys() -> list[Key]:
    """The keys of the sections' fields, each default as the file would hold it."""
    out = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            default: Any = f.default
            out.append(
                Key(
                    f"{section}.{f.name}",
                    f.metadata["kind"],
                    list(default) if isinstance(default, tuple) else default,
                    f.metadata["help"],
                    f.metadata["check"],
                )
            )
    return out


def _rule_keys() -> list[Key]:
    """The keys of the counted [scoring] rules: points, per and max of each."""
    return [
        Key(
            f"scoring.{part}.{name}",
            int,
            getattr(rule, attr),
            meaning,
            checks.at_least_one if name == "per" else checks.count,
        )
        for part, (rule, *meanings) in RULES.items()
        for (name, attr), meaning in zip(RULE_FIELDS.items(), meanings, strict=True)
    ]


def _point_key(table: str, name: str) -> Key:
    """The key of one entry of a [scoring] point table (any name may be given points)."""
    what = {"lifecycle": "contacts in lifecycle", "source": "contacts from", "tags": "tag"}
    default = POINT_TABLES[table].get(name, 0)
    return Key(
        f"scoring.{table}.{name}", int, default, f"points for {what[table]} {name}", checks.points
    )


def _qualification_keys() -> list[Key]:
    """The keys of the [scoring] qualification tables: one per criterion and answer."""
    answer = {"qualified": "yes", "unqualified": "no"}
    return [
        Key(
            f"scoring.{table}.{name}",
            int,
            default,
            f"points for {name} answered {answer[table]} on the best open deal",
            checks.points,
        )
        for table, names in QUALIFICATION.items()
        for name, default in names.items()
    ]


SCHEMA: dict[str, Key] = {
    k.name: k
    for k in (
        *_field_keys(),
        *_rule_keys(),
        *_qualification_keys(),
        *(_point_key(table, name) for table, names in POINT_TABLES.items() for name in names),
    )
}


def _path(key: str) -> list[str]:
    """Split a dotted key into its tables and name ('scoring.tags.vip' -> 3 parts)."""
    return key.split(".", 2) if key.startswith("scoring.") else key.split(".", 1)


@dataclass(frozen=True)
class Settings:
    """The seller's preferences, one typed section per table of config.toml; every field has a
    working default."""

    general: GeneralSettings = GeneralSettings()
    pipeline: PipelineSettings = PipelineSettings()
    reminders: ReminderSettings = ReminderSettings()
    mail: MailSettings = MailSettings()
    agenda: AgendaSettings = AgendaSettings()
    deals: DealSettings = DealSettings()
    scoring: Rules = field(default_factory=Rules)
    server: ServerSettings = ServerSettings()
    hooks: HookSettings = field(default_factory=HookSettings)

    def get(self, key: str) -> Any:
        """Return the value of a dotted key (e.g. 'reminders.channels'), or its default."""
        parts = _path(known_key(key).name)
        if parts[0] == "scoring":
            part = getattr(self.scoring, parts[1])
            if isinstance(part, Rule):
                return getattr(part, RULE_FIELDS[parts[2]])
            return part.get(parts[2], 0)
        value = getattr(getattr(self, parts[0]), parts[1])
        return list(value) if isinstance(value, tuple) else value


def known_key(key: str) -> Key:
    """Return the schema entry of `key`, or raise NotFoundError with the known keys."""
    name = key.strip().lower()
    found = SCHEMA.get(name)
    if found is None:
        parts = _path(name)
        if len(parts) == 3 and parts[0] == "scoring" and parts[1] in POINT_TABLES and parts[2]:
            return _point_key(parts[1], parts[2])
        named = [k for k in SCHEMA if _path(k)[1] not in POINT_TABLES]
        named += [f"scoring.{table}.NAME" for table in POINT_TABLES]
        raise NotFoundError(
            f"no setting called {key!r}", hint=f"settings: {', '.join(sorted(named))}"
        )
    return found


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
    if known.check is checks.commands:
        value = [text]  # one shell command, commas and all; a list is written in the file
    elif known.kind is list:
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


def _lookup(data: dict[str, Any], parts: list[str]) -> tuple[dict[str, Any] | None, str]:
    """Return the table of `data` that holds the last of `parts` (None when there is none)."""
    table: Any = data
    for part in parts[:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    return (table if isinstance(table, dict) else None), parts[-1]


def _file_keys(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Return the known keys the file's data sets, with where each is in it: the schema's, and
    every entry of the [scoring] point tables (its name as written)."""
    check_table(data.get("hooks"))
    found = [(k, _path(k)) for k in SCHEMA]
    found = [(k, p) for k, p in found if (at := _lookup(data, p))[0] is not None and at[1] in at[0]]
    scoring = data.get("scoring")
    tables = scoring if isinstance(scoring, dict) else {}
    for part in RULES:
        if not isinstance(tables.get(part, {}), dict):
            raise ValidationError(
                f"[scoring] {part} must be a table",
                hint=f"write it as [scoring.{part}] with points, per and max",
            )
    for table, names in QUALIFICATION.items():
        given = tables.get(table, {})
        unknown = sorted(set(given) - set(names)) if isinstance(given, dict) else []
        if not isinstance(given, dict) or unknown:
            raise ValidationError(
                f"[scoring] {table} must be a table of points for {', '.join(names)}"
                + (f", not {unknown[0]!r}" if unknown else ""),
                hint=f"write it like {table} = {{ budget = {names['budget']} }}",
            )
    for table in POINT_TABLES:
        given = tables.get(table, {})
        if not isinstance(given, dict):
            raise ValidationError(
                f"[scoring] {table} must be a table of points",
                hint=f"write it like {table} = {{ {next(iter(POINT_TABLES[table]))} = 10 }}",
            )
        found += [
            (f"scoring.{table}.{name.lower()}", ["scoring", table, name])
            for name in given
            if f"scoring.{table}.{name.lower()}" not in SCHEMA or name != name.lower()
        ]
    return found


def _checked(data: dict[str, Any], path: Path | None) -> tuple[dict[str, Any], set[str]]:
    """Return the file's data with known keys checked and normalised (unknown keys kept), and
    the known keys it sets."""
    from tinycrm import paths

    out = copy.deepcopy(data)
    try:
        found = _file_keys(out)
    except ValidationError as exc:
        raise ValidationError(f"{path or paths.config_file()}: {exc.message}", exc.hint) from None
    for key, parts in found:
        table, name = _lookup(out, parts)
        assert table is not None
        try:
            table[name] = check(key, table[name])
        except ValidationError as exc:
            reason = f" ({exc.hint})" if exc.hint else ""
            raise ValidationError(
                f"{path or paths.config_file()}: {exc.message}{reason}",
                hint=f"fix it with crm config set {key} VALUE, or crm config unset {key}",
            ) from None
    return out, {key for key, _ in found}


def _section(cls: type[_S], table: Any) -> _S:
    """Build one typed section from its checked table (lists become tuples)."""
    given = table if isinstance(table, dict) else {}
    values = {
        f.name: tuple(given[f.name]) if isinstance(given[f.name], list) else given[f.name]
        for f in fields(cls)
        if f.name in given
    }
    return cls(**values)


def _rules(table: Any) -> Rules:
    """Build the [scoring] rules from its checked table; what is missing keeps its default."""
    given = table if isinstance(table, dict) else {}
    points = {
        table: {**POINT_TABLES[table], **{k.lower(): v for k, v in given.get(table, {}).items()}}
        for table in POINT_TABLES
    }
    answers = {
        table: {**defaults, **given.get(table, {})} for table, defaults in QUALIFICATION.items()
    }
    counted = {}
    for part, (default, *_) in RULES.items():
        rule = given.get(part)
        rule = rule if isinstance(rule, dict) else {}
        counted[part] = Rule(
            **{attr: rule.get(name, getattr(default, attr)) for name, attr in RULE_FIELDS.items()}
        )
    return Rules(
        lifecycle=points["lifecycle"],
        source=points["source"],
        tags=points["tags"],
        qualified=answers["qualified"],
        unqualified=answers["unqualified"],
        interactions=counted["interactions"],
        open_deals=counted["open_deals"],
        decay=counted["decay"],
    )


def load(path: Path | None = None) -> Settings:
    """Read config.toml (a missing file means defaults); refuse a file that is not TOML or
    that holds a value a known setting cannot take."""
    data, _ = _checked(read(path), path)
    return _settings(data)


def _settings(data: dict[str, Any]) -> Settings:
    return Settings(
        **{section: _section(cls, data.get(section)) for section, cls in SECTIONS.items()},
        scoring=_rules(data.get("scoring")),
    )


def set_value(key: str, text: str, path: Path | None = None) -> Value:
    """Check and store a setting in config.toml; return the stored value."""
    known = known_key(key)
    value = parse(known.name, text)
    data = read(path)
    table: Any = data
    *tables, name = _path(known.name)
    for depth, part in enumerate(tables):
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ValidationError(
                f"[{'.'.join(tables[: depth + 1])}] in the config file is not a table"
            )
    table[name] = value
    write(data, path)
    return value


def unset(key: str, path: Path | None = None) -> bool:
    """Remove a setting from config.toml (it falls back to its default); True if it was set.
    Tables left empty are removed with it."""
    known = known_key(key)
    data = read(path)
    parts = _path(known.name)
    table, name = _lookup(data, parts)
    if table is None or name not in table:
        return False
    del table[name]
    for depth in range(len(parts) - 1, 0, -1):
        parent, part = _lookup(data, parts[:depth])
        if parent is not None and parent.get(part) == {}:
            del parent[part]
    write(data, path)
    return True


def effective(path: Path | None = None) -> list[tuple[Key, Value | None, bool]]:
    """Return every known setting as (key, value, set in the file), sorted by key: the
    schema's, and the [scoring] point-table entries the file names."""
    data, given = _checked(read(path), path)
    settings = _settings(data)
    keys = sorted({*SCHEMA, *given})
    return [(known_key(k), settings.get(k), k in given) for k in keys]
