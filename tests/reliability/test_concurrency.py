"""Real crm processes on one file at once for ~25 s: writers, importers, reminder runs, a
mover, and the board in a terminal moving deals. Afterwards every promise is checked against
the file: each acknowledged write is there (and nothing else), each due follow-up was reminded
exactly once, no user saw a lock error, and every board key moved the deal it was meant for.

The clock is fixed (TINYCRM_NOW) for every process: a follow-up added due before it is due at
once and one due after it never is, so the set that must be reminded is known exactly, whatever
the speed of the machine.

The run happens once per module (fixture `run`); each promise is its own test, so a broken
one does not hide the others. TINYCRM_TORTURE_SECONDS sets the length (default 25).
"""

from __future__ import annotations

import csv
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import crm_program, wait_for
from tests.reliability.harness import (
    NOW,
    Crm,
    Stopwatch,
    Tmux,
    command_channel,
    delivered,
    hermetic_env,
    integrity,
    lines,
    report,
    rows,
    run_threads,
    seed_text,
    tmux_available,
    torture_seed,
)

pytestmark = [pytest.mark.torture, pytest.mark.slow]

WRITERS = 3
REMINDERS = 2
SEEDED_DUE = 150
SEEDED_LATER = 30
DUE = "2026-11-23 09:00"  # before the fixed now: due at once
LATER = "2026-12-20 09:00"  # after it: never reminded in this run
BOARD_STAGES = ["One", "Two", "Three", "Four"]
MIN_ROUNDS = 2  # rounds of board keys of each kind (paced, burst)


@dataclass
class Run:
    """What the processes were told was done, and what the file holds afterwards."""

    db: Path
    log: Path
    seed: int
    crm: Crm
    contacts: dict[int, str] = field(default_factory=dict)  # acknowledged id -> name
    deals: dict[int, str] = field(default_factory=dict)
    interactions: dict[int, str] = field(default_factory=dict)
    follow_ups_due: dict[int, str] = field(default_factory=dict)
    follow_ups_later: dict[int, str] = field(default_factory=dict)
    moves: dict[int, list[str]] = field(default_factory=dict)  # deal -> acknowledged stages
    imported: int = 0
    import_emails: set[str] = field(default_factory=set)
    board: Board | None = None
    harness_errors: list[BaseException] = field(default_factory=list)


@dataclass
class Round:
    """One round of board keys: the deal selected when they were sent, and how they were sent."""

    deal: int
    mode: str  # "paced": one key, wait for it to land, the next; "burst": three keys at once
    first_event: int
    last_event: int = 0
    intended: list[int] = field(default_factory=list)  # the selected deal as each key went
    unselected: str | None = None  # the board never showed the new deal selected
    seconds: float = 0.0  # from adding the deal to the end of the round


@dataclass
class Board:
    rounds: list[Round] = field(default_factory=list)
    screens_with_trouble: list[str] = field(default_factory=list)
    died: str | None = None
    opened_after: float = 0.0  # seconds from start to the first screen with deals
    exit_code: str | None = None
    skipped: str | None = None


def seed_world(db: Path, crm: Crm) -> tuple[dict[int, str], dict[int, str], list[int]]:
    """The starting file: a board pipeline with bystander deals, and follow-ups due and not."""
    from tinycrm.core import contacts, followups, open_db
    from tinycrm.domain import dates

    assert crm("pipeline", "create", "Board", "--stages", ",".join(BOARD_STAGES)).code == 0
    bystanders = []
    for i, stage in enumerate(["two", "two", "two", "three", "three", "three"]):
        made = crm("add", "deal", f"Bystander {i}", "--pipeline", "board", "--stage", stage)
        deal = made.found(r"deal #(\d+)")
        assert deal is not None, made.err
        bystanders.append(deal)
    now = datetime.fromisoformat(NOW)
    due: dict[int, str] = {}
    later: dict[int, str] = {}
    database = open_db(db)
    try:
        with database.transaction(summary="seed", now=now) as session:
            person = contacts.add_contact(session, "Seed Person", now=now, emails=["s@seed.test"])
            for i in range(SEEDED_DUE + SEEDED_LATER):
                title = f"seeded {i}"
                when = dates.parse_when(DUE if i < SEEDED_DUE else LATER, now, UTC)
                fu = followups.add_follow_up(session, title, when, now=now, contact=person)
                session.flush()
                assert fu.id is not None
                (due if i < SEEDED_DUE else later)[fu.id] = title
    finally:
        database.dispose()
    return due, later, bystanders


def writer(run: Run, clock: Stopwatch, number: int) -> Callable[[], None]:
    """Add a contact, a deal, an interaction and a follow-up, and move the deal, again and
    again; remember what each process acknowledged (exit 0 and the id printed)."""

    def body() -> None:
        crm, n = run.crm, 0
        while clock.running():
            n += 1
            name, email = f"Writer{number} Person{n}", f"w{number}.{n}@load.test"
            contact = crm("add", "contact", name, "--email", email).found(r"contact #(\d+)")
            if contact is None:
                continue
            run.contacts[contact] = name
            title = f"Writer{number} Deal{n}"
            deal = crm("add", "deal", title, "--contact", email).found(r"deal #(\d+)")
            if deal is not None:
                run.deals[deal] = title
                run.moves[deal] = []
            summary = f"call {number}.{n}"
            done = crm("log", email, "call", summary).found(r"interaction #(\d+)")
            if done is not None:
                run.interactions[done] = summary
            late = n % 4 == 0
            fu_title = f"follow up {number}.{n}"
            fu = crm("follow-up", email, fu_title, "--due", LATER if late else DUE)
            fu_id = fu.found(r"Follow-up #(\d+)")
            if fu_id is not None:
                (run.follow_ups_later if late else run.follow_ups_due)[fu_id] = fu_title
            if deal is not None:
                for stage in ("Qualifying", "Presenting")[: 1 + n % 2]:
                    if crm("move", f"#{deal}", stage.lower()).found(r"deal #(\d+)") == deal:
                        run.moves[deal].append(stage)

    return body


def importer(run: Run, clock: Stopwatch, folder: Path) -> Callable[[], None]:
    """Import a CSV of 100 new people now and then (one long write transaction each)."""

    def body() -> None:
        k = 0
        while clock.running():
            k += 1
            path = folder / f"batch{k}.csv"
            emails = [f"imp{k}.{i}@import.test" for i in range(100)]
            with path.open("w", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(["Name", "Email"])
                out.writerows([f"Imported{k} Person{i}", e] for i, e in enumerate(emails))
            created = run.crm("import", "csv", str(path)).found(r"(\d+) created")
            if created is not None:
                run.imported += created
                run.import_emails.update(emails)
            time.sleep(1.0)

    return body


def reminder(run: Run, clock: Stopwatch) -> Callable[[], None]:
    def body() -> None:
        while clock.running():
            run.crm("remind")
            time.sleep(0.2)

    return body


def mover(run: Run, clock: Stopwatch, bystanders: list[int]) -> Callable[[], None]:
    """Move the board pipeline's other deals between Two and Three behind the board's back
    (the board reloads under the seller's cursor)."""

    def body() -> None:
        rng = random.Random(run.seed)
        while clock.running():
            deal = rng.choice(bystanders)
            stage = stage_of(run.db, deal)
            target = "three" if stage == "Two" else "two"
            moved = run.crm("move", f"#{deal}", target).found(r"deal #(\d+)")
            if moved == deal:
                run.moves.setdefault(deal, []).append(target.title())
            time.sleep(0.3)

    return body


def stage_of(db: Path, deal: int) -> str | None:
    found = rows(
        db, "SELECT s.name FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = ?", deal
    )
    return found[0][0] if found else None


SGR = re.compile(r"\x1b\[([0-9;]*)m")
CARD = re.compile(r"^ #(\d+) ")


def selected_card(screen: str) -> int | None:
    """The id of the card drawn highlighted (the selected deal of the focused column), read
    from a capture with escapes: the one card whose background is not the columns' own (the
    background the column rules are drawn on)."""
    cards: list[tuple[str, int]] = []
    rules: Counter[str] = Counter()
    background = ""  # the terminal keeps it from line to line until it is changed
    for line in screen.splitlines():
        at = 0
        for match in [*SGR.finditer(line), None]:
            text = line[at : match.start() if match else len(line)]
            rules[background] += text.count("│")
            card = CARD.match(text)
            if card:
                cards.append((background, int(card.group(1))))
            if match is None:
                break
            at = match.end()
            codes = match.group(1).split(";")
            if codes in (["0"], [""]) or "49" in codes:
                background = ""
            elif "48" in codes:
                i = codes.index("48")
                background = ";".join(codes[i : i + 3])
    usual = rules.most_common(1)[0][0] if rules else ""
    marked = {deal for background, deal in cards if background != usual}
    return marked.pop() if len(marked) == 1 else None


def in_stage(db: Path, deal: int, stage: str) -> Callable[[], bool]:
    return lambda: stage_of(db, deal) == stage


def last_event(db: Path) -> int:
    return int(rows(db, "SELECT coalesce(max(id), 0) FROM event")[0][0])


def board_player(run: Run, clock: Stopwatch, tmux: Tmux, home: Path) -> Callable[[], None]:
    """Open the board on the Board pipeline in tmux; each round adds a deal to its first
    column (then the only card there), moves the focus to that column, and sends `>` three
    times, paced or in a burst. The deal selected when the keys were sent is the deal they
    are meant for: it must go One -> Two -> Three -> Four, and nothing else may move."""
    board = run.board
    assert board is not None
    env = " ".join(
        f"{k}={v}"
        for k, v in hermetic_env(home, run.db).items()
        if k.startswith(("TINYCRM_", "TZ"))
    )
    command = f"env {env} TERM=xterm-256color {crm_program()} board --pipeline board"

    def selected() -> int | None:
        return selected_card(tmux.screen("rel", escapes=True))

    def tui_moves_since(event: int) -> list[int]:
        return [d for e, d in board_moves(run.db) if e > event]

    def screen() -> str:
        text = tmux.screen("rel")
        # a notice that the board waits for another crm is fine; an error about the lock is not
        if any(w in text for w in ("locked", "Traceback", "OperationalError")):
            board.screens_with_trouble.append(text)
        return text

    enough = clock.hold()  # at least MIN_ROUNDS rounds of each kind, however slow the machine

    def body() -> None:
        try:
            play()
        finally:
            enough.set()

    def play() -> None:
        tmux(
            "new-session",
            "-d",
            "-s",
            "rel",
            "-x",
            "120",
            "-y",
            "40",
            f"{command}; echo EXIT=$?; sleep 600",
        )
        opened = time.monotonic()
        if not wait_for(lambda: "Bystande" in screen(), 30):
            board.died = "the board never showed its deals:\n" + screen()
            return
        board.opened_after = time.monotonic() - opened
        n = 0
        while clock.running():
            n += 1
            # only the new deal may sit in the first column
            for (other,) in rows(
                run.db,
                "SELECT d.id FROM deal d JOIN stage s ON s.id = d.stage_id"
                " WHERE s.name = 'One' AND d.status = 'open'",
            ):
                if run.crm("move", f"#{other}", "two").code == 0:
                    run.moves.setdefault(other, []).append("Two")
            began = time.monotonic()
            made = run.crm("add", "deal", f"Board deal {n}", "--pipeline", "board")
            deal = made.found(r"deal #(\d+)")
            if deal is None:
                continue
            card = re.compile(rf"#{deal}\b")
            if not wait_for(lambda: card.search(screen()) is not None, 15):  # noqa: B023
                board.died = f"the board did not show deal #{deal}:\n{screen()}"
                return
            mode = "burst" if n % 2 else "paced"
            this = Round(deal, mode, last_event(run.db))
            board.rounds.append(this)
            # to the first column, one key at a time (each waits for the last to show)
            for _ in range(len(BOARD_STAGES) + 2):
                tmux("send-keys", "-t", "rel", "h")
                if wait_for(lambda: selected() == deal, 2):  # noqa: B023
                    break
            # the keys are meant for the card the screen shows selected when they are sent
            if not wait_for(lambda: selected() == deal, 5):  # noqa: B023
                this.unselected = f"the board did not select deal #{deal}:\n{screen()}"
            elif mode == "burst":
                this.intended = [deal] * 3
                tmux("send-keys", "-t", "rel", ">", ">", ">")
            else:
                for stage in BOARD_STAGES[1:]:
                    target = selected()
                    if target is None:
                        break
                    this.intended.append(target)
                    tmux("send-keys", "-t", "rel", ">")
                    if not wait_for(in_stage(run.db, target, stage), 10):
                        break
                    # the focus follows the deal: wait until the screen shows it selected again
                    wait_for(lambda: selected() == target, 5)  # noqa: B023
            wait_for(lambda: len(tui_moves_since(this.first_event)) >= len(this.intended), 6)  # noqa: B023
            time.sleep(0.8)  # a stray key lands inside this round's window
            this.last_event = last_event(run.db)
            this.seconds = time.monotonic() - began
            screen()
            # put it where the next round expects it
            if stage_of(run.db, deal) != "Four" and run.crm("move", f"#{deal}", "four").code == 0:
                run.moves.setdefault(deal, []).append("Four")
            if len(board.rounds) >= 2 * MIN_ROUNDS:
                enough.set()
        tmux("send-keys", "-t", "rel", "q")
        wait_for(lambda: "EXIT=" in screen(), 15)
        found = re.search(r"EXIT=(\d+)", screen())
        board.exit_code = found.group(1) if found else None
        if "Traceback" in screen():
            board.died = screen()

    return body


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("concurrency")
    home, db, log = folder / "home", folder / "load.db", folder / "delivered.log"
    command_channel(home, log)
    seed = torture_seed()
    crm = Crm(hermetic_env(home, db))
    result = Run(db=db, log=log, seed=seed, crm=crm)
    due, later, bystanders = seed_world(db, crm)
    result.follow_ups_due.update(due)
    result.follow_ups_later.update(later)
    crm.calls.clear()
    clock = Stopwatch(float(os.environ.get("TINYCRM_TORTURE_SECONDS", "25")))
    targets = [writer(result, clock, i) for i in range(1, WRITERS + 1)]
    targets += [reminder(result, clock) for _ in range(REMINDERS)]
    targets += [importer(result, clock, folder), mover(result, clock, bystanders)]
    result.board = Board()
    tmux = Tmux()
    if tmux_available():
        targets.append(board_player(result, clock, tmux, home))
    else:
        result.board.skipped = "tmux is not installed"
    try:
        result.harness_errors = run_threads(targets)
    finally:
        tmux.close()
    crm("remind")  # the run after the storm: whatever is still due goes now
    print(seed_text(seed))
    yield result


def test_the_harness_ran(run: Run) -> None:
    assert not run.harness_errors, lines(repr(e) for e in run.harness_errors)
    assert integrity(run.db) == "ok"
    assert len(run.contacts) >= WRITERS and run.imported >= 100, seed_text(run.seed)


def test_every_acknowledged_write_is_present_and_nothing_else(run: Run) -> None:
    db = run.db
    problems = []

    def compare(what: str, acked: dict[int, str], present: dict[int, str]) -> None:
        if acked != present:
            missing = {k: v for k, v in acked.items() if present.get(k) != v}
            extra = {k: v for k, v in present.items() if k not in acked}
            problems.append(
                f"{what}: acknowledged but not present {missing},"
                f" present but not acknowledged {extra}"
            )

    contacts = dict(rows(db, "SELECT c.id, c.name FROM contact c WHERE c.name LIKE 'Writer%'"))
    compare("contacts", run.contacts, contacts)
    compare(
        "deals", run.deals, dict(rows(db, "SELECT id, title FROM deal WHERE title LIKE 'Writer%'"))
    )
    compare(
        "interactions",
        run.interactions,
        dict(rows(db, "SELECT id, summary FROM interaction WHERE summary LIKE 'call %'")),
    )
    compare(
        "follow-ups",
        {**run.follow_ups_due, **run.follow_ups_later},
        dict(
            rows(
                db,
                "SELECT id, title FROM follow_up"
                " WHERE title LIKE 'follow up %' OR title LIKE 'seeded %'",
            )
        ),
    )
    imported = {
        e for (e,) in rows(db, "SELECT email FROM contact_email WHERE email LIKE '%@import.test'")
    }
    if imported != run.import_emails or len(run.import_emails) != run.imported:
        problems.append(f"imports: {run.imported} acknowledged, {len(imported)} present")
    by_board = Counter(deal for _, deal in board_moves(run.db))
    for deal, stages in run.moves.items():
        changes = rows(
            db,
            "SELECT count(*) FROM stage_change WHERE deal_id = ? AND from_stage_id IS NOT NULL",
            deal,
        )[0][0]
        on_board = by_board[deal]
        if changes != len(stages) + on_board:
            problems.append(f"deal #{deal}: {len(stages)} moves acknowledged, {changes} recorded")
        if stages and not on_board and stage_of(db, deal) != stages[-1]:
            problems.append(
                f"deal #{deal}: acknowledged in {stages[-1]}, is in {stage_of(db, deal)}"
            )
    writes = (
        len(run.contacts)
        + len(run.deals)
        + len(run.interactions)
        + run.imported
        + len(run.follow_ups_due)
        + len(run.follow_ups_later)
        - SEEDED_DUE
        - SEEDED_LATER
        + sum(len(s) for s in run.moves.values())
    )
    report(
        "concurrency.writes",
        {
            "seconds": float(os.environ.get("TINYCRM_TORTURE_SECONDS", "25")),
            "processes": len(run.crm.calls),
            "writes_acknowledged": writes,
            "contacts": len(run.contacts),
            "deals": len(run.deals),
            "interactions": len(run.interactions),
            "follow_ups": len(run.follow_ups_due)
            + len(run.follow_ups_later)
            - SEEDED_DUE
            - SEEDED_LATER,
            "imported_contacts": run.imported,
            "moves": sum(len(s) for s in run.moves.values()),
            "writes_present": writes if not problems else None,
            "problems": len(problems),
        },
    )
    assert not problems, seed_text(run.seed) + "\n" + lines(problems)


def test_each_due_follow_up_is_reminded_exactly_once(run: Run) -> None:
    counts = Counter(rid for kind, rid in delivered(run.log) if kind == "follow-up")
    due, later = set(run.follow_ups_due), set(run.follow_ups_later)
    never = sorted(due - set(counts))
    twice = sorted(i for i in due if counts[i] > 1)
    early = sorted(set(counts) & later)
    unknown = sorted(set(counts) - due - later)
    report(
        "concurrency.reminders",
        {
            "remind_runs": sum(1 for c in run.crm.calls if c.args[:1] == ("remind",)),
            "due": len(due),
            "delivered_once": sum(1 for i in due if counts[i] == 1),
            "never": len(never),
            "twice": len(twice),
            "not_due_delivered": len(early),
        },
    )
    assert (never, twice, early, unknown) == ([], [], [], []), seed_text(run.seed)


def test_no_user_ever_sees_a_lock_error_or_a_traceback(run: Run) -> None:
    trouble = [c for c in run.crm.calls if c.trouble()]
    failed = [c for c in run.crm.calls if c.code != 0]
    took: dict[str, list[float]] = {}
    for c in run.crm.calls:
        took.setdefault(" ".join(c.args[:2]) if c.args[0] == "add" else c.args[0], []).append(
            c.seconds
        )
    report(
        "concurrency.seconds",
        {
            k: {"n": len(v), "median": round(sorted(v)[len(v) // 2], 2), "max": round(max(v), 2)}
            for k, v in sorted(took.items())
        },
    )
    report(
        "concurrency.errors",
        {
            "processes": len(run.crm.calls),
            "lock_or_traceback": len(trouble),
            "nonzero_exit": len(failed),
        },
    )
    assert not trouble, lines(f"{c.args}: {c.err.strip()}" for c in trouble)
    assert not failed, lines(f"{c.args} exit {c.code}: {c.err.strip()}" for c in failed)
    board = run.board
    assert board is not None
    assert not board.screens_with_trouble, board.screens_with_trouble[0]


def board_moves(db: Path) -> list[tuple[int, int]]:
    """(event id, deal id) of every stage change the board made."""
    found = rows(
        db,
        "SELECT id, json_extract(after, '$.deal_id') FROM event"
        " WHERE entity = 'stage_change' AND origin = 'tui' AND action = 'create' ORDER BY id",
    )
    assert all(d is not None for _, d in found), (
        "the board's history entries no longer name the deal as after.deal_id: update board_moves"
    )
    return [(int(e), int(d)) for e, d in found]


def _check_rounds(run: Run, mode: str) -> None:
    board = run.board
    assert board is not None
    if board.skipped:
        pytest.skip(board.skipped)
    assert board.died is None, board.died
    rounds = [r for r in board.rounds if r.mode == mode]
    assert rounds, "no round of board keys was played"
    moves = board_moves(run.db)
    wrong = []
    for r in rounds:
        inside = [d for e, d in moves if r.first_event < e <= r.last_event]
        if r.unselected:
            wrong.append(r.unselected)
        elif inside != r.intended or len(r.intended) != 3:
            meant = ", ".join(f"#{d}" for d in r.intended)
            wrong.append(f"keys meant for {meant} moved {inside or 'nothing'}")
    report(
        f"concurrency.board.{mode}",
        {
            "rounds": len(rounds),
            "keys": 3 * len(rounds),
            "rounds_on_the_right_deal": len(rounds) - len(wrong),
            "board_opened_after": round(board.opened_after, 1),
            "round_seconds": [round(r.seconds, 1) for r in rounds],
        },
    )
    assert not wrong, seed_text(run.seed) + "\n" + lines(wrong)


def test_board_keys_sent_one_at_a_time_move_the_selected_deal(run: Run) -> None:
    _check_rounds(run, "paced")


def test_board_keys_sent_in_a_burst_move_the_selected_deal(run: Run) -> None:
    _check_rounds(run, "burst")


def test_the_board_exits_cleanly(run: Run) -> None:
    board = run.board
    assert board is not None
    if board.skipped:
        pytest.skip(board.skipped)
    assert board.died is None, board.died
    assert board.exit_code == "0"
