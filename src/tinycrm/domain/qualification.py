"""A deal's qualification (BANT): budget, authority, need and timing, each answered yes or no,
or not known yet (None). How an answer is read as typed, and how a qualification reads for
people, written once for `crm qualify`, `crm show`, the board's card and details page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinycrm.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tinycrm.domain.rows import Qualification

CRITERIA = ("budget", "authority", "need", "timing")
YES, NO = "yes", "no"
# what may be typed for an answer, and what is stored for it; empty is "not known" too, as an
# empty value clears any field of `crm edit`
_ANSWERS: dict[str, str | None] = {"yes": YES, "y": YES, "no": NO, "n": NO, "unknown": None}
ANSWER_HINT = "answer yes, no or unknown (y and n too)"


def read_answer(criterion: str, text: str) -> str | None:
    """Read an answer as typed ('yes', 'Y', 'no', 'unknown', '' for not known) into what is
    stored: 'yes', 'no' or None; anything else is a ValidationError naming the choices."""
    key = text.strip().lower()
    if key and key not in _ANSWERS:
        raise ValidationError(f"not an answer for {criterion}: {text!r}", hint=ANSWER_HINT)
    return _ANSWERS.get(key)


def read_criteria(text: str) -> tuple[str, ...]:
    """Read a comma list of criteria ('budget,need', any case) in their BANT order; an unknown
    name is a ValidationError naming the four."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in CRITERIA]
    if unknown or not names:
        raise ValidationError(
            f"not a qualification criterion: {(unknown or [text])[0]!r}",
            hint=f"name some of: {', '.join(CRITERIA)} (comma-separated)",
        )
    return tuple(c for c in CRITERIA if c in names)


def check_criteria(names: Iterable[str]) -> tuple[str, ...]:
    """Return criteria (as stored in a saved filter) checked, in their BANT order."""
    return read_criteria(",".join(names))


def check_at_least(count: int) -> int:
    """Return how many criteria must be yes (0 to 4), or raise ValidationError."""
    if isinstance(count, bool) or not 0 <= count <= len(CRITERIA):
        raise ValidationError(
            f"not a number of criteria: {count!r}", hint="from 0 to 4 (of budget, authority, …)"
        )
    return count


def qualification(values: Iterable[str | None]) -> Qualification:
    """The answers of budget, authority, need and timing, in that order, as a Qualification."""
    budget, authority, need, timing = values
    return {"budget": budget, "authority": authority, "need": need, "timing": timing}


def answers_of(answers: Qualification) -> tuple[str | None, ...]:
    """The answers of budget, authority, need and timing, in that order."""
    return (answers["budget"], answers["authority"], answers["need"], answers["timing"])


def yes_count(answers: Qualification) -> int:
    """How many of the four criteria are answered yes."""
    return answers_of(answers).count(YES)


def known(answers: Qualification) -> bool:
    """Tell whether any criterion is answered (yes or no)."""
    return any(answer is not None for answer in answers_of(answers))


def summary(answers: Qualification) -> str:
    """How qualified a deal is: "qualified 3/4 (budget, authority, need; timing not known)";
    a no is named as one ("no budget"); "qualified 0/4 (nothing known yet)"."""
    given = list(zip(CRITERIA, answers_of(answers), strict=True))
    yes = [c for c, answer in given if answer == YES]
    no = [c for c, answer in given if answer == NO]
    unknown = [c for c, answer in given if answer is None]
    parts = []
    if yes:
        parts.append(", ".join(yes))
    if no:
        parts.append(", ".join(f"no {c}" for c in no))
    if len(unknown) == len(CRITERIA):
        parts.append("nothing known yet")
    elif unknown:
        parts.append(", ".join(unknown) + " not known")
    return f"qualified {len(yes)}/{len(CRITERIA)} ({'; '.join(parts)})"


def letters(answers: Iterable[str | None]) -> list[tuple[str, str | None]]:
    """The four answers (budget, authority, need, timing) beside their criteria's initials,
    for a compact badge: B A N T."""
    return [(c[0].upper(), answer) for c, answer in zip(CRITERIA, answers, strict=True)]
