"""Reading import files: the bytes, their encoding, and refusing what is not text."""

from __future__ import annotations

import codecs
from pathlib import Path

from tinycrm.errors import NotFoundError, ValidationError


def read_bytes(path: Path) -> bytes:
    """Return a file's bytes, or raise NotFoundError / ValidationError with the reason."""
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
