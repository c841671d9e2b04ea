"""Contacts and companies on the board: their timelines, adding and editing them, the
contacts search, and what an empty list or timeline says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.conftest import NOW
from tests.tui.test_board_workflows import (
    ADA,
    LOVELACE,
    PAULING,
    drive,
    fill_form,
    press,
    shown,
    type_text,
)

HELIX = 9  # company Helix Bio (Linus Pauling, Rosalind Franklin)


def notes(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def footer_keys(app: Any) -> dict[str, str]:
    """The keys the footer shows, with their labels."""
    return {k.key: k.description for k in app.screen.query("FooterKey")}


def test_a_contacts_timeline_names_the_deal_of_each_entry(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter", "d")
        seen.append(shown(app, "#details-title"))
        seen.append(shown(app, "#timeline"))

    drive(board_db, steps)
    assert seen[0] == f"contact #{ADA} Ada Lovelace"
    # each entry's summary, then its deal (on the line under it)
    words = " ".join(seen[1].split())
    assert f"check in #{LOVELACE} Lovelace website redesign" in words, seen[1]
    assert f"created in Prospecting #{LOVELACE} Lovelace website redesign" in words


def test_a_companys_timeline_names_the_deal_of_each_entry(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "j", "enter", "o")
        seen.append(shown(app, "#timeline"))

    drive(board_db, steps)
    assert "#69 Pauling annual retainer" in seen[0]


def test_e_on_a_company_edits_it_and_crm_undo_takes_it_back(
    board_db: Any, db_path: Path, crm: Any
) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "j", "enter", "o", "e")
        seen.append(shown(app, "#form-title"))
        await fill_form(pilot, domain="https://helix.bio/", industry="biotech", tags="lab, vip")
        seen.append(notes(app)[-1])
        seen.append(shown(app, "#details-fields"))

    drive(board_db, steps)
    assert seen[0] == "Edit company Helix Bio"
    assert seen[1] == f"Updated company #{HELIX} Helix Bio: domain, industry, tag +lab, tag +vip"
    assert "helix.bio" in seen[2] and "biotech" in seen[2] and "lab, vip" in seen[2]
    assert table_rows(db_path, "SELECT domain, industry FROM company WHERE id=?", HELIX) == [
        ("helix.bio", "biotech")
    ]
    assert table_rows(
        db_path,
        "SELECT DISTINCT origin, summary FROM event WHERE entity='company' AND origin='tui'",
    ) == [("tui", f"edit company #{HELIX} Helix Bio")]
    undone = crm("--db", str(db_path), "undo")
    assert undone.stdout.startswith(f"Undid: edit company #{HELIX} Helix Bio"), undone.stdout
    assert table_rows(db_path, "SELECT domain, industry FROM company WHERE id=?", HELIX) == [
        (None, None)
    ]


def test_a_company_domain_that_is_not_one_is_refused_in_its_field(
    board_db: Any, db_path: Path
) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "j", "enter", "o", "e")
        await fill_form(pilot, domain="helix bio")
        seen.append(shown(app, "#form-error"))
        seen.append(app.focused.id)
        seen.append(app.screen.query_one("#row-domain").has_class("-problem"))

    drive(board_db, steps)
    assert seen[0].startswith("Domain: not a domain: 'helix bio'")
    assert seen[1:] == ["field-domain", True]
    assert table_rows(db_path, "SELECT domain FROM company WHERE id=?", HELIX) == [(None,)]


def test_n_on_the_contacts_screen_adds_a_contact(board_db: Any, db_path: Path, crm: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c", "enter", "n")
        seen.append(shown(app, "#form-title"))
        await fill_form(
            pilot,
            name="Grace Brewster",
            emails="grace@navy.example, gb@home.example",
            phones="+1 555 0100",
            company="Navy Labs",
            title="Rear admiral",
            tags="vip",
        )
        seen.append(notes(app)[-1])
        seen.append(shown(app, "#contacts-status"))

    drive(board_db, steps)
    assert seen[0] == "New contact"
    rows = table_rows(
        db_path,
        "SELECT c.id, c.name, c.title, c.lifecycle, co.name FROM contact c"
        " JOIN company co ON co.id = c.company_id WHERE c.name='Grace Brewster'",
    )
    assert [r[1:] for r in rows] == [("Grace Brewster", "Rear admiral", "lead", "Navy Labs")]
    new_id = rows[0][0]
    assert seen[1] == f"Added contact #{new_id} Grace Brewster"
    assert table_rows(
        db_path, "SELECT email FROM contact_email WHERE contact_id=? ORDER BY id", new_id
    ) == [("grace@navy.example",), ("gb@home.example",)]
    assert crm("--db", str(db_path), "undo").stdout.startswith("Undid: add contact Grace Brewster")
    assert table_rows(db_path, "SELECT count(*) FROM contact WHERE name='Grace Brewster'") == [(0,)]


def test_shift_n_on_the_contacts_screen_adds_a_company(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c", "enter", "N")
        seen.append(shown(app, "#form-title"))
        await fill_form(pilot, name="Babbage Works", domain="babbage.example", size="2-10")
        seen.append(notes(app)[-1])

    drive(board_db, steps)
    rows = table_rows(db_path, "SELECT id, domain, size FROM company WHERE name='Babbage Works'")
    assert [r[1:] for r in rows] == [("babbage.example", "2-10")]
    assert seen == ["New company", f"Added company #{rows[0][0]} Babbage Works"]


def test_a_new_contacts_mistakes_are_shown_in_their_fields(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c", "enter", "n")
        await fill_form(pilot, name="Nobody", emails="nobody@")
        seen.append((shown(app, "#form-error"), app.focused.id))
        # another contact has this email: refused when saved, the form opens again
        await fill_form(pilot, emails="ada.lovelace@analyticalengines.example")
        seen.append((shown(app, "#form-error"), app.focused.id))
        seen.append(app.screen.query_one("#field-name").value)
        await fill_form(pilot, name="Bad\x1b[31mName", emails="")
        seen.append((shown(app, "#form-error"), app.focused.id))
        await fill_form(pilot, name="  ")
        seen.append((shown(app, "#form-error"), app.focused.id))

    drive(board_db, steps)
    assert seen[0] == (
        "Emails: not an email address: 'nobody@'\nwrite it like jane@acme.com",
        "field-emails",
    )
    assert seen[1][0].startswith(
        f"Emails: ada.lovelace@analyticalengines.example already belongs to #{ADA} Ada Lovelace"
    )
    assert seen[1][1] == "field-emails"
    assert seen[2] == "Nobody"  # what was typed is kept
    assert seen[3][0].startswith(
        "Name: the contact name 'Bad\\x1b[31mName' holds a control character"
    )
    assert seen[3][1] == "field-name"
    assert seen[4] == ("Name: a contact needs a name", "field-name")
    assert table_rows(db_path, "SELECT count(*) FROM contact WHERE name LIKE '%Nobody%'") == [(0,)]


def test_e_edits_a_contact_from_its_page_and_from_the_list(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter", "d", "e")
        seen.append(shown(app, "#form-title"))
        seen.append(app.screen.query_one("#field-emails").value)
        await fill_form(
            pilot,
            title="Countess",
            emails="ada.lovelace@analyticalengines.example, ada@byron.example",
            keep_in_touch_days="30",
        )
        seen.append(notes(app)[-1])
        seen.append(shown(app, "#details-fields"))
        await press(pilot, "escape", "escape", "c")
        await type_text(pilot, "curie")
        await press(pilot, "enter", "e")
        seen.append(shown(app, "#form-title"))
        await press(pilot, "escape")
        await press(pilot, "e")
        await fill_form(pilot)  # nothing changed: nothing is saved
        seen.append(notes(app)[-1])

    drive(board_db, steps)
    assert seen[0] == "Edit Ada Lovelace"
    assert seen[1] == "ada.lovelace@analyticalengines.example"
    assert seen[2] == (
        f"Updated contact #{ADA} Ada Lovelace: title, keep_in_touch_days, added ada@byron.example"
    )
    assert "Countess" in seen[3] and "ada@byron.example" in seen[3]
    assert "keep in touch every 30 days" in seen[3]
    assert seen[4] == "Edit Marie Curie"
    assert seen[5] == "Nothing changed on Marie Curie"
    assert table_rows(
        db_path, "SELECT email FROM contact_email WHERE contact_id=? ORDER BY id", ADA
    ) == [("ada.lovelace@analyticalengines.example",), ("ada@byron.example",)]
    assert table_rows(
        db_path, "SELECT count(*) FROM event WHERE summary='edit contact #12 Marie Curie'"
    ) == [(0,)]


def test_the_contacts_search_is_focused_and_its_key_shown(board_db: Any) -> None:
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c")
        seen["focus"] = app.focused.id
        seen["keys"] = footer_keys(app)
        await type_text(pilot, "nes")  # n, e and s are keys on the list: here they are text
        seen["typed"] = app.screen.query_one("#contact-search").value
        seen["screen"] = app.screen.id
        seen["status"] = shown(app, "#contacts-status")
        await press(pilot, "down")
        seen["list"] = app.focused.id
        seen["list keys"] = footer_keys(app)
        await press(pilot, "slash")
        seen["back"] = app.focused.id

    drive(board_db, steps)
    assert seen["focus"] == "contact-search"
    # in the search the letters are text, so the footer shows only the keys that still act
    assert seen["keys"]["slash"] == "Search" and seen["keys"]["enter"] == "To the list"
    assert "n" not in seen["keys"]
    assert {"slash": "Search", "n": "New contact", "e": "Edit", "s": "Sort"}.items() <= seen[
        "list keys"
    ].items()
    assert seen["typed"] == "nes" and seen["screen"] == "contacts-screen"
    assert "search: nes" in seen["status"]
    assert seen["list"] == "contact-rows"
    assert seen["back"] == "contact-search"


def test_empty_contacts_and_a_search_that_matches_no_one_say_what_to_do(db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c")
        seen.append(shown(app, "#contacts-empty"))
        await type_text(pilot, "xyz")
        seen.append(shown(app, "#contacts-empty"))
        await press(pilot, "backspace", "backspace", "backspace")
        await type_text(pilot, "[b]x")  # brackets are what was typed, not markup
        seen.append(shown(app, "#contacts-empty"))
        seen.append(shown(app, "#contacts-status"))

    drive(db, steps)
    assert seen == [
        "No contacts yet. Press n to add one (N adds a company).",
        "No one matches 'xyz'. Press n to add a contact.",
        "No one matches '[b]x'. Press n to add a contact.",
        "0 contacts  ·  sort: name (ascending)  ·  search: [b]x",
    ]


def test_a_contact_with_no_timeline_says_how_to_start_one(db: Any, db_path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO contact (id, uuid, name, name_key, lifecycle, created_at, updated_at)"
            " VALUES (5, 'c5', 'Quiet Person', 'quiet person', 'lead', '2026-01-01',"
            " '2026-01-01')"
        )
    conn.close()
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c", "enter", "enter")
        seen.append(shown(app, "#details-title"))
        seen.append(shown(app, "#timeline"))

    drive(db, steps)
    assert seen == [
        "contact #5 Quiet Person",
        "Nothing yet: i logs an interaction, f adds a follow-up.",
    ]


def test_the_palette_offers_a_new_contact_and_a_new_company(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        for name in ("new contact", "new company"):
            await press(pilot, "ctrl+p")
            await type_text(pilot, name)
            await pilot.pause(0.3)
            await press(pilot, "enter")
            seen.append(shown(app, "#form-title"))
            await press(pilot, "escape")

    drive(board_db, steps)
    assert seen == ["New contact", "New company"]


def test_a_new_contact_typed_in_one_burst_lands_in_its_fields(board_db: Any, db_path: Path) -> None:
    from tests.tui.conftest import burst, settle, typed

    async def steps(pilot: Any, app: Any) -> None:
        await burst(
            pilot,
            "c",
            *typed("zed"),  # the search has the cursor: these are text, not keys
            "enter",
            "n",
            *typed("Zed Burst"),
            "enter",
            *typed("zed@burst.example"),
            *["enter"] * 8,  # through the other fields; enter on the last one saves
        )
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)

    drive(board_db, steps)
    assert table_rows(
        db_path,
        "SELECT c.name, e.email FROM contact c JOIN contact_email e ON e.contact_id = c.id"
        " WHERE c.name = 'Zed Burst'",
    ) == [("Zed Burst", "zed@burst.example")]


def test_brackets_in_a_name_are_shown_as_typed(board_db: Any, crm: Any, db_path: Path) -> None:
    added = crm("--db", str(db_path), "add", "contact", "Ada [b]Bold", "-q")
    new_id = int(added.stdout)
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c")
        await type_text(pilot, "bold")
        await press(pilot, "enter", "enter")
        seen.append(shown(app, "#details-title"))
        await press(pilot, "e")
        seen.append(shown(app, "#form-title"))
        await fill_form(pilot, emails="[x")
        seen.append(shown(app, "#form-error"))

    drive(board_db, steps)
    assert seen == [
        f"contact #{new_id} Ada [b]Bold",
        "Edit Ada [b]Bold",
        "Emails: not an email address: '[x'\nwrite it like jane@acme.com",
    ]


def test_a_contacts_page_shows_the_whole_record_as_crm_show_does(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter", "d")
        seen.append(shown(app, "#details-fields"))
        seen.append(shown(app, "#details-record"))

    drive(board_db, steps)
    fields, record = (" ".join(text.split()) for text in seen)
    assert "company #1 Analytical Engines" in fields
    assert f"Next step Thu 2026-11-19 08:00 #{LOVELACE + 1} check in - Lovelace website" in record
    assert "Deals: 1 open, 0 won, 0 lost" in record
    assert f"#{LOVELACE} Lovelace website redesign Prospecting $18,000.00" in record
    assert f"Open follow-ups (1) Thu 2026-11-19 08:00 #{LOVELACE + 1} check in" in record
    assert "Last interactions 2026-09-24 02:00 meeting (out) asked for references" in record


def test_a_companys_page_shows_its_deals_follow_ups_and_interactions(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "j", "enter", "o")
        seen.append(shown(app, "#details-fields"))
        seen.append(shown(app, "#details-record"))

    drive(board_db, steps)
    fields, record = (" ".join(text.split()) for text in seen)
    assert "people #10 Linus Pauling, #15 Rosalind Franklin" in fields
    assert "Deals: 2 open, 0 won, 0 lost" in record
    assert f"#{PAULING} Pauling annual retainer Prospecting €7,500.00" in record
    assert "Linus Pauling" in record.split("Open follow-ups (2)")[1]
    assert "they are comparing us with two other vendors - Linus Pauling" in record


def test_the_page_and_crm_show_read_the_same_record(board_db: Any, crm: Any) -> None:
    import json

    from tinycrm.core import records
    from tinycrm.tui.screens.details import load

    with board_db.snapshot() as session:
        data, _ = load(session, "contact", ADA, NOW)
        assert data == records.contact_record(session, ADA, NOW)
    assert json.loads(crm("show", f"#{ADA}", "--json").stdout) == data


def test_a_new_contact_named_like_another_is_added_with_a_warning(
    board_db: Any, db_path: Path
) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c", "enter", "n")
        await fill_form(pilot, name="ada  LOVELACE")
        seen.extend((n.message, n.severity) for n in app._notifications)

    drive(board_db, steps)
    rows = table_rows(db_path, "SELECT id FROM contact WHERE name_key='ada lovelace' ORDER BY id")
    assert len(rows) == 2 and rows[0][0] == ADA  # added, never merged
    new_id = rows[1][0]
    assert (f"Added contact #{new_id} ada  LOVELACE", "information") in seen
    assert (
        f"Contact #{ADA} Ada Lovelace has the same name; if they are one person:"
        f" crm merge {ADA} {new_id} --kind contact",
        "warning",
    ) in seen
