"""Leads and the lead pool: claim, assign, qualify, drop, reclaim, with every owner change
recorded; services on both backends, and the CLI as cron runs it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    ActivityCreate,
    ActivityKind,
    Campaign,
    Contact,
    ContactCreate,
    ContactStatus,
    Deal,
    DealCreate,
    OwnerChange,
    User,
    UserCreate,
)
from tinycrm.services import activities, contacts, deals, leads, users
from tinycrm.services.leads import Handover
from tinycrm.services.refs import resolve_user

DAY = timedelta(days=1)


def lead(s: Session, name: str, *, owner: str | None = None, at: datetime = NOW) -> int:
    row = contacts.create_contact(
        s,
        data=ContactCreate(name=name, status=ContactStatus.lead, owner=owner),
        region="FR",
        now=at,
    ).row
    return row.id


@pytest.fixture
def pool(db: Database) -> Database:
    """Ann and Bob; leads Li Wei (#1) and Mia Chen (#2) in the pool, Oscar Diaz (#3) Bob's."""
    with session_scope(db, write=True) as s:
        for name in ("Ann Lee", "Bob Stone"):
            users.create_user(s, data=UserCreate(name=name), currency="EUR")
        lead(s, "Li Wei", at=NOW - 40 * DAY)
        lead(s, "Mia Chen", at=NOW - 2 * DAY)
        lead(s, "Oscar Diaz", owner="bob", at=NOW - 50 * DAY)
        contacts.create_contact(s, data=ContactCreate(name="Pat Prospect"), region="FR")
    return db


def user(s: Session, name: str) -> User:
    return resolve_user(s, name)


def changes(s: Session) -> list[tuple[str, int, int | None, int | None, str | None, int | None]]:
    rows = s.exec(select(OwnerChange).order_by(col(OwnerChange.id)))
    return [
        (c.record_type, c.record_id, c.from_user_id, c.to_user_id, c.reason, c.changed_by_id)
        for c in rows
    ]


def test_pool_lists_unowned_leads_only(pool: Database) -> None:
    with session_scope(pool, write=False) as s:
        in_pool = leads.list_leads(s, pool=True)
        every = leads.list_leads(s)
        bobs = leads.list_leads(s, owner="bob")
    assert [r.name for r in in_pool] == ["Li Wei", "Mia Chen"]
    assert [r.name for r in every] == ["Oscar Diaz", "Li Wei", "Mia Chen"]  # oldest first
    assert [(r.name, r.owner) for r in bobs] == [("Oscar Diaz", "Bob Stone")]


def test_claim_takes_from_the_pool_and_records_it(pool: Database) -> None:
    with session_scope(pool, write=True) as s:
        moved = leads.claim_lead(s, ref="Li Wei", actor=user(s, "ann"), now=NOW)
    assert moved == Handover("contact", 1, "Li Wei", None, "Ann Lee", "claim")
    with session_scope(pool, write=False) as s:
        assert s.get(Contact, 1).owner_id == 1  # type: ignore[union-attr]
        assert changes(s) == [("contact", 1, None, 1, "claim", 1)]
        assert [r.name for r in leads.list_leads(s, pool=True)] == ["Mia Chen"]


def test_claim_refuses_an_owned_lead_a_non_lead_and_no_user(pool: Database) -> None:
    with session_scope(pool, write=True) as s:
        with pytest.raises(Conflict, match="already owned by Bob Stone"):
            leads.claim_lead(s, ref="3", actor=user(s, "ann"), now=NOW)
        with pytest.raises(Conflict, match="is a prospect, not a lead"):
            leads.claim_lead(s, ref="Pat Prospect", actor=user(s, "ann"), now=NOW)
        with pytest.raises(InvalidInput, match=r"who claims it\? no acting user"):
            leads.claim_lead(s, ref="1", actor=None, now=NOW)
        assert changes(s) == []


def test_assign_moves_between_reps_and_names_the_manager(pool: Database) -> None:
    with session_scope(pool, write=True) as s:
        moved = leads.assign_lead(s, ref="3", to="ann", actor=user(s, "bob"), now=NOW)
        assert moved == Handover("contact", 3, "Oscar Diaz", "Bob Stone", "Ann Lee", "assign")
        with pytest.raises(Conflict, match="already owned by Ann Lee"):
            leads.assign_lead(s, ref="3", to="ann", actor=None, now=NOW)
        assert changes(s) == [("contact", 3, 2, 1, "assign", 2)]


def test_qualify_with_deal_opens_it_for_the_owner_and_its_campaign(pool: Database) -> None:
    with session_scope(pool, write=True) as s:
        fair = Campaign(name="Fair", name_key="fair", currency="EUR", cost_minor=100_00)
        s.add(fair)
        s.flush()
        s.get(Contact, 1).campaign_id = fair.id  # type: ignore[union-attr]
        result = leads.qualify_lead(
            s, ref="1", actor=user(s, "ann"), now=NOW, currency="EUR", deal=True,
            amount_minor=1_250_000,
        )  # fmt: skip
    assert result.handover == Handover("contact", 1, "Li Wei", None, "Ann Lee", "qualify")
    assert result.deal is not None
    assert (result.deal.title, result.deal.stage, result.deal.owner) == (
        "Li Wei",
        "lead",
        "Ann Lee",
    )
    assert result.deal.amount.minor == 1_250_000
    with session_scope(pool, write=False) as s:
        assert s.get(Contact, 1).status == ContactStatus.prospect  # type: ignore[union-attr]
        deal = s.get(Deal, result.deal.id)
        assert deal is not None and (deal.contact_id, deal.campaign_id) == (1, 1)


def test_qualify_an_owned_lead_keeps_its_owner_and_opens_no_deal(pool: Database) -> None:
    with session_scope(pool, write=True) as s:
        result = leads.qualify_lead(s, ref="3", actor=user(s, "ann"), now=NOW, currency="EUR")
        assert (result.handover, result.deal) == (None, None)
        assert s.get(Contact, 3).owner_id == 2  # type: ignore[union-attr]
        assert changes(s) == []


def test_drop_makes_inactive_with_reason_and_frees_owner(pool: Database) -> None:
    with session_scope(pool, write=True) as s:
        with pytest.raises(InvalidInput, match="say why"):
            leads.drop_lead(s, ref="3", reason="  ", actor=None, now=NOW)
        moved = leads.drop_lead(s, ref="3", reason=" junk ", actor=user(s, "ann"), now=NOW)
        assert moved == Handover("contact", 3, "Oscar Diaz", "Bob Stone", None, "drop")
        oscar = s.get(Contact, 3)
        assert oscar is not None
        assert (oscar.status, oscar.drop_reason, oscar.owner_id) == ("inactive", "junk", None)
        assert changes(s) == [("contact", 3, 2, None, "drop", 1)]
        assert [r.name for r in leads.list_leads(s)] == ["Li Wei", "Mia Chen"]


def log(s: Session, at: datetime, **links: Any) -> None:
    data = ActivityCreate(kind=ActivityKind.call, subject="call", done_at=at, **links)
    activities.log_activity(s, data=data, actor=None, now=at)


@pytest.fixture
def owned(pool: Database) -> Database:
    """On 23 Nov: Oscar (Bob's since 50 days, a call 31 days ago) is quiet for 30 days;
    Li Wei (40 days old) was claimed by Ann 10 days ago; Mia (2 days old) assigned to Ann.
    Deals: #1 Bob's, 60 days old, a call 5 days ago; #2 Bob's, 60 days old, silent since
    a call 45 days ago; #3 won long ago (closed deals never move)."""
    with session_scope(pool, write=True) as s:
        ann, bob = user(s, "ann"), user(s, "bob")
        leads.claim_lead(s, ref="1", actor=ann, now=NOW - 10 * DAY)
        leads.assign_lead(s, ref="2", to="ann", actor=bob, now=NOW - DAY)
        log(s, NOW - 31 * DAY, contact="3")
        for title in ("Busy", "Silent", "Done"):
            deals.create_deal(
                s,
                data=DealCreate(title=title, owner="bob"),
                currency="EUR",
                actor=bob,
                now=NOW - 60 * DAY,
            )
        log(s, NOW - 5 * DAY, deal=1)
        log(s, NOW - 45 * DAY, deal=2)
        deals.win_deal(s, ref=3, actor=bob, now=NOW - 50 * DAY)
    return pool


def test_reclaim_dry_run_lists_and_moves_nothing(owned: Database) -> None:
    with session_scope(owned, write=True) as s:
        before = changes(s)
        would = leads.reclaim(s, stale_after=30 * DAY, now=NOW, deals=True, dry_run=True)
        assert changes(s) == before
    assert would == [
        Handover("contact", 3, "Oscar Diaz", "Bob Stone", None, "reclaim"),
        Handover("deal", 2, "Silent", "Bob Stone", None, "reclaim"),
    ]


def test_reclaim_returns_quiet_leads_and_deals_and_records_who_lost_them(
    owned: Database,
) -> None:
    with session_scope(owned, write=True) as s:
        only_leads = leads.reclaim(s, stale_after=30 * DAY, now=NOW, dry_run=True)
        moved = leads.reclaim(s, stale_after=30 * DAY, now=NOW, actor=None, deals=True)
    assert [(h.record_type, h.record_id) for h in only_leads] == [("contact", 3)]
    assert [(h.record_type, h.record_id, h.from_user) for h in moved] == [
        ("contact", 3, "Bob Stone"),
        ("deal", 2, "Bob Stone"),
    ]
    with session_scope(owned, write=True) as s:
        assert changes(s)[-2:] == [
            ("contact", 3, 2, None, "reclaim", None),
            ("deal", 2, 2, None, "reclaim", None),
        ]
        assert s.get(Deal, 2).owner_id is None  # type: ignore[union-attr]
        assert s.get(Deal, 1).owner_id == 2  # type: ignore[union-attr]
        assert [r.name for r in leads.list_leads(s, pool=True)] == ["Oscar Diaz"]
        history = leads.owner_history(s, record_type="contact", record_id=3)
        assert [(h.from_user, h.to_user, h.reason) for h in history] == [
            ("Bob Stone", None, "reclaim")
        ]
        # a second run finds nothing more
        assert leads.reclaim(s, stale_after=30 * DAY, now=NOW, deals=True) == []


def test_reclaim_window_counts_activity_and_claims_at_the_edge(owned: Database) -> None:
    with session_scope(owned, write=False) as s:
        at_32 = leads.stale_records(s, stale_after=32 * DAY, now=NOW, deals=True)
        at_9 = leads.stale_records(s, stale_after=9 * DAY, now=NOW, deals=True)
        with pytest.raises(InvalidInput, match="^stale after: must be longer than zero: 0d$"):
            leads.stale_records(s, stale_after=timedelta(0), now=NOW)
    assert [(r.record_type, r.record_id) for r in at_32] == [("deal", 2)]  # Oscar's call: 31d
    # Li Wei, claimed 10 days ago, is quiet for 9; Mia (2 days old) is not old enough.
    assert [(r.record_type, r.record_id, r.owner_id) for r in at_9] == [
        ("contact", 1, 1),
        ("contact", 3, 2),
        ("deal", 2, 2),
    ]


# The CLI


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-10-01T09:00:00+00:00", "CRM_CURRENCY": "EUR"}


@pytest.fixture
def cli_pool(crm: Crm) -> None:
    """As `pool`, through the command line: Ann and Bob; Li Wei and Mia Chen, leads."""
    crm("user", "add", "Ann Lee")
    crm("user", "add", "Bob Stone")
    crm("contact", "add", "Li Wei", "--email", "li@acme.example", "--status", "lead")
    crm("contact", "add", "Mia Chen", "--status", "lead")


def test_cli_pool_claim_assign_and_formats(crm: Crm, cli_pool: None) -> None:
    assert [r["name"] for r in crm("lead", "list", "--pool", "--format", "json").json()] == [
        "Li Wei",
        "Mia Chen",
    ]
    ran = crm("--as", "ann", "lead", "claim", "li@acme.example")
    assert ran.out == "lead #1 Li Wei: pool -> Ann Lee (claim)\n"
    again = crm("--as", "bob", "lead", "claim", "1", ok=False)
    assert (again.code, again.err) == (
        3,
        "crm: error: lead #1 'Li Wei' is already owned by Ann Lee\n",
    )
    assert crm("lead", "assign", "Mia Chen", "--to", "bob").out == (
        "lead #2 Mia Chen: pool -> Bob Stone (assign)\n"
    )
    empty = crm("lead", "list", "--pool", ok=False)
    assert (empty.code, empty.err.strip()) == (1, "the lead pool is empty")
    owners = crm("contact", "show", "1", "--format", "json").json()["owners"]
    assert owners == [
        {
            "at": "2026-10-01T09:00:00+00:00",
            "from_user": None,
            "to_user": "Ann Lee",
            "reason": "claim",
            "by": "Ann Lee",
        }
    ]
    csv_out = crm("lead", "list", "--format", "csv").out.splitlines()
    assert csv_out[0].startswith("id,name,email,phone,company,owner,")
    assert csv_out[1].startswith("1,Li Wei,li@acme.example,,,Ann Lee,")


def test_cli_qualify_and_drop(crm: Crm, cli_pool: None) -> None:
    ran = crm("--as", "ann", "lead", "qualify", "1", "--deal", "--amount", "12500")
    assert ran.out.splitlines() == [
        "lead #1 Li Wei: pool -> Ann Lee (qualify)",
        "lead #1 qualified: Li Wei is now a prospect",
        "deal #1 opened at lead: Li Wei",
    ]
    deal = crm("deal", "show", "1", "--format", "json").json()
    assert (deal["amount"], deal["owner"], deal["contact"]) == (12500, "Ann Lee", "Li Wei")
    assert crm("lead", "drop", "2", "--reason", "junk").out == "lead #2 dropped: Mia Chen (junk)\n"
    shown = crm("contact", "show", "2", "--format", "json").json()
    assert (shown["status"], shown["drop_reason"]) == ("inactive", "junk")


def test_cli_reclaim_is_quiet_when_nothing_moves_and_one_line_per_record(
    crm: Crm, cli_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm("--as", "ann", "lead", "claim", "1")
    crm("--as", "bob", "lead", "claim", "2")
    assert crm("lead", "reclaim", "--stale-after", "30d").out == ""
    monkeypatch.setenv("CRM_NOW", "2026-10-20T09:00:00+00:00")
    crm("activity", "log", "call", "intro", "--contact", "2")
    monkeypatch.setenv("CRM_NOW", "2026-11-05T09:00:00+00:00")  # 35 days after the claims
    dry = crm("lead", "reclaim", "--stale-after", "30d", "--dry-run", "--deals")
    assert dry.out == "would move lead #1 Li Wei: Ann Lee -> pool (reclaim)\n"
    ran = crm("lead", "reclaim", "--stale-after", "30d")
    assert (ran.code, ran.out, ran.err) == (0, "lead #1 Li Wei: Ann Lee -> pool (reclaim)\n", "")
    assert crm("lead", "reclaim", "--stale-after", "30d").out == ""
    assert crm("lead", "reclaim", "--stale-after", "10d").out == (
        "lead #2 Mia Chen: Bob Stone -> pool (reclaim)\n"
    )
    bad = crm("lead", "reclaim", "--stale-after", "soon", ok=False)
    assert bad.code == 2 and "--stale-after" in bad.err


def test_cli_reclaim_as_json_or_csv_and_empty_is_not_a_failure(
    crm: Crm, cli_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm("--as", "ann", "lead", "claim", "1")
    assert crm("lead", "reclaim", "--stale-after", "30d", "-f", "json").out == "[]\n"
    quiet = crm("lead", "reclaim", "--stale-after", "30d", "-f", "table")
    assert (quiet.code, quiet.out) == (0, "")
    monkeypatch.setenv("CRM_NOW", "2026-11-05T09:00:00+00:00")
    dry = crm("lead", "reclaim", "--stale-after", "30d", "--dry-run", "-f", "json").json()
    assert dry == [
        {"record_type": "contact", "record_id": 1, "name": "Li Wei", "from_user": "Ann Lee",
         "to_user": None, "reason": "reclaim", "moved": False},
    ]  # fmt: skip
    ran = crm("lead", "reclaim", "--stale-after", "30d", "-f", "csv").out.splitlines()
    assert ran == [
        "record_type,record_id,name,from_user,to_user,reason,moved",
        "contact,1,Li Wei,Ann Lee,,reclaim,True",
    ]
