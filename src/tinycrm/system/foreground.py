"""Programs that take over the terminal (an editor, a pager), started where the terminal is.

In a command run by the command server, the process that owns the terminal is the `crm`
client: it is the terminal's foreground process, so an editor started by it gets the
keyboard, Ctrl-Z and /dev/tty as it would from the shell. The server's child asks it through
`channel`; everywhere else the program is started right here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

# Set in a command server's child: sends a request to the client and returns its reply.
channel: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def run(
    argv: Sequence[str], *, stdin_text: str | None = None, env: dict[str, str] | None = None
) -> int:
    """Run a program on the terminal, feeding it `stdin_text` if given; return its exit status.

    OSError when it cannot be started, as subprocess would raise it.
    """
    if channel is None:
        import subprocess

        done = subprocess.run(
            list(argv), input=stdin_text, text=stdin_text is not None, env=env, check=False
        )
        return done.returncode
    reply = channel(
        {
            "op": "system",
            "argv": list(argv),
            "input": stdin_text,
            "env": dict(os.environ) if env is None else env,
            "cwd": os.getcwd(),
        }
    )
    if "rc" not in reply:
        raise OSError(int(reply.get("errno") or 0), str(reply.get("error") or "cannot start"))
    return int(reply["rc"])
