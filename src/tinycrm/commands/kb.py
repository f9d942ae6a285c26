"""`crm kb …`: solution articles, searched when a ticket is resolved."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.context import state

if TYPE_CHECKING:
    pass


app = App(no_args_is_help=True)

ARTICLE_COLUMNS = ("id", "title", "tickets", "updated_at")
SEARCH_COLUMNS = ("rank", "id", "title", "snippet", "tickets")


def _read(body: str | None, file: str | None) -> str:
    from tinycrm.errors import InvalidInput

    if (body is None) == (file is None):
        raise InvalidInput("--body", body or file, "give the text with --body or --file")
    if body is not None:
        return body
    assert file is not None
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("--file", file, f"cannot read it ({exc.__class__.__name__})") from None


@app.command("add")
def kb_add(
    title: Annotated[
        str, typer.Argument(help="The question or problem it answers (at most 300 characters).")
    ],
    body: Annotated[str | None, typer.Option(help="The answer.")] = None,
    file: Annotated[
        str | None, typer.Option(help="Read the answer from this file ('-' for stdin).")
    ] = None,
) -> None:
    """Add a solution article."""
    from tinycrm.services import kb as articles

    st = state()
    text = _read(body, file)
    with st.session(write=True) as session:
        row = articles.add_article(session, title=title, body=text, now=st.now())
    done(f"article #{row.id} added: {row.title}")


@app.command("search")
def kb_search(
    words: Annotated[list[str], typer.Argument(help="Words the article must hold.")],
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 20,
    fmt: FormatOption = Format.table,
) -> None:
    """Articles holding every word (or a word starting with it), best match first."""
    from tinycrm.services import kb as articles

    st = state()
    with st.session(write=False) as session:
        rows = articles.search_articles(session, query=" ".join(words), limit=limit)
    shown = [as_row(r, rank=n) for n, r in enumerate(rows, start=1)]
    emit(shown, fmt, st.tz, columns=SEARCH_COLUMNS, empty="no articles match")


@app.command("show")
def kb_show(
    article_id: Annotated[int, typer.Argument(help="Article id.")],
    fmt: FormatOption = Format.table,
) -> None:
    """An article in full, and the tickets it resolved."""
    from tinycrm.services import kb as articles

    st = state()
    with st.session(write=False) as session:
        row = articles.get_article(session, ref=article_id)
    fields = as_row(row)
    for key in ("snippet", "score"):
        fields.pop(key)
    emit_record(fields, fmt, st.tz)


@app.command("list")
def kb_list(
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every solution article, with how many tickets each resolved."""
    from tinycrm.services import kb as articles

    st = state()
    with st.session(write=False) as session:
        rows = articles.list_articles(session, limit=limit)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=ARTICLE_COLUMNS, empty="no articles yet")
