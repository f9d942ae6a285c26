"""Two people at once: an edit or a move made from a stale read is refused (exit 3), never
silently applied; a pool lead goes to one of two claimants; reminders reach each person once.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.clihelp import Crm
from tests.conftest import NOW, pg_only
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Changed, Conflict
from tinycrm.models import Contact, ContactStatus, Deal, DealCreate, User
from tinycrm.services import deals, leads
from tinycrm.services.refs import resolve_deal

STALE = "crm: error: deal #1 was changed by someone else since you read it"


@pytest.fixture
def team(crm: Crm) -> Crm:
    crm("user", "add", "Ana Ruiz", "--role", "manager")
    crm("user", "add", "Bo Chen", "--role", "manager")
    crm("deal", "add", "Acme renewal", "--amount", "100")
    return crm


def test_show_gives_the_version_and_every_change_raises_it(team: Crm) -> None:
    assert team("deal", "show", "1", "--format", "json").json()["version"] == 1
    team("deal", "edit", "1", "--title", "Acme 2027", "--if-version", "1")
    team("deal", "move", "1", "next")
    team("deal", "move", "1", "back", "--if-version", "3")
    assert team("deal", "show", "1", "--format", "json").json()["version"] == 4
    stages = [
        h["to_stage"] for h in team("deal", "show", "1", "-f", "json").json()["stage_history"]
    ]
    assert stages == ["lead", "contacted", "lead"]


def test_a_script_editing_an_old_version_is_refused_with_exit_3(team: Crm) -> None:
    team("--as", "ana", "deal", "edit", "1", "--amount", "200", "--if-version", "1")
    late = team("--as", "bo", "deal", "edit", "1", "--amount", "300", "--if-version", "1", ok=False)
    assert (late.code, late.err) == (
        3,
        f"{STALE} (now version 2, you read 1); show it again and retry\n",
    )
    shown = team("deal", "show", "1", "--format", "json").json()
    assert (shown["amount"], shown["version"]) == (200.0, 2)
    for args in (("move", "1", "next"), ("won", "1"), ("lost", "1")):
        refused = team("deal", *args, "--if-version", "1", ok=False)
        assert (refused.code, refused.err.startswith(STALE)) == (3, True)
    assert team("deal", "show", "1", "--format", "json").json()["stage"] == "lead"


@pytest.mark.parametrize(
    ("noun", "add", "edit"),
    [
        ("contact", ("add", "Li Wei"), ("--title", "CEO")),
        ("company", ("add", "Acme Ltd"), ("--city", "Lyon")),
        ("activity", ("log", "call", "Called Li"), ("--subject", "Called Li twice")),
        ("campaign", ("add", "Spring fair"), ("--channel", "event")),
    ],
)
def test_every_edit_takes_if_version(
    crm: Crm, noun: str, add: tuple[str, ...], edit: tuple[str, ...]
) -> None:
    crm(noun, *add)
    assert crm(noun, "show", "1", "--format", "json").json()["version"] == 1
    crm(noun, "edit", "1", *edit, "--if-version", "1")
    assert crm(noun, "show", "1", "--format", "json").json()["version"] == 2
    late = crm(noun, "edit", "1", *edit, "--if-version", "1", ok=False)
    assert (late.code, late.err) == (
        3,
        f"crm: error: {noun} #1 was changed by someone else since you read it "
        "(now version 2, you read 1); show it again and retry\n",
    )


def test_tickets_and_orders_show_their_version(crm: Crm) -> None:
    crm("contact", "add", "Li Wei")
    crm("ticket", "open", "Broken login", "--contact", "Li Wei")
    assert crm("ticket", "show", "1", "--format", "json").json()["version"] == 1
    crm("deal", "add", "Acme", "--amount", "100", "--contact", "Li Wei")
    crm("deal", "won", "1")
    crm("order", "add", "--deal", "1")
    assert crm("order", "show", "1", "--format", "json").json()["version"] == 1


def _someone_else_changes(session: object, table: str) -> None:
    """What another session's committed change does to the row: its version moves on."""
    session.execute(text(f"UPDATE {table} SET version = version + 1"))  # type: ignore[attr-defined]


def _deal(db: Database) -> int:
    with session_scope(db, write=True) as session:
        row = deals.create_deal(
            session, data=DealCreate(title="Acme"), currency="EUR", actor=None, now=NOW
        )
    return row.id


@pytest.mark.parametrize("change", ["step", "win", "edit"])
def test_a_change_computed_from_a_stale_read_is_refused_at_the_write(
    db: Database, change: str
) -> None:
    deal_id = _deal(db)
    later = NOW + timedelta(hours=1)
    with pytest.raises(Changed) as refused, session_scope(db, write=True) as session:
        read = resolve_deal(session, deal_id)  # read at version 1 (and kept in the session)
        _someone_else_changes(session, "deals")
        if change == "step":
            deals.step_deal(session, ref=deal_id, step=1, actor=None, now=later)
        elif change == "win":
            deals.win_deal(session, ref=deal_id, actor=None, now=later)
        else:
            from tinycrm.models import DealUpdate

            deals.update_deal(session, ref=deal_id, data=DealUpdate(title="B"), now=later)
        assert read.version == 1
    assert str(refused.value) == (
        f"deal #{deal_id} was changed by someone else since you read it; show it again and retry"
    )
    assert refused.value.exit_code == 3
    with session_scope(db, write=False) as session:
        assert len(deals.stage_history(session, deal_id)) == 1


@pg_only
def test_two_sessions_stepping_the_same_deal_on_postgresql_move_it_once(db: Database) -> None:
    deal_id = _deal(db)
    later = NOW + timedelta(hours=1)
    with pytest.raises(Changed), session_scope(db, write=True) as late:
        read = resolve_deal(late, deal_id)  # both read the deal at its first stage
        with session_scope(db, write=True) as first:
            deals.step_deal(first, ref=deal_id, step=1, actor=None, now=later)
        deals.step_deal(late, ref=read.id, step=1, actor=None, now=later)
    with session_scope(db, write=False) as session:
        history = deals.stage_history(session, deal_id)
        assert [h.to_stage for h in history] == ["lead", "contacted"]
        assert session.get(Deal, deal_id).version == 2  # type: ignore[union-attr]


@pg_only
def test_two_people_claiming_one_pool_lead_on_postgresql(db: Database) -> None:
    with session_scope(db, write=True) as session:
        for name in ("Ana Ruiz", "Bo Chen"):
            session.add(User(name=name, name_key=name.lower()))
        session.add(Contact(full_name="Li Wei", name_key="li wei", status=ContactStatus.lead))
    results: list[str] = []
    inside = threading.Event()

    def claim(name: str, hold: bool) -> None:
        try:
            with session_scope(db, write=True) as session:
                me = session.exec(select(User).where(User.name == name)).one()
                leads.claim_lead(session, ref="Li Wei", actor=me, now=NOW)
                if hold:  # still uncommitted while the other claims
                    inside.set()
                    threading.Event().wait(0.5)
            results.append(f"{name}: claimed")
        except Conflict as exc:
            results.append(f"{name}: {exc}")

    first = threading.Thread(target=claim, args=("Ana Ruiz", True))
    first.start()
    inside.wait(5)
    claim("Bo Chen", False)
    first.join()
    assert sorted(results) == [
        "Ana Ruiz: claimed",
        "Bo Chen: lead #1 'Li Wei' is already owned by Ana Ruiz",
    ]


def test_a_claim_on_the_command_line_after_another_is_exit_3(crm: Crm) -> None:
    crm("user", "add", "Ana Ruiz", "--role", "rep")
    crm("user", "add", "Bo Chen", "--role", "rep")
    crm("contact", "add", "Li Wei", "--status", "lead")
    crm("--as", "ana", "lead", "claim", "Li Wei")
    late = crm("--as", "bo", "lead", "claim", "Li Wei", ok=False)
    assert late.code == 3
    assert late.err.startswith("crm: error: lead #1 'Li Wei' is already owned by")


@pytest.fixture
def tasks(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> Crm:
    """Ana has an overdue task; Mia manages."""
    crm("user", "add", "Ana Ruiz", "--role", "rep")
    crm("user", "add", "Mia Park", "--role", "manager")
    crm("activity", "schedule", "Call Li", "--due", "2026-11-22 10:00", "--owner", "ana")
    return crm


def _shown(crm: Crm, *args: str) -> list[int]:
    who, rest = [a for a in args if a != "--all-owners"], [a for a in args if a == "--all-owners"]
    out = crm(*who, "remind", *rest, "--format", "jsonl").out
    return [int(line.split('"id": ')[1].split(",")[0]) for line in out.splitlines()]


def test_a_managers_run_and_the_reps_own_run_each_get_the_reminder_once(tasks: Crm) -> None:
    assert _shown(tasks, "--as", "mia", "--all-owners") == [1]
    assert _shown(tasks, "--as", "ana") == [1]  # Mia's run took nothing away from Ana
    assert _shown(tasks, "--as", "ana") == []
    assert _shown(tasks, "--as", "mia", "--all-owners") == []


def test_what_was_delivered_to_nobody_counts_as_delivered_to_everyone(tasks: Crm) -> None:
    assert _shown(tasks, "--all-owners") == [1]  # nobody acting: recipient 0, as before
    assert _shown(tasks, "--as", "ana") == []
    assert _shown(tasks, "--as", "mia", "--all-owners") == []


@pg_only
def test_two_machines_running_cron_for_one_person_deliver_once(db: Database) -> None:
    from tinycrm.db.store import dbapi
    from tinycrm.services import reminders

    with session_scope(db, write=True) as session:
        session.add(User(name="Ana Ruiz", name_key="ana ruiz"))
    with dbapi(db) as sql, sql.writing():
        sql.run(
            "INSERT INTO activities (kind, subject, due_at, alert_at, custom, owner_id, "
            "created_at, version) VALUES ('task', 'Call Li', :due, :due, '{}', 1, :due, 1)",
            due=NOW - timedelta(days=1),
        )
    opts = reminders.RemindOptions(now=NOW, tz=NOW.tzinfo, recipient_id=1)  # type: ignore[arg-type]
    got: list[int] = []
    both_read = threading.Barrier(2)

    def cron() -> None:
        with dbapi(db) as sql:
            found = reminders.collect(sql, opts)
            both_read.wait(5)  # both runs found the reminder before either marked it
            with sql.writing():
                got.append(len(reminders.claim(sql, found, NOW, recipient=1)))

    runs = [threading.Thread(target=cron) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert sorted(got) == [0, 1]
