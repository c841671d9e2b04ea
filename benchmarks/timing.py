"""Timing: a measured case (several runs, a median), and calling functions by parameter name."""

from __future__ import annotations

import inspect
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measure:
    """One case at one scale: the seconds of each counted run, or why it could not run."""

    name: str
    group: str
    times: list[float] = field(default_factory=list)
    error: str | None = None
    floor: str | None = None  # the name of the floor this case is compared with
    floor_times: list[float] = field(default_factory=list)  # its own floor, when it has one
    # floors measured run by run beside the case (name -> seconds), so drift hits both alike
    paired: dict[str, list[float]] = field(default_factory=dict)
    note: str | None = None

    @property
    def median(self) -> float | None:
        """The median of the counted runs, in seconds (None when the case failed)."""
        return statistics.median(self.times) if self.times and not self.error else None

    @property
    def floor_median(self) -> float | None:
        """The median of this case's own floor, when it has one."""
        return statistics.median(self.floor_times) if self.floor_times else None

    def as_json(self) -> dict[str, Any]:
        """Describe the measure for the JSON results."""
        return {
            "name": self.name,
            "group": self.group,
            "median_ms": _ms(self.median),
            "min_ms": _ms(min(self.times)) if self.times and not self.error else None,
            "runs_ms": [_ms(t) for t in self.times],
            "error": self.error,
            "floor": self.floor,
            "floor_median_ms": _ms(self.floor_median),
            "paired_floors_ms": {
                name: _ms(statistics.median(times)) for name, times in self.paired.items() if times
            },
            "note": self.note,
        }


class Timed(float):
    """Seconds a case measured itself (a key until drawn, not the board's start around it):
    `measure` counts these instead of the time the call took."""


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def measure(
    name: str,
    group: str,
    runs: int,
    once: Callable[[int], object],
    *,
    warmup: bool = True,
    batch: int = 1,
) -> Measure:
    """Time `once(i)` for `runs` counted runs after a warm-up run; a failure ends the case.

    With `batch`, each run calls `once` that many times and counts the time per call. A call
    that returns `Timed` seconds is counted as those.
    """
    result = Measure(name, group)
    start = 0 if warmup else 1
    for i in range(start, runs + 1):
        try:
            began = time.perf_counter()
            own: float | None = None
            for _ in range(batch):
                out = once(i)
                if isinstance(out, Timed):
                    own = (own or 0.0) + out
            took = (time.perf_counter() - began if own is None else own) / batch
        except Exception as exc:
            result.error = one_line(exc)
            result.times = []
            return result
        if i > 0:
            result.times.append(took)
    return result


def one_line(exc: BaseException | str) -> str:
    """Return the first meaningful line of an error, shortened."""
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0] if text else text
    if isinstance(exc, BaseException) and not isinstance(exc, CommandFailed):
        line = f"{type(exc).__name__}: {line}"
    return line[:160]


class CommandFailed(Exception):
    """A timed command exited with an error."""


def call_with(fn: Callable[..., Any], available: dict[str, Any]) -> Any:
    """Call `fn`, passing each of its parameters from `available` by name.

    Parameters with defaults that `available` lacks are left to their defaults; a required
    one it lacks raises TypeError, so an unknown signature is reported, not guessed at.
    """
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in available:
            kwargs[param.name] = available[param.name]
        elif param.default is param.empty:
            raise TypeError(f"{fn.__name__}() needs {param.name!r}, which the benchmark lacks")
    result = fn(**kwargs)
    if inspect.isgenerator(result) or (
        hasattr(result, "__iter__") and not isinstance(result, str | bytes | dict | list | tuple)
    ):
        result = list(result)
    return result
