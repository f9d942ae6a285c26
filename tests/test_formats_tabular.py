"""CSV (sniffed delimiters), TSV and JSON lines to records, with physical line numbers."""

from __future__ import annotations

import csv
import io
import json
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinycrm.errors import CrmError, InvalidInput
from tinycrm.formats.read.tabular import Record, Table, read_table, unique_headers

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")


def table(text: str | bytes, **kwargs: Any) -> Table:
    data = text.encode() if isinstance(text, str) else text
    return read_table(io.BytesIO(data), name="t.csv", **kwargs)


def rows(text: str | bytes, **kwargs: str) -> list[tuple[int, dict[str, str], str | None]]:
    return [(r.line, r.values, r.problem) for r in table(text, **kwargs).rows]


def corpus(folder: str, *patterns: str) -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for pattern in patterns for p in (CORPORA / folder).rglob(pattern))


# csv-spectrum ---------------------------------------------------------------------------

SPECTRUM = [p.stem for p in corpus("csv_spectrum/csvs", "*.csv")]


@needs_corpora
@pytest.mark.parametrize("name", SPECTRUM or ["missing"])
def test_every_csv_spectrum_file_reads_to_its_json(name: str) -> None:
    base = CORPORA / "csv_spectrum"
    expected = json.loads((base / "json" / f"{name}.json").read_text())
    if isinstance(expected, dict):  # location_coordinates: upstream wrote one object
        expected = [expected]
    got = [r.values for r in table((base / "csvs" / f"{name}.csv").read_bytes()).rows]
    if name == "location_coordinates":  # upstream JSON has another phone number than its CSV
        assert got[0].pop("Contact Phone Number") == "2095257564"
        assert expected[0].pop("Contact Phone Number") == "1234567890"
    assert got == expected


@needs_corpora
@pytest.mark.parametrize("name", ["latin1", "newlines_cr"])
def test_csv_spectrum_files_outside_master_read_to_their_json(name: str) -> None:
    base = CORPORA / "csv_spectrum" / "not_in_master"
    expected = json.loads((base / "json" / f"{name}.json").read_text())
    assert [r.values for r in table((base / "csvs" / f"{name}.csv").read_bytes()).rows] == expected


def test_quoted_newlines_keep_the_line_the_row_starts_on() -> None:
    text = 'a,b\r\n1,"x\r\ny"\r\n\r\n2,"p\nq\nr"\n3,z\n'
    assert rows(text) == [
        (2, {"a": "1", "b": "x\r\ny"}, None),
        (5, {"a": "2", "b": "p\nq\nr"}, None),
        (8, {"a": "3", "b": "z"}, None),
    ]


def test_bare_cr_line_ends() -> None:
    assert rows("a;b\r1;2\r3;4") == [
        (2, {"a": "1", "b": "2"}, None),
        (3, {"a": "3", "b": "4"}, None),
    ]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("name,email\nAnn,a@x.io\n", ","),
        ("name;email\nAnn;a@x.io\n", ";"),
        ("name\temail\nAnn\ta@x.io\n", "\t"),
        ("name|email\nAnn|a@x.io\n", "|"),
        ('name;note\nAnn;"a, b, c"\nBob;"d, e"\n', ";"),
        ("name|amount\nAnn|1,5\nBob|2,25\n", "|"),
        ("sep=;\nname;email\nAnn;a@x.io\n", ";"),
    ],
)
def test_the_delimiter_is_sniffed(text: str, delimiter: str) -> None:
    found = table(text)
    assert found.delimiter == delimiter
    assert found.fmt == ("tsv" if delimiter == "\t" else "csv")
    assert found.headers[:1] == ["name"]
    assert list(found.rows)[0].values["name"] == "Ann"


def test_a_sep_hint_line_is_not_the_header_and_lines_stay_physical() -> None:
    assert rows("sep=;\nname;email\nAnn;a@x.io\n") == [
        (3, {"name": "Ann", "email": "a@x.io"}, None)
    ]


def test_tsv_is_forced_by_fmt() -> None:
    found = table("a,b\tc\n1,2\t3\n", fmt="tsv")
    assert (found.delimiter, found.headers) == ("\t", ["a,b", "c"])


def test_headers_are_trimmed_deduplicated_and_named() -> None:
    assert unique_headers(["\ufeffEmail", " Email ", "", "email", "Email_2", " "]) == [
        "Email",
        "Email_2",
        "column_3",
        "email_3",
        "Email_2_2",
        "column_6",
    ]


def test_a_bom_inside_the_text_is_stripped_from_the_first_header() -> None:
    data = b"\xef\xbb\xbf\xef\xbb\xbfname,email\nAnn,a@x.io\n"
    assert table(data, encoding="utf-8").headers == ["name", "email"]


def test_short_rows_are_padded_long_rows_are_problems_blank_rows_skipped() -> None:
    text = "a,b,c\n\n1\n,,\n  , ,\n1,2,3,4\n5,6,7,,\n8,9,10\n"
    assert rows(text) == [
        (3, {"a": "1", "b": "", "c": ""}, None),
        (6, {"a": "1", "b": "2", "c": "3"}, "4 cells but the header has 3 columns (extra: '4')"),
        (7, {"a": "5", "b": "6", "c": "7"}, None),
        (8, {"a": "8", "b": "9", "c": "10"}, None),
    ]


def test_a_nul_character_is_a_row_problem() -> None:
    assert rows("a,b\n1,x\x00y\n") == [
        (2, {"a": "1", "b": "x\x00y"}, "a cell contains a NUL character")
    ]


def test_blank_lines_before_the_header_are_skipped() -> None:
    found = table("\n\n  \nname,email\nAnn,a@x.io\n")
    assert found.headers == ["name", "email"]
    assert [r.line for r in found.rows] == [5]


@pytest.mark.parametrize("text", ["\n", "\r\n\r\n", ",,\n , \n"])
def test_no_header_row_is_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidInput, match="file: has no header row: 't.csv'"):
        table(text)


def test_an_endless_quoted_cell_is_a_clear_error_with_its_line() -> None:
    text = 'a,b\n1,2\n3,"never closed\n' + "x\n" * 140_000
    found = table(text)
    with pytest.raises(InvalidInput, match=r"line 3: field larger than field limit"):
        list(found.rows)


def test_an_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="format: unknown format"):
        table("a\n1\n", fmt="xlsx")


def test_rows_are_a_lazy_generator() -> None:
    found = table("a\n" + "1\n" * 10)
    assert isinstance(found.rows, types.GeneratorType)
    assert next(found.rows) == Record(2, {"a": "1"})


# JSON lines -----------------------------------------------------------------------------


def test_json_lines_union_of_keys_nested_values_and_problems() -> None:
    text = (
        '{"name": "Ann", "age": 31, "tags": ["a", "b"]}\n'
        "\n"
        '{"name": "Bob", "vip": true, "meta": {"x": null}, "email": null}\r\n'
        "[1, 2]\n"
        '{"name": broken}\n'
        '"just text"\n'
        '{"name": "李伟", "city": "北京"}\n'
    )
    found = table(text)
    assert (found.fmt, found.delimiter) == ("jsonl", None)
    assert found.headers == ["name", "age", "tags", "vip", "meta", "email", "city"]
    assert [(r.line, r.values, r.problem) for r in found.rows] == [
        (1, {"name": "Ann", "age": "31", "tags": '["a", "b"]'}, None),
        (3, {"name": "Bob", "vip": "true", "meta": '{"x": null}', "email": ""}, None),
        (4, {}, "a JSON array, not an object"),
        (5, {}, "invalid JSON: Expecting value (column 10)"),
        (6, {}, "a JSON string, not an object"),
        (7, {"name": "李伟", "city": "北京"}, None),
    ]


def test_json_line_keys_after_the_first_thousand_are_added_as_they_come() -> None:
    text = '{"a": "1"}\n' * 1000 + '{"a": "2", "late": "x"}\n'
    found = table(text, fmt="jsonl")
    assert found.headers == ["a"]
    last = list(found.rows)[-1]
    assert (last.line, last.values) == (1001, {"a": "2", "late": "x"})
    assert found.headers == ["a", "late"]


def test_a_json_array_is_read_as_its_objects() -> None:
    found = table('[\n  {"a": "1", "n": 2},\n  {"a": "x", "b": null}\n]\n')
    assert (found.fmt, found.headers) == ("json", ["a", "n", "b"])
    assert [(r.line, r.values) for r in found.rows] == [
        (1, {"a": "1", "n": "2"}),
        (2, {"a": "x", "b": ""}),
    ]


@pytest.mark.parametrize("text", ['{"a": 1}', '[{"a": 1}', '"text"'])
def test_json_that_is_not_an_array_of_objects_is_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidInput, match="file: (invalid JSON|is JSON but not an array)"):
        table(text if text.startswith("[") else text, fmt="json")


# Corpora: read or fail clearly ----------------------------------------------------------

MESSY = corpus("csvkit_examples", "*.csv", "*.tsv") + corpus(
    "messytables_horror", "*.csv", "*.tsv", "*.psv", "*.ssv"
)


@needs_corpora
@pytest.mark.parametrize("path", MESSY or [Path("missing")], ids=lambda p: p.name)
def test_every_messy_file_reads_or_fails_with_one_clear_error(path: Path) -> None:
    try:
        found = read_table(path.open("rb"), name=path.name)
        records = list(found.rows)
    except CrmError as error:
        assert str(error).startswith("file: ") and "\n" not in str(error)
        return
    assert found.headers and len(set(found.headers)) == len(found.headers)
    assert all(set(r.values) <= set(found.headers) for r in records)
    assert all(r.line >= 2 for r in records)


EXPECTED = {
    "csvkit_examples/bad.csv": (",", 3, [2], ["column_a", "column_b", "column_c"]),
    "csvkit_examples/sniff_limit.csv": (";", 1, [], ["a", "b", "c"]),
    "csvkit_examples/dummy.tsv": ("\t", 1, [], ["a", "b", "c"]),
    "csvkit_examples/mac_newlines.csv": (",", 2, [], ["a", "b", "c"]),
    "csvkit_examples/null_byte.csv": (",", 1, [2], ["a", "b", "c"]),
    "csvkit_examples/test_utf8_bom.csv": (",", 2, [], ["foo", "bar", "baz"]),
    "csvkit_examples/test_utf16_little.csv": (",", 2, [], ["a", "b", "c"]),
    "csvkit_examples/test_header_newline.csv": (",", 1, [], ["start \t\n\x0b\x0c\r end", "b", "c"]),
    "messytables_horror/simple.psv": ("|", 28, [], ["Year", "New dwellings"]),
    "messytables_horror/simple.ssv": (";", 6, [], ["date", "temperature", "place"]),
    "messytables_horror/example.tsv": ("\t", 140, [], ["hour", "expr1_0_imp"]),
    "messytables_horror/complex.csv": (",", 3, [], ["date", "another date", "temperature"]),
    "messytables_horror/utf8bom.csv": (",", 0, [], ["kitten", "win"]),
    "messytables_horror/long.csv": (",", 3999, [], ["foo"]),
    "thunderbird_addrbook_csv/basic_csv_addressbook.csv": (",", 2, [], ["First Name"]),
    "thunderbird_addrbook_csv/csv_semicolon.csv": (";", 2, [], ["Display Name", "First Name"]),
}


@needs_corpora
@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_notable_corpus_files_read_exactly(path: str) -> None:
    delimiter, count, problem_lines, headers = EXPECTED[path]
    found = read_table((CORPORA / path).open("rb"), name=path)
    records = list(found.rows)
    assert found.delimiter == delimiter
    assert found.headers[: len(headers)] == headers
    assert len(records) == count
    assert [r.line for r in records if r.problem] == problem_lines


@needs_corpora
def test_complex_csv_skips_spaces_after_commas_and_keeps_quoted_commas() -> None:
    found = read_table((CORPORA / "messytables_horror/complex.csv").open("rb"), name="c")
    assert list(found.rows)[-1].values == {
        "date": "2011-01-03",
        "another date": "",
        "temperature": "6,000,000",
        "place": "Galway",
    }


@needs_corpora
def test_csvkit_empty_file_has_no_header() -> None:
    with pytest.raises(InvalidInput, match="has no header row"):
        read_table((CORPORA / "csvkit_examples/empty.csv").open("rb"), name="empty.csv")


# Property: what csv.writer writes, read_table reads back --------------------------------

HEADER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
CELL_CHARS = st.characters(
    exclude_categories=["Cs"], exclude_characters="\x00", max_codepoint=0x2FFFF
)
LATIN_CHARS = st.sampled_from(list("abcXYZ 09,;|\t\"'\r\néüßçÀ€–“”©"))


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, str, str | None, list[str], list[list[str]]]:
    codec, given = draw(
        st.sampled_from(
            [
                ("utf-8", None),
                ("utf-8-sig", None),
                ("utf-16", None),
                ("gb18030", "gb18030"),
                ("cp1252", "cp1252"),
                ("big5", "big5"),
            ]  # fmt: skip
        )
    )
    chars = CELL_CHARS if codec.startswith("utf") or codec == "gb18030" else LATIN_CHARS
    if codec == "big5":
        chars = st.sampled_from(list('名稱城市台積電新竹abc 1,;|\t"\r\n'))
    headers = draw(st.lists(HEADER, min_size=2, max_size=6, unique_by=str.casefold))
    cell = st.text(alphabet=chars, max_size=12)
    body = draw(st.lists(st.lists(cell, min_size=len(headers), max_size=len(headers)), max_size=8))
    delimiter = draw(st.sampled_from(",;\t|"))
    return codec, delimiter, given, headers, body


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(tables(), st.sampled_from(["\r\n", "\n"]))
def test_csv_writer_output_reads_back_to_the_same_rows(
    drawn: tuple[str, str, str | None, list[str], list[list[str]]], newline: str
) -> None:
    codec, delimiter, given_encoding, headers, body = drawn
    if newline == "\n":  # csv.writer then leaves a lone CR unquoted: `0\r\n` is a CRLF end
        body = [[cell.replace("\r", "") for cell in row] for row in body]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(body)
    data = out.getvalue().encode(codec)
    found = read_table(io.BytesIO(data), name="p.csv", encoding=given_encoding)
    assert found.headers == headers
    assert found.delimiter == delimiter
    expected = [dict(zip(headers, row, strict=True)) for row in body if "".join(row).strip()]
    assert [r.values for r in found.rows] == expected
