"""Reading import files: the bytes, their encoding, and refusing what is not text."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path, PosixPath

from tinycrm.errors import NotFoundError, ValidationError


class StdinPath(PosixPath):
    """The file `-`: standard input. Named "stdin" in messages and summaries; never a folder."""

    @property
    def name(self) -> str:
        """What messages call it."""
        return "stdin"

    def is_dir(self) -> bool:
        """Standard input is one file."""
        return False


def given(path: Path) -> Path:
    """Return the file an import was given: `-` means standard input."""
    return StdinPath("-") if str(path) == "-" else path


def read_bytes(path: Path) -> bytes:
    """Return a file's bytes (standard input's, for `-`), or raise NotFoundError /
    ValidationError with the reason."""
    if isinstance(path, StdinPath):
        if sys.stdin is None or sys.stdin.isatty():
            raise ValidationError(
                "- reads the file from standard input, but nothing is piped into it",
                hint="pipe a file in (crm import csv - < contacts.csv), or name the file",
            )
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no file {path}") from None
    except IsADirectoryError:
        raise ValidationError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from None


def decode(data: bytes, name: str) -> str:
    """Decode text as UTF-8 (with or without BOM), UTF-16 (with BOM), or cp1252.

    A file with NUL bytes outside UTF-16, or bytes that are no text in any of these, is refused:
    it is binary, not an export.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationError(
            f"{name} looks like a spreadsheet (an Excel workbook, or another zip or Office"
            " file), not text; nothing was imported",
            hint="save it from the spreadsheet as CSV (CSV UTF-8), then import that file",
        )
    if b"\x00" in data:
        raise _binary(name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _strict(data, "cp1252", name)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(2, len(text) // 1000):
        raise _binary(name)
    return text


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise _binary(name) from None
    return text.removeprefix("\ufeff")


def _binary(name: str) -> ValidationError:
    return ValidationError(
        f"{name} is not a text file (binary data or an unknown encoding); nothing was imported",
        hint="export the file again as CSV, vCard or JSON in UTF-8, UTF-16 or Windows-1252",
    )


def read_text(path: Path) -> str:
    """Read and decode a text file to import."""
    return decode(read_bytes(path), path.name)


# What a file holds, by its first characters, and the command that reads it.
_READERS = {
    "csv": ("a CSV file", "crm import csv {file}"),
    "vcard": ("a vCard file (contacts)", "crm import vcard {file}"),
    "tinycrm": ("a tinycrm JSON export", "crm --db NEW.db import json {file}"),
    "json": ("JSON (not a tinycrm export)", None),
    "icalendar": ("an iCalendar file (events or to-dos)", None),
}


def looks_like(text: str) -> str | None:
    """Name what a text holds by its start: csv, vcard, icalendar, tinycrm (a tinycrm JSON
    export), json, or None when it is none of these."""
    import json

    head = text.lstrip("\ufeff \t\r\n")
    first = head.split("\n", 1)[0].strip().upper()
    if first.startswith("BEGIN:VCARD"):
        return "vcard"
    if first.startswith("BEGIN:VCALENDAR"):
        return "icalendar"
    if head.startswith(("{", "[")):
        try:
            data = json.loads(head)
        except ValueError:
            data = None
        if data is not None:
            return (
                "tinycrm" if isinstance(data, dict) and data.get("format") == "tinycrm" else "json"
            )
    lines = head.splitlines()[:2]  # a header and a row, split alike
    if len(lines) == 2 and any(d in lines[0] and d in lines[1] for d in ",;\t"):
        return "csv"
    return None


def refuse_other_type(text: str, name: str, expected: str, file: str | None = None) -> None:
    """Refuse a file that holds another format than `expected` (csv, vcard, tinycrm), saying
    what it looks like and the command that reads it (`file`, as typed, in that command)."""
    found = looks_like(text)
    if found is None or found == expected or (expected == "tinycrm" and found == "json"):
        return
    raise other_type(found, name, expected, file)


def other_type(found: str, name: str, expected: str, file: str | None = None) -> ValidationError:
    """Return the error for a file that holds `found` where `expected` was wanted."""
    import shlex

    what, command = _READERS[found]
    wanted = {"csv": "CSV", "vcard": "a vCard", "tinycrm": "a tinycrm export"}[expected]
    if command is not None:
        hint = "import it with: " + command.format(file=shlex.quote(file) if file else "FILE")
    elif found == "json":
        hint = "tinycrm reads JSON only as its own export (crm export json); save contacts as CSV"
    else:
        hint = "tinycrm exports follow-ups as iCalendar (crm export ical) but does not import it"
    return ValidationError(
        f"{name} looks like {what}, not {wanted}; nothing was imported", hint=hint
    )
