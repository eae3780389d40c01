"""Bytes -> text: UTF-8 (a few stray bytes named, line and byte), UTF-16, Windows code pages,
or the study's ``encoding:``; the encoding found is recorded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.errors import InputError, display_path
from helpers.textutil import plural

# -- decoding -----------------------------------------------------------------

# How many undecodable bytes a file that is otherwise UTF-8 may hold before it
# is taken for another encoding; each is named in a warning.
MAX_STRAY_BYTES = 8


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding (see ``decode_text``); notes are dropped."""
    decoded = decode_text(path, data)
    return decoded.text, decoded.encoding


def decode_text(path: Path, data: bytes, encoding: str | None = None) -> Decoded:
    """Text and encoding of a transcript or table, with notes for the researcher.

    Rules, in order: a byte-order mark decides (UTF-8, UTF-16); ``encoding``
    given in study.yml decides; valid UTF-8 is UTF-8; a file that is UTF-8
    except up to ``MAX_STRAY_BYTES`` bytes (it holds valid multi-byte UTF-8
    too) is UTF-8 with those bytes replaced by U+FFFD and named (line, byte
    offset) in a note, never re-decoded wholesale in another code page;
    otherwise Windows-1252 (what Excel and Word save on English Windows) for
    mostly-ASCII text, else charset-normalizer's detection when it is
    confident (see ``_detected``), else Windows-1252 when it decodes.
    Empty, binary, zip and PDF files are refused with a one-line error.

    Raises
    ------
    InputError
        For a file that is empty, binary, or decodable by none of these.
    """
    if not data.strip():
        raise InputError.one(path, "the file is empty", "export the transcript again, or remove the file")
    if data.startswith(b"%PDF"):
        raise InputError.one(path, "this is a PDF file, not text", "save the transcript as .txt or .docx and replace the file")
    if data.startswith(b"PK\x03\x04"):
        raise InputError.one(path, "this is a zip/Office file, not plain text", "give it the right extension (.docx) or save as plain text")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, skipped=3, what="UTF-8 text, though the file starts with a UTF-8 byte-order mark") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, what="UTF-16 text, though the file starts with a UTF-16 byte-order mark") from None
    if b"\x00" in data:
        raise InputError.one(path, "the file holds binary data (NUL bytes), not text", "save the transcript as plain text (UTF-8)")
    if encoding:
        try:
            return Decoded(data.decode(encoding), encoding, [f"{display_path(path)}: read as {encoding}, as study.yml says"])
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError.one(path, f"not readable as {encoding}, the encoding study.yml gives ({type(exc).__name__})",
                                 "correct 'encoding:' in study.yml or remove it to detect the encoding") from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_error = exc
    stray = _stray_bytes(data)
    if stray is not None:
        places = ", ".join(f"line {line} byte {at}" for line, at in stray[:5]) + (", …" if len(stray) > 5 else "")
        note = (f"{display_path(path)}: {plural(len(stray), 'byte')} that {'is' if len(stray) == 1 else 'are'} not UTF-8 in a UTF-8 file ({places}): "
                "read as UTF-8 with each replaced by '\ufffd' — re-save the file as UTF-8 to check those places")
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", [note])
    detected = _detected(data)
    if detected is not None:
        return detected
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        raise _undecodable(path, data, first_error) from None


def _stray_bytes(data: bytes) -> list[tuple[int, int]] | None:
    """(line, byte offset) of each byte that breaks UTF-8, when the rest is
    UTF-8 with at least one multi-byte character; else None."""
    text = data.decode("utf-8", errors="surrogateescape")
    if not any(ord(ch) > 0x7F and not 0xDC80 <= ord(ch) <= 0xDCFF for ch in text):
        return None  # no UTF-8 multi-byte character at all: another encoding
    out, offset, line = [], 0, 1
    for ch in text:
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append((line, offset))
            offset += 1
        else:
            if ch == "\n":
                line += 1
            offset += len(ch.encode("utf-8"))
    return out if len(out) <= MAX_STRAY_BYTES else None


def _detected(data: bytes) -> Decoded | None:
    """charset-normalizer's guess for text that is not mostly English in
    Windows-1252: on short English text its guesses vary (cp775, cp1250…),
    so a file whose Windows-1252 reading has at least 90% ASCII letters is
    Windows-1252; otherwise (Cyrillic, Greek … in their code pages) the
    library decides when it recognises a language (coherence ≥ 0.5)."""
    from charset_normalizer import from_bytes

    try:
        as_1252 = data.decode("cp1252")
        letters = [ch for ch in as_1252 if ch.isalpha()]
        if letters and sum(ch.isascii() for ch in letters) >= 0.9 * len(letters):
            return None
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.coherence < 0.5:
        return None
    return Decoded(str(best), best.encoding)


def _undecodable(path: Path, data: bytes, exc: UnicodeDecodeError, skipped: int = 0,
                 what: str = "UTF-8 nor Windows-1252 text") -> InputError:
    """``skipped``: bytes (a byte-order mark) before the part that was decoded,
    so that the byte and line count from the start of the file."""
    at = skipped + exc.start
    line = data[:at].count(b"\n") + 1
    what = f"bytes that are neither {what}" if what.startswith("UTF-8 nor") else f"bytes that are not valid {what}"
    return InputError.one(path, f"{what} (byte {at})", "re-save the file as UTF-8 text", f"line {line}")
