"""Running one hook command: through /bin/sh, its input from a file, stopped when it runs
too long. What tinycrm runs and when is decided by core.hookevents; this only runs it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

# At most this much of what a failed command wrote to its standard error is quoted.
QUOTED = 200


def run(command: str, stdin: bytes, env: Mapping[str, str], timeout: float) -> str | None:
    """Run `command` with `/bin/sh -c`, `stdin` as its standard input; return None when it
    succeeded, else why it failed, in a few words ("exit 2: no route to host").

    Its standard output is thrown away and its standard error kept in a file, so that a
    program it leaves running in the background (a browser, a calendar) holds no pipe that
    tinycrm would wait on. One that outlives `timeout` is killed with its process group."""
    import signal
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as errors:
        given.write(stdin)
        given.seek(0)
        try:
            process = subprocess.Popen(
                ["/bin/sh", "-c", command],
                stdin=given,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=dict(env),
                start_new_session=True,
            )
        except OSError as exc:
            return f"cannot start /bin/sh ({exc.strerror or exc})"
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return f"timed out after {timeout:g} s and was stopped"
        except BaseException:  # Ctrl-C, a signal: the hook does not outlive its command
            _stop(process)
            raise
        if code == 0:
            return None
        errors.seek(0)
        said = _last_line(errors.read())
        if code == 127:
            reason = "not found"
        elif code < 0:
            reason = f"killed by {signal.Signals(-code).name}"
        else:
            reason = f"exit {code}"
        return f"{reason}: {said}" if said and code != 127 else reason


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill a hook and what it started in its process group, and reap it."""
    import contextlib
    import os
    import signal

    with contextlib.suppress(ProcessLookupError):  # it ended just now
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _last_line(written: bytes) -> str:
    """The last line a command wrote, as one short line of visible text."""
    from tinycrm.domain.text import visible

    lines = [line.strip() for line in written.decode(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    shown = visible(lines[-1])
    return shown if len(shown) <= QUOTED else shown[: QUOTED - 1] + "…"
