"""Every `crm …` example in docs/commands.md, docs/import-export.md and docs/mail.md runs as
written.

The shell blocks (```sh) of each page run in order, top to bottom, on one fresh database
with the fixed clock: each example on what the examples before it built. A block that is not
meant to run says so on the line before its fence, with `<!-- not run: why -->`. The files
the examples import and that no earlier example wrote (a reader's own exports) are given
here. The pages are read as they are, so a new section is run with the rest. (The console
transcripts of docs/import-export.md are run with their output in test_import_matching.)
"""

from __future__ import annotations

import shlex
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.test_reports import data  # noqa: F401  (the dataset of docs/reports.md)

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOT_RUN = "<!-- not run"
SHELL = ("sh", "bash", "shell")
# the reader's own files, as the tools named beside the examples write them
READERS_FILES = {
    "google-contacts.csv": "Name,Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value\n"
    "Ann Lee,Ann,Lee,ann@lee.example,+1 555 0101\n",
    "hubspot.csv": "First Name,Last Name,Email,Company Name,Lifecycle Stage\n"
    "Bo,Berg,bo@berg.example,Berg AB,customer\n",
    "pipedrive-deals.csv": "Deal - Title,Deal - Value,Deal - Stage,Person - Name\n"
    "Berg rollout,2000,Qualifying,Bo Berg\n",
    "odd.csv": "Full Name,E-Mail,Region\nCy Odd,cy@odd.example,EMEA\n",
    "Downloads/contacts.csv": "name,email\nDee Park,dee@park.example\n",
    "deals.csv": "title,value,contact\nPark renewal,1500,Dee Park\n",
    "leads.csv": "Full Name,Region\nEd Lead,APAC\n",
    "contacts.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fay Card\r\nEMAIL:fay@card.example\r\n"
    "END:VCARD\r\n",
    "message.eml": "From: Jane Doe <jane@acme.com>\nTo: you@example.com\nSubject: Re: the"
    " proposal\nDate: Fri, 20 Nov 2026 09:12:00 +0100\nMessage-ID: <reply-1@acme.com>\n\n"
    "Looks good, send the contract.\n\n> the proposal\n",
    ".contacts/work/fay.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fay Card\r\nTITLE:CFO\r\n"
    "EMAIL:fay@card.example\r\nEND:VCARD\r\n",
}


def examples(page: str) -> list[tuple[int, list[str]]]:
    """The `crm` commands of a page's shell blocks, with their line numbers, in order."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found: list[tuple[int, list[str]]] = []
    language: str | None = None
    skipped = False
    before = ""  # the last line that was not blank, outside a block
    opened = 0
    for number, line in enumerate(lines, 1):
        fence = line.strip()
        if language is None and fence.startswith("```"):
            language, skipped = fence[3:].strip(), before.startswith(NOT_RUN)
            opened = number
        elif language is not None and fence == "```":
            language = None
        elif language is not None and fence.startswith("```"):
            raise AssertionError(f"docs/{page}:{number}: a block opens inside an unclosed one")
        elif language is not None:
            if language in SHELL and not skipped:
                words = shlex.split(line, comments=True)
                if words:
                    assert words[0] == "crm", f"docs/{page}:{number}: not a crm command: {line}"
                    found.append((number, words[1:]))
        elif fence:
            before = fence
    assert language is None, f"docs/{page}:{opened}: this code block is never closed"
    return found


def _home_path(word: str, home: Path) -> str:
    """A word as the shell gives it: `~/…` in the home folder."""
    return str(home / word[2:]) if word.startswith("~/") else word


@pytest.mark.parametrize("page", ["commands.md", "import-export.md", "mail.md"])
def test_the_examples_of_a_page_run_in_order(
    crm: Any, page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "user"
    work = home / "work"
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for name, text in READERS_FILES.items():
        path = home / name if name.startswith(".") or name.startswith("Downloads/") else work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # a backup made earlier, of another database
    earlier = str(tmp_path / "earlier.db")
    assert crm("--db", earlier, "add", "contact", "Gil Earlier").exit_code == 0
    made = crm("--db", earlier, "export", "json", "-o", "backup.json")
    assert made.exit_code == 0, made.stderr
    steps = examples(page)
    assert len(steps) >= 10
    for number, words in steps:
        result = crm(*(_home_path(word, home) for word in words), stdin="")
        assert result.exit_code == 0, (
            f"docs/{page}:{number}: crm {shlex.join(words)} exited {result.exit_code}:"
            f" {result.stderr or result.stdout}"
        )


def test_the_json_documents_heading_in_the_docs_is_what_the_export_writes(
    crm: Any, jane: Path
) -> None:
    import json
    import re

    text = (DOCS / "import-export.md").read_text(encoding="utf-8")
    section = text.split("## JSON: everything", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, flags=re.S)
    assert block, "docs/import-export.md shows the JSON document"
    shown = dict(re.findall(r'^  "(format|version|schema|exported_at)": ([^,\n]+),', block.group(1),
                            flags=re.M))  # fmt: skip
    written = json.loads(crm("export", "json").stdout)
    assert {key: json.loads(value) for key, value in shown.items()} == {
        key: written[key] for key in ("format", "version", "schema", "exported_at")
    }


def _examples_with_output(page: str) -> list[tuple[int, list[str], list[str]]]:
    """The `crm` commands of a page's shell blocks that are followed by a block of output:
    each with its line number and the lines it prints."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found: list[tuple[int, list[str], list[str]]] = []
    blocks: list[tuple[int, str, list[str], bool]] = []  # line, language, lines, not run
    before, number = "", 0
    while number < len(lines):
        fence = lines[number].strip()
        if fence.startswith("```"):
            end = next(n for n in range(number + 1, len(lines)) if lines[n].strip() == "```")
            blocks.append((number + 1, fence[3:].strip(), lines[number + 1 : end],
                           before.startswith(NOT_RUN)))  # fmt: skip
            number = end
        elif fence:
            before = fence
        number += 1
    for (line, language, body, skipped), following in pairwise(blocks):
        if language in SHELL and not skipped and following[1] == "" and len(body) == 1:
            found.append((line, shlex.split(body[0])[1:], following[2]))
    return found


def test_the_report_examples_print_what_the_reports_page_shows(
    crm: Any,
    data: Any,  # noqa: F811
) -> None:
    """A `crm report …` of docs/reports.md followed by its output prints that output on the
    page's dataset (tests/test_reports.py's), with the lost reasons the page names."""
    assert crm("config", "set", "deals.lost_reasons", "price, timing").exit_code == 0
    shown = _examples_with_output("reports.md")
    assert len(shown) >= 2
    for number, words, expected in shown:
        result = crm(*words)
        assert result.exit_code == 0, f"docs/reports.md:{number}: {result.output}"
        printed = [line.rstrip() for line in result.stdout.rstrip("\n").splitlines()]
        assert printed == [line.rstrip() for line in expected], (
            f"docs/reports.md:{number}: crm {shlex.join(words)} prints\n" + "\n".join(printed)
        )
