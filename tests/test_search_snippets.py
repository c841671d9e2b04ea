"""Search snippets show a record's fields apart ("CTO · likes tea · referral"), never run
together, however the snippet is cut."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinycrm.domain.snippets import separated

MARKS = ("[", "]")


def test_a_contacts_fields_are_shown_apart(crm: Any, db_path: Path):
    assert crm("add", "contact", "Jan Smith", "--email", "jan@x.com", "--title", "CTO",
               "--source", "referral", "--note", "likes tea").exit_code == 0  # fmt: skip
    result = crm("search", "tea")
    assert "contact │ 1 │ Jan Smith │ CTO · likes tea · referral" in result.stdout
    hits = json.loads(crm("search", "tea", "--json").stdout)
    assert hits[0]["snippet"] == "CTO · likes [tea] · referral"


def test_an_empty_field_leaves_no_gap(crm: Any, db_path: Path):
    assert crm("add", "company", "Globex", "--domain", "globex.com", "--industry", "software",
               "--size", "11-50").exit_code == 0  # fmt: skip
    assert crm("add", "deal", "Globex renewal").exit_code == 0
    assert crm("edit", "globex renewal", "--notes", "call in spring").exit_code == 0
    assert crm("move", "globex renewal", "lost", "--reason", "budget cut").exit_code == 0
    software = json.loads(crm("search", "software", "--json").stdout)
    assert software[0]["snippet"] == "globex.com · [software]"
    spring = json.loads(crm("search", "spring", "--json").stdout)
    assert spring[0]["snippet"] == "call in [spring] · budget cut"


def test_a_name_hit_is_shown_as_the_engine_gives_it(crm: Any, db_path: Path):
    assert crm("add", "contact", "Jan Smith", "--title", "CTO", "--source", "fair").exit_code == 0
    hits = json.loads(crm("search", "smith", "--json").stdout)
    assert hits[0]["snippet"] == "Jan [Smith]"


def test_a_cut_snippet_keeps_its_ellipses_and_marks():
    fields = ["CTO", "a very long note about many things", "", "referral"]
    assert separated("…many [things]  referral", fields, MARKS) == "…many [things] · referral"
    assert separated("CTO a very…", fields, MARKS) == "CTO · a very…"
    assert separated("[CTO]", fields, MARKS) == "[CTO]"


def test_text_that_is_not_of_the_fields_is_left_as_it_is():
    assert separated("Jan [Smith]", ["CTO", "notes"], MARKS) == "Jan [Smith]"
    assert separated("a b", ["a", "b a b"], MARKS) == "a b"  # found twice: unsure where
