"""`crm import …`: data from other CRMs, spreadsheets and phones, all or nothing."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Annotated, Any, BinaryIO, TextIO, cast

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import key_values
from tinycrm.commands.flags import advice
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit
from tinycrm.context import state
from tinycrm.words import counted, plural

if TYPE_CHECKING:
    from tinycrm.formats.read.decode import Replacements
    from tinycrm.formats.read.tabular import Table
    from tinycrm.services.imports import ImportOptions, ImportResult, ImportRow, Rejected

app = App(no_args_is_help=True)

File = Annotated[str, typer.Argument(help="The file to read, or - for standard input.")]
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="NAME",
        help="The sheet of a workbook (.xlsx, .xls, .ods) to read (default: the first visible).",
    ),
]
Maps = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="COLUMN=FIELD",
        help="Read COLUMN as FIELD (or custom:KEY, or - to ignore it); repeat for more.",
    ),
]
ShowMapping = Annotated[
    bool, typer.Option("--show-mapping", help="Print which column goes where, and stop.")
]
Encoding = Annotated[str | None, typer.Option(help="The file's encoding (default: detected).")]
ReplaceInvalid = Annotated[
    bool,
    typer.Option(
        "--replace-invalid",
        help="Read bytes that are not valid in the file's encoding as U+FFFD (�) and say on "
        "which lines, rather than refuse the file.",
    ),
]
OnDup = Annotated[
    str,
    typer.Option(
        "--on-duplicate", help="For a record that is already there: skip, update or error."
    ),
]
SkipErrors = Annotated[
    bool, typer.Option("--skip-errors", help="Import the good rows even when some are rejected.")
]
Rejects = Annotated[
    str | None,
    typer.Option(
        "--rejects", metavar="FILE", help="Write rejected rows to FILE (CSV, with line and reason)."
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would happen and write nothing.")]
CreateOwners = Annotated[
    bool,
    typer.Option(
        "--create-owners", help="Add owners that are not users yet (else such rows are rejected)."
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="CODE",
        help="Read phones written without a country code as numbers of CODE (e.g. CN, US); "
        "default: phone_region, else the locale's country, else they are kept as typed.",
    ),
]


def _options(
    on_duplicate: str,
    skip_errors: bool,
    dry_run: bool,
    create_owners: bool,
    stage_map: dict[str, str] | None = None,
    *,
    region: str | None = None,
) -> ImportOptions:
    from tinycrm.errors import InvalidInput
    from tinycrm.normalize import phone_region
    from tinycrm.services.imports import ImportOptions, OnDuplicate

    try:
        policy = OnDuplicate(on_duplicate)
    except ValueError:
        raise InvalidInput(
            "--on-duplicate", on_duplicate, "must be skip, update or error"
        ) from None
    st = state()
    return ImportOptions(
        now=st.now(),
        currency=st.settings.currency,
        region=phone_region(region, field="--region")
        if region
        else phone_region(st.settings.region, field="phone_region"),
        on_duplicate=policy,
        skip_errors=skip_errors,
        dry_run=dry_run,
        create_owners=create_owners,
        stage_map=stage_map or {},
        tz=st.tz,
        workday_start=st.workday_start,
        yen=st.yen,
    )


@contextmanager
def _source(path: str) -> Iterator[IO[bytes]]:
    from tinycrm.errors import InvalidInput

    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise InvalidInput("file", path, "no such file") from None
    except OSError as exc:
        raise InvalidInput("file", path, exc.strerror or "cannot be read") from None
    with stream:
        yield stream


REJECTS_COLUMNS = ("line", "reason")
"""The first columns of a rejects file; the import of the fixed file ignores them."""


def _mapped_rows(
    noun: str,
    path: str,
    stream: IO[bytes],
    *,
    encoding: str | None,
    maps: list[str] | None,
    show_mapping: bool,
    replaced: Replacements | None = None,
    sheet: str | None = None,
) -> Iterator[ImportRow] | None:
    """The file's rows, mapped to fields; None when only the mapping was asked for."""
    from tinycrm.formats.read.mapping import IGNORE, apply, map_headers, parse_overrides
    from tinycrm.services.imports import ImportRow

    table = _table(cast(BinaryIO, stream), path, encoding=encoding, replaced=replaced, sheet=sheet)
    if not table.is_json:
        table = _restore_headers(table)
    overrides = parse_overrides(maps or [])
    if table.headers[:2] == list(REJECTS_COLUMNS):  # a rejects file, fixed: not custom fields
        overrides = {**dict.fromkeys(REJECTS_COLUMNS, IGNORE), **overrides}
    header_map = map_headers(table.headers, noun=noun, overrides=overrides)
    if show_mapping:
        _print_mapping(table.headers, header_map)
        return None
    restore = _same if table.is_json else _restore_cells
    return (
        ImportRow(
            r.line,
            restore((m := apply(header_map, r)).values),
            restore(m.custom),
            m.problem,
            r.values,
        )
        for r in table.rows
    )


def _table(
    stream: BinaryIO,
    path: str,
    *,
    encoding: str | None,
    replaced: Replacements | None,
    sheet: str | None,
) -> Table:
    """A workbook's sheet (by the file's suffix, or its first bytes), else a text table."""
    from tinycrm.errors import InvalidInput
    from tinycrm.formats.read.sheet import is_workbook, read_sheet
    from tinycrm.formats.read.tabular import read_table

    if is_workbook(path, _head(stream)):
        if encoding is not None:
            raise InvalidInput("--encoding", encoding, f"{path} is a workbook: it has no encoding")
        return read_sheet(stream, name=path, sheet=sheet)
    if sheet is not None:
        raise InvalidInput(
            "--sheet", sheet, f"{path} is not a workbook (.xlsx, .xls, .ods): it has no sheets"
        )
    return read_table(stream, name=path, encoding=encoding, replaced=replaced)


def _head(stream: BinaryIO) -> bytes:
    """The first bytes, left to be read again (a pipe's through its buffer)."""
    if stream.seekable():
        at = stream.tell()
        head = stream.read(8)
        stream.seek(at)
        return head
    peek = getattr(stream, "peek", None)
    return bytes(peek(8)[:8]) if peek is not None else b""


def _restore_cells(values: dict[str, str]) -> dict[str, str]:
    """Undo the quote `crm export` puts before cells a spreadsheet would run (`'=1+1`)."""
    if not any(v[:1] == "'" for v in values.values()):
        return values
    from tinycrm.formats.cells import restore_cell

    return {k: restore_cell(v) for k, v in values.items()}


def _restore_headers(table: Table) -> Table:
    """Undo the quote tinycrm's CSV puts before a column name a spreadsheet would run (the
    rejects file keeps the file's own column names)."""
    from dataclasses import replace

    from tinycrm.formats.cells import restore_cell
    from tinycrm.formats.read.tabular import Record

    names = {h: restore_cell(h) for h in table.headers}
    if all(old == new for old, new in names.items()):
        return table
    rows = (
        Record(r.line, {names.get(k, k): v for k, v in r.values.items()}, r.problem)
        for r in table.rows
    )
    return replace(table, headers=list(names.values()), rows=rows)


def _same(values: dict[str, str]) -> dict[str, str]:
    return values


def _print_mapping(headers: list[str], header_map: Any) -> None:
    rows = []
    for header in headers:
        if header in header_map.fields:
            target = header_map.fields[header]
        elif header in header_map.ignored:
            target = "(ignored)"
        else:
            target = f"custom:{header_map.custom_keys.get(header, header)}"
        rows.append({"column": header, "field": target})
    emit(rows, Format.table, state().tz, columns=("column", "field"))


def run_import(
    noun: str,
    rows: Iterator[ImportRow],
    *,
    path: str,
    options: ImportOptions,
    rejects: str | None,
    quiet: bool,
    replaced: Replacements | None = None,
) -> None:
    from tinycrm.services.imports import deals as import_deals
    from tinycrm.services.imports import people as import_people

    importer = {
        "contacts": import_people.import_contacts,
        "companies": import_people.import_companies,
        "deals": import_deals.import_deals,
        "activities": import_deals.import_activities,
    }[noun]
    st = state()
    with (  # the rejects file is made first, and put in place only after the commit
        _rejects_file(rejects) as out,
        _progress(quiet) as tick,
        st.session(write=True) as session,
    ):
        result, rejected = importer(session, rows=rows, source=path, options=options, progress=tick)
        if out is not None:
            _write_rejects(out, rejected)
    _report(result, rejected, options, quiet=quiet)
    if replaced is not None and not quiet:
        _report_replaced(replaced)


def _report_replaced(replaced: Replacements) -> None:
    """Where bytes that did not fit the file's encoding were read as U+FFFD."""
    n = replaced.count
    if not n:
        return
    where = ", ".join(f"line {r.line} (byte offset {r.offset})" for r in replaced.found[:SHOWN])
    more = f" and {n - SHOWN} more" if n > SHOWN else ""
    done(
        f"{n} invalid byte sequence{'s' if n != 1 else ''} (not {replaced.codec}) read as "
        f"U+FFFD: {where}{more}"
    )


@contextmanager
def _decoding() -> Iterator[None]:
    """A byte the file's encoding cannot read: one line that says what to do about it."""
    from tinycrm.errors import CrmError
    from tinycrm.formats.read.decode import Undecodable

    try:
        yield
    except Undecodable as error:
        raise CrmError(
            f"{error.message}; fix it, or import it as U+FFFD with --replace-invalid (or name "
            f"the file's encoding with --encoding if it is not {error.codec})"
        ) from None


@contextmanager
def _rejects_file(path: str | None) -> Iterator[TextIO | None]:
    """The --rejects file, created before the import writes anything (so a place that
    cannot be written stops it first), private, through no link."""
    if path is None:
        yield None
        return
    from tinycrm.formats.write.outfile import private_file

    with private_file(path, field="--rejects") as out:
        yield out


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A progress bar on a terminal; nothing when piped, in cron or with --quiet."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("import", total=None)
        yield lambda n: bar.advance(task, n)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _write_rejects(out: TextIO, rejected: list[Rejected]) -> None:
    """The rejected rows as they were read, plus `line` and `reason`, ready to fix and
    retry; cells a spreadsheet would run get the `'` that the import removes again."""
    from tinycrm.formats.write.csv import CsvWriter
    from tinycrm.formats.write.outfile import sync

    columns: list[str] = []
    for row in rejected:
        columns.extend(k for k in row.raw if k not in columns)
    writer = CsvWriter(out)
    writer.writerow([*REJECTS_COLUMNS, *columns])
    writer.writerows(
        [row.line, row.reason + advice(row.use), *(row.raw.get(c, "") for c in columns)]
        for row in rejected
    )
    sync(out)  # before the import commits: a full disk fails the whole import


def _report(
    result: ImportResult, rejected: list[Rejected], options: ImportOptions, *, quiet: bool
) -> None:
    from tinycrm.errors import CrmError

    failed = result.rejected and not options.skip_errors
    if failed or not quiet:
        for row in rejected[:1000]:
            named = not row.column or row.reason.startswith(f"{row.column}:")
            where = f"line {row.line}" + ("" if named else f", {row.column}")
            typer.echo(f"{where}: {row.reason}{advice(row.use)}", err=True)
        if len(rejected) > 1000:
            more = plural(len(rejected) - 1000, "more rejected row")
            typer.echo(f"… and {more}", err=True)
    counts = _counts(result)
    if failed:
        raise CrmError(
            f"nothing imported: {plural(result.rejected, 'row')} rejected; fix them, or use "
            f"--skip-errors to import the other rows ({_counts(result, rejected=False)})"
        )
    if quiet:
        return
    if options.dry_run:
        done(f"dry run, nothing written: {result.noun} from {result.source} would be {counts}")
    else:
        done(f"imported {result.noun} from {result.source} as import #{result.batch_id}: {counts}")
    if result.custom_fields and not options.dry_run:
        done(f"columns kept as custom fields: {', '.join(result.custom_fields)}")
    if n := result.phones_as_typed:
        why = f"not valid in {options.region}" if options.region else "no region: use --region"
        done(f"{n} phone{'s' if n != 1 else ''} kept as typed, without +country ({why})")
    _report_possible(result, dry_run=options.dry_run)


SHOWN = 20
"""Possible duplicates listed one per line after an import; the rest are counted."""
_RESEMBLES = {
    "phone": "same phone as",
    "name+company": "same name and company as",
    "external_id": "same external id, other email, as",
}


def _report_possible(result: ImportResult, *, dry_run: bool) -> None:
    """The rows imported as new people that may be someone already there."""
    n = result.possible_count
    if not n:
        return
    many = n != 1
    new = "new people" if many else "a new person"
    done(
        f"{n} possible duplicate{'s' if many else ''} (a shared phone, or a name at one "
        f"company, but no email in common), {'to be ' if dry_run else ''}imported as {new}; "
        "review with `crm contact dupes`:"
    )
    for pair in result.possible_duplicates[:SHOWN]:
        other = f"#{pair.other_id} {pair.other_name}"
        if pair.other_line is not None:
            other = f"line {pair.other_line} {pair.other_name}"
        done(f"  line {pair.line} {pair.name}: {_RESEMBLES[pair.reason]} {other}")
    if n > SHOWN:
        done(f"  … and {n - SHOWN} more")


def _counts(result: ImportResult, *, rejected: bool = True) -> str:
    parts = [
        f"{result.created} created",
        f"{result.updated} updated",
        f"{result.skipped} skipped as duplicates",
    ]
    if rejected:
        parts.append(f"{result.rejected} rejected")
    extra = counted(result.also_created)
    return ", ".join(parts) + (f" (also created: {extra})" if extra else "")


def _import(noun: str, file: str, **kw: Any) -> None:
    options = _options(
        kw["on_duplicate"],
        kw["skip_errors"],
        kw["dry_run"],
        kw["create_owners"],
        kw.get("stage_map"),
        region=kw.get("region"),
    )
    replaced = _replacements(kw["replace_invalid"])
    with _source(file) as stream, _decoding():
        rows = _mapped_rows(
            noun,
            file,
            stream,
            encoding=kw["encoding"],
            maps=kw["maps"],
            show_mapping=kw["show_mapping"],
            replaced=replaced,
            sheet=kw.get("sheet"),
        )
        if rows is not None:
            run_import(
                noun,
                rows,
                path=file,
                options=options,
                rejects=kw["rejects"],
                quiet=kw["quiet"],
                replaced=replaced,
            )


def _replacements(wanted: bool) -> Replacements | None:
    from tinycrm.formats.read.decode import Replacements

    return Replacements() if wanted else None


def _file_command(noun: str, summary: str) -> None:
    """`crm import NOUN FILE` with the options every file import shares."""

    def command(
        file: File,
        sheet: Sheet = None,
        maps: Maps = None,
        show_mapping: ShowMapping = False,
        encoding: Encoding = None,
        replace_invalid: ReplaceInvalid = False,
        on_duplicate: OnDup = "skip",
        skip_errors: SkipErrors = False,
        rejects: Rejects = None,
        dry_run: DryRun = False,
        create_owners: CreateOwners = False,
        quiet: Quiet = False,
    ) -> None:
        _import(
            noun,
            file=file,
            sheet=sheet,
            maps=maps,
            show_mapping=show_mapping,
            encoding=encoding,
            replace_invalid=replace_invalid,
            on_duplicate=on_duplicate,
            skip_errors=skip_errors,
            rejects=rejects,
            dry_run=dry_run,
            create_owners=create_owners,
            quiet=quiet,
        )

    command.__doc__ = summary
    app.command(noun)(command)


@app.command("contacts")
def contacts(
    file: File,
    sheet: Sheet = None,
    maps: Maps = None,
    show_mapping: ShowMapping = False,
    encoding: Encoding = None,
    replace_invalid: ReplaceInvalid = False,
    on_duplicate: OnDup = "skip",
    skip_errors: SkipErrors = False,
    rejects: Rejects = None,
    dry_run: DryRun = False,
    create_owners: CreateOwners = False,
    region: Region = None,
    quiet: Quiet = False,
) -> None:
    """Import contacts (people); companies they name are created when missing. A row is
    someone already there (or an earlier row) when the email is theirs, or when the phone and
    the name are theirs and no email says otherwise: two different emails are two people. A
    shared phone alone (a switchboard, a family) is listed as a possible duplicate, and the
    row imported."""
    _import("contacts", **locals())


_file_command("companies", "Import companies (accounts).")
_file_command("activities", "Import an activity log (calls, emails, meetings, notes, tasks).")


@app.command("deals")
def deals(
    file: File,
    sheet: Sheet = None,
    maps: Maps = None,
    show_mapping: ShowMapping = False,
    encoding: Encoding = None,
    replace_invalid: ReplaceInvalid = False,
    stage_map: Annotated[
        list[str] | None,
        typer.Option(
            "--stage-map",
            metavar="NAME=STAGE",
            help="Read the stage NAME of the file as STAGE; repeat for more.",
        ),
    ] = None,
    on_duplicate: OnDup = "skip",
    skip_errors: SkipErrors = False,
    rejects: Rejects = None,
    dry_run: DryRun = False,
    create_owners: CreateOwners = False,
    quiet: Quiet = False,
) -> None:
    """Import deals; a deal at a stage counts as having passed the stages before it."""
    kw = locals()
    kw["stage_map"] = key_values(stage_map, "--stage-map")
    _import("deals", **kw)


@app.command("vcard")
def vcard(
    file: File,
    encoding: Encoding = None,
    replace_invalid: ReplaceInvalid = False,
    on_duplicate: OnDup = "skip",
    skip_errors: SkipErrors = False,
    rejects: Rejects = None,
    dry_run: DryRun = False,
    region: Region = None,
    quiet: Quiet = False,
) -> None:
    """Import contacts from vCard files (2.1, 3.0, 4.0), e.g. a phone's address book."""
    from tinycrm.formats.read.mapping import apply, identity_map
    from tinycrm.formats.read.vcard import read_vcards
    from tinycrm.services.imports import ImportRow

    options = _options(on_duplicate, skip_errors, dry_run, create_owners=False, region=region)
    fields = identity_map("contacts")
    replaced = _replacements(replace_invalid)
    with _source(file) as stream, _decoding():
        cards = read_vcards(cast(BinaryIO, stream), name=file, encoding=encoding, replaced=replaced)
        rows = (
            ImportRow(
                card.line, (m := apply(fields, card)).values, m.custom, m.problem, card.values
            )
            for card in cards
        )
        run_import(
            "contacts",
            rows,
            path=file,
            options=options,
            rejects=rejects,
            quiet=quiet,
            replaced=replaced,
        )


@app.command("undo")
def undo(
    batch_id: Annotated[int, typer.Argument(help="The import's number (crm import list).")],
) -> None:
    """Remove the records an import created (not those it updated)."""
    from tinycrm.services.imports import undo_batch

    st = state()
    with st.session(write=True) as session:
        counts = undo_batch(session, batch_id=batch_id, now=st.now())
    removed = counted(counts) or "nothing"
    done(f"import #{batch_id} undone: removed {removed}")


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List past imports with their counts."""
    from tinycrm.services.imports import list_batches

    st = state()
    with st.session(write=False) as session:
        rows = list_batches(session)
    emit([as_row(r) for r in rows], fmt, st.tz, empty="no imports yet")
