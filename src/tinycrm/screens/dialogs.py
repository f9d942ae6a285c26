"""Small modal dialogs: a form of text fields, a pick-one list and the key help."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str = ""
    placeholder: str = ""
    choices: tuple[str, ...] = ()
    """When given, the field is a drop-down of these values."""
    required: bool = False


def save_hint(fields: list[Field]) -> str:
    """How to save: enter in a text field; ctrl+s from a drop-down, where enter opens it."""
    texts, lists = any(not f.choices for f in fields), any(f.choices for f in fields)
    save = {(True, False): "enter", (True, True): "enter or ctrl+s"}.get((texts, lists), "ctrl+s")
    return f"{save} save · tab next field · esc cancel"


class FormDialog(ModalScreen[dict[str, str] | None]):
    """Fields in a column, all on one screen: enter in any text field (or ctrl+s from
    anywhere, a drop-down too, where enter opens it) submits, tab moves on, escape cancels.

    The result maps each field's key to its text, trimmed."""

    AUTO_FOCUS = "Input, Select"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="form.save"),
    ]

    def __init__(self, title: str, fields: list[Field]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.fields = fields
        self.first = next((f for f in fields if len(f.choices) != 1), None)
        """The field that takes the focus: the first with something to decide (a drop-down
        of one choice has nothing), so that typing goes where it is wanted."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-fields"):
                for f in self.fields:
                    yield Label(f.label, id=f"label-{f.key}")
                    if f.choices:
                        yield Select(
                            [(c, c) for c in f.choices],
                            value=f.value or f.choices[0],
                            allow_blank=False,
                            id=f"field-{f.key}",
                        )
                    else:
                        yield Input(f.value, placeholder=f.placeholder, id=f"field-{f.key}")
            yield Static(save_hint(self.fields), classes="dialog-hint")

    def again(self, values: dict[str, str], focus: str | None = None) -> FormDialog:
        """The same form, filled in with `values`; the field a refusal names (`focus`: its
        key, or its label as the message says it) takes the focus when there is one, so
        the fix is typed there rather than over the first field."""
        fields = [replace(f, value=values.get(f.key, f.value)) for f in self.fields]
        form = type(self)(self.title_text, fields)
        named = (f for f in fields if focus in (f.key, f.label.lower().rstrip("?")))
        form.first = next(named, form.first)
        return form

    def on_mount(self) -> None:
        if self.first is not None:
            self.query_one(f"#field-{self.first.key}").focus()
        # the first field takes focus before the form has its size, hiding its label
        fields = self.query_one(".dialog-fields", VerticalScroll)
        self.call_after_refresh(fields.scroll_home, animate=False)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Keep a field's label in sight with it when a long form scrolls."""
        key = (event.widget.id or "").removeprefix("field-")
        if event.widget.id and event.widget.id.startswith("field-"):
            label = self.query_one(f"#label-{key}", Label)
            self.query_one(".dialog-fields", VerticalScroll).scroll_to_widget(label, animate=False)

    def values(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.key}")
            if isinstance(widget, Select):
                result[f.key] = str(widget.value)
            elif isinstance(widget, Input):
                result[f.key] = widget.value.strip()
        return result

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        values = self.values()
        for f in self.fields:
            if f.required and not values.get(f.key):
                self.notify(
                    f"{f.label.lower().rstrip('?')}: please fill this in", severity="warning"
                )
                self.set_focus(self.query_one(f"#field-{f.key}"))
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a list; the result is the chosen text, or None when cancelled."""

    AUTO_FOCUS = "OptionList"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield OptionList(*self.choices)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the app and of the screen beneath, with what it does."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__(classes="dialog")
        self.sections = sections

    def compose(self) -> ComposeResult:
        lines: list[str] = []
        for title, keys in self.sections:
            lines.append(f"[b]{title}[/b]")
            lines.extend(f"  {key:<18} {what}" for key, what in keys)
            lines.append("")
        with Vertical(classes="dialog-box help-box"):
            yield Static("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(lines), markup=True, id="help-text")
            yield Static("esc close · ctrl+p every action by name", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
