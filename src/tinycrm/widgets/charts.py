"""Text charts: horizontal bars scaled to the largest value, in theme colours."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.widgets import Static

from tinycrm.widgets.format import pad

BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(value: float, largest: float, width: int) -> str:
    """A bar of eighth-blocks, `width` cells for the largest value."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (BLOCKS[part] if part else "")


class Bars:
    """Rows of `label  ████  note`, the bars filling what the label and note leave."""

    def __init__(self, rows: list[tuple[str, float, str]], style: str = "") -> None:
        self.rows = rows
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            yield Text("nothing to show", style="italic")
            return
        label_w = max(cell_len(label) for label, _, _ in self.rows)  # cells: 谈判 takes four
        note_w = max(cell_len(note) for _, _, note in self.rows)
        width = max(4, options.max_width - label_w - note_w - 4)
        largest = max(value for _, value, _ in self.rows)
        for label, value, note in self.rows:
            line = Text(pad(label, label_w) + "  ")
            drawn = bar(value, largest, width)
            line.append(f"{drawn:<{width}}", style=self.style)
            line.append("  " + pad(note, note_w, right=True))
            yield line


class BarChart(Static):
    DEFAULT_CSS = """
    BarChart { height: auto; padding: 0 1; color: $foreground; }
    """

    def show(self, rows: list[tuple[str, float, str]]) -> None:
        color = self.app.current_theme.accent or "yellow"
        self.update(Bars(rows, style=str(color)))
