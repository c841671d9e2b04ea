"""Changing a board already shown without loading it again: placing the cards of a few
deals that changed, showing a move before it is saved, narrowing by a filter typed on, and
sorting the columns again. The board screen calls these between its loads."""

from __future__ import annotations

import bisect
from dataclasses import replace
from datetime import datetime, tzinfo

from sqlmodel import Session

from tinycrm.core.board import SORTS, Board, Card, Column, card_of, closed_key, deal_rows, sort_key
from tinycrm.domain.dates import local_tz
from tinycrm.domain.text import fold
from tinycrm.errors import ValidationError


def place_cards(
    session: Session,
    data: Board,
    deal_ids: list[int],
    now: datetime,
    *,
    text: str | None = None,
    sort: str = "stage",
    tz: tzinfo | None = None,
) -> set[str]:
    """Bring a loaded board up to date for a few deals that changed (cheaper than loading
    it again); return the keys of the columns that changed. A deal whose card, read again,
    shows what its card already showed (a change the board showed before it was saved) is
    updated in place and changes no column."""
    tz = tz or local_tz()
    stale = {c.stage_id: c.stale_days for c in data.columns}
    fresh = {
        card.id: card
        for row in deal_rows(session, data.pipeline_id, now, text, deal_ids)
        for card in [card_of(row, now, tz, stale.get(row["stage_id"]))]
    }
    columns = [*data.columns, data.closed]
    changed = set()
    for deal_id in deal_ids:
        card = fresh.get(deal_id)
        if card is not None and _kept_in_place(data, card, sort):
            continue
        for column in columns:
            kept = [c for c in column.cards if c.id != deal_id]
            if len(kept) != len(column.cards):
                column.cards = kept
                changed.add(column.key)
        if card is not None:
            changed |= _place(data, card, sort)
    return changed


def _kept_in_place(data: Board, card: Card, sort: str) -> bool:
    """Put `card` in place of the deal's card if the two differ only in the moments their
    days and signs are worked out from (by the milliseconds between a change shown and the
    same change saved) and it keeps its place in its column; tell whether it did."""
    found = data.where(card.id)
    if found is None:
        return False
    column, index = found
    old = column.cards[index]
    same = replace(
        card, entered_at=old.entered_at, last_change=old.last_change, closed_at=old.closed_at
    )
    if same != old:
        return False
    closed = column is data.closed
    key = closed_key if closed else sort_key(sort)
    before, after = column.cards[max(0, index - 1) : index], column.cards[index + 1 : index + 2]
    around = [*before, card, *after]
    if sorted(around, key=key, reverse=closed) != around:
        return False
    column.cards[index] = card
    return True


def _place(data: Board, card: Card, sort: str) -> set[str]:
    """Add `card` to its column (its stage's, or the closed deals), kept in order; return the
    key of the column that changed (none if the board has no column for its stage)."""
    target = data.column_for(card)
    if target is None:
        return set()
    if target is data.closed:
        target.cards.append(card)
        target.cards.sort(key=closed_key, reverse=True)
    else:  # a stage's cards are kept in the board's order
        bisect.insort(target.cards, card, key=sort_key(sort))
    return {target.key}


def moved_card(card: Card, column: Column, now: datetime) -> Card:
    """Return `card` as it is once its deal is moved to `column`'s stage at `now` (as
    `deals.move_deal` leaves it): open, new in the stage, with the stage's probability
    unless the deal has its own. The board shows it so before the move is saved."""
    if column.stage_id is None:
        raise ValidationError("a deal is moved to a stage, not to the closed deals")
    probability = card.own_probability
    return replace(
        card,
        stage_id=column.stage_id,
        status="open",
        probability=column.probability or 0 if probability is None else probability,
        days_in_stage=0,
        stale=False,
        entered_at=now,
        last_change=now,
        closed_at=None,
        lost_reason=None,
    )


def put_card(data: Board, card: Card, sort: str = "stage") -> set[str]:
    """Show `card` where it belongs on a loaded board (its stage's column, or the closed
    deals), in place of the deal's card wherever it was; return the keys of the columns
    that changed. Nothing is read: the board uses it to show a change before it is saved."""
    changed = set()
    found = data.where(card.id)
    if found is not None:
        column, index = found
        column.cards = column.cards[:index] + column.cards[index + 1 :]
        changed.add(column.key)
    return changed | _place(data, card, sort)


def matches(card: Card, words: list[str]) -> bool:
    """Tell whether a card holds each folded word in its title, contact or company name:
    load_board's filter, applied to a card already loaded."""
    keys = [fold(text) for text in (card.title, card.contact, card.company) if text]
    return all(any(word in key for key in keys) for word in words)


def narrowed(data: Board, text: str) -> Board:
    """Return a loaded board with only the cards that match `text` too, in their order.

    A filter typed on (its text grows) keeps a subset of what it showed, so it needs no
    read: the board narrows what it has."""
    words = fold(text).split()
    if not words:
        return data
    columns = [replace(c, cards=[x for x in c.cards if matches(x, words)]) for c in data.columns]
    closed = replace(data.closed, cards=[x for x in data.closed.cards if matches(x, words)])
    return replace(data, columns=columns, closed=closed)


def sorted_by(data: Board, sort: str) -> Board:
    """Return a loaded board with its stage columns in another order (see SORTS), read
    from nothing but the cards it has."""
    if sort not in SORTS:
        raise ValidationError(f"cannot sort the board by {sort!r}", hint=", ".join(SORTS))
    key = sort_key(sort)
    columns = [replace(c, cards=sorted(c.cards, key=key)) for c in data.columns]
    return replace(data, columns=columns, closed=replace(data.closed))
