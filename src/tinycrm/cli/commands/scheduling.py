"""`crm follow-up`, `crm agenda`, `crm done`, `crm snooze`, `crm cancel`, `crm keep-in-touch`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, NO_NEXT, QUIET_NEW

if TYPE_CHECKING:
    from tinycrm.core.agenda import AgendaItem
    from tinycrm.domain.figures import AgendaLine


def follow_up(
    ref: str = typer.Argument(..., help="The contact (or deal): id, email or part of a name."),
    title: str = typer.Argument(..., help="What to do, e.g. 'send proposal'."),
    due: str = typer.Option(
        ..., "--due", "-d", help="When: fri, 'next tue 10am', 'in 3 days', 2026-12-01 15:30."
    ),
    deal: str | None = typer.Option(None, "--deal", help="The deal it is about."),
    every: str | None = typer.Option(
        None, "--every", help="Repeat: week, '2 weeks', month, '3 months', year."
    ),
    rrule: str | None = typer.Option(
        None, "--rrule", help="Repeat by an RFC 5545 rule, e.g. FREQ=MONTHLY;BYDAY=1MO."
    ),
    priority: bool = typer.Option(False, "--priority", "-p", help="Mark it important."),
    no_deal: bool = typer.Option(
        False, "--no-deal", help="About the contact alone, even with one open deal."
    ),
    quiet: bool = QUIET_NEW,
    as_json: bool = JSON,
) -> None:
    """Schedule a follow-up about a contact or a deal.

    A follow-up about a contact with exactly one open deal is about that deal too (the
    command says so; --no-deal leaves it unlinked); with several, --deal names one.

    Examples: crm follow-up jane "send proposal" --due "next tue 10am";
    crm follow-up jane "monthly check-in" --due "dec 1" --every month
    """
    from tinycrm.core import followups, refs
    from tinycrm.domain import dates, recurrence
    from tinycrm.errors import UsageError
    from tinycrm.store.models import Deal

    if every and rrule:
        raise UsageError("give --every or --rrule, not both")
    if deal and no_deal:
        raise UsageError("give --deal or --no-deal, not both")
    now = state.now()
    cal = state.calendar()
    when = dates.parse_when(due, now, calendar=cal)
    rule = recurrence.every_to_rrule(every) if every else rrule
    db = state.database()
    with db.transaction() as session:
        the_deal = refs.resolve_deal(session, deal) if deal else None
        the_contact = _contact_or_deal(session, ref, deal is None)
        if isinstance(the_contact, Deal):
            the_deal, the_contact = the_contact, None
        linked = None
        if the_deal is None and the_contact is not None and not no_deal:
            the_deal, open_deals = followups.deal_to_link(session, the_contact)
            linked = followups.link_said(the_contact, the_deal, open_deals)
        fu = followups.add_follow_up(
            session,
            title,
            when,
            now=now,
            contact=the_contact,
            deal=the_deal,
            rrule=rule,
            priority=priority,
        )
        data = followups.follow_up_dict(session, fu)
    person, on_deal = data["contact"], data["deal"]
    about = person["name"] if person else on_deal["title"] if on_deal else ""
    repeat = f", repeats {data['rrule']}" if data["rrule"] else ""
    render.record(
        data,
        as_json,
        quiet,
        f"Follow-up #{data['id']} {data['title']} ({about})"
        f" due {when.describe(calendar=cal)}{repeat}",
    )
    if linked and not (quiet or as_json):
        render.say(linked)


def _contact_or_deal(session: Any, ref: str, deal_allowed: bool) -> Any:
    """Resolve REF as a contact first (so `12` means contact #12), else as a deal."""
    from tinycrm.core import refs
    from tinycrm.store.models import Contact, Deal

    hit = refs.resolve_first(session, ref, ("contact", "deal") if deal_allowed else ("contact",))
    return session.get(Contact if hit.kind == "contact" else Deal, hit.id)


def agenda(
    days: int = typer.Option(7, "--days", "-n", min=0, max=366, help="How many days ahead."),
    as_json: bool = JSON,
) -> None:
    """Show what is overdue, due today and coming up, who is due for a touch, and the
    contacts' birthdays, anniversaries and other dates ([agenda] date_kinds, date_days).

    Example: crm agenda; crm agenda --days 14 --json
    """
    from tinycrm.core import agenda as core_agenda
    from tinycrm.domain import dates

    now = state.now()
    shown = state.settings().agenda
    tz = dates.local_tz()
    with state.database(write=False).snapshot() as session:
        items = core_agenda.agenda(session, now, days=days)
        touches = core_agenda.touches(session, now, days=days)
        kept = core_agenda.dates(
            session, now, min(days, shown.date_days), tz, kinds=shown.date_kinds
        )
    order = {"overdue": 0, "today": 1, "upcoming": 2}
    if as_json:
        rows: list[AgendaLine] = [core_agenda.agenda_item_dict(item) for item in items]
        rows += [core_agenda.touch_dict(touch, bucket) for touch, bucket in touches]
        rows += [core_agenda.date_dict(occasion, bucket, tz) for occasion, bucket in kept]
        rows.sort(key=lambda row: (order[row["bucket"]], row["due"] or ""))
        render.print_json(rows)
        return
    if not items and not touches and not kept:
        render.say(f"Nothing due in the next {days} days.")
        return
    # The lines straight from the items (an agenda can have thousands), in the order of the
    # JSON rows: by bucket, then by the due time as JSON writes it.
    cal = state.calendar()
    entries: list[tuple[int, str, str, str]] = []
    for item in items:
        when = dates.describe(item.due, item.all_day, tz, cal)
        key = dates.iso(item.due) or ""
        entries.append((order[item.bucket], key, item.bucket, f"  {when:<20} {_item_line(item)}"))
    for touch, bucket in touches:
        when = dates.describe(touch.due, True, tz, cal)
        line = f"keep in touch with {touch.contact_name} (every {touch.cadence_days} days)"
        entries.append((order[bucket], dates.iso(touch.due) or "", bucket, f"  {when:<20} {line}"))
    for occasion, bucket in kept:
        due = core_agenda.date_due(occasion, tz)
        when = dates.describe(due, True, tz, cal)
        entries.append(
            (order[bucket], dates.iso(due) or "", bucket, f"  {when:<20} {occasion.title}")
        )
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    headings = {"overdue": "Overdue", "today": "Today", "upcoming": f"Next {days} days"}
    lines = []
    for bucket, heading in headings.items():
        chosen = [entry[3] for entry in entries if entry[2] == bucket]
        if chosen:
            lines.append(heading)
            lines.extend(chosen)
    render.say_lines(lines)


def _item_line(item: AgendaItem) -> str:
    fu = item.follow_up
    flag = "! " if fu.priority else ""
    about = [item.contact_name or ""] if fu.contact_id else []
    if fu.deal_id:
        about.append(f"{item.deal_title} [{item.deal_stage}]")
    repeat = " (repeats)" if fu.rrule else ""
    repeat += " (snoozed)" if fu.snoozed_until is not None else ""
    repeat += f" [{item.step['label']}]" if item.step else ""
    suffix = f" - {', '.join(about)}" if about else ""
    return f"#{fu.id} {flag}{fu.title}{repeat}{suffix}"


def done(
    follow_up_id: int = typer.Argument(..., help="The follow-up's id.", metavar="ID"),
    next_step: tuple[str, str] = typer.Option(
        (None, None),
        "--next",
        metavar="WHEN TITLE",
        help='Schedule the next step: --next WHEN "TITLE" (e.g. --next fri "send contract").',
        show_default=False,
    ),
    no_next: bool = NO_NEXT,
    as_json: bool = JSON,
) -> None:
    """Mark a follow-up done; a recurring one moves to its next occurrence.

    On a terminal, without --next, it asks for the next step about the same deal or
    contact (a recurring follow-up's next occurrence is its next step); --no-next doesn't.

    Examples: crm done 12; crm done 12 --next fri "send contract"
    """
    from tinycrm.core import followups
    from tinycrm.domain import dates

    now = state.now()
    # the date is read before anything is written, so a bad one changes nothing
    cal = state.calendar()
    next_when = dates.parse_when(next_step[0], now, calendar=cal) if next_step[0] else None
    db = state.database()
    with db.transaction() as session:
        fu = followups.get_follow_up(session, follow_up_id)
        title = fu.title
        following = None
        if next_when is not None:
            step = next_step[1]
            advanced, following = followups.complete_and_next(session, fu, step, next_when, now)
        else:
            advanced = followups.complete(session, fu, now)
        deal_id, contact_id = fu.deal_id, fu.contact_id
        done_view = followups.follow_up_dict(session, fu)
        on_deal, person = done_view["deal"], done_view["contact"]
        about = (
            f"#{on_deal['id']} {on_deal['title']}" if on_deal else person["name"] if person else ""
        )
        data = {
            "done": done_view,
            "next": followups.follow_up_dict(session, following) if following else None,
        }
    if as_json:
        render.print_json(data)
        return
    if advanced is not None:
        render.say(
            f"Done: #{follow_up_id} {title}; next occurrence "
            f"{dates.describe(advanced.due_at, advanced.all_day, calendar=cal)}"
        )
    else:
        render.say(f"Done: #{follow_up_id} {title}")
    if following is not None:
        render.say(
            f"Follow-up #{following.id} {following.title} due "
            f"{dates.describe(following.due_at, following.all_day, calendar=cal)}"
        )
    elif advanced is None and not no_next:
        from tinycrm.cli import nextstep

        if nextstep.interactive():
            nextstep.offer(about, deal_id=deal_id, contact_id=contact_id)


def snooze(
    follow_up_id: int = typer.Argument(..., help="The follow-up's id.", metavar="ID"),
    until: str = typer.Argument(..., help="2h, tomorrow, 'mon 9am', 'in 3 days'."),
    as_json: bool = JSON,
) -> None:
    """Hide a follow-up until later; it is due and reminded again then.

    Examples: crm snooze 12 2h; crm snooze 12 tomorrow; crm snooze 12 "mon 9am"
    """
    from tinycrm.core import followups
    from tinycrm.domain import dates
    from tinycrm.domain.due import whole_day

    now = state.now()
    cal = state.calendar()
    when = dates.parse_when(until, now, calendar=cal)
    db = state.database()
    with db.transaction() as session:
        fu = followups.get_follow_up(session, follow_up_id)
        target = followups.snooze_target(fu, when)
        followups.snooze(session, fu, target, now)
        data = followups.follow_up_dict(session, fu)
    if as_json:
        render.print_json(data)
    else:
        all_day = whole_day(target, fu.all_day, dates.local_tz())
        render.say(
            f"Snoozed #{fu.id} {fu.title} until {dates.describe(target, all_day, calendar=cal)}"
        )


def cancel(
    follow_up_id: int = typer.Argument(..., help="The follow-up's id.", metavar="ID"),
    as_json: bool = JSON,
) -> None:
    """Cancel a follow-up (it stays in the history).

    Example: crm cancel 12
    """
    from tinycrm.core import followups

    db = state.database()
    with db.transaction() as session:
        fu = followups.get_follow_up(session, follow_up_id)
        followups.cancel(session, fu, state.now())
        data = followups.follow_up_dict(session, fu)
    if as_json:
        render.print_json(data)
    else:
        render.say(f"Cancelled #{fu.id} {fu.title}")


def keep_in_touch(
    ref: str = typer.Argument(..., help="The contact: id, email or part of the name."),
    cadence: str = typer.Argument(..., help="How often: 30d, 2w, 3m, or off."),
    as_json: bool = JSON,
) -> None:
    """Be reminded to touch base with a contact when the last interaction is this old.

    Examples: crm keep-in-touch jane 30d; crm keep-in-touch jane 2w; crm keep-in-touch jane off
    """
    from tinycrm.core import followups, refs, views
    from tinycrm.domain import dates

    days = dates.parse_days(cadence)
    now = state.now()
    db = state.database()
    with db.transaction() as session:
        contact = refs.resolve_contact(session, ref)
        followups.set_keep_in_touch(session, contact, days, now)
        data = views.contact_dict(session, contact)
        due = followups.touch_due_of(session, contact)
    if as_json:
        render.print_json(data)
    elif days is None:
        render.say(f"No keep-in-touch reminders for #{data['id']} {data['name']}")
    else:
        assert due is not None
        render.say(
            f"Keep in touch with #{data['id']} {data['name']} every {days} days; "
            f"next touch due {dates.describe(due, True, calendar=state.calendar())}"
        )
