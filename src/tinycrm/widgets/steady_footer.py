"""A footer that is rebuilt only when the keys it shows change.

Textual's footer rebuilds its keys whenever the focus moves, since the focused widget's
keys may differ. On the board every column has the same keys, and that rebuild was most of
what an arrow key between columns cost."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    _shown: tuple[tuple[Any, ...], ...] | None = None
    """What the footer last showed: (key, description, enabled, tooltip) per shown key."""

    def bindings_changed(self, screen: Screen[Any]) -> None:
        shown = tuple(
            (binding.key, binding.description, enabled, tooltip)
            for _, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
