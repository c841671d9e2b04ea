"""The services on a temporary database: contacts, companies, deals, references, undo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tinycrm.core import contacts, deals, listing, refs, views
from tinycrm.errors import AmbiguousError, ConflictError, NotFoundError, ValidationError
from tinycrm.store import history
from tinycrm.store.models import Deal, StageChange

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def add_jane(db: Any) -> int:
    with db.transaction() as s:
        c = contacts.add_contact(
            s, "Jane Doe", now=NOW, emails=["jane@acme.com"], company="Acme", tag_names=["VIP"]
        )
        assert c.id is not None
        return c.id


def test_default_pipeline_has_the_four_stages(db: Any) -> None:
    from tinycrm.core import pipelines

    with db.snapshot() as s:
        pipe = pipelines.default_pipeline(s)
        assert pipe.id is not None
        got = [(st.name, st.probability) for st in pipelines.stages(s, pipe.id)]
    assert got == [("Prospecting", 10), ("Qualifying", 25), ("Presenting", 50), ("Closing", 75)]


def test_add_contact_with_company_email_and_tag(db: Any) -> None:
    cid = add_jane(db)
    with db.snapshot() as s:
        data = views.contact_dict(s, contacts.get_contact(s, cid))
    assert data["name"] == "Jane Doe"
    company = data["company"]
    assert company is not None and company["name"] == "Acme"
    assert data["emails"] == [
        {"email": "jane@acme.com", "label": None, "types": [], "primary": True}
    ]
    assert data["tags"] == ["vip"]


def test_duplicate_email_is_refused_naming_the_owner(db: Any) -> None:
    cid = add_jane(db)
    with pytest.raises(ConflictError, match=rf"#{cid} Jane Doe"), db.transaction() as s:
        contacts.add_contact(s, "Other", now=NOW, emails=["JANE@acme.com"])
    with db.snapshot() as s:
        assert len(listing.list_contacts(s, listing.ListFilter(), listing.Page())) == 1


def test_existing_company_is_reused_case_and_accent_insensitively(db: Any) -> None:
    with db.transaction() as s:
        a = contacts.add_contact(s, "A", now=NOW, company="Café Noir")
        b = contacts.add_contact(s, "B", now=NOW, company="cafe noir")
        assert a.company_id == b.company_id


@pytest.mark.parametrize("email", ["jane", "jane@", "@acme.com", "jane@acme", "a b@c.com"])
def test_malformed_email_is_refused(db: Any, email: str) -> None:
    with pytest.raises(ValidationError), db.transaction() as s:
        contacts.add_contact(s, "Jane", now=NOW, emails=[email])


def test_references_by_id_email_and_name_fragments(db: Any) -> None:
    cid = add_jane(db)
    with db.transaction() as s:
        contacts.add_contact(s, "José Álvarez", now=NOW)
        jane = refs.resolve_contact(s, "jane")
        deal = deals.add_deal(s, "Acme website", now=NOW, currency="USD", contact=jane, value="5k")
    with db.snapshot() as s:
        assert refs.resolve(s, f"#{cid}", ("contact",)).label == "Jane Doe"
        assert refs.resolve(s, f"#{cid}").label == "Jane Doe"  # one id, one record of any kind
        assert refs.resolve(s, str(deal.id), ("deal",)).label == "Acme website"
        assert refs.resolve(s, str(deal.id)).label == "Acme website"
        assert refs.resolve(s, "jane@acme.com").label == "Jane Doe"
        assert refs.resolve(s, "jose alvarez").label == "José Álvarez"
        assert refs.resolve(s, "ÁLV").label == "José Álvarez"
        assert refs.resolve(s, "acme site").label == "Acme website"


def test_several_matches_is_an_error_listing_them(db: Any) -> None:
    with db.transaction() as s:
        contacts.add_contact(s, "Jane Doe", now=NOW)
        contacts.add_contact(s, "Jane Smith", now=NOW)
    with db.snapshot() as s, pytest.raises(AmbiguousError) as err:
        refs.resolve(s, "jane")
    assert "#1 Jane Doe" in str(err.value) and "#2 Jane Smith" in str(err.value)


def test_an_exact_name_wins_over_fragments(db: Any) -> None:
    with db.transaction() as s:
        contacts.add_contact(s, "Ann", now=NOW)
        contacts.add_contact(s, "Anna Bell", now=NOW)
    with db.snapshot() as s:
        assert refs.resolve(s, "ann").label == "Ann"


def test_no_match_suggests_close_names(db: Any) -> None:
    add_jane(db)
    with db.snapshot() as s, pytest.raises(NotFoundError) as err:
        refs.resolve(s, "jnae doe")
    assert err.value.hint is not None and "Jane Doe" in err.value.hint


def test_id_shared_by_two_kinds_is_ambiguous(db: Any) -> None:
    # Only a database from before ids were shared can have one: made here by hand.
    cid = add_jane(db)
    with db.transaction() as s:
        deal = deals.add_deal(s, "Website", now=NOW, currency="USD")
    conn = db.raw()
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE deal SET id = ? WHERE id = ?", (cid, deal.id))
    conn.close()
    with db.snapshot() as s, pytest.raises(AmbiguousError, match=f"deal #{cid}") as err:
        refs.resolve(s, str(cid))
    assert f"contact #{cid} Jane Doe" in str(err.value)
    assert err.value.hint == "say which with --kind contact|deal"


def test_move_records_stage_changes_and_win_keeps_the_stage(db: Any) -> None:
    with db.transaction() as s:
        deal = deals.add_deal(s, "Website", now=NOW, currency="USD", value="5k")
    later = NOW + timedelta(days=2)
    with db.transaction() as s:
        d = deals.get_deal(s, 1)
        assert deals.move_to(s, d, "PRES", later) == "Presenting"
    with db.transaction() as s:
        d = deals.get_deal(s, 1)
        deals.move_to(s, d, "won", later)
    with db.snapshot() as s:
        d = s.get(Deal, deal.id)
        assert d is not None
        assert d.status == "won" and d.closed_at == later
        data = views.deal_dict(s, d)
        assert data["stage"] == "Presenting"
        changes = s.exec(__import__("sqlmodel").select(StageChange)).all()
        assert [(c.from_stage_id, c.to_stage_id) for c in changes] == [(None, 1), (1, 3)]


def test_lost_takes_a_reason_and_moving_reopens(db: Any) -> None:
    with db.transaction() as s:
        deals.add_deal(s, "Website", now=NOW, currency="USD")
    with db.transaction() as s:
        deals.move_to(s, deals.get_deal(s, 1), "lost", NOW, reason="price")
    with db.snapshot() as s:
        d = deals.get_deal(s, 1)
        assert (d.status, d.lost_reason) == ("lost", "price")
    with db.transaction() as s:
        deals.move_to(s, deals.get_deal(s, 1), "qual", NOW)
    with db.snapshot() as s:
        d = deals.get_deal(s, 1)
        assert (d.status, d.lost_reason, d.closed_at) == ("open", None, None)


def test_unknown_and_ambiguous_stages(db: Any) -> None:
    with db.transaction() as s:
        deals.add_deal(s, "Website", now=NOW, currency="USD")
    with pytest.raises(NotFoundError, match="no stage"), db.transaction() as s:
        deals.move_to(s, deals.get_deal(s, 1), "negotiation", NOW)
    from tinycrm.core import pipelines

    with db.transaction() as s:
        pipelines.stages(s, 1)[0].name = "Pres-sales"
    with pytest.raises(AmbiguousError), db.transaction() as s:
        deals.move_to(s, deals.get_deal(s, 1), "pres", NOW)


def test_undo_reverts_a_whole_command_and_redo_reapplies(db: Any) -> None:
    add_jane(db)
    with db.transaction(summary="add") as s:  # the service names what it adds
        did = deals.add_deal(s, "Website", now=NOW, currency="USD", value="1k").id
        assert did is not None
    with db.transaction(summary="move") as s:  # the service names the move it makes
        deals.move_to(s, deals.get_deal(s, did), "closing", NOW)
    moved = f"move deal #{did} Website to Closing"
    with db.transaction() as s:
        assert history.undo(s, NOW).summary == moved
    with db.snapshot() as s:
        assert views.deal_dict(s, deals.get_deal(s, did))["stage"] == "Prospecting"
    with db.transaction() as s:
        assert history.undo(s, NOW).summary == "add deal Website"
    with db.snapshot() as s, pytest.raises(NotFoundError):
        deals.get_deal(s, did)
    with db.transaction() as s:
        assert history.redo(s, NOW).summary == "add deal Website"
    with db.transaction() as s:
        assert history.redo(s, NOW).summary == moved
    with db.snapshot() as s:
        assert views.deal_dict(s, deals.get_deal(s, did))["stage"] == "Closing"
    with pytest.raises(NotFoundError), db.transaction() as s:
        history.redo(s, NOW)


def test_undo_with_nothing_done_does_not_remove_the_default_pipeline(db: Any) -> None:
    with pytest.raises(NotFoundError, match="nothing to undo"), db.transaction() as s:
        history.undo(s, NOW)


def test_a_failed_command_writes_nothing(db: Any) -> None:
    with pytest.raises(ValidationError), db.transaction() as s:
        contacts.add_contact(s, "Half", now=NOW, company="NewCo", emails=["ok@x.com", "bad"])
    with db.snapshot() as s:
        assert listing.list_companies(s, listing.ListFilter(), listing.Page()) == []


def test_list_filters(db: Any) -> None:
    add_jane(db)
    with db.transaction() as s:
        contacts.add_contact(s, "Bob", now=NOW, lifecycle="customer", source="Referral")
        deals.add_deal(s, "Big", now=NOW, currency="USD", value="50k", stage="clos")
        deals.add_deal(s, "Small", now=NOW, currency="USD", value="500")
    with db.snapshot() as s:

        def names(**kw: Any) -> list[str]:
            rows = listing.list_contacts(s, listing.ListFilter(**kw), listing.Page())
            return [r["name"] for r in rows]

        assert names(tags=("vip",)) == ["Jane Doe"]
        assert names(lifecycle="customer") == ["Bob"]
        assert names(source="referral") == ["Bob"]
        assert names(company="acme") == ["Jane Doe"]
        big = listing.list_deals(s, listing.ListFilter(min_value=100_000), listing.Page())
        assert [d["title"] for d in big] == ["Big"]
        by_stage = listing.list_deals(s, listing.ListFilter(stage="prosp"), listing.Page())
        assert [d["title"] for d in by_stage] == ["Small"]
        ordered = listing.list_deals(s, listing.ListFilter(), listing.Page("value", True, 1))
        assert [d["title"] for d in ordered] == ["Big"]
