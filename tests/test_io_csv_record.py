"""The whole record in CSV: a plain file a seller makes by hand, a birthday that cannot be
read exactly (left out with a note, or the row refused with --strict), and `crm export csv`
read back by `crm import csv` with the name's parts, nickname, dates and address as they were."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import table_rows
from tinycrm.io.csvcells import RowError, record_date

ADDRESSES = (
    "SELECT contact_id, label, po_box, extended, street, locality, region, postcode, country,"
    " is_primary FROM contact_address ORDER BY id"
)
DATES = "SELECT contact_id, kind, value, month, day FROM contact_date ORDER BY id"
NAME_PARTS = (
    "SELECT name, given_name, middle_name, family_name, name_prefix, name_suffix, nickname"
    " FROM contact ORDER BY id"
)


def test_a_plain_file_made_by_hand(crm: Any, db_path: Path):
    text = (
        "given,family,nickname,email,birthday,street,city,postcode,country\n"
        "Jane,Doe,JD,jane@acme.com,--04-12,1 Main St,Springfield,62701,USA\n"
        'Tom,Kay,,tom@kay.com,1970-01-02,"2 High St; Leeds; ; LS1 1AA; UK",,,\n'
    )
    r = crm("import", "csv", "-", stdin=text)
    assert r.exit_code == 0, r.stderr
    assert "(plain layout): 2 created" in r.stdout
    assert table_rows(db_path, NAME_PARTS) == [
        ("Jane Doe", "Jane", None, "Doe", None, None, "JD"),
        ("Tom Kay", "Tom", None, "Kay", None, None, None),
    ]
    # a street in its own column is a street, semicolons and all
    assert table_rows(db_path, ADDRESSES) == [
        (1, None, None, None, "1 Main St", "Springfield", None, "62701", "USA", 1),
        (2, None, None, None, "2 High St; Leeds; ; LS1 1AA; UK", None, None, None, None, 1),
    ]
    assert table_rows(db_path, DATES) == [(1, "birthday", "--04-12", 4, 12), (2, "birthday",
                                          "1970-01-02", 1, 2)]  # fmt: skip


def test_an_address_in_one_cell_reads_as_address_takes_it(crm: Any, db_path: Path):
    text = "name,address\nJane Doe,work: 1 Main St; Springfield; IL; 62701; USA\n"
    r = crm("import", "csv", "-", stdin=text)
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, ADDRESSES) == [
        (1, "work", None, None, "1 Main St", "Springfield", "IL", "62701", "USA", 1)
    ]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1985-04-12", "1985-04-12"), ("--04-12", "--04-12"), ("17.5.1975", "1975-05-17"),
        ("25/4/1985", "1985-04-25"), ("4/25/1985", "1985-04-25"), ("5/5/1990", "1990-05-05"),
        ("0/0/00", None), ("00/00/0000", None),
    ],
)  # fmt: skip
def test_dates_read_exactly(written: str, value: str | None):
    found = record_date(written)
    assert (found.value if found else None) == value


@pytest.mark.parametrize("written", ["4/12/1985", "12/4/85", "31.2.1990", "--13-01", "soon"])
def test_dates_never_guessed(written: str):
    with pytest.raises(RowError):
        record_date(written)


OUTLOOK_DATES = (
    "First Name,Last Name,E-mail Address,Birthday,Anniversary\n"
    "Ann,Lee,ann@lee.com,4/12/1985,25/12/2001\n"
    "Bob,Ray,bob@ray.com,12/31/1980,0/0/00\n"
    "Cy,Ng,cy@ng.com,soon,\n"
)


def test_a_birthday_that_cannot_be_read_is_left_out_with_a_note(crm: Any, db_path: Path):
    r = crm("import", "csv", "-", stdin=OUTLOOK_DATES)
    assert r.exit_code == 0, r.stderr
    assert "(outlook layout): 3 created" in r.stdout
    # April or December? Never a guess; "0/0/00" is Outlook's "no date"
    assert (
        "  line 2, column Birthday: cannot tell the day from the month in '4/12/1985'"
        " (write it as 1985-04-12)"
    ) in r.stdout
    assert "  line 4, column Birthday: cannot read the date 'soon'" in r.stdout
    assert table_rows(db_path, DATES) == [
        (1, "anniversary", "2001-12-25", 12, 25),
        (2, "birthday", "1980-12-31", 12, 31),
    ]


def test_strict_refuses_the_row_of_an_unreadable_birthday(crm: Any, db_path: Path):
    r = crm("import", "csv", "-", "--strict", "--skip-bad", stdin=OUTLOOK_DATES)
    assert r.exit_code == 0, r.stderr
    assert "line 2: column Birthday: cannot tell the day from the month" in r.stderr
    assert table_rows(db_path, "SELECT name FROM contact ORDER BY id") == [("Bob Ray",)]
    r = crm("import", "csv", "-", "--strict", stdin=OUTLOOK_DATES)
    assert r.exit_code == 1
    assert table_rows(db_path, "SELECT name FROM contact ORDER BY id") == [("Bob Ray",)]


def test_export_columns_read_back(crm: Any, db_path: Path, tmp_path: Path):
    r = crm(
        "add", "contact", "Mary Ann van der Berg", "--given", "Mary Ann", "--family",
        "van der Berg", "--prefix", "Dr.", "--nickname", "Mimi", "--birthday", "--04-12",
        "--anniversary", "2001-06-30", "--address", "home: 2 Elm St; Leiden; ; 2311; NL",
        "--address", "work: 1 Main St; Springfield; IL; 62701; USA", "-q",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "contacts.csv"
    assert crm("export", "csv", "-o", str(out)).exit_code == 0
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    assert {k: v for k, v in row.items() if k.startswith(("address", "birth", "anniv"))} == {
        "birthday": "'--04-12", "anniversary": "2001-06-30", "address_label": "home",
        "address_po_box": "", "address_extended": "", "address_street": "2 Elm St",
        "address_locality": "Leiden", "address_region": "", "address_postcode": "2311",
        "address_country": "NL",
    }  # fmt: skip
    again = tmp_path / "again.db"
    r = crm("--db", str(again), "import", "csv", str(out))
    assert r.exit_code == 0, r.stderr
    assert "ignored columns" not in r.stderr
    assert table_rows(again, NAME_PARTS) == [
        ("Mary Ann van der Berg", "Mary Ann", None, "van der Berg", "Dr.", None, "Mimi")
    ]
    assert table_rows(again, ADDRESSES) == [
        (1, "home", None, None, "2 Elm St", "Leiden", None, "2311", "NL", 1)
    ]


# what a person may type in a field: letters, digits, signs, a leading = or -, accents
TEXT = (
    st.text(
        st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=12
    )
    .map(str.strip)
    .filter(bool)
)
OPTIONAL = st.none() | TEXT
NAME_KEYS = ("given_name", "middle_name", "family_name", "name_prefix", "name_suffix", "nickname")
DATE_KINDS = ("birthday", "anniversary")
PARTS = ("po_box", "extended", "street", "locality", "region", "postcode", "country")


@st.composite
def days(draw: Any) -> str:
    """A date with or without a year."""
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    year = draw(st.none() | st.integers(1900, 2030))
    return f"--{month:02d}-{day:02d}" if year is None else f"{year:04d}-{month:02d}-{day:02d}"


# each example runs three commands: a failure is shown as found, not shrunk for minutes
@settings(
    max_examples=25,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    parts=st.fixed_dictionaries(dict.fromkeys(NAME_KEYS, OPTIONAL)),
    dates=st.fixed_dictionaries(
        {"birthday": st.none() | days(), "anniversary": st.none() | days()}
    ),
    address=st.none() | st.fixed_dictionaries({k: OPTIONAL for k in ("label", *PARTS)}),
    street_lines=st.booleans(),
)
def test_import_reads_its_own_export_back_exactly(
    crm: Any, parts: dict[str, Any], dates: dict[str, Any], address: Any, street_lines: bool
):
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "first.db", Path(tmp) / "second.db"
        if address and street_lines and address["street"]:
            address["street"] += "\nBuilding B"  # a street of two lines
        if address and not any(address[k] for k in PARTS):
            address["street"] = "1 Main St"
        head = ["name", *NAME_KEYS, *DATE_KINDS]
        cells = ["Jane Doe", *(parts[k] for k in NAME_KEYS), *(dates[k] for k in DATE_KINDS)]
        if address:
            head += [f"address_{k}" for k in ("label", *PARTS)]
            cells += [address[k] for k in ("label", *PARTS)]
        source = io.StringIO()
        writer = csv.writer(source)
        writer.writerow(head)
        writer.writerow(["" if c is None else _neutral(c) for c in cells])
        r = crm("--db", str(first), "import", "csv", "-", stdin=source.getvalue())
        assert r.exit_code == 0, r.stdout + r.stderr
        assert "dropped" not in r.stdout and "column" not in r.stdout, r.stdout
        exported = crm("--db", str(first), "export", "csv", "-o", "-")
        assert exported.exit_code == 0, exported.stderr
        r = crm("--db", str(second), "import", "csv", "-", stdin=exported.stdout)
        assert r.exit_code == 0, r.stderr
        assert "ignored columns" not in r.stderr
        for query in (NAME_PARTS, ADDRESSES, DATES):
            assert table_rows(second, query) == table_rows(first, query)
        assert table_rows(first, NAME_PARTS) == [("Jane Doe", *(parts[k] for k in NAME_KEYS))]
        wanted = [(1, k, dates[k]) for k in DATE_KINDS if dates[k]]
        assert [row[:3] for row in table_rows(first, DATES)] == wanted
        if address:
            assert table_rows(first, ADDRESSES) == [
                (1, *(address[k] for k in ("label", *PARTS)), 1)
            ]
        else:
            assert table_rows(first, ADDRESSES) == []


def _neutral(text: str) -> str:
    from tinycrm.io.csvcells import neutralise

    return neutralise(text)
