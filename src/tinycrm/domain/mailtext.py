"""The text of an email as tinycrm keeps it: the readable text of an HTML body, the writer's
own first lines (quoted replies and the signature left out) and a one-line summary."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# How long a logged email's summary may be: the subject and the first words of the body.
SUMMARY_LENGTH = 200
# Lines of the body (after quotes and the signature are left out) a summary draws on.
BODY_LINES = 3
# The line that starts a signature (RFC 3676's "-- ", and its trimmed form).
SIGNATURE_LINES = ("-- ", "--")
# A Message-ID as RFC 5322 writes one: `<` id `@` domain `>`, with no space inside.
_MESSAGE_ID = re.compile(r"<[^<>@\s\x00-\x1f\x7f]+@[^<>@\s\x00-\x1f\x7f]+>")


def is_message_id(text: str) -> bool:
    """Whether `text` is one Message-ID as mail writes it (`<abc@example.com>`): what an email
    logged from mail keeps, and what a CSV file's message_id cell must hold."""
    return _MESSAGE_ID.fullmatch(text) is not None


class _Text(HTMLParser):
    """The text of an HTML body: its words, a line per block, scripts and styles left out."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.hidden += 1
        if tag == "blockquote":
            self.quoted += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self.hidden:
            self.hidden -= 1
        if tag == "blockquote" and self.quoted:
            self.quoted -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden and not self.quoted:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The readable text of an HTML body (quoted replies in <blockquote> left out)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def first_lines(body: str, count: int = BODY_LINES) -> list[str]:
    """The first `count` lines of a body that are the writer's own: quoted lines (`>`), the
    "On … wrote:" line before them and everything from the signature line (`-- `) on are
    left out, and so are blank lines."""
    lines = body.splitlines()
    kept: list[str] = []
    for n, line in enumerate(lines):
        if line in SIGNATURE_LINES:
            break
        text = line.strip()
        if not text or text.startswith(">"):
            continue
        after = next((rest.strip() for rest in lines[n + 1 :] if rest.strip()), "")
        if text.endswith(":") and after.startswith(">"):
            continue
        kept.append(" ".join(text.split()))
        if len(kept) == count:
            break
    return kept


def summary_of(subject: str, body: str) -> str:
    """One line, at most SUMMARY_LENGTH characters: the subject, then the first lines."""
    subject = " ".join(subject.split())
    text = " ".join(first_lines(body))
    line = f"{subject}: {text}" if subject and text else subject or text or "(no subject)"
    if len(line) > SUMMARY_LENGTH:
        line = line[: SUMMARY_LENGTH - 1].rstrip() + "…"
    return line
