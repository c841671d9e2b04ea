"""A deal's qualification (BANT): recorded by `crm qualify` and `crm edit`, refused when an
answer cannot be read, undone, shown on the deal's page, in `list deals --json` and on the
board's card, counted by the lead score and kept by the list and segment filters."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import FIXED_NOW, snapshot_of, table_rows

if TYPE_CHECKING:
    from tinycrm.domain.rows import ScoreExplanation

NOW = datetime.fromisoformat(FIXED_NOW)


def answers(db_path: Path, deal_id: int) -> tuple[Any, ...]:
    """The stored answers of a deal: budget, authority, need, timing."""
    rows = table_rows(
        db_path, "SELECT budget, authority, need, timing FROM deal WHERE id=?", deal_id
    )
    return rows[0]


# -- recording -------------------------------------------------------------------------


def test_qualify_stores_the_answers_and_says_how_qualified_the_deal_is(
    crm: Any, jane: Path
) -> None:
    result = crm("qualify", "acme website", "--budget", "yes", "--authority", "Y", "--need", "y")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "Deal #2 Acme website: qualified 3/4 (budget, authority, need; timing not known)"
    )
    assert answers(jane, 2) == ("yes", "yes", "yes", None)

    result = crm("qualify", "2", "--timing", "n", "--need", "unknown")
    assert result.stdout.strip() == (
        "Deal #2 Acme website: qualified 2/4 (budget, authority; no timing; need not known)"
    )
    assert answers(jane, 2) == ("yes", "yes", None, "no")

    shown = crm("qualify", "acme")  # no option: shows, changes nothing
    assert shown.exit_code == 0
    assert "qualified 2/4 (budget, authority; no timing; need not known)" in shown.stdout
    data = json.loads(crm("qualify", "acme", "--json").stdout)
    assert data == {
        "id": 2,
        "title": "Acme website",
        "qualification": {"budget": "yes", "authority": "yes", "need": None, "timing": "no"},
        "qualified": 2,
    }


def test_crm_edit_takes_the_answers_too(crm: Any, jane: Path) -> None:
    result = crm("edit", "acme website", "--budget", "no", "--timing", "YES")
    assert result.exit_code == 0, result.stderr
    assert "Updated deal #2 Acme website: budget, timing" in result.stdout
    assert answers(jane, 2) == ("no", None, None, "yes")
    assert crm("edit", "acme website", "--budget", "").exit_code == 0  # empty: not known
    assert answers(jane, 2) == (None, None, None, "yes")


def test_the_deals_form_in_the_editor_has_the_answers(crm: Any, jane: Path) -> None:
    from tinycrm.core import forms, open_db

    assert crm("qualify", "acme", "--budget", "yes").exit_code == 0
    shown: list[str] = []

    def edit(text: str) -> str:
        shown.append(text)
        return text.replace("need:\n", "need: n\n")

    db = open_db(jane)
    try:
        outcome = forms.edit_in_editor(db, "deal", 2, now=NOW, edit=edit)
    finally:
        db.dispose()
    assert "budget: yes\n" in shown[0] and "timing:\n" in shown[0]
    assert outcome.status == "saved"
    assert answers(jane, 2) == ("yes", None, "no", None)


@pytest.mark.parametrize(
    "args",
    [
        ["qualify", "acme", "--budget", "maybe"],
        ["qualify", "acme", "--budget", "yes", "--need", "sort of"],
        ["edit", "acme website", "--authority", "1"],
    ],
)
def test_an_answer_that_is_not_yes_no_or_unknown_is_refused_and_nothing_changes(
    crm: Any, jane: Path, args: list[str]
) -> None:
    assert crm("qualify", "acme", "--timing", "yes").exit_code == 0
    before = snapshot_of(jane)
    result = crm(*args)
    assert result.exit_code != 0
    assert "not an answer for" in result.stderr
    assert "answer yes, no or unknown" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot_of(jane) == before


def test_undo_takes_a_qualification_back_and_redo_puts_it_again(crm: Any, jane: Path) -> None:
    assert crm("qualify", "acme", "--budget", "yes").exit_code == 0
    assert crm("qualify", "acme", "--budget", "no", "--need", "yes").exit_code == 0
    history = crm("history").stdout
    assert "qualify deal #2 Acme website: budget no, need yes" in history
    undone = crm("undo")
    assert undone.exit_code == 0, undone.stderr
    assert "qualify deal #2 Acme website" in undone.stdout
    assert answers(jane, 2) == ("yes", None, None, None)
    assert crm("redo").exit_code == 0
    assert answers(jane, 2) == ("no", None, "yes", None)


# -- shown -----------------------------------------------------------------------------


def _qualified_line(crm: Any) -> str:
    page: str = crm("show", "acme website").stdout
    return next(ln for ln in page.splitlines() if ln.startswith("qualified")).split(None, 1)[1]


def test_the_deals_page_and_list_json_show_the_qualification(crm: Any, jane: Path) -> None:
    assert _qualified_line(crm).strip() == "0/4 (nothing known yet)"
    assert crm("qualify", "acme", "--budget", "yes", "--need", "no").exit_code == 0
    assert _qualified_line(crm).strip() == "1/4 (budget; no need; authority, timing not known)"
    shown = json.loads(crm("show", "acme website", "--json").stdout)
    assert shown["qualification"] == {
        "budget": "yes", "authority": None, "need": "no", "timing": None,
    }  # fmt: skip
    listed = json.loads(crm("list", "deals", "--json").stdout)
    assert listed[0]["qualification"] == shown["qualification"]


def test_the_details_page_of_the_board_shows_the_qualification(db: Any) -> None:
    from tinycrm.core import deals, qualify, views
    from tinycrm.tui.screens.details import _fields

    with db.transaction(now=NOW) as s:
        deal = deals.add_deal(s, "Website", now=NOW, currency="USD")
        qualify.qualify(s, deal, {"authority": "yes", "timing": "yes"}, NOW)
        data = dict(views.deal_dict(s, deal, with_history=False))
    assert ("qualified", "2/4 (authority, timing; budget, need not known)") in _fields(data)


# -- the lead score --------------------------------------------------------------------


def _scored(db: Any, settings: Any) -> tuple[dict[str, int], ScoreExplanation]:
    """Each contact's score from the SQL expression, and Jane's explanation."""
    from sqlalchemy import select
    from sqlmodel import col

    from tinycrm.core import refs, scoring
    from tinycrm.store.models import Contact

    rules = scoring.rules_from(settings.scoring)
    with db.snapshot() as s:
        expr = scoring.score_expression(s, rules, NOW)
        rows = s.execute(select(col(Contact.name), expr)).all()
        jane = scoring.explain(s, refs.resolve(s, "Jane", ("contact",)).id, rules, NOW)
    return {name: int(score) for name, score in rows}, jane


def _two_contacts(db: Any) -> None:
    """Jane (#1): open deal A (#3: budget yes, need yes, timing no), open deal B (#4:
    authority yes), a won deal C (all yes, not counted: it is not open); Ben (#2): no deals."""
    from tinycrm.core import contacts, deals, qualify

    with db.transaction(now=NOW) as s:
        jane = contacts.add_contact(s, "Jane Doe", now=NOW)
        contacts.add_contact(s, "Ben Roe", now=NOW)
        a = deals.add_deal(s, "A", now=NOW, currency="USD", contact=jane)
        b = deals.add_deal(s, "B", now=NOW, currency="USD", contact=jane)
        c = deals.add_deal(s, "C", now=NOW, currency="USD", contact=jane)
        qualify.qualify(s, a, {"budget": "yes", "need": "yes", "timing": "no"}, NOW)
        qualify.qualify(s, b, {"authority": "yes"}, NOW)
        yes = dict.fromkeys(("budget", "authority", "need", "timing"), "yes")
        qualify.qualify(s, c, yes, NOW)
        deals.close_deal(s, c, "won", NOW)


def test_the_lead_score_counts_the_best_open_deals_qualification(db: Any) -> None:
    from tinycrm.config import Settings

    _two_contacts(db)
    scores, jane = _scored(db, Settings())
    line = next(ln for ln in jane["lines"] if ln["rule"] == "qualification")
    # by the default rules, +5 for each yes and -5 for each no: A is 5 + 5 - 5 = 5, B is 5;
    # the best open deal counts (A: the first of the two)
    assert line["points"] == 5
    assert line["detail"] == (
        "#3 A, the best of 2 open deals, qualified 2/4 (budget, need; no timing;"
        " authority not known) (+5 each yes, -5 each no)"
    )
    assert scores["Jane Doe"] - scores["Ben Roe"] == 5
    assert jane["score"] == scores["Jane Doe"]


def test_the_qualification_points_come_from_the_settings(db: Any, crm: Any) -> None:
    from tinycrm import config, paths

    _two_contacts(db)
    config_file = paths.config_file()
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        "[scoring.qualified]\nbudget = 20\nauthority = 30\n[scoring.unqualified]\ntiming = -12\n",
        encoding="utf-8",
    )
    scores, jane = _scored(db, config.load())
    # A: budget 20 + need 5 - timing 12 = 13; B: authority 30; the best is B
    line = next(ln for ln in jane["lines"] if ln["rule"] == "qualification")
    assert line["points"] == 30
    assert line["detail"] == (
        "#4 B, the best of 2 open deals, qualified 1/4 (authority; budget, need, timing not"
        " known) (yes: budget +20 authority +30 need +5 timing +5,"
        " no: budget -5 authority -5 need -5 timing -12)"
    )
    assert scores["Jane Doe"] - scores["Ben Roe"] == 30
    explained = crm("score", "jane")
    assert explained.exit_code == 0, explained.stderr
    assert "+30  qualification: #4 B" in explained.stdout


def test_a_qualification_table_naming_something_else_is_refused(crm: Any) -> None:
    from tinycrm import paths

    config_file = paths.config_file()
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("[scoring.qualified]\nbudgte = 10\n", encoding="utf-8")
    result = crm("config", "list")
    assert result.exit_code != 0
    assert "[scoring] qualified must be a table of points for budget" in result.stderr
    assert "'budgte'" in result.stderr
    config_file.write_text("", encoding="utf-8")
    assert crm("config", "set", "scoring.unqualified.need", "--", "-8").exit_code == 0
    assert crm("config", "get", "scoring.unqualified.need").stdout.strip() == "-8"
    assert crm("config", "set", "scoring.qualified.money", "3").exit_code != 0


# -- filters ---------------------------------------------------------------------------


def _three_deals(crm: Any) -> None:
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    assert crm("add", "contact", "Ben Roe").exit_code == 0
    for title, contact in (("Full", "jane"), ("Half", "ben"), ("None", "ben")):
        assert crm("add", "deal", title, "--contact", contact).exit_code == 0
    assert crm("qualify", "full", "--budget", "y", "--authority", "y", "--need", "y",
               "--timing", "y").exit_code == 0  # fmt: skip
    assert crm("qualify", "half", "--budget", "y", "--need", "y", "--timing", "n").exit_code == 0


def _titles(crm: Any, *args: str) -> list[str]:
    result = crm("list", "deals", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [row["title"] for row in json.loads(result.stdout)]


def test_list_deals_keeps_the_qualified_ones(crm: Any) -> None:
    _three_deals(crm)
    assert _titles(crm, "--qualified", "2") == ["Full", "Half"]
    assert _titles(crm, "--qualified", "3") == ["Full"]
    assert _titles(crm, "--qualified", "0") == ["Full", "Half", "None"]
    assert _titles(crm, "--bant", "budget,need") == ["Full", "Half"]
    assert _titles(crm, "--bant", "Timing") == ["Full"]
    assert _titles(crm, "--bant", "budget", "--qualified", "4") == ["Full"]
    bad = crm("list", "deals", "--bant", "budget,money")
    assert bad.exit_code != 0
    assert "not a qualification criterion: 'money'" in bad.stderr
    assert crm("list", "deals", "--qualified", "5").exit_code != 0


def test_a_segment_keeps_qualified_deals_and_their_contacts(crm: Any) -> None:
    _three_deals(crm)
    saved = crm("segment", "save", "ready", "--qualified", "3", "--bant", "authority")
    assert saved.exit_code == 0, saved.stderr
    assert "qualified 3; bant authority" in saved.stdout
    shown = json.loads(crm("segment", "show", "ready", "--json").stdout)
    assert (shown["contacts"], shown["deals"]) == (1, 1)
    assert [p["name"] for p in shown["first_contacts"]] == ["Jane Doe"]
    assert _titles(crm, "--segment", "ready") == ["Full"]
    assert crm("segment", "save", "odd", "--bant", "nope").exit_code != 0


# -- the board's card ------------------------------------------------------------------


def test_the_card_shows_bant_bright_struck_or_dim(db: Any) -> None:
    from tinycrm.core import deals, qualify
    from tinycrm.tui.app import CrmApp
    from tinycrm.tui.screens.board import BoardScreen
    from tinycrm.tui.widgets.cards import CARD_HEIGHT, CardList

    with db.transaction(now=NOW) as s:
        deals.add_deal(s, "Plain", now=NOW, currency="USD", value="100")
        deal = deals.add_deal(s, "Qualified", now=NOW, currency="USD", value="5000")
        qualify.qualify(s, deal, {"budget": "yes", "authority": "no", "need": "yes"}, NOW)
    seen: dict[str, Any] = {}

    async def run() -> None:
        from tests.tui.conftest import settle

        app = CrmApp(db, watch=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            board = app.screen
            assert isinstance(board, BoardScreen) and board.board is not None
            cards = board.query_one("#cards-" + board.board.columns[0].key, CardList)
            order = [card.title for card in cards.cards]
            for title in ("Plain", "Qualified"):
                top = order.index(title) * CARD_HEIGHT - int(cards.scroll_y)
                seen[title] = list(cards.render_line(top + 2))
            seen["styles"] = {
                part: cards.get_component_rich_style(f"cards--{part}")
                for part in ("yes", "no", "unknown")
            }

    asyncio.run(run())
    plain = "".join(s.text for s in seen["Plain"])
    assert plain.split() == ["$100", "0d"]
    text = "".join(s.text for s in seen["Qualified"])
    assert text.split() == ["$5,000", "BANT", "0d"]
    letters = {s.text: s.style for s in seen["Qualified"] if s.text in "BANT" and s.text}
    styles = seen["styles"]
    assert letters["B"].color == styles["yes"].color and letters["B"].bold
    assert letters["N"].color == styles["yes"].color
    assert letters["A"].color == styles["no"].color and letters["A"].strike
    assert letters["T"].color == styles["unknown"].color and not letters["T"].bold


def test_quiet_prints_only_the_deals_id(crm: Any, db_path: Path) -> None:
    assert crm("add", "deal", "Acme website").exit_code == 0
    r = crm("qualify", "acme", "--budget", "yes", "-q")
    assert (r.exit_code, r.stdout) == (0, "1\n"), r.stderr
    assert table_rows(db_path, "SELECT budget FROM deal") == [("yes",)]
