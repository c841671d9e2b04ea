"""Run snippets each in a process of its own and report what each one loaded.

Run as a script (`python tests/importprobe.py`, so that nothing but the standard library is
loaded before the snippets run) with a JSON object on stdin:
`{"pristine": [code, ...], "preload": [module, ...], "warm": [code, ...]}`. Each snippet runs
in a child forked from this interpreter: the `pristine` ones while it has loaded only the
standard library, the `warm` ones after it has imported the `preload` modules too (so a child
does not import a large library again). A forked child starts from its parent's modules and no
others, so each snippet runs as if alone in a fresh interpreter, for the price of one start.

Prints a JSON object: under `"pristine"` and `"warm"`, for each snippet in order, the modules
outside the standard library it had loaded when it ended, what it printed, and the traceback
if it failed; under `"preload"` what the parent had loaded before forking the warm children.
In a snippet, `crm("--help")` runs the command line with those arguments (its exit is caught),
and `crm(complete="crm pipeline ")` asks it for the bash completions of a partly typed line.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import traceback
from typing import Any

# What the interpreter loaded on its own before this script ran (the hooks of .pth files).
AT_START = frozenset(sys.modules)


def outside_the_standard_library() -> list[str]:
    """The loaded modules that are not the standard library's, nor loaded at start."""
    return sorted(
        name
        for name in sys.modules
        if name.split(".")[0] not in sys.stdlib_module_names and name not in AT_START
    )


def crm(*args: str, complete: str | None = None) -> None:
    """Run `crm ARGS` in this process as the installed script would, catching its exit."""
    if complete is not None:
        words = complete.split(" ")
        os.environ.update(
            _CRM_COMPLETE="complete_bash", COMP_WORDS=complete, COMP_CWORD=str(len(words) - 1)
        )
    sys.argv = ["crm", *args]
    cli = importlib.import_module("tinycrm.cli")
    with contextlib.suppress(SystemExit):
        cli.main()


def run_alone(code: str) -> dict[str, Any]:
    """Run `code` in a forked child; return what it loaded, printed, and how it failed."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        printed = io.StringIO()
        failure = None
        try:
            with contextlib.redirect_stdout(printed):
                exec(code, {"crm": crm})
        except BaseException:
            failure = traceback.format_exc()
        report = {"loaded": outside_the_standard_library(), "printed": printed.getvalue(),
                  "failure": failure}  # fmt: skip
        with os.fdopen(write_end, "w") as out:
            json.dump(report, out)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    result: dict[str, Any] = json.loads(text)
    return result


def main() -> None:
    plan = json.load(sys.stdin)
    pristine = [run_alone(code) for code in plan["pristine"]]
    for module in plan["preload"]:
        importlib.import_module(module)
    preloaded = outside_the_standard_library()
    warm = [run_alone(code) for code in plan["warm"]]
    json.dump({"pristine": pristine, "warm": warm, "preload": preloaded}, sys.stdout)


if __name__ == "__main__":
    main()
