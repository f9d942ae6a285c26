"""`crm activity log --completes ID`: what the app's log form offers, from the command
line — the activity logged and the follow-up it answers marked done, in one commit."""

from __future__ import annotations

from tests.clihelp import Crm


def test_log_completes_the_follow_up_it_answers(crm: Crm) -> None:
    crm("contact", "add", "李伟", "--email", "li.wei@example.com")
    crm(
        "activity",
        "schedule",
        "Send the quote",
        "--due",
        "tomorrow",
        "--contact",
        "li.wei@example.com",
    )
    crm("activity", "schedule", "Weekly call", "--due", "tomorrow 10:00", "--every", "week",
        "--kind", "call", "--contact", "li.wei@example.com")  # fmt: skip
    said = crm("activity", "log", "call", "Quote sent", "--contact", "李伟", "--completes", "1").out
    repeated = crm("activity", "log", "call", "Talked", "--completes", "2").out
    again = crm("activity", "log", "note", "Twice", "--completes", "1", ok=False)
    rows = crm("activity", "list", "-f", "json").json()
    assert said.splitlines() == ["call #3 logged: Quote sent", "activity #1 done: Send the quote"]
    assert repeated.splitlines() == [
        "call #4 logged: Talked",
        "activity #2 done: Weekly call",
        "next: activity #5 (due Tue 2026-12-01 10:00, every week)",
    ]
    assert again.code != 0 and "activity #1 is already done" in again.err
    assert sorted((r["id"], r["subject"], r["state"]) for r in rows) == [
        (1, "Send the quote", "done"),
        (2, "Weekly call", "done"),
        (3, "Quote sent", "done"),
        (4, "Talked", "done"),
        (5, "Weekly call", "due"),
    ]  # the refused log left nothing behind
