"""The user's crontab lines for `crm remind`: built and merged as pure text, then read and
written through the `crontab` program. Only lines carrying tinycrm's marker are touched."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from tinycrm.errors import StorageError, ValidationError

MARKER = "# tinycrm:"
REMIND = "remind"
DIGEST = "digest"


def every_minutes(text: str) -> int:
    """Read how often to run: '15m', '5min', '1h', '2h', '30' (minutes)."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hours?)?\s*", text.lower())
    if found is None:
        raise ValidationError(f"cannot read the interval {text!r}", hint="e.g. 15m, 5m, 1h")
    minutes = int(found.group(1)) * (60 if (found.group(2) or "m").startswith("h") else 1)
    if minutes < 1 or minutes > 24 * 60:
        raise ValidationError(f"the interval {text!r} is out of range", hint="1m to 24h")
    if minutes < 60 and 60 % minutes:
        raise ValidationError(
            f"cron cannot run every {minutes} minutes evenly",
            hint="use a divisor of 60: 1m, 2m, 5m, 10m, 15m, 20m, 30m",
        )
    if minutes >= 60 and (minutes % 60 or 24 % (minutes // 60)):
        raise ValidationError(
            f"cron cannot run every {minutes} minutes evenly",
            hint="use whole hours that divide a day: 1h, 2h, 3h, 4h, 6h, 8h, 12h",
        )
    return minutes


def schedule(minutes: int) -> str:
    """Return the cron schedule fields for 'every `minutes` minutes'."""
    if minutes == 1:
        return "* * * * *"
    if minutes < 60:
        return f"*/{minutes} * * * *"
    hours = minutes // 60
    return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"


def digest_time(text: str) -> time:
    """Read the digest's time of day ('08:00', '8:30')."""
    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValidationError(f"cannot read the time {text!r}", hint="e.g. 08:00")
    return time(int(found.group(1)), int(found.group(2)))


def _arg(value: str | Path) -> str:
    # cron turns an unescaped % into a newline
    return shlex.quote(str(value)).replace("%", "\\%")


# The variables that decide where tinycrm finds its database and config.toml: a cron line
# sets each one the installing shell had, since cron starts with almost no environment.
LOCATION_VARIABLES = ("TINYCRM_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")


def locations(environ: Mapping[str, str], login_home: str | None = None) -> dict[str, str]:
    """Return the assignments a cron line needs to find what this shell finds: the location
    variables that are set (as absolute paths), and HOME when it is not the login's home
    (cron's) and the folders depend on it."""
    out: dict[str, str] = {}
    home = environ.get("HOME")
    found = {n: environ[n] for n in LOCATION_VARIABLES if environ.get(n)}
    needs_home = "TINYCRM_HOME" not in found and not (
        "XDG_CONFIG_HOME" in found and "XDG_DATA_HOME" in found
    )
    if home and login_home and needs_home and Path(home) != Path(login_home):
        out["HOME"] = str(Path(home).absolute())
    for name, value in found.items():
        out[name] = str(Path(value).expanduser().absolute())
    return out


def _command(program: Sequence[str], db: Path, env: Mapping[str, str] | None) -> str:
    assignments = "".join(f"{name}={_arg(value)} " for name, value in (env or {}).items())
    return assignments + " ".join(_arg(part) for part in program) + f" --db {_arg(db)}"


def remind_line(
    program: Sequence[str], db: Path, minutes: int, env: Mapping[str, str] | None = None
) -> str:
    """Return the crontab line that runs `crm remind` every `minutes` minutes, with the
    assignments `env` (see `locations`) before it."""
    return f"{schedule(minutes)} {_command(program, db, env)} remind {MARKER}{REMIND}"


def digest_line(
    program: Sequence[str], db: Path, at: time, env: Mapping[str, str] | None = None
) -> str:
    """Return the crontab line that prints the day's agenda every day at `at`."""
    command = _command(program, db, env)
    return f"{at.minute} {at.hour} * * * {command} remind --digest {MARKER}{DIGEST}"


def is_ours(line: str) -> bool:
    """Tell whether a crontab line is one tinycrm wrote."""
    return bool(re.search(rf"{re.escape(MARKER)}({REMIND}|{DIGEST})\s*$", line))


def ours(text: str) -> list[str]:
    """Return tinycrm's lines of a crontab."""
    return [line for line in text.splitlines() if is_ours(line)]


def merge(text: str, lines: list[str]) -> str:
    """Return the crontab with tinycrm's lines replaced by `lines`; other lines kept as they are."""
    kept = [line for line in text.splitlines() if not is_ours(line)]
    merged = kept + lines
    return "\n".join(merged) + "\n" if merged else ""


def remove(text: str) -> str:
    """Return the crontab without tinycrm's lines."""
    return merge(text, [])


@dataclass(frozen=True)
class Crontab:
    """The `crontab` program, for reading and replacing the user's crontab."""

    program: str

    @classmethod
    def find(cls) -> Crontab:
        """Locate `crontab`, or raise StorageError saying how to get it."""
        found = shutil.which("crontab")
        if found is None:
            raise StorageError(
                "the crontab program is not installed",
                hint="install cron (e.g. apt-get install cron), or see docs/reminders.md",
            )
        return cls(found)

    def read(self) -> str:
        """Return the current crontab ('' when the user has none)."""
        done = subprocess.run([self.program, "-l"], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            if "no crontab" in done.stderr.lower():
                return ""
            raise StorageError(f"crontab -l failed: {done.stderr.strip()}")
        return done.stdout

    def write(self, text: str) -> None:
        """Replace the crontab with `text`."""
        done = subprocess.run(
            [self.program, "-"], input=text, capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise StorageError(f"crontab - failed: {done.stderr.strip()}")
