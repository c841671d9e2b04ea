"""`crm search`: ranked full-text matches with snippets; safe with any text; trash left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of
from tinycrm.core import search
from tinycrm.errors import ValidationError


@pytest.fixture
def seeded(crm: Crm) -> Crm:
    for args in (
        ("add", "company", "Acme Corp", "--domain", "acme.com", "--industry", "rockets"),
        ("add", "contact", "Jane Doe", "--company", "Acme Corp", "--title", "Head of Rockets"),
        ("add", "contact", "Zoë Quill", "--note", "met at the rocket fair"),
        ("add", "deal", "Rocket engines", "--contact", "jane"),
        ("log", "jane", "call", "discussed the budget for engines"),
    ):
        r = crm(*args)
        assert r.exit_code == 0, r.stderr
    return crm


def test_search_ranks_title_matches_first_with_snippets(seeded: Any) -> None:
    r = seeded("search", "rocket", "--json")
    assert r.exit_code == 0, r.stderr
    hits = json.loads(r.stdout)
    # prefix matching on the last word: rocket finds rockets too
    assert {(h["kind"], h["id"]) for h in hits} == {
        ("deal", 4), ("company", 1), ("contact", 2), ("contact", 3)
    }  # fmt: skip
    assert hits[0]["kind"] == "deal"  # the word is in its title
    assert hits[0]["label"] == "Rocket engines"
    assert hits[0]["snippet"] == "[Rocket] engines"
    assert [h["score"] for h in hits] == sorted(h["score"] for h in hits)


def test_search_finds_interactions_accents_and_kinds(seeded: Any) -> None:
    hits = json.loads(seeded("search", "budget", "--json").stdout)
    assert hits == [
        {
            "kind": "interaction",
            "id": 1,
            "label": "call with Jane Doe",
            "snippet": "discussed the [budget] for engines",
            "score": hits[0]["score"],
            "at": "2026-11-23T10:00:00Z",
            "contact_id": 2,
        }
    ]
    assert json.loads(seeded("search", "zoe", "--json").stdout)[0]["label"] == "Zoë Quill"
    only = json.loads(seeded("search", "rocket", "--kind", "contacts", "--json").stdout)
    assert {h["kind"] for h in only} == {"contact"}
    assert seeded("search", "engi", "-q").stdout.splitlines() == ["deal 4", "interaction 1"]


def test_search_table_and_no_matches(seeded: Any) -> None:
    r = seeded("search", "budget")
    assert "interaction" in r.stdout and "discussed the budget for engines" in r.stdout
    r = seeded("search", "nothinglikethis")
    assert (r.exit_code, r.stdout) == (0, "no matches\n")


@pytest.mark.parametrize(
    "text",
    ['"unbalanced', "AND OR NOT", "rocket*", "col:value", "(paren", "NEAR(a b)", "a-b", "^start"],
)
def test_fts_syntax_in_user_text_is_just_text(seeded: Any, text: str) -> None:
    r = seeded("search", text, "--json")
    assert r.exit_code == 0, r.stderr
    assert isinstance(json.loads(r.stdout), list)


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["search", "!!!"], "nothing to search for", 1),
        (["search", "acme", "--kind", "planet"], "not a kind to search", 1),
        (["search", "acme", "--limit", "0"], "", 2),
    ],
)
def test_bad_search_input(
    seeded: Any, db_path: Path, args: list[str], message: str, code: int
) -> None:
    before = snapshot_of(db_path)
    r = seeded(*args)
    assert r.exit_code == code
    assert message in r.stderr
    assert snapshot_of(db_path) == before


def test_trashed_records_are_not_found(seeded: Any, db_path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE deal SET deleted_at = '2026-11-23 10:00:00.000000'")
    conn.execute("UPDATE contact SET deleted_at = '2026-11-23 10:00:00.000000' WHERE id = 2")
    conn.commit()
    conn.close()
    hits = json.loads(seeded("search", "rocket", "--json").stdout)
    assert {(h["kind"], h["id"]) for h in hits} == {("company", 1), ("contact", 3)}
    # an interaction with a trashed contact goes with it
    assert json.loads(seeded("search", "budget", "--json").stdout) == []


def test_common_words_rank_only_the_newest_matches(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more matches than the pool, only the newest POOL matches are ranked."""
    from tests.test_core import NOW
    from tinycrm.core import companies

    with db.transaction() as s:
        for i in range(30):
            # older companies are better matches (the word twice), newer ones weaker
            body = "widget widget" if i < 10 else "widget"
            companies.add_company(s, f"Company {i:02d}", now=NOW, notes=body)
    monkeypatch.setattr(search, "POOL", 5)
    with db.snapshot() as s:
        hits = search.search(s, "widget", limit=3)
        assert {h["id"] for h in hits} <= set(range(26, 31))
        monkeypatch.setattr(search, "POOL", 1000)
        everything = search.search(s, "widget", limit=3)
    assert {h["id"] for h in everything} <= set(range(1, 11))


def test_match_expression_quotes_every_word() -> None:
    assert search.match_expression('say "hi" now') == '"say" """hi""" "now"*'
    assert search.match_expression("acme corp.") == '"acme" "corp."'
    with pytest.raises(ValidationError):
        search.match_expression(" ... ")


def test_each_kind_filter_finds_only_that_kind(db: Any) -> None:
    from datetime import timedelta

    from tests.test_core import NOW
    from tinycrm.core import companies, contacts, deals, followups, interactions
    from tinycrm.domain.dates import When

    with db.transaction() as s:
        person = contacts.add_contact(s, "Kiwi Person", now=NOW)
        companies.add_company(s, "Kiwi Company", now=NOW)
        deals.add_deal(s, "Kiwi deal", now=NOW, currency="USD")
        interactions.log_interaction(s, "note", "kiwi talk", now=NOW, contact=person)
        followups.add_follow_up(
            s, "kiwi follow-up", When(NOW + timedelta(days=1), False), now=NOW, contact=person
        )
    with db.snapshot() as s:
        assert len(search.search(s, "kiwi")) == 5
        for kind in search.KINDS:
            hits = search.search(s, "kiwi", kind=kind)
            assert [h["kind"] for h in hits] == [kind], kind
