"""Bytes to text: BOMs, UTF-8 first, detected legacy encodings, strict errors, streaming."""

from __future__ import annotations

import codecs
import io
import os
import threading
from pathlib import Path

import pytest

from tinycrm.errors import CrmError, InvalidInput
from tinycrm.formats import decode
from tinycrm.formats.decode import PREFIX_BYTES, detect_encoding, open_text
from tinycrm.formats.tabular import read_table

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
DIVISIONS = CORPORA / "china_admin_divisions"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")


def text_of(data: bytes, **kwargs: str) -> tuple[str, str]:
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
        "file: cannot be decoded as utf-8 (line 2); try --encoding: 't.csv'"
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
    with pytest.raises(InvalidInput, match=r"cannot be decoded as utf-8 \(line 30002\)"):
        text_of(data)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_the_bad_line_is_counted_with_any_line_break(newline: str) -> None:
    data = newline.join(["a", "b", "c", "d"]).encode() + newline.encode() + b"\x81x"
    with pytest.raises(InvalidInput, match=r"\(line 5\)"):
        text_of(data, encoding="utf-8")


def test_legacy_bytes_that_do_not_fit_are_an_error_not_mojibake() -> None:
    data = "姓名\n张三\n".encode("gb18030") * 10 + b"\xff\xff\xff\n"
    with pytest.raises(InvalidInput, match=r"cannot be decoded as gb18030 \(line 21\)"):
        text_of(data)


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
