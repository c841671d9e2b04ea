"""What the pipeline board shows: stage columns with totals, deal cards, follow-up states."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from tinycrm.core import pipelines
from tinycrm.domain.dates import local_tz
from tinycrm.domain.due import whole_day
from tinycrm.domain.qualification import CRITERIA, answers_of, known, qualification
from tinycrm.domain.text import fold
from tinycrm.domain.values import DealStatus, FollowUpStatus, first_year_factor
from tinycrm.errors import ValidationError
from tinycrm.store.models import Company, Contact, Deal, FollowUp, Interaction, Pipeline, Stage
from tinycrm.store.query import contains, due_time, execute, live, live_parents

FOLLOW_UP_STATES = ("overdue", "today", "later", "none")
SORTS = ("stage", "follow-up", "value", "title")
CLOSED_DAYS = 30


@dataclass(frozen=True)
class Card:
    """One deal as the board shows it."""

    id: int
    title: str
    status: str
    stage_id: int
    contact: str | None
    company: str | None
    contact_id: int | None
    company_id: int | None
    value: int | None
    currency: str
    probability: int
    days_in_stage: int
    stale: bool
    follow_up: str  # overdue, today, later, none
    next_due: datetime | None
    closed_at: datetime | None
    lost_reason: str | None
    # what the time-dependent fields above are worked out from, so they can be brought up
    # to date as time passes without reading the database again
    entered_at: datetime | None = None
    last_change: datetime | None = None
    next_all_day: bool = False
    own_probability: int | None = None  # the deal's own, over its stage's, when it has one
    # the answers of budget, authority, need and timing; empty when none is known
    bant: tuple[str | None, ...] = ()
    recurring: str | None = None  # "monthly" or "yearly": the value is per period


@dataclass(frozen=True)
class Total:
    """The deals of one currency in a column: how many, their value and weighted value."""

    currency: str
    count: int
    value: int
    weighted: int


@dataclass(frozen=True)
class Outcome:
    """The closed deals of one status and currency: how many and their value."""

    status: str  # won or lost
    currency: str
    count: int
    value: int


@dataclass
class Column:
    """A stage of the board (or the closed deals at its end) with its cards and totals."""

    key: str
    name: str
    stage_id: int | None
    probability: int | None
    stale_days: int | None
    cards: list[Card] = field(default_factory=list)

    @property
    def totals(self) -> list[Total]:
        """Return count, value and weighted value per currency (never added across)."""
        return totals_of(self.cards)

    @property
    def outcomes(self) -> list[Outcome]:
        """Return count and value per status (won, then lost) and currency: what closed
        deals add up to (weighing them by a stage they left would mean nothing)."""
        return outcomes_of(self.cards)


@dataclass
class Board:
    """A pipeline's stage columns, the recently closed deals, and the other pipelines."""

    pipeline_id: int
    pipeline: str
    pipelines: list[str]
    columns: list[Column]
    closed: Column

    def card(self, deal_id: int) -> Card | None:
        """Return the card of a deal if the board shows it."""
        found = self.where(deal_id)
        return found[0].cards[found[1]] if found is not None else None

    def where(self, deal_id: int) -> tuple[Column, int] | None:
        """Return the column showing a deal's card and its place there, if one does."""
        for column in [*self.columns, self.closed]:
            for index, card in enumerate(column.cards):
                if card.id == deal_id:
                    return column, index
        return None

    def column_for(self, card: Card) -> Column | None:
        """Return the column a card belongs in: its stage's, or the closed deals' (none if
        the board has no column for its stage)."""
        if card.status != "open":
            return self.closed
        return next((c for c in self.columns if c.stage_id == card.stage_id), None)


def totals_of(cards: Iterable[Card]) -> list[Total]:
    """Sum cards by currency: count, value and value x probability, a recurring deal's value
    its first year's (as the pipeline report counts it)."""
    sums: dict[str, list[int]] = {}
    for card in cards:
        entry = sums.setdefault(card.currency, [0, 0, 0])
        entry[0] += 1
        if card.value is not None:
            value = card.value * first_year_factor(card.recurring)
            entry[1] += value
            entry[2] += (value * card.probability + 50) // 100
    return [Total(cur, n, v, w) for cur, (n, v, w) in sorted(sums.items())]


def outcomes_of(cards: Iterable[Card]) -> list[Outcome]:
    """Sum closed cards by status and currency: count and value."""
    sums: dict[tuple[str, str], list[int]] = {}
    for card in cards:
        if card.status == "open":
            continue
        entry = sums.setdefault((card.status, card.currency), [0, 0])
        entry[0] += 1
        entry[1] += card.value or 0
    order = {DealStatus.WON: 0, DealStatus.LOST: 1}
    keys = sorted(sums, key=lambda k: (order.get(k[0], 2), k[1]))
    return [Outcome(status, cur, *sums[status, cur]) for status, cur in keys]


def follow_up_state(due: datetime | None, all_day: bool, now: datetime, tz: tzinfo) -> str:
    """Tell whether a next follow-up is overdue, due today, later, or there is none."""
    if due is None:
        return "none"
    today = now.astimezone(tz).date()
    day = due.astimezone(tz).date()
    if day < today or (not all_day and due <= now):
        return "overdue"
    return "today" if day == today else "later"


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def sort_key(sort: str) -> Any:
    order = {s: i for i, s in enumerate(FOLLOW_UP_STATES)}
    far = datetime.max.replace(tzinfo=UTC)
    if sort == "follow-up":
        return lambda c: (order[c.follow_up], c.next_due or far, c.id)
    if sort == "value":
        return lambda c: (c.currency, -(c.value or 0), c.id)
    if sort == "title":
        return lambda c: (fold(c.title), c.id)
    return lambda c: (-c.days_in_stage, c.id)


_FAR_PAST = datetime.min.replace(tzinfo=UTC)


def closed_key(card: Card) -> tuple[datetime, int]:
    """The order of the closed deals' column, newest first when reversed."""
    return (card.closed_at or _FAR_PAST, card.id)


def load_board(
    session: Session,
    now: datetime,
    pipeline: str | None = None,
    *,
    text: str | None = None,
    sort: str = "stage",
    tz: tzinfo | None = None,
) -> Board:
    """Return the board of a pipeline (the default one unless named), optionally filtered
    by words of a deal's title, contact or company, sorted by `sort` (see SORTS)."""
    if sort not in SORTS:
        raise ValidationError(f"cannot sort the board by {sort!r}", hint=", ".join(SORTS))
    tz = tz or local_tz()
    pipe = pipelines.get_pipeline(session, pipeline)
    assert pipe.id is not None
    stage_rows = pipelines.stages(session, pipe.id)
    names = list(execute(session, select(col(Pipeline.name)).order_by(col(Pipeline.id))).scalars())
    columns = [
        Column(f"stage-{s.id}", s.name, s.id, s.probability, s.stale_days) for s in stage_rows
    ]
    by_stage = {c.stage_id: c for c in columns}
    stale = {s.id: s.stale_days for s in stage_rows}
    closed = Column("closed", f"Won / lost ({CLOSED_DAYS} d)", None, None, None)
    for row in deal_rows(session, pipe.id, now, text):
        card = card_of(row, now, tz, stale.get(row["stage_id"]))
        if card.status == "open":
            if card.stage_id in by_stage:
                by_stage[card.stage_id].cards.append(card)
        else:
            closed.cards.append(card)
    key = sort_key(sort)
    for column in columns:
        column.cards.sort(key=key)
    closed.cards.sort(key=closed_key, reverse=True)
    return Board(pipe.id, pipe.name, names, columns, closed)


def deal_rows(
    session: Session,
    pipeline_id: int,
    now: datetime,
    text: str | None,
    deal_ids: list[int] | None = None,
) -> Any:
    due = due_time()
    open_follow_ups = and_(
        col(FollowUp.deal_id) == Deal.id,
        col(FollowUp.status) == FollowUpStatus.OPEN,
        live(FollowUp),
        live_parents(),  # not those of a trashed contact
    )
    next_due = select(func.min(due)).where(open_follow_ups).scalar_subquery()
    next_all_day = (
        select(FollowUp.all_day)
        .where(open_follow_ups)
        .order_by(due, col(FollowUp.id))
        .limit(1)
        .scalar_subquery()
    )
    last_touch = (
        select(func.max(Interaction.occurred_at))
        .where(col(Interaction.deal_id) == Deal.id, live(Interaction))
        .scalar_subquery()
    )
    since = now - timedelta(days=CLOSED_DAYS)
    columns: list[Any] = [
        Deal.id,
        Deal.title,
        Deal.status,
        Deal.stage_id,
        Deal.value,
        Deal.currency,
        Deal.probability,
        Deal.stage_entered_at,
        Deal.updated_at,
        Deal.closed_at,
        Deal.lost_reason,
        Deal.contact_id,
        Deal.company_id,
        *(col(getattr(Deal, criterion)) for criterion in CRITERIA),
        Deal.recurring,
        col(Stage.probability).label("stage_probability"),
        col(Contact.name).label("contact"),
        col(Company.name).label("company"),
        next_due.label("next_due"),
        next_all_day.label("next_all_day"),
        last_touch.label("last_touch"),
    ]
    query = (
        select(*columns)
        .select_from(Deal)
        .join(Stage, col(Stage.id) == Deal.stage_id)
        .outerjoin(Contact, col(Contact.id) == Deal.contact_id)
        .outerjoin(Company, col(Company.id) == Deal.company_id)
        .where(
            col(Deal.pipeline_id) == pipeline_id,
            live(Deal),
            or_(col(Deal.status) == DealStatus.OPEN, col(Deal.closed_at) >= since),
        )
    )
    if deal_ids is not None:
        query = query.where(col(Deal.id).in_(deal_ids))
    for word in fold(text or "").split():
        query = query.where(
            or_(
                contains(Deal.title_key, word),
                contains(Contact.name_key, word),
                contains(Company.name_key, word),
            )
        )
    return execute(session, query).mappings()


def card_of(row: Any, now: datetime, tz: tzinfo, stale_days: int | None) -> Card:
    entered = _utc(row["stage_entered_at"]) or now
    updated = _utc(row["updated_at"]) or entered
    touched = _utc(row["last_touch"])
    last = max(d for d in (entered, updated, touched) if d is not None)
    next_due = _utc(row["next_due"])
    next_all_day = next_due is not None and whole_day(next_due, bool(row["next_all_day"]), tz)
    prob = row["probability"] if row["probability"] is not None else row["stage_probability"]
    is_open = row["status"] == "open"
    answers = qualification(row[criterion] for criterion in CRITERIA)
    return Card(
        id=row["id"],
        title=row["title"],
        status=row["status"],
        stage_id=row["stage_id"],
        contact=row["contact"],
        company=row["company"],
        contact_id=row["contact_id"],
        company_id=row["company_id"],
        value=row["value"],
        currency=row["currency"],
        probability=prob,
        days_in_stage=days_between(entered, now, tz),
        stale=bool(is_open and stale_days and (now - last).days >= stale_days),
        follow_up=follow_up_state(next_due, next_all_day, now, tz),
        next_due=next_due,
        closed_at=_utc(row["closed_at"]),
        lost_reason=row["lost_reason"],
        entered_at=entered,
        own_probability=row["probability"],
        recurring=row["recurring"],
        last_change=last,
        next_all_day=next_all_day,
        bant=answers_of(answers) if known(answers) else (),
    )


def days_between(start: datetime, now: datetime, tz: tzinfo) -> int:
    """Return how many midnights (local time) have passed since `start`: a deal that entered
    its stage yesterday evening has been there 1 day this morning."""
    return max(0, (now.astimezone(tz).date() - start.astimezone(tz).date()).days)


def _timed(card: Card, now: datetime, tz: tzinfo, stale_days: int | None) -> Card:
    """Return `card` with its follow-up sign, days in stage and staleness as of `now`."""
    if card.entered_at is None or card.last_change is None:
        return card
    days = days_between(card.entered_at, now, tz)
    stale = bool(
        card.status == "open" and stale_days and (now - card.last_change).days >= stale_days
    )
    sign = follow_up_state(card.next_due, card.next_all_day, now, tz)
    if (days, stale, sign) == (card.days_in_stage, card.stale, card.follow_up):
        return card
    return replace(card, days_in_stage=days, stale=stale, follow_up=sign)


def bring_up_to_date(
    data: Board,
    now: datetime,
    sort: str = "stage",
    tz: tzinfo | None = None,
    since: datetime | None = None,
) -> set[str]:
    """Bring the time-dependent parts of a loaded board's cards (follow-up signs, days in
    stage, staleness) to `now`, reading nothing; return the keys of the columns that changed.
    `since`, the time the cards were last brought up to date, lets a change within the same
    day look only at the cards whose follow-up fell due or that turned stale in between."""
    tz = tz or local_tz()
    same_day = since is not None and since.astimezone(tz).date() == now.astimezone(tz).date()
    changed = set()
    for column in [*data.columns, data.closed]:
        stale_days = column.stale_days
        if same_day and since is not None:
            cards = [
                _timed(c, now, tz, stale_days) if _turns(c, since, now, stale_days) else c
                for c in column.cards
            ]
        else:
            cards = [_timed(c, now, tz, stale_days) for c in column.cards]
        if any(new is not old for new, old in zip(cards, column.cards, strict=True)):
            if column is not data.closed:
                cards.sort(key=sort_key(sort))
            column.cards = cards
            changed.add(column.key)
    return changed


def _turns(card: Card, since: datetime, now: datetime, stale_days: int | None) -> bool:
    """Tell whether a card's follow-up falls due, or the card turns stale, after `since` and
    by `now`."""
    due = card.next_due
    if due is not None and since < due <= now:
        return True
    if stale_days and card.last_change is not None and not card.stale:
        return since < card.last_change + timedelta(days=stale_days) <= now
    return False


def next_change(data: Board, now: datetime, tz: tzinfo | None = None) -> datetime:
    """Return the first moment after `now` at which a card of a loaded board would look
    different: a timed follow-up falls due, a deal turns stale, or the day changes."""
    tz = tz or local_tz()
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=tz)
    moments = [midnight.astimezone(UTC)]
    for column in data.columns:
        for card in column.cards:
            due = card.next_due
            if due is not None and not card.next_all_day and due > now:
                moments.append(due)
            if column.stale_days and card.last_change is not None and not card.stale:
                turns = card.last_change + timedelta(days=column.stale_days)
                if turns > now:
                    moments.append(turns)
    return min(moments)


def neighbour_stage(session: Session, deal: Deal, step: int) -> Stage | None:
    """Return the stage `step` places left (-1) or right (+1) of a deal's, or None at an end."""
    ordered = pipelines.stages(session, deal.pipeline_id)
    ids = [s.id for s in ordered]
    if deal.stage_id not in ids:
        return None
    index = ids.index(deal.stage_id) + step
    return ordered[index] if 0 <= index < len(ordered) else None
