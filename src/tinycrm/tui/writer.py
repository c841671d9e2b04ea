"""The board's one writer: changes run off the UI thread, one at a time, in the order asked.

A key press turns into a Job that names its target (a deal id captured when the key was
handled) and is queued here; the thread runs each in its own transaction (one undo step) and
hands the outcome back to the UI. Before each write it checks that the path still names the
file the board opened (a restored backup or a `mv` replaces it; it may be deleted); while
another crm holds the write lock it tells the UI it is waiting.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tinycrm.errors import StorageError, TinyCrmError
from tinycrm.store.files import is_busy

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.tui.app import CrmApp

SHOWN_WAIT_S = 0.25  # the longest a change shown ahead waits for the screen to be drawn
BUSY = "could not save: the database is busy; nothing was changed"
GONE = "could not save: the database file {path} was deleted or moved; nothing was saved"


@dataclass
class Job:
    """One change asked for on the board.

    `change(session, now)` makes it (the services it calls name it in the history, as for
    `crm`); `done(result)` runs on the UI thread after the commit; `refused(error)` when the
    core refused it (default: a notification); `revert()` puts back what the board showed
    before the change landed, when it could not be saved at all. A change the board shows
    before it is saved (one with a `revert`) is saved once that is drawn: `shown` is set
    then, so the save does not take the interpreter from the drawing of it."""

    change: Callable[[Session, datetime], Any] | None
    deal_id: int | None = None
    done: Callable[[Any], None] | None = None
    refused: Callable[[TinyCrmError], None] | None = None
    revert: Callable[[], None] | None = None
    shown: threading.Event | None = None


class Writer:
    """A thread that runs the board's jobs in order; the UI never waits for it."""

    def __init__(self, app: CrmApp) -> None:
        self.app = app
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tinycrm-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue a job (it runs after every job queued before it)."""
        self._queue.put(job)

    def stop(self, timeout: float) -> None:
        """Let the queued jobs finish (for at most `timeout` seconds), then end the thread."""
        self._stopping.set()  # a board closing draws nothing more: no job waits to be shown
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is not None and job.shown is not None:
                self._wait_shown(job.shown)
            if job is None or not self._do(job):
                return

    def _wait_shown(self, shown: threading.Event) -> None:
        """Wait until the change is drawn (at most SHOWN_WAIT_S), or the board closes."""
        deadline = time.monotonic() + SHOWN_WAIT_S
        while not shown.wait(0.01) and not self._stopping.is_set():
            if time.monotonic() > deadline:
                return

    def _do(self, job: Job) -> bool:
        """Run one job; return False when the thread should end."""
        app = self.app
        waited = False
        try:
            state = app.file_state()
            if state == "gone":
                return self._fail_all(job, GONE.format(path=app.db.path), gone=True)
            if state == "replaced":
                self._reopen()
            if job.change is None:
                app.post(app.write_done, job, None)
                return True
            waited = self.app.db.locked()
            if waited:
                app.post(app.set_waiting, True)
            now = app.now()
            with app.db.transaction(origin="tui", now=now) as session:
                result = job.change(session, now)
        except TinyCrmError as error:
            app.post(app.write_refused, job, error)
        except Exception as error:
            if is_busy(error):
                return self._fail_all(job, BUSY)
            app.post(app.write_failed, [job], f"could not save: {error}; nothing was changed")
        else:
            app.post(app.write_done, job, result)
        finally:
            if waited:
                app.post(app.set_waiting, False)
        return True

    def _fail_all(self, job: Job, message: str, gone: bool = False) -> bool:
        """Give up this job and every one queued after it: they were asked for on a board
        that showed what could not be saved. Return False if the thread was told to end."""
        jobs = [job]
        running = True
        while True:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                break
            if queued is None:
                running = False
                break
            jobs.append(queued)
        self.app.post(self.app.write_failed, jobs, message, gone)
        return running

    def _reopen(self) -> None:
        """The path names another file now: check it is a tinycrm database (as opening it
        would), then let the UI drop the old connections and load the new file."""
        from tinycrm.store.migrate import prepare

        # close the old file's connections first, emptying its write-ahead log (it sits
        # beside the path under the same name, and the new file would read its pages)
        dropped = threading.Event()
        self.app.post(self.app.drop_file, dropped)
        dropped.wait(10)
        try:
            prepare(self.app.db.path)
        except StorageError as error:
            raise StorageError(
                f"the database file was replaced and cannot be used: {error.message}; "
                "nothing was saved",
                hint=error.hint,
            ) from None
        switched = threading.Event()
        self.app.post(self.app.switch_file, switched)
        switched.wait(10)
