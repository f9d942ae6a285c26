"""Several people at once, for real: processes acting as different users move and edit the
same deals and run their reminders for a few seconds. Nothing is lost: every change that
was reported done raised its deal's version by exactly one and is in the audit log once,
the stage history is one chain (never two moves out of the same stage), and each reminder
reached each person once."""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from collections import Counter
from typing import Any

import pytest

from tests.clihelp import Crm
from tests.conftest import NOW

USERS = ("ana", "bo", "mia", "max")
DEALS = (1, 2, 3)
SECONDS = 10.0


def _work(user: str, env: dict[str, str], seed: int, out: Any) -> None:
    """One person's session: random moves and edits of the shared deals, reminders first."""
    import os

    os.environ.update(env)
    from typer.testing import CliRunner

    from tinycrm.cli import app

    runner = CliRunner()

    def crm(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--as", user, *args])
        return result.exit_code, result.stdout

    done: list[tuple[str, int, int]] = []
    for args in (("remind",), ("remind", "--all-owners")):
        code, text = crm(*args, "--format", "jsonl")
        done += [("remind", json.loads(line)["id"], code) for line in text.splitlines()]
    rng = random.Random(seed)
    end = time.monotonic() + SECONDS
    n = 0
    while time.monotonic() < end:
        n += 1
        deal = rng.choice(DEALS)
        op = rng.choice(("move", "edit", "checked"))
        if op == "move":
            code, _ = crm("deal", "move", str(deal), rng.choice(("next", "back")))
        elif op == "edit":
            # A value nobody else writes: an edit that changes nothing raises no version.
            code, _ = crm("deal", "edit", str(deal), "--amount", str(seed * 100_000 + n))
        else:
            _, shown = crm("deal", "show", str(deal), "--format", "json")
            version = json.loads(shown)["version"]
            code, _ = crm(
                "deal", "edit", str(deal), "--title", f"{user} {n}", "--if-version", str(version)
            )
        done.append((op, deal, code))
    out.put((user, done))


def test_people_moving_and_editing_the_same_deals_lose_nothing(
    crm: Crm, fresh_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for user in USERS:
        crm("user", "add", user.title(), "--role", "manager")
    for deal in DEALS:
        crm(
            "deal",
            "add",
            f"Deal {deal}",
            "--amount",
            "100",
            "--owner",
            "ana",
            "--stage",
            "qualified",
        )
    crm("activity", "schedule", "Call Li", "--due", "2026-11-22 10:00", "--owner", "ana")
    key = "CRM_DB" if fresh_db.startswith("sqlite") else "CRM_DATABASE_URL"
    value = fresh_db.removeprefix("sqlite:///") if key == "CRM_DB" else fresh_db
    env = {key: value, "CRM_NOW": NOW.isoformat(), "CRM_TIMEZONE": "UTC"}
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_work, args=(u, env, i, out)) for i, u in enumerate(USERS, start=1)
    ]
    for w in workers:
        w.start()
    results = dict(out.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(30)

    ops = [(user, *r) for user, rs in results.items() for r in rs]
    assert {code for _u, op, _d, code in ops if op != "remind"} <= {0, 3}
    # Each reminder once per person: Ana's task to Ana, and to each manager's --all-owners run.
    delivered = Counter((u, d) for u, op, d, _c in ops if op == "remind")
    assert delivered == Counter({(u, 1): 1 for u in USERS})
    changes = [o for o in ops if o[1] != "remind"]
    counted: dict[str, Any] = {"commands": len(changes), "reminders": sum(delivered.values())}
    counted |= {"done": 0, "refused": 0}
    for deal in DEALS:
        shown = crm("deal", "show", str(deal), "--format", "json").json()
        done = [op for _u, op, d, c in ops if d == deal and c == 0 and op != "remind"]
        refused = [op for _u, op, d, c in ops if d == deal and c == 3 and op != "remind"]
        # No lost update: every change reported done raised the version by exactly one.
        assert shown["version"] == 1 + len(done)
        history = shown["stage_history"]
        assert len(history) == 1 + done.count("move")
        # One chain: each move leaves the stage the previous one entered.
        for before, after in zip(history, history[1:], strict=False):
            assert after["from_stage"] == before["to_stage"]
        # Every change in the audit log: one entry per change done, none for those refused.
        logged = crm("audit", "list", "--object", "deals", "--id", str(deal), "--format", "json")
        actions = Counter(e["action"] for e in logged.json() if e["action"] != "create")
        assert actions == Counter("edit" if op == "checked" else op for op in done)
        counted["done"] += len(done)
        counted["refused"] += len(refused)
        counted[f"deal {deal}"] = {"version": shown["version"], **Counter(done)}
    with capsys.disabled():
        print(f"\nconcurrency ({fresh_db.split(':')[0]}): {counted}")
