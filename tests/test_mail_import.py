"""`crm mail import`: a Maildir, an mbox and .eml files written by Python's own `mailbox` and
`email` modules, and one message piped on stdin to the real program, logged as email
interactions once per known contact, twice without duplicates."""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
from collections.abc import Callable, Sequence
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from tests.conftest import Crm, snapshot_of, table_rows
from tests.helpers import crm_program

ME = "me@seller.com"


def message(
    frm: str,
    to: str,
    subject: str,
    body: str | None = "Hello",
    *,
    date: str | None = "Tue, 17 Nov 2026 10:00:00 +0100",
    mid: str | None = None,
    cc: str | None = None,
    html: str | None = None,
    cte: str | None = None,
) -> EmailMessage:
    """A message as a mail program writes it (a text part, an HTML part, or both)."""
    m = EmailMessage()
    m["From"] = frm
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    if date is not None:
        m["Date"] = date
    if mid is not None:
        m["Message-ID"] = mid
    if body is not None:
        m.set_content(body, cte=cte) if cte else m.set_content(body)
        if html is not None:
            m.add_alternative(html, subtype="html")
    elif html is not None:
        m.set_content(html, subtype="html")
    return m


def messages() -> list[EmailMessage]:
    """Inbound, outbound, HTML-only, to two contacts, from a stranger, and copied to one."""
    return [
        message(
            "=?utf-8?q?Jane_D=C3=B6e?= <Jane@Acme.com>",
            f"Me <{ME}>",
            "=?utf-8?b?UmU6IFByb3Bvc2FsIGbDvHIgMjAyNw==?=",
            "Sounds good, the price (5 000 €) works for us.\n\nOn Mon, you wrote:\n"
            "> our price is 5k\n> thanks\n-- \nJane Döe\nCEO, Acme\n",
            mid="<in-1@acme.com>",
            cte="quoted-printable",
        ),
        message(
            f"Me <{ME}>",
            "Bob Stone <bob@beta.org>",
            "Case study",
            "Hi Bob,\nhere is the case study.\n",
            html="<p>Hi Bob,</p><p>here is the <b>case study</b>.</p>",
            mid="<out-1@seller.com>",
            date="Wed, 18 Nov 2026 09:30:00 +0000",
        ),
        message(
            "jane@acme.com",
            ME,
            "Newsletter",
            None,
            html="<html><head><style>p {color: red}</style></head><body><p>Our news:"
            " we&#39;ve moved &amp; grown.</p><blockquote>old reply</blockquote></body></html>",
            mid="<html-1@acme.com>",
            date="Thu, 19 Nov 2026 08:00:00 -0500",
        ),
        message(
            ME,
            "jane@acme.com, Bob <BOB@beta.org>",
            "Meeting on Friday",
            "Both of you: Friday at 10.",
            mid="<two-1@seller.com>",
            date="Fri, 20 Nov 2026 12:00:00 +0000",
        ),
        message(
            "Carla Nuñez <carla@gamma.io>",
            ME,
            "A question",
            "Do you sell to shops?",
            mid="<stranger-1@gamma.io>",
            date="Sat, 21 Nov 2026 12:00:00 +0000",
        ),
        message(
            "Carla Nuñez <carla@gamma.io>",
            ME,
            "Intro",
            "Meet Jane.",
            cc="jane@acme.com",
            mid="<cc-1@gamma.io>",
            date="Sun, 22 Nov 2026 12:00:00 +0000",
        ),
    ]


@pytest.fixture
def people(crm: Crm, db_path: Path) -> Path:
    """Jane Doe (one open deal, #2) and Bob Stone (no deal); the seller's own address set."""
    assert crm("add", "contact", "Jane Doe", "--email", "jane@acme.com").exit_code == 0
    assert crm("add", "deal", "Acme website", "--contact", "jane").exit_code == 0
    assert crm("add", "contact", "Bob Stone", "--email", "bob@beta.org").exit_code == 0
    assert crm("config", "set", "mail.addresses", ME).exit_code == 0
    return db_path


def write_maildir(path: Path, items: Sequence[Message]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for item in items:
        box.add(item)
    return path


def write_mbox(path: Path, items: Sequence[Message]) -> Path:
    box = mailbox.mbox(path, create=True)
    for item in items:
        box.add(item)
    box.flush()
    box.close()
    return path


def interactions(db_path: Path) -> list[tuple[object, ...]]:
    return table_rows(
        db_path,
        "SELECT c.name, i.kind, i.direction, i.occurred_at, i.summary, i.message_id, i.deal_id"
        " FROM interaction i JOIN contact c ON c.id = i.contact_id ORDER BY i.occurred_at, c.name",
    )


EXPECTED = [
    (
        "Jane Doe",
        "email",
        "in",
        "2026-11-17 09:00:00.000000",
        "Re: Proposal für 2027: Sounds good, the price (5 000 €) works for us.",
        "<in-1@acme.com>",
        2,
    ),
    (
        "Bob Stone",
        "email",
        "out",
        "2026-11-18 09:30:00.000000",
        "Case study: Hi Bob, here is the case study.",
        "<out-1@seller.com>",
        None,
    ),
    (
        "Jane Doe",
        "email",
        "in",
        "2026-11-19 13:00:00.000000",
        "Newsletter: Our news: we've moved & grown.",
        "<html-1@acme.com>",
        2,
    ),
    (
        "Bob Stone",
        "email",
        "out",
        "2026-11-20 12:00:00.000000",
        "Meeting on Friday: Both of you: Friday at 10.",
        "<two-1@seller.com>",
        None,
    ),
    (
        "Jane Doe",
        "email",
        "out",
        "2026-11-20 12:00:00.000000",
        "Meeting on Friday: Both of you: Friday at 10.",
        "<two-1@seller.com>",
        2,
    ),
    (
        "Jane Doe",
        "email",
        None,
        "2026-11-22 12:00:00.000000",
        "Intro: Meet Jane.",
        "<cc-1@gamma.io>",
        2,
    ),
]


def test_a_maildir_imports_once(crm: Crm, people: Path, tmp_path: Path) -> None:
    box = write_maildir(tmp_path / "INBOX", messages())
    [raw] = [p.read_bytes() for p in (box / "new").iterdir() if b"in-1@acme.com" in p.read_bytes()]
    assert b"Content-Transfer-Encoding: quoted-printable" in raw and b"(5 000 =E2=82=AC)" in raw
    first = crm("mail", "import", str(box))
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "Logged 6 emails for 2 contacts; 1 stranger: carla@gamma.io (--new-leads adds them);"
        " 1 message about no contact\n"
    )
    assert interactions(people) == EXPECTED
    again = crm("mail", "import", str(box))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Logged 0 emails for 0 contacts; 6 already logged;")
    assert interactions(people) == EXPECTED


def test_an_mbox_imports_once_and_one_undo_takes_it_back(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    box = write_mbox(tmp_path / "sent.mbox", messages())
    result = crm("mail", "import", str(box), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["messages"], data["logged"], data["contacts"], data["already_logged"]) == (
        6,
        6,
        2,
        0,
    )
    assert data["strangers"] == ["carla@gamma.io"]
    assert interactions(people) == EXPECTED
    assert json.loads(crm("mail", "import", str(box), "--json").stdout)["already_logged"] == 6
    history = crm("history")
    assert "import mail: 6 emails for 2 contacts" in history.stdout
    assert table_rows(
        people, "SELECT DISTINCT origin, summary FROM event WHERE entity = 'interaction'"
    ) == [("mail", "import mail: 6 emails for 2 contacts")]
    assert crm("undo").exit_code == 0
    assert interactions(people) == []


def test_eml_files_and_a_folder_of_them(crm: Crm, people: Path, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    for n, item in enumerate(messages()[:2]):
        (folder / f"{n}.eml").write_bytes(item.as_bytes())
    (folder / "notes.txt").write_text("not mail, and not an .eml file")
    assert crm("mail", "import", str(folder / "0.eml")).stdout.startswith("Logged 1 email for 1 ")
    result = crm("mail", "import", str(folder))
    assert result.stdout == "Logged 1 email for 1 contact; 1 already logged\n"


def test_new_leads_adds_strangers_with_their_messages(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    box = write_mbox(tmp_path / "in.mbox", messages())
    result = crm("mail", "import", str(box), "--new-leads")
    assert result.stdout == "Logged 8 emails for 3 contacts; added 1 new lead\n"
    assert table_rows(
        people, "SELECT name, lifecycle, source FROM contact WHERE name LIKE 'Carla%'"
    ) == [("Carla Nuñez", "lead", "email")]
    assert table_rows(
        people,
        "SELECT i.direction, i.summary FROM interaction i JOIN contact c ON c.id = i.contact_id"
        " WHERE c.name = 'Carla Nuñez' ORDER BY i.occurred_at",
    ) == [("in", "A question: Do you sell to shops?"), ("in", "Intro: Meet Jane.")]


def test_a_date_that_cannot_be_read_is_skipped_and_said(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    unreadable = (
        b"From: jane@acme.com\nTo: me@seller.com\nSubject: Soon\nDate: next tuesday-ish\n"
        b"Message-ID: <d-1@acme.com>\n\nx\n"
    )
    zoneless = unreadable.replace(b"next tuesday-ish", b"Tue, 17 Nov 2026 10:00:00")
    items = [
        mailbox.mboxMessage(unreadable),
        message("jane@acme.com", ME, "Undated", "x", date=None, mid="<d-2@acme.com>"),
        mailbox.mboxMessage(zoneless.replace(b"<d-1@", b"<d-4@")),
        message("jane@acme.com", ME, "Fine", "x", mid="<d-3@acme.com>"),
        message("jane@acme.com", ME, "UTC", "x", date="Tue, 17 Nov 2026 10:00:00 -0000"),
        message("jane@acme.com", ME, "Named", "x", date="Tue, 17 Nov 2026 10:00:00 EST"),
    ]
    box = write_mbox(tmp_path / "dates.mbox", items)
    result = crm("mail", "import", str(box))
    assert result.exit_code == 0
    assert result.stdout == "Logged 3 emails for 1 contact; 3 skipped\n"
    assert result.stderr.splitlines() == [
        f"warning: skipped {box}:1: cannot read its Date 'next tuesday-ish'",
        f"warning: skipped {box}:2: it has no Date header",
        f"warning: skipped {box}:3: its Date 'Tue, 17 Nov 2026 10:00:00' has no time zone",
    ]
    assert [(row[3], row[4]) for row in interactions(people)] == [
        ("2026-11-17 09:00:00.000000", "Fine: x"),
        ("2026-11-17 10:00:00.000000", "UTC: x"),
        ("2026-11-17 15:00:00.000000", "Named: x"),
    ]


def test_a_message_without_message_id_gets_a_stable_one(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    box = write_maildir(tmp_path / "md", [message("jane@acme.com", ME, "No id", "x")])
    data = json.loads(crm("mail", "import", str(box), "--json").stdout)
    assert (data["logged"], data["derived_message_ids"]) == (1, 1)
    [(mid,)] = table_rows(people, "SELECT message_id FROM interaction")
    assert mid.startswith("<") and mid.endswith("@derived>")
    assert json.loads(crm("mail", "import", str(box), "--json").stdout)["already_logged"] == 1


@pytest.mark.parametrize("written", ["hi-1@acme.com", "<two words@acme.com>", "<a@b> (x)"])
def test_a_message_id_that_is_not_one_is_taken_for_none(
    crm: Crm, people: Path, tmp_path: Path, written: str
) -> None:
    box = write_maildir(tmp_path / "md", [message("jane@acme.com", ME, "Odd", "x", mid=written)])
    data = json.loads(crm("mail", "import", str(box), "--json").stdout)
    assert (data["logged"], data["derived_message_ids"]) == (1, 1)
    [(mid,)] = table_rows(people, "SELECT message_id FROM interaction")
    assert mid.endswith("@derived>")
    # so the interaction goes through a CSV export and back with its id
    out = tmp_path / "i.csv"
    assert crm("export", "csv", "--kind", "interactions", "-o", str(out)).exit_code == 0
    assert mid in out.read_text(encoding="utf-8")


def test_dry_run_writes_nothing(crm: Crm, people: Path, tmp_path: Path) -> None:
    box = write_maildir(tmp_path / "md", messages())
    before = snapshot_of(people)
    result = crm("mail", "import", str(box), "--dry-run", "--new-leads")
    assert result.stdout == "Would log 8 emails for 3 contacts; would add 1 new lead\n"
    assert snapshot_of(people) == before


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        (lambda p: p.mkdir(), "is not a mailbox: no cur/new/tmp folders and no .eml files"),
        (lambda p: p.write_text("just some notes\nand more\n"), "is not an email message"),
        (lambda p: p.write_bytes(b""), "is not an email message"),
        (lambda p: None, "no such file or folder"),
    ],
)
def test_a_path_that_is_not_mail_is_refused(
    crm: Crm, people: Path, tmp_path: Path, setup: Callable[[Path], object], said: str
) -> None:
    good = write_maildir(tmp_path / "md", messages())
    bad = tmp_path / "thing"
    setup(bad)
    before = snapshot_of(people)
    result = crm("mail", "import", str(good), str(bad))
    assert result.exit_code != 0
    assert said in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert snapshot_of(people) == before


def test_addresses_of_the_seller_are_never_strangers(
    crm: Crm, db_path: Path, tmp_path: Path
) -> None:
    assert crm("add", "contact", "Jane Doe", "--email", "jane@acme.com").exit_code == 0
    assert crm("config", "set", "reminders.email_from", "crm@seller.com").exit_code == 0
    box = write_maildir(tmp_path / "md", [message("crm@seller.com", "jane@acme.com", "Hi", "x")])
    assert crm("mail", "import", str(box)).stdout == "Logged 1 email for 1 contact\n"
    assert [row[2] for row in interactions(db_path)] == ["out"]


@pytest.mark.slow
def test_one_message_piped_on_stdin_to_the_real_program(people: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TINYCRM_DB": str(people)}
    raw = b"From jane@acme.com Tue Nov 17 09:00:00 2026\n" + messages()[0].as_bytes()
    run = subprocess.run(
        [crm_program(), "mail", "import", "-"],
        input=raw,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == b"Logged 1 email for 1 contact\n"
    assert interactions(people) == EXPECTED[:1]
    junk = subprocess.run(
        [crm_program(), "mail", "import", "-"],
        input=b"hello\n",
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert junk.returncode != 0
    assert junk.stderr.decode().startswith("error: stdin is not an email message")


def test_importing_any_subset_twice_is_importing_it_once(tmp_path: Path) -> None:
    """Whatever messages are imported, in whatever order, and whether strangers become leads,
    a second import of them logs nothing and leaves every row as the first left it."""
    import shutil
    from datetime import datetime

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.conftest import FIXED_NOW
    from tinycrm.core import contacts, deals, open_db
    from tinycrm.io import mail, maillog

    now = datetime.fromisoformat(FIXED_NOW)
    template = tmp_path / "template.db"
    db = open_db(template)
    with db.transaction(now=now) as session:
        jane = contacts.add_contact(session, "Jane Doe", now=now, emails=["jane@acme.com"])
        contacts.add_contact(session, "Bob Stone", now=now, emails=["bob@beta.org"])
        deals.add_deal(session, "Acme website", now=now, currency="USD", contact=jane)
    db.dispose()
    pool = [*messages(), message("bob@beta.org", ME, "No id", "Thanks", date=None)]
    pool.append(message("bob@beta.org", ME, "No id either", "Thanks again"))
    letters = [mail.letter(m, f"pool:{n}") for n, m in enumerate(pool)]
    runs = iter(range(10**6))

    def rows(path: Path) -> list[tuple[object, ...]]:
        return table_rows(
            path,
            "SELECT i.contact_id, i.deal_id, i.kind, i.direction, i.occurred_at, i.summary,"
            " i.message_id, c.name, c.source FROM interaction i"
            " JOIN contact c ON c.id = i.contact_id ORDER BY i.id",
        )

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        chosen=st.lists(st.sampled_from(range(len(letters))), max_size=12),
        new_leads=st.booleans(),
    )
    def check(chosen: list[int], new_leads: bool) -> None:
        path = tmp_path / f"run{next(runs)}.db"
        shutil.copy(template, path)
        db = open_db(path)
        try:
            picked = [letters[i] for i in chosen]
            first = maillog.import_mail(db, picked, seller=[ME], now=now, new_leads=new_leads)
            once = rows(path)
            contacts_once = table_rows(path, "SELECT id, name FROM contact ORDER BY id")
            second = maillog.import_mail(db, picked, seller=[ME], now=now, new_leads=new_leads)
            assert second.to_log == 0
            assert second.already_logged == first.to_log + first.already_logged
            assert rows(path) == once
            assert table_rows(path, "SELECT id, name FROM contact ORDER BY id") == contacts_once
            distinct = {(r[0], r[6]) for r in once}
            assert len(distinct) == len(once)
        finally:
            db.dispose()
            path.unlink()

    check()


def test_a_contact_in_the_trash_is_neither_logged_nor_a_new_lead(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    assert crm("delete", "bob", "--kind", "contact", "--yes").exit_code == 0
    box = write_maildir(tmp_path / "md", [message(ME, "bob@beta.org", "Hi Bob", "x")])
    result = crm("mail", "import", str(box), "--new-leads", "--json")
    data = json.loads(result.stdout)
    assert (data["logged"], data["in_trash"], data["new_leads"]) == (0, ["bob@beta.org"], [])
    assert table_rows(people, "SELECT count(*) FROM contact") == [(2,)]


def test_a_summary_is_one_bounded_line_of_the_writers_own_words() -> None:
    from tinycrm.domain.mailtext import SUMMARY_LENGTH, summary_of

    body = "Yes.\n\nOn Tue, Ann wrote:\n> no?\n" + "word " * 100 + "\n-- \nsig line\n"
    line = summary_of("Re:  a\tlong  one", body)
    assert line.startswith("Re: a long one: Yes. word word")
    assert len(line) == SUMMARY_LENGTH and line.endswith("…")
    assert "\n" not in line and "wrote" not in line and "sig" not in line
    assert summary_of("", "") == "(no subject)"


def test_bytes_outside_a_messages_charset_are_shown_not_fatal(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    raw = (
        b"From: jane@acme.com\nTo: me@seller.com\nSubject: caf\xe9\n"
        b"Date: Tue, 17 Nov 2026 10:00:00 +0100\nMessage-ID: <8bit@acme.com>\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        b"cr\xe8me br\xfbl\xe9e\n"
    )
    (tmp_path / "8bit.eml").write_bytes(raw)
    result = crm("mail", "import", str(tmp_path / "8bit.eml"), "--json")
    assert result.exit_code == 0, result.output
    assert [row[4] for row in interactions(people)] == ["caf\ufffd: cr\ufffdme br\ufffdl\ufffde"]


def test_an_imported_reply_stops_the_contacts_sequence(
    crm: Crm, people: Path, tmp_path: Path
) -> None:
    steps = ("--step", "0d call: intro", "--step", "3d email: case study")
    assert crm("sequence", "add", "Onboarding", *steps).exit_code == 0
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    reply = message(
        "Jane Doe <jane@acme.com>",
        ME,
        "Re: intro",
        "Yes, let's talk.",
        mid="<reply-1@acme.com>",
        date="Mon, 23 Nov 2026 11:00:00 +0000",
    )
    box = write_maildir(tmp_path / "Mail", [reply])
    r = crm("mail", "import", str(box))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Logged 1 email for 1 contact",
        "Stopped sequence Onboarding for Jane Doe: they replied",
    ]
    assert table_rows(people, "SELECT status, stop_reason FROM sequence_run") == [
        ("stopped", "reply")
    ]
    assert table_rows(people, "SELECT status FROM follow_up ORDER BY id") == [
        ("cancelled",),
        ("cancelled",),
    ]
    r = crm("mail", "import", str(box), "--json")
    assert json.loads(r.stdout)["stopped_sequences"] == []
