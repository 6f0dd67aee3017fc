"""Which text encoding a file is in, and a stream of its text as UTF-8 for Arrow.

Accepted: UTF-8 (with or without BOM), UTF-16 LE/BE with BOM (Excel's "Unicode text"), and
GB18030 (Chinese Excel's CSV default; GBK and GB2312 are subsets). Without a BOM the start of
the file decides: UTF-8 if it decodes as such, else GB18030. Never the whole file in memory.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from pathlib import Path

SAMPLE_BYTES = 1 << 20
CHUNK_BYTES = 1 << 20
ADVICE = 'save it from Excel as "CSV UTF-8" and import it again'


class EncodingError(ValueError):
    """The file is not text in an accepted encoding (the message names the first bad row)."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class Encoding:
    name: str  # as the summary says it
    codec: str
    bom: int  # bytes to skip
    guessed: bool = False


BOMS = (
    (codecs.BOM_UTF8, Encoding("UTF-8 with BOM", "utf-8", 3)),
    (codecs.BOM_UTF16_LE, Encoding("UTF-16 LE", "utf-16-le", 2)),
    (codecs.BOM_UTF16_BE, Encoding("UTF-16 BE", "utf-16-be", 2)),
)
UTF8 = Encoding("UTF-8", "utf-8", 0, guessed=True)
GB18030 = Encoding("GB18030", "gb18030", 0, guessed=True)


def detect_encoding(path: Path) -> Encoding:
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    for bom, encoding in BOMS:
        if sample.startswith(bom):
            return encoding
    for encoding in (UTF8, GB18030):
        try:  # not final: the sample may end inside a character
            codecs.getincrementaldecoder(encoding.codec)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise not_text(sample, UTF8)


def not_text(data: bytes, encoding: Encoding, *, rows_before: int = 0) -> EncodingError:
    """Where `data` (the file, or its part after `rows_before` line ends) stops decoding."""
    try:
        data.decode(encoding.codec)
        position = len(data)
    except UnicodeDecodeError as exc:
        position = exc.start
    row = rows_before + data[:position].count(b"\n") + 1
    byte = f" (byte 0x{data[position]:02X})" if position < len(data) else ""
    message = (
        f"row {row}: the file is not text in UTF-8, UTF-16 or GB18030{byte}; {ADVICE}"
        if encoding.guessed
        else f"row {row}: the file is not valid {encoding.name} text{byte}; {ADVICE}"
    )
    return EncodingError(message, row)


def first_bad_row(path: Path, encoding: Encoding) -> EncodingError | None:
    """The error naming the first row that does not decode, or None when all of it does."""
    decoder = codecs.getincrementaldecoder(encoding.codec)()
    rows = 0
    with open(path, "rb") as handle:
        handle.seek(encoding.bom)
        while chunk := handle.read(CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return not_text(chunk, encoding, rows_before=rows)
            rows += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return EncodingError(
            f"the file ends inside a character: it is not valid {encoding.name} text; {ADVICE}"
        )
    return None


def decodes_whole(path: Path, encoding: Encoding) -> bool:
    return first_bad_row(path, encoding) is None


class Utf8Stream(io.RawIOBase):
    """A binary file in another encoding, read as UTF-8 bytes (for Arrow's CSV reader)."""

    def __init__(self, raw, encoding: Encoding):
        self.raw, self.encoding = raw, encoding
        self.decoder = codecs.getincrementaldecoder(encoding.codec)()
        self.pending = b""
        self.rows = 0  # line ends decoded so far, to name the row of a bad byte
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending and not self.ended:
            chunk = self.raw.read(CHUNK_BYTES)
            try:
                text = self.decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise not_text(chunk, self.encoding, rows_before=self.rows) from None
            self.rows += text.count("\n")
            self.pending = text.encode("utf-8")
            self.ended = not chunk
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()
