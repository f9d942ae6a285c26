"""How fast the terminal app answers, headless (`App.run_test()`), on bench/gen.py data.

    python bench/tui_bench.py            # 7 runs of each; boards of ~100 and ~10k open deals
    python bench/tui_bench.py --runs 3

a) board first paint: from starting the app to every column's header and first cards drawn;
   and cold, from starting a new Python process (which imports tinycrm's command line, the
   app and the ORM as `crm tui` does) to the same paint, next to `crm --version`;
b) move a deal: from the key press (`>` / `<`, alternating) to the board showing the deal in
   its new column with the focus on it;
c) move the focus: right, left and down arrows, until the column has drawn the focus;
d) contact filter: typing a 3-letter prefix into the contact list of 100k contacts, until
   the table shows the matches.
Runs go round-robin between the small and the big database; medians and the ratio big/small
are printed. Databases are generated into bench/out/ when missing (CRM_HOME is bench/out/home).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
NOW = "2026-11-23T09:30:00+00:00"
BOARDS = {"100 open": (1_000, 154), "10k open": (20_000, 15_400)}
"""label: (contacts, deals); gen.py leaves about 65% of deals open."""
CONTACTS = 100_000
PREFIXES = ("mar", "joh", "smi", "lee", "kar", "dav", "ann", "rob", "gar", "zzq")
"""Common first and last names, and one that matches nobody (the whole name index is read)."""
GOALS = {"paint": 0.5, "move": 0.100, "filter": 0.100}


def ensure_db(contacts: int, deals: int) -> Path:
    path = OUT / f"tui-{contacts}x{deals}.db"
    if path.exists() and open_deals(path) >= 0:
        return path
    OUT.mkdir(exist_ok=True)
    print(f"generating {path.name} ...", flush=True)
    argv = [sys.executable, str(HERE / "gen.py"), "--db", str(path),
            "--contacts", str(contacts), "--deals", str(deals), "--now", NOW[:19]]  # fmt: skip
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return path


def open_deals(path: Path) -> int:
    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM deals WHERE status = 'open'").fetchone()[0]
    except sqlite3.DatabaseError:
        return -1


def make_app(path: Path) -> object:
    from tinycrm.context import AppState
    from tinycrm.tui import CrmApp

    return CrmApp(AppState(db_path=str(path), as_user=acting(path)))


def acting(path: Path) -> str | None:
    """An admin (who sees every deal) to act as, so the app does not ask who you are."""
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT name FROM users WHERE active ORDER BY role != 'admin', id LIMIT 1"
        ).fetchone()
    return found[0] if found else None


APPLIED = [0.0]
"""When the board last took in an answer from the database."""
PAINTED: dict[int, float] = {}
"""When each board column (by stage id) last drew a line; -1 is the contact table."""


def watch_paints() -> None:
    """Note the time of every line a board column draws: "shown" means drawn, not just
    loaded."""
    from tinycrm.widgets.board_column import BoardColumn

    draw = BoardColumn.render_line

    def render_line(self: BoardColumn, y: int) -> object:
        PAINTED[self.stage_id] = time.perf_counter()
        return draw(self, y)

    BoardColumn.render_line = render_line  # type: ignore[assignment,method-assign]

    from tinycrm.screens.board import BoardScreen

    show = BoardScreen._show

    async def shown_at(self: BoardScreen, data: object) -> None:
        await show(self, data)  # type: ignore[arg-type]
        APPLIED[0] = time.perf_counter()

    BoardScreen._show = shown_at  # type: ignore[method-assign]

    from textual.widgets import DataTable

    from tinycrm.screens.contacts import ContactsScreen

    table_line = DataTable.render_line
    listed = ContactsScreen._show

    def table_render_line(self: DataTable[str], y: int) -> object:
        PAINTED[-1] = time.perf_counter()
        return table_line(self, y)

    def listed_at(self: ContactsScreen, *args: object) -> None:
        listed(self, *args)  # type: ignore[arg-type]
        APPLIED[0] = time.perf_counter()

    DataTable.render_line = table_render_line  # type: ignore[assignment,method-assign]
    ContactsScreen._show = listed_at  # type: ignore[method-assign]


async def until(done: Callable[[], bool], timeout: float = 30.0) -> float:
    """Yield to the event loop (and the worker threads) until `done()` holds; when it did."""
    limit = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > limit:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.0005)
    return time.perf_counter()


async def shown(stage_ids: list[int], since: float) -> float:
    """Until every one of those columns has drawn since `since`; when the last one did."""
    await until(lambda: all(PAINTED.get(s, 0) > since for s in stage_ids))
    return max(PAINTED[s] for s in stage_ids)


def board_ready(app: object) -> bool:
    from tinycrm.screens.board import BoardScreen

    screen = app.screen  # type: ignore[attr-defined]
    if not isinstance(screen, BoardScreen) or not screen.columns:
        return False
    return all(c.count == 0 or c.card(0) is not None for c in screen.columns)


async def paint_once(path: Path) -> float:
    started = time.perf_counter()
    app = make_app(path)
    async with app.run_test(size=(120, 40)):  # type: ignore[attr-defined]
        await until(lambda: board_ready(app))
        stages = [c.stage_id for c in app.screen.columns]  # type: ignore[attr-defined]
        painted = await shown(stages, APPLIED[0])
    return painted - started


async def moves(path: Path, count: int) -> list[float]:
    """Move the focused deal right, then back left, `count` times; each key's latency."""
    app = make_app(path)
    samples = []
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await until(lambda: board_ready(app))
        await pilot.pause()
        screen = app.screen  # type: ignore[attr-defined]
        for i in range(count):
            key, target = ("greater_than_sign", 1) if i % 2 == 0 else ("less_than_sign", 0)
            deal_id = screen.current.selected.id
            column = screen.columns[target]

            def arrived(column: object = column, deal_id: int = deal_id) -> bool:
                card = column.selected  # type: ignore[attr-defined]
                return screen.focused is column and card is not None and card.id == deal_id

            started = time.perf_counter()
            await pilot.press(key)
            await until(arrived)
            painted = await shown([column.stage_id], APPLIED[0])
            samples.append(painted - started)
            await pilot.pause()
    return samples


async def focus(path: Path, count: int) -> list[float]:
    """Move the focus one column right, then back left, then one card down, `count` times;
    each key's latency until the column has drawn the focus."""
    app = make_app(path)
    samples = []
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await until(lambda: board_ready(app))
        await pilot.pause()
        screen = app.screen  # type: ignore[attr-defined]
        for i in range(count):
            key, target = [("right", 1), ("left", 0), ("down", 0)][i % 3]
            column = screen.columns[target]
            cursor = column.cursor + (key == "down")
            started = time.perf_counter()
            await pilot.press(key)
            await until(lambda c=column, n=cursor: screen.focused is c and c.cursor == n)
            painted = await shown([column.stage_id], started)
            samples.append(painted - started)
            await pilot.pause()
    return samples


async def filters(path: Path) -> list[float]:
    from textual.widgets import Input

    app = make_app(path)
    samples = []
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        await until(lambda: board_ready(app))
        await pilot.press("2")
        await until(lambda: getattr(app.screen, "shown", None) == "")  # type: ignore[attr-defined]
        search = app.screen.query_one("#contacts-search", Input)  # type: ignore[attr-defined]
        for prefix in PREFIXES:
            started = time.perf_counter()
            search.value = prefix
            await until(lambda p=prefix: app.screen.shown == p)  # type: ignore[attr-defined]
            painted = await shown([-1], APPLIED[0])
            samples.append(painted - started)
            search.value = ""
            await until(lambda: app.screen.shown == "")  # type: ignore[attr-defined]
    return samples


def cold_child(path: Path) -> None:
    """In a new process: what `crm tui` loads, then the app until the board is painted;
    "painted" on stdout then, and out without tearing down."""
    import tinycrm.cli  # noqa: F401  (the command line `crm tui` starts from)

    watch_paints()
    asyncio.run(paint_once(path))
    print("painted", flush=True)
    os._exit(0)


def cold(path: Path) -> float:
    """Wall time from spawning a process to its board painted (`cold_child`)."""
    argv = [sys.executable, __file__, "--cold-child", str(path)]
    started = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        took = time.perf_counter() - started
    if line.strip() != "painted":
        raise SystemExit(f"the cold start did not paint: {line!r}")
    return took


def version() -> float:
    """Wall time of `crm --version`, the floor every command starts from."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tinycrm", "--version"], check=True, capture_output=True)
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def report(title: str, samples: dict[str, list[float]], goal: float) -> None:
    print(f"\n{title}")
    medians = {label: statistics.median(values) for label, values in samples.items()}
    base = next(iter(medians.values()))
    for label, median in medians.items():
        values = samples[label]
        verdict = "ok" if median <= goal else f"over the {ms(goal)} goal"
        print(f"  {label:<28} median {ms(median):>8}  min {ms(min(values)):>8}  "
              f"max {ms(max(values)):>8}  x{median / base:.2f}  {verdict}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(CRM_HOME=str(OUT / "home"), CRM_TIMEZONE="UTC", CRM_NOW=NOW)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # start as an installed crm: bytecode cached
    os.environ.pop("CRM_NOW")  # moves need a clock that goes forward: use the real one
    if args.cold_child:
        cold_child(args.cold_child)
    watch_paints()
    boards = {label: ensure_db(*size) for label, size in BOARDS.items()}
    people = ensure_db(CONTACTS, 100)
    for label, path in boards.items():
        print(f"{label}: {path.name} has {open_deals(path)} open deals")
    paint: dict[str, list[float]] = {label: [] for label in boards}
    starts: dict[str, list[float]] = {"crm --version": []} | {label: [] for label in boards}
    move: dict[str, list[float]] = {label: [] for label in boards}
    arrows: dict[str, list[float]] = {label: [] for label in boards}
    for round_no in range(args.runs + 1):
        for label, path in boards.items():
            painted = asyncio.run(paint_once(path))
            moved = asyncio.run(moves(path, 4))
            focused = asyncio.run(focus(path, 9))
            started = cold(path)
            if round_no:  # the first round warms caches and imports
                starts[label].append(started)
                paint[label].append(painted)
                move[label].extend(moved)
                arrows[label].extend(focused)
        if round_no:
            starts["crm --version"].append(version())
    report("board first paint, the app started in this process", paint, GOALS["paint"])
    report("board first paint from a new process (x: of crm --version)", starts, GOALS["paint"])
    report("move a deal (key press to board showing it)", move, GOALS["move"])
    report("move the focus (arrow key to the column drawn)", arrows, GOALS["move"])
    run: Callable[[], Awaitable[list[float]]] = lambda: filters(people)  # noqa: E731
    asyncio.run(run())
    report(
        f"contact filter, 3-letter prefix, {CONTACTS // 1000}k contacts",
        {"filter": [s for _ in range(max(1, args.runs // 3)) for s in asyncio.run(run())]},
        GOALS["filter"],
    )


if __name__ == "__main__":
    main()
