"""Bytes to text: BOMs, UTF-8 first, detected legacy encodings, strict errors, streaming."""

from __future__ import annotations

import codecs
import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tinycrm.errors import CrmError, InvalidInput
from tinycrm.formats.read import decode
from tinycrm.formats.read.decode import (
    PREFIX_BYTES,
    Replaced,
    Replacements,
    Undecodable,
    detect_encoding,
    open_text,
)
from tinycrm.formats.read.tabular import read_table

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
DIVISIONS = CORPORA / "china_admin_divisions"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")


def text_of(data: bytes, **kwargs: Any) -> tuple[str, str]:
    decoded = open_text(io.BytesIO(data), name="t.csv", **kwargs)
    return decoded.encoding, "".join(decoded.lines)


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (b"", "utf-8"),
    ],
)
def test_a_bom_or_valid_utf8_decides_and_the_bom_is_dropped(bom: bytes, encoding: str) -> None:
    text = "姓名,email\r\n李伟,li@example.com\r\n"
    assert text_of(bom + text.encode(encoding)) == (encoding, text)


def test_utf16_without_a_bom_is_recognised_by_its_zero_bytes() -> None:
    assert text_of("name,email\r\nAnn,a@x.io\r\n".encode("utf-16-le"))[0] == "utf-16-le"
    assert text_of("name,email\r\nAnn,a@x.io\r\n".encode("utf-16-be"))[0] == "utf-16-be"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("姓名,手机,邮箱,公司\n张三,13800000000,zhang@example.com,北京科技有限公司\n", "gb18030"),
        ("名称,城市\n华为,深圳\n阿里巴巴,杭州\n腾讯,深圳\n", "gb18030"),
        (
            "姓名,電話,公司\n陳大文,02-12345678,台灣積體電路製造\n林小美,04-87654321,鴻海精密工業\n",
            "big5",
        ),
        ("名稱,城市\n台積電,新竹\n", "big5"),
        ("Name,City\nJosé,São Paulo\nFrançois,Montréal\n", "cp1252"),
        ("Name;Straße\nMüller;Hauptstraße 5\n", "cp1252"),
        ("name,notes\nBob,costs 5€ – cheap\n", "cp1252"),
        ("name,notes\nBob,“quoted” text\n", "cp1252"),
        ("a,b,c\n1,2,3\n4,5,©", "cp1252"),
        ("Imię,Miasto\nŁukasz Wójcik,Łódź\nZażółć gęślą jaźń,Kraków\n", "cp1250"),
        ("Имя,Город\nИван Петров,Москва\nОльга,Санкт-Петербург\n", "cp1251"),
        ("名前,会社\n山田太郎,株式会社テスト\n鈴木花子,トヨタ自動車\n", "shift_jis"),
        ("이름,회사\n김철수,삼성전자\n이영희,현대자동차\n", "euc_kr"),
    ],
)
def test_legacy_encodings_are_detected(text: str, encoding: str) -> None:
    assert text_of(text.encode(encoding)) == (encoding, text)


@needs_corpora
def test_the_real_big5_file_decodes_as_big5_not_gb18030() -> None:
    table = read_table((CORPORA / "messytables_horror/characters.csv").open("rb"), name="c")
    rows = list(table.rows)
    assert table.encoding == "big5"
    assert table.headers[:4] == ["id", "景點編號", "景點中文名稱", "景點特色詳細文字簡述"]
    assert len(rows) == 382
    assert rows[0].values["景點中文名稱"] == "雲嘉南濱海國家風景區管理處"
    assert rows[0].values["地址"] == "臺南市北門區北門里舊埕119號"
    assert rows[-1].values["景點中文名稱"] == "沈光文紀念廳"


@needs_corpora
@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("cities.gbk.csv", "gb18030"),
        ("cities.gb18030.crlf.csv", "gb18030"),
        ("cities.utf16le-bom.tab.csv", "utf-16-le"),
        ("cities.utf8-bom.crlf.csv", "utf-8"),
    ],
)
def test_derived_encodings_read_to_the_same_rows_as_utf8(name: str, encoding: str) -> None:
    expected = read_table((DIVISIONS / "cities.csv").open("rb"), name="cities.csv")
    table = read_table((DIVISIONS / "derived_encodings" / name).open("rb"), name=name)
    assert table.encoding == encoding
    assert table.headers == expected.headers == ["code", "name", "provinceCode"]
    rows = [(r.line, r.values) for r in table.rows]
    assert rows == [(r.line, r.values) for r in expected.rows]
    assert len(rows) == 342
    assert rows[0] == (2, {"code": "1101", "name": "市辖区", "provinceCode": "11"})


@needs_corpora
@pytest.mark.parametrize(
    ("path", "encoding", "needle"),
    [
        ("messytables_horror/spanish_chars.csv", "cp1252", "Descripción"),
        ("messytables_horror/sparse_with_column_errors.csv", "cp1252", "Trägerorganisation"),
        ("csvkit_examples/test_latin1.csv", "cp1252", "©"),
        ("csv_spectrum/not_in_master/csvs/latin1.csv", "cp1252", "©"),
        ("csvkit_examples/test_utf16_big.csv", "utf-16-be", "a,b,c"),
        ("messytables_horror/utf-16le_encoded.csv", "utf-16-le", "Organisation_code"),
    ],
)
def test_corpus_files_in_legacy_encodings(path: str, encoding: str, needle: str) -> None:
    decoded = open_text((CORPORA / path).open("rb"), name=path)
    assert decoded.encoding == encoding
    assert needle in "".join(decoded.lines)


def test_an_explicit_encoding_wins_and_names_the_bad_line() -> None:
    data = "姓名\n张三\n".encode("gb18030")
    assert text_of(data, encoding="gbk") == ("gbk", "姓名\n张三\n")
    with pytest.raises(InvalidInput) as raised:
        text_of(b"ok\n" + data, encoding="utf-8")
    assert raised.value.message == (
        "file: byte 0xd0 at line 2 (byte offset 3) is not valid utf-8: 't.csv'"
    )


def test_an_explicit_utf8_or_utf16_skips_the_bom() -> None:
    assert text_of(codecs.BOM_UTF8 + b"a\n", encoding="utf-8") == ("utf-8", "a\n")
    assert text_of(codecs.BOM_UTF8 + b"a\n", encoding="utf-8-sig") == ("utf-8", "a\n")
    utf16 = codecs.BOM_UTF16_BE + "a\n".encode("utf-16-be")
    assert text_of(utf16, encoding="utf-16") == ("utf-16-be", "a\n")


def test_an_unknown_encoding_name_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="encoding: unknown encoding: 'klingon'"):
        text_of(b"a\n", encoding="klingon")


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_an_empty_file_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(InvalidInput, match="file: is empty: 't.csv'"):
        text_of(data)


@pytest.mark.parametrize(
    ("data", "what"),
    [(b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive"), (b"\xd0\xcf\x11\xe0\xa1\xb1", "Office")],
)
def test_a_workbook_is_named_not_decoded(data: bytes, what: str) -> None:
    with pytest.raises(InvalidInput, match=what):
        text_of(data + bytes(range(256)))


def test_bytes_after_the_prefix_that_break_utf8_give_the_exact_line() -> None:
    body = b"".join(b"row %d,\xe5\xbc\xa0\r\n" % i for i in range(30_000))
    assert len(body) > PREFIX_BYTES
    data = b"name,city\r\n" + body + b"bad,\xff\xfe\r\nlast,x\r\n"
    offset = data.index(b"\xff")
    with pytest.raises(InvalidInput, match=rf"0xff at line 30002 \(byte offset {offset}\)"):
        text_of(data)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_the_bad_line_is_counted_with_any_line_break(newline: str) -> None:
    data = newline.join(["a", "b", "c", "d"]).encode() + newline.encode() + b"\x81x"
    offset = len(data) - 2
    with pytest.raises(InvalidInput, match=rf"0x81 at line 5 \(byte offset {offset}\)"):
        text_of(data, encoding="utf-8")


def test_legacy_bytes_that_do_not_fit_are_an_error_not_mojibake() -> None:
    data = "姓名\n张三\n".encode("gb18030") * 10 + b"\xff\xff\xff\n"
    with pytest.raises(InvalidInput) as raised:
        text_of(data)
    assert raised.value.message == (
        "file: byte 0xff at line 21 (byte offset 100) is not valid gb18030: 't.csv'"
    )


@pytest.mark.parametrize("codec", ["utf-8", "gb18030", "big5", "utf-16-le", "cp1252"])
@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_characters_and_crlf_split_across_chunks_survive(
    monkeypatch: pytest.MonkeyPatch, codec: str, chunk: int
) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(decode, "PREFIX_BYTES", 5)
    text = "名,x\r\n陳,é\r\n\r\n表\ryes\n" if codec != "cp1252" else "na,é\r\nx\r\n\ry\n"
    text = text.replace("é", "三") if codec == "big5" else text
    decoded = open_text(io.BytesIO(text.encode(codec)), name="t", encoding=codec)
    lines = list(decoded.lines)
    assert "".join(lines) == text
    assert len(lines) == text.count("\n") + text.count("\r") - text.count("\r\n")


class CountingStream(io.RawIOBase):
    """An endless source of CSV rows that counts what was read from it."""

    def __init__(self) -> None:
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        row = b"Ann,ann@example.com\n" * (len(buffer) // 20)
        buffer[: len(row)] = row
        self.taken += len(row)
        return len(row)


def test_only_the_prefix_is_read_until_lines_are_asked_for() -> None:
    stream = CountingStream()
    decoded = open_text(stream, name="-")  # type: ignore[arg-type]
    assert stream.taken <= PREFIX_BYTES
    first = [next(decoded.lines) for _ in range(20_000)]
    assert first[-1] == "Ann,ann@example.com\n"
    assert stream.taken <= PREFIX_BYTES + decode.CHUNK_BYTES


def test_a_pipe_that_delivers_in_small_pieces_works() -> None:
    read_end, write_end = os.pipe()
    data = "名字,城市\n".encode("gb18030") + "李伟,北京\n".encode("gb18030") * 5000

    def writer() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            for start in range(0, len(data), 4096):
                pipe.write(data[start : start + 4096])

    thread = threading.Thread(target=writer)
    thread.start()
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        table = read_table(pipe, name="-")
        assert not pipe.seekable()
        rows = list(table.rows)
    thread.join()
    assert table.encoding == "gb18030"
    assert table.headers == ["名字", "城市"]
    assert len(rows) == 5000
    assert rows[-1].values == {"名字": "李伟", "城市": "北京"}


def test_undetectable_binary_is_a_clear_error() -> None:
    with pytest.raises(CrmError, match="cannot tell its text encoding; try --encoding"):
        text_of(bytes([0x81, 0x00, 0xFF, 0xFE, 0x00, 0x90]) * 200)


def test_detect_encoding_on_a_prefix_ignores_a_cut_character() -> None:
    sample = "名稱,城市\n台積電,新竹\n".encode("big5") * 50
    assert detect_encoding(sample + sample[:1] + b"\xa5", complete=False) == "big5"
    assert detect_encoding("é\n".encode() * 10 + b"\xc3", complete=False) == "utf-8"


# A bad byte in a UTF-8 file is an error on its line, never a reason to re-read the file --

NAMES = "name,city\nZoë Martin,Lyon\n王大力,北京\nJosé Núñez,São Paulo\n"


def replacing(data: bytes, **kwargs: str) -> tuple[str, str, list[Replaced]]:
    replaced = Replacements()
    decoded = open_text(io.BytesIO(data), name="t.csv", replaced=replaced, **kwargs)
    text = "".join(decoded.lines)
    return decoded.encoding, text, replaced.found


@pytest.mark.parametrize(
    ("data", "line", "bad"),
    [
        (NAMES.encode() + b"Bob,Par\xefs\n", 5, b"\xef"),  # on the last line
        (NAMES.encode() + b"Bob,Par\xe9s", 5, b"\xe9"),  # a cp1252 byte, no line break
        (NAMES.encode()[:20] + b"\xff" + NAMES.encode()[20:], 2, b"\xff"),  # in the middle
        (NAMES.encode() + "王".encode()[:2], 5, "王".encode()[:2]),  # cut short at the end
        (b"\xc0" + NAMES.encode(), 1, b"\xc0"),  # the first byte
        ("name\nZoë\nAnn\nBob\n".encode() + b"\x80\n", 5, b"\x80"),  # one ë and one bad byte
    ],
    ids=["last line", "cp1252 byte", "middle", "cut at the end", "first byte", "one accent"],
)
def test_one_bad_byte_in_utf8_names_its_line_and_offset(data: bytes, line: int, bad: bytes) -> None:
    offset = data.rindex(bad)
    assert detect_encoding(data, complete=True) == "utf-8"
    with pytest.raises(Undecodable) as raised:
        text_of(data)
    hexed = " ".join(f"0x{b:02x}" for b in bad)
    what = "byte" if len(bad) == 1 else "bytes"
    assert raised.value.message == (
        f"file: {what} {hexed} at line {line} (byte offset {offset}) is not valid utf-8: 't.csv'"
    )
    encoding, text, found = replacing(data)
    assert (encoding, found) == ("utf-8", [Replaced(line, offset, bad)])
    fixed = data[:offset] + "\ufffd".encode() + data[offset + len(bad) :]
    assert text == fixed.decode("utf-8")  # U+FFFD there, nowhere else
    assert "ZoÃ" not in text and "çŽ" not in text


def test_the_reported_mojibake_file_is_refused_not_read_as_cp1252() -> None:
    """The issue's file: accented and Chinese names, one invalid byte on the last line."""
    data = (
        "姓名,邮箱\n".encode()
        + "".join(
            f"{name} {n},p{n}@x.example\n" for n in range(300) for name in ("Zoë", "王大力", "José")
        ).encode()
        + b"Last,l@x.example\xa0\n"
    )
    with pytest.raises(Undecodable, match=r"0xa0 at line 902 "):
        text_of(data)
    encoding, text, found = replacing(data)
    assert (encoding, len(found), found[0].line) == ("utf-8", 1, 902)
    assert text.count("Zoë") == text.count("王大力") == 300


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (b"name,city\nAnn,Paris\nBob,Caf\xe9\n", "cp1252", "Café"),  # the only non-ASCII byte
        ("Nom;Ville\nRenée;Besançon\nZoë;Orléans\n".encode("cp1252"), "cp1252", "Besançon"),
        ("姓名,性别\n王伟,男\n李娜,女\n张敏,女\n刘洋,男\n".encode("gb18030"), "gb18030", "李娜,女"),
        ("氏名,会社\n山田太郎,株式会社テスト\n".encode("shift_jis"), "shift_jis", "山田太郎"),
        (codecs.BOM_UTF16_LE + "姓名\r\n王大力\r\n".encode("utf-16-le"), "utf-16-le", "王大力"),
    ],
    ids=[
        "one 0xE9 in ASCII",
        "cp1252",
        "gbk with 女 (valid UTF-8 by chance)",
        "shift_jis",
        "utf-16",
    ],
)
def test_whole_legacy_files_are_still_read_in_their_encoding(
    data: bytes, encoding: str, expected: str
) -> None:
    assert text_of(data)[0] == encoding
    assert expected in text_of(data)[1]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 4096])
def test_lines_and_offsets_of_bad_bytes_do_not_depend_on_chunks(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(decode, "PREFIX_BYTES", 4)
    data = "a,ë\r\n王\r".encode() + b"\xe7\x8e,x\n\rq\xffz\r\n" + "é\n".encode() + b"\xf0\x9f"
    _, text, found = replacing(data, encoding="utf-8")
    assert found == [
        Replaced(3, 10, b"\xe7\x8e"),
        Replaced(5, 17, b"\xff"),
        Replaced(7, 24, b"\xf0\x9f"),
    ]
    assert text == "a,ë\r\n王\r\ufffd,x\n\rq\ufffdz\r\né\n\ufffd"


def test_replacing_works_in_a_legacy_encoding_and_after_a_bom() -> None:
    data = "姓名\n张三\n".encode("gb18030") * 10 + b"\xff\n"
    assert replacing(data)[0] == "gb18030"
    assert replacing(data)[2] == [Replaced(21, 100, b"\xff")]
    utf16 = (
        codecs.BOM_UTF16_LE + "a\nb".encode("utf-16-le") + b"\x00\xd8" + "\nc".encode("utf-16-le")
    )
    encoding, text, found = replacing(utf16)
    assert (encoding, text, found) == ("utf-16-le", "a\nb\ufffd\nc", [Replaced(2, 8, b"\x00\xd8")])


def test_replacements_keep_the_first_thousand_and_count_them_all() -> None:
    replaced = Replacements()
    data = b"name\n" + b"x\xff\xc3\xa9\n" * 1500
    lines = list(open_text(io.BytesIO(data), name="t", replaced=replaced, encoding="utf-8").lines)
    assert (len(lines), replaced.count, len(replaced.found)) == (1501, 1500, 1000)
    assert replaced.found[-1] == Replaced(1001, 5 + 999 * 5 + 1, b"\xff")


@pytest.mark.parametrize(
    ("sample", "evidence"),
    [
        (b"plain ascii", (0, 0)),
        ("Zoë".encode(), (1, 0)),
        ("王大力".encode(), (2, 0)),
        ("Ŕeně".encode(), (2, 0)),
        (b"caf\xe9", (0, 1)),
        ("女".encode("gb18030"), (1, 0)),  # GBK's 女 is well-formed UTF-8 by chance: weighs 1
        ("姓名".encode("gb18030"), (0, 1)),
    ],
)
def test_utf8_evidence(sample: bytes, evidence: tuple[int, int]) -> None:
    assert decode.utf8_evidence(sample) == evidence


@needs_corpora
def test_a_mangled_corpus_file_is_refused_at_its_first_bad_byte() -> None:
    """messytables' 211.csv: ASCII with UTF-8 sequences (`\\xdb\\xaa`) and stray bytes
    (`\\x89`) from a double conversion. No encoding reads it right: it is refused, by line and
    offset, rather than read as cp1250 into `‰ŰŞ`."""
    path = CORPORA / "messytables_horror/211.csv"
    with pytest.raises(Undecodable) as raised:
        list(read_table(path.open("rb"), name="211.csv").rows)
    assert raised.value.message == (
        "file: byte 0x89 at line 77 (byte offset 86235) is not valid utf-8: '211.csv'"
    )
    replaced = Replacements()
    table = read_table(path.open("rb"), name="211.csv", replaced=replaced)
    assert len(list(table.rows)) == 2132
    assert (replaced.count, replaced.found[0]) == (60, Replaced(77, 86235, b"\x89"))
