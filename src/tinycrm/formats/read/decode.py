"""Bytes to text lines: a BOM wins, then UTF-8, then a real detector for legacy encodings.

The detector looks at a prefix of the stream only; the rest is decoded as it is read, so a
1M-row file never sits in memory and standard input (a pipe) works. Decoding is strict: a
byte that does not fit the encoding is an error that names its line and byte offset, never
mojibake; asked to, the reader puts U+FFFD in its place and lists where it did.

A prefix that is mostly UTF-8 is UTF-8 even with a bad byte in it: one byte never makes
the whole file be read as another encoding (every `Zoë` turned into `ZoÃ«`). Its runs of
non-ASCII bytes tell: when the well-formed UTF-8 ones outweigh the malformed four to one,
or when the detector's other reading is a single-byte code page (in which well-formed
UTF-8 is what mojibake looks like) or none, or (with as much well-formed as malformed) a
double-byte one that makes more of a mess than UTF-8, the file is UTF-8 and the malformed
bytes are errors.
A file whose only non-ASCII bytes are malformed (one `0xE9` in ASCII) is a legacy one.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tinycrm.errors import InvalidInput

PREFIX_BYTES = 256 * 1024
"""How much of the stream the encoding is guessed from."""
CHUNK_BYTES = 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CANDIDATES = (
    "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1250", "cp1251", "cp1252", "cp1253",
    "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874", "koi8_r",
)  # fmt: skip
"""Legacy encodings that spreadsheets and CRMs really write; the detector picks among them."""
_CHINESE = ("gb18030", "big5")
_SINGLE_BYTE = frozenset(_CANDIDATES) - {"gb18030", "big5", "shift_jis", "euc_jp", "euc_kr"}
_RUN = re.compile(rb"[\x80-\xff]+")
MOSTLY = 4
"""Well-formed UTF-8 outweighing malformed by this much makes a prefix UTF-8."""
_FAVOURED = {"gb18030": 0.03, "big5": 0.03, "cp1252": 0.03}
"""Near-ties between candidates go to these: the encodings our users' files are mostly in."""
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?); save it as CSV first"),
    (b"\xd0\xcf\x11\xe0", "an Office document (an .xls workbook?); save it as CSV first"),
    (b"%PDF", "a PDF document, not a table"),
)


@dataclass(frozen=True)
class Text:
    """A stream's text: the codec it is decoded with, and its physical lines."""

    encoding: str
    lines: Iterator[str]
    """Each physical line with its line break (`\\n`, `\\r\\n` or `\\r`), decoded lazily."""
    bom: int = 0
    """Bytes of byte-order mark before the first line."""


@dataclass(frozen=True)
class Replaced:
    """Bytes that did not fit the encoding, read as one U+FFFD."""

    line: int
    offset: int
    """Where the bytes start in the stream, counted from 0 (a BOM included)."""
    bad: bytes


@dataclass
class Replacements:
    """What a reader that replaces bad bytes replaced: the first `keep`, and how many."""

    found: list[Replaced] = field(default_factory=list)
    count: int = 0
    keep: int = 1000
    codec: str = ""
    """The encoding the bytes did not fit."""

    def add(self, item: Replaced) -> None:
        self.count += 1
        if len(self.found) < self.keep:
            self.found.append(item)


class Undecodable(InvalidInput):
    """Bytes that do not fit the stream's encoding, named by line and byte offset."""

    def __init__(self, name: str, codec: str, where: Replaced) -> None:
        what = " ".join(f"0x{b:02x}" for b in where.bad[:4])
        what = f"byte {what}" if len(where.bad) == 1 else f"bytes {what}"
        super().__init__(
            "file",
            name,
            f"{what} at line {where.line} (byte offset {where.offset}) is not valid {codec}",
        )
        self.codec, self.where = codec, where


def open_text(
    stream: BinaryIO,
    *,
    name: str,
    encoding: str | None = None,
    replaced: Replacements | None = None,
) -> Text:
    """The text of a binary stream, with its encoding given or detected from a prefix. With
    `replaced`, bytes that do not fit the encoding are read as U+FFFD and listed there;
    without, they are an `Undecodable` error."""
    prefix = read_prefix(stream)
    if not prefix:
        raise InvalidInput("file", name, "is empty")
    complete = len(prefix) < PREFIX_BYTES
    codec, bom = _given(encoding, prefix) if encoding else _detected(prefix, complete, name)
    if complete and not prefix[bom:]:
        raise InvalidInput("file", name, "is empty")
    if replaced is not None:
        replaced.codec = codec
    reader = _Reader(codec, name, bom, replaced)
    return Text(codec, reader.lines(prefix[bom:], stream), bom)


def read_prefix(stream: BinaryIO, size: int = PREFIX_BYTES) -> bytes:
    """Up to `size` bytes; a pipe may hand them over in several pieces."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def detect_encoding(prefix: bytes, *, complete: bool, name: str = "-") -> str:
    """The codec name for a stream that starts with `prefix` (the whole stream if complete)."""
    return _detected(prefix, complete, name)[0]


def _given(encoding: str, prefix: bytes) -> tuple[str, int]:
    """The named codec; a BOM of the same Unicode family is skipped (and fixes the byte order)."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InvalidInput("encoding", encoding, "unknown encoding") from None
    codec = codec.removesuffix("-sig")
    for bom, bom_codec in _BOMS:
        if prefix.startswith(bom) and bom_codec.startswith(codec):
            return bom_codec, len(bom)
    return codec, 0


def _detected(prefix: bytes, complete: bool, name: str) -> tuple[str, int]:
    for bom, codec in _BOMS:
        if prefix.startswith(bom):
            return codec, len(bom)
    for signature, what in _SIGNATURES:
        if prefix.startswith(signature):
            raise InvalidInput("file", name, f"is {what}")
    if utf16 := _utf16_without_bom(prefix):
        return utf16, 0
    if _is_utf8(prefix, complete):
        return "utf-8", 0
    sample = _whole_lines(prefix, complete)
    good, bad = utf8_evidence(sample)
    if good >= MOSTLY * bad:
        return "utf-8", 0
    guess = _guess_legacy(sample)
    if good and (
        guess is None or guess in _SINGLE_BYTE or _reads_as_utf8(sample, guess, good, bad)
    ):
        return "utf-8", 0
    if guess is None:
        raise InvalidInput("file", name, "cannot tell its text encoding; try --encoding")
    return guess, 0


def utf8_evidence(sample: bytes) -> tuple[int, int]:
    """(weight of the runs of non-ASCII bytes that are well-formed UTF-8, number of those
    that are not). A run of several characters, or of one of three bytes or more, weighs 2;
    a lone two-byte character weighs 1, as legacy double-byte text forms those by chance
    (`女` in GBK reads as `Ů` in UTF-8)."""
    good = bad = 0
    for match in _RUN.finditer(sample):
        run = match.group()
        try:
            text = run.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            continue
        good += 2 if len(text) > 1 or len(run) > 2 else 1
    return good, bad


def _reads_as_utf8(sample: bytes, codec: str, good: int, bad: int) -> bool:
    """Whether a sample with as much well-formed UTF-8 as malformed makes no more of a mess
    read as UTF-8 (its malformed bytes set aside) than in the double-byte encoding the
    detector prefers (names in UTF-8 read as Shift_JIS turn into half-width katakana)."""
    from charset_normalizer.md import mess_ratio

    if good < bad:
        return False
    as_utf8 = mess_ratio(sample.decode("utf-8", "replace"), 1.0)
    return as_utf8 <= mess_ratio(sample.decode(codec), 1.0) + _implausible(sample, codec)


def _is_utf8(prefix: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(prefix: bytes) -> str | None:
    """Mostly-ASCII UTF-16 shows as a zero byte in every other position."""
    sample = prefix[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    if sample[1::2].count(0) > 0.4 * pairs and sample[0::2].count(0) == 0:
        return "utf-16-le"
    if sample[0::2].count(0) > 0.4 * pairs and sample[1::2].count(0) == 0:
        return "utf-16-be"
    return None


def _whole_lines(prefix: bytes, complete: bool) -> bytes:
    """The prefix cut after its last line break, so no character is cut in two."""
    if complete:
        return prefix
    end = max(prefix.rfind(b"\n"), prefix.rfind(b"\r"))
    return prefix[: end + 1] if end > 0 else prefix


def _guess_legacy(sample: bytes) -> str | None:
    """The detector's reading; but a Chinese file with a bad byte stays Chinese (and fails
    on that byte's line) rather than turning into a single-byte code page's mojibake."""
    guess = _best_reading(sample)
    if guess in _CHINESE:
        return guess
    for codec in _CHINESE:
        head = _decodable_head(sample, codec)
        if len(head) < len(sample) and _han_count(head, codec) >= 20:
            if _best_reading(head) == codec:
                return codec
    return guess


def _best_reading(sample: bytes) -> str | None:
    """charset-normalizer's best reading among the candidates, near-ties to the favoured."""
    from charset_normalizer import from_bytes

    scored: list[tuple[float, float, int, str]] = []
    for match in from_bytes(sample, cp_isolation=list(_CANDIDATES)):
        for codec in match.could_be_from_charset:
            if codec in _CANDIDATES and _decodes(sample, codec):
                chaos = match.chaos + _implausible(sample, codec) - _FAVOURED.get(codec, 0.0)
                scored.append((round(chaos, 3), -match.coherence, _CANDIDATES.index(codec), codec))
    return min(scored)[3] if scored else None


def _decodable_head(sample: bytes, codec: str) -> bytes:
    """The sample up to the last line break before its first undecodable byte."""
    try:
        sample.decode(codec)
    except UnicodeDecodeError as error:
        return _whole_lines(sample[: error.start], complete=False)
    return sample


def _han_count(data: bytes, codec: str) -> int:
    return sum(1 for ch in data.decode(codec, "replace") if "\u4e00" <= ch <= "\u9fff")


def _decodes(sample: bytes, codec: str) -> bool:
    try:
        sample.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _implausible(sample: bytes, codec: str) -> float:
    """A penalty for readings real files rarely have: mainland text outside GB2312, and
    half-width katakana (what Latin-1 bytes look like when read as Shift_JIS)."""
    text = sample.decode(codec)
    if codec == "gb18030":
        try:
            text.encode("gb2312")
        except UnicodeEncodeError:
            return 0.1
    if codec == "shift_jis" and any("\uff61" <= ch <= "\uff9f" for ch in text):
        return 0.1
    return 0.0


def _chunks(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """The prefix, the rest of the stream, then one empty chunk that flushes the decoder."""
    yield head
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk
    yield b""


class _Reader:
    """Physical lines decoded chunk by chunk, knowing the line and byte offset of every
    byte that does not fit: an error, or (with `replaced`) a U+FFFD and a note."""

    def __init__(self, codec: str, name: str, bom: int, replaced: Replacements | None) -> None:
        self.codec, self.name, self.replaced = codec, name, replaced
        self.decoder: Any = codecs.getincrementaldecoder(codec)("strict")
        self.offset = bom
        """Bytes of the stream handed to the decoder so far."""
        self.done = 0
        """Lines given out so far."""

    def lines(self, head: bytes, stream: BinaryIO) -> Iterator[str]:
        carry = ""
        for chunk in _chunks(head, stream):
            text = self._decode(chunk, final=not chunk, before=carry)
            lines = io.StringIO(carry + text, newline="").readlines()
            # The last line may go on in the next chunk (a `\r` may be half of a `\r\n`).
            carry = lines.pop() if lines and chunk and not lines[-1].endswith("\n") else ""
            self.done += len(lines)
            yield from lines

    def _decode(self, data: bytes, *, final: bool, before: str) -> str:
        """`data` decoded; `before` is the text of the current line so far (for line numbers)."""
        out: list[str] = []
        base = self.offset
        self.offset += len(data)
        while True:
            try:
                out.append(self.decoder.decode(data, final=final))
                return "".join(out)
            except UnicodeDecodeError as error:
                start = base - len(error.object) + len(data)  # the decoder's pending bytes too
                self.decoder.reset()
                out.append(self.decoder.decode(error.object[: error.start]))
                line = self.done + _breaks(before + "".join(out)) + 1
                where = Replaced(line, start + error.start, error.object[error.start : error.end])
                if self.replaced is None:
                    raise Undecodable(self.name, self.codec, where) from None
                self.replaced.add(where)
                out.append("\ufffd")
                data, base = error.object[error.end :], start + error.end


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")
