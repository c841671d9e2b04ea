"""A deal's qualification (BANT) in CSV: exported as budget, authority, need and timing,
read back as `crm qualify` reads an answer, a cell that cannot be read left out with a note
(or, strict, its row refused), and an existing deal's answers never emptied by an import."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tests.conftest import Crm, table_rows

ANSWERS = "SELECT title, budget, authority, need, timing FROM deal ORDER BY id"


def ok(crm: Crm, *args: str) -> Any:
    r = crm(*args)
    assert r.exit_code == 0, r.output
    return r


def test_the_answers_are_exported_and_read_back(crm: Crm, db_path: Path, tmp_path: Path) -> None:
    ok(crm, "add", "deal", "Acme website", "--value", "5000")
    ok(crm, "add", "deal", "Beta shop")
    ok(crm, "qualify", "acme", "--budget", "yes", "--authority", "no", "--timing", "yes")
    out = tmp_path / "deals.csv"
    ok(crm, "export", "csv", "--kind", "deals", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    at = header.index("expected_close")
    assert header[at + 1 : at + 5] == ["budget", "authority", "need", "timing"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["budget"], r["authority"], r["need"], r["timing"]) for r in rows] == [
        ("yes", "no", "", "yes"),
        ("", "", "", ""),
    ]
    other = tmp_path / "other.db"
    r = ok(crm, "--db", str(other), "import", "csv", str(out), "--kind", "deals")
    assert "values left out" not in r.stdout
    assert table_rows(other, ANSWERS) == table_rows(db_path, ANSWERS)
    assert table_rows(other, ANSWERS) == [
        ("Acme website", "yes", "no", None, "yes"),
        ("Beta shop", None, None, None, None),
    ]


def test_an_answer_that_cannot_be_read_is_left_out_or_refuses_its_row(
    crm: Crm, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "title,Budget,authority,need,timing\nA,Y,n,unknown,YES\nB,maybe,yes,,no\n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(path), "--kind", "deals", "--strict")
    assert r.exit_code == 1
    assert "line 3: column Budget: not an answer for budget: 'maybe'" in r.output
    assert table_rows(db_path, ANSWERS) == []
    r = ok(crm, "import", "csv", str(path), "--kind", "deals")
    assert "2 created" in r.stdout
    assert (
        "line 3, column Budget: not an answer for budget: 'maybe' (yes, no or unknown;"
        " y and n too)" in r.stdout
    )
    assert table_rows(db_path, ANSWERS) == [
        ("A", "yes", "no", None, "yes"),
        ("B", None, "yes", None, "no"),
    ]


def test_an_import_never_empties_an_answer(crm: Crm, db_path: Path, tmp_path: Path) -> None:
    ok(crm, "add", "deal", "Acme website")
    ok(crm, "qualify", "acme", "--budget", "yes", "--authority", "yes", "--need", "no")
    path = tmp_path / "in.csv"
    path.write_text(
        "title,budget,authority,need,timing\nAcme website,no,unknown,,yes\n", encoding="utf-8"
    )
    r = ok(crm, "import", "csv", str(path), "--kind", "deals")  # skip: left as it is
    assert "1 skipped" in r.stdout
    assert table_rows(db_path, ANSWERS) == [("Acme website", "yes", "yes", "no", None)]
    ok(crm, "import", "csv", str(path), "--kind", "deals", "--on-duplicate", "merge")
    assert table_rows(db_path, ANSWERS) == [("Acme website", "yes", "yes", "no", "yes")]
    ok(crm, "undo")
    r = ok(crm, "import", "csv", str(path), "--kind", "deals", "--on-duplicate", "update")
    assert "1 updated" in r.stdout
    # unknown and an empty cell say nothing: the answers they stand beside are kept
    assert table_rows(db_path, ANSWERS) == [("Acme website", "no", "yes", "no", "yes")]
    ok(crm, "undo")
    assert table_rows(db_path, ANSWERS) == [("Acme website", "yes", "yes", "no", None)]
