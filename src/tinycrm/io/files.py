"""Writing export files: whole or not at all (a temporary file renamed into place)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tinycrm.errors import ValidationError


def write_file(path: Path, text: str) -> None:
    """Write `text` as UTF-8 to `path`, exactly (line endings kept), replacing it atomically."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from None
