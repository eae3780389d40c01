"""The leak scan: every file a run wrote, searched for every redaction term (issue 19, item 3).

The scan matches through the redactor itself, so it uses the same normalisation
(:mod:`helpers.matching`): a term written another way in an output (decomposed accents, a
curly apostrophe, a non-breaking hyphen, an invisible character) is found. It reads

- every file name and folder name, relative to the scanned folder;
- Parquet tables (column names and every cell);
- zip containers (``.xlsx``, ``.docx``, ``.qdpx``, ``.zip`` …): every member's name and text,
  XML read both with tags as spaces and with tags removed, so that a name split over two Word
  runs (``<w:t>Mar</w:t><w:t>lowe</w:t>``) is still seen;
- notebooks and JSON (every string, keys too), HTML and SVG (entities decoded, tags removed
  and kept), any other text file;
- binary files (images) as bytes decoded leniently, which finds text in their metadata.

Anything it cannot read (a damaged zip, an unreadable Parquet file) is listed, never skipped in
silence. It reports the placeholder, never the term.
"""
from __future__ import annotations

import html
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import atomic
from .errors import InputError, Problem, display_path

__all__ = ["Leak", "LeakScan", "scan_folders"]

_TAG = re.compile(r"<[^>]{0,2000}>")
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".docx", ".pptx", ".qdpx", ".zip", ".odt", ".ods"}
TEXT_SUFFIXES = {".txt", ".csv", ".tsv", ".md", ".html", ".htm", ".svg", ".xml", ".css", ".qde", ".qdc",
                 ".key", ".yml", ".yaml", ".py", ".log", ".tex", ".rtf"}


@dataclass(frozen=True)
class Leak:
    """One redaction term found in an output.

    Attributes
    ----------
    path : Path
        The file.
    placeholder : str
        The term's replacement (the term itself is never repeated).
    place : str
        Where in the file: ``file name``, ``column <name>``, ``member <name>``, ``line <n>``.
    """

    path: Path
    placeholder: str
    place: str


@dataclass
class LeakScan:
    """What the scan found and what it could not read."""

    leaks: list[Leak] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    files: int = 0

    def as_error(self, shown=lambda path: path) -> InputError:
        """One line per leak (file, placeholder, place) and per file the scan could not read;
        ``shown`` maps a scanned path to the path to name (a staging folder's final place)."""
        problems = [Problem(display_path(shown(leak.path)), f"a redaction term ({leak.placeholder}) appears in an output "
                            f"({leak.place})", "report this as a bug; delete the file before sharing")
                    for leak in self.leaks]
        problems += [Problem(display_path(shown(path)), f"the leak scan could not read this output ({why})",
                             "check the file by hand before sharing") for path, why in self.unreadable]
        return InputError(problems)


def scan_folders(folders, redactor) -> LeakScan:
    """Search every file under ``folders`` for the redactor's terms.

    Parameters
    ----------
    folders : iterable of Path
        Output folders (absent ones are skipped).
    redactor : helpers.ingest.cleaning.Redactor
        The study's redactor; nothing is counted in it.

    Returns
    -------
    LeakScan
        ``leaks`` one per (file, placeholder, place), in file order; ``unreadable`` (file, why).
    """
    result = LeakScan()
    if redactor.regex is None:
        return result
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        _hits(result, folder, redactor, folder.name, "folder name")
        for path in sorted(folder.rglob("*")):
            if atomic.temp_writer(path) is not None or path.suffix == ".lock":
                continue  # temporary files and run locks are never outputs
            if path.is_dir() or path.is_symlink():
                _hits(result, path, redactor, path.name, "folder name" if path.is_dir() else "file name")
                continue
            result.files += 1
            _hits(result, path, redactor, path.name, "file name")
            try:
                for place, text in _texts_of(path):
                    _hits(result, path, redactor, text, place)
            except Exception as exc:  # a damaged file is listed, never taken as clean
                result.unreadable.append((path, f"{type(exc).__name__}: {str(exc)[:120]}"))
    return result


def _hits(result: LeakScan, path: Path, redactor, text: str, place: str) -> None:
    seen = set()
    for start, _, placeholder in redactor.edits(text, count=False):
        where = place
        if place == "text":
            where = f"line {text.count(chr(10), 0, start) + 1}"
        if (placeholder, where) not in seen:
            seen.add((placeholder, where))
            result.leaks.append(Leak(path, placeholder, where))


def _texts_of(path: Path):
    """(place, text) pairs covering everything readable in ``path``."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_texts(path.read_bytes())
    elif suffix in ZIP_SUFFIXES or zipfile.is_zipfile(path) and suffix not in TEXT_SUFFIXES:
        yield from _zip_texts(path.read_bytes())
    elif suffix in (".ipynb", ".json"):
        raw = path.read_bytes().decode("utf-8", "replace")
        try:
            strings = _json_strings(json.loads(raw))
        except ValueError:
            yield "text", raw
            return
        # one string per line: a term after "\n" in the raw JSON would escape a whole-word match
        yield "JSON string", html.unescape("\n".join(strings))
    else:
        raw = path.read_bytes()
        if suffix in TEXT_SUFFIXES or b"\x00" not in raw[:4096]:
            yield from _markup_texts(raw.decode("utf-8", "replace"))
        else:  # images and other binaries: the text they carry, not their compressed bytes
            yield from _binary_texts(path, raw)


# A run of printable characters this long is text a program stored, not chance: compressed
# image data, read as latin-1 with accents folded, spelt a three-letter demo term ("DÉV")
# about once in sixty figures and failed the run on a clean report.
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e\t]{8,}")


def _binary_texts(path: Path, raw: bytes):
    """Text an image or other binary carries: an image's metadata (PNG text chunks, EXIF,
    comments) through Pillow, and long printable runs of any binary (where a program that
    writes metadata its own way puts it)."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as image:
            info = {**getattr(image, "text", {}), **image.info}
            exif = image.getexif()
        values = [str(v) for v in info.values() if isinstance(v, (str, bytes))]
        values += [str(v) for v in exif.values() if isinstance(v, (str, bytes))]
        yield "image metadata", "\n".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                                           for v in values)
    except Exception:  # not an image Pillow knows: the printable runs below still cover it
        pass
    yield "text in the bytes", "\n".join(m.group().decode("ascii") for m in _PRINTABLE_RUN.finditer(raw))


def _markup_texts(text: str):
    yield "text", html.unescape(text)
    if "<" in text:
        yield "text without tags", html.unescape(_TAG.sub("", text))
        yield "text without tags", html.unescape(_TAG.sub(" ", text))


def _parquet_texts(data: bytes):
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    yield "column names", "\n".join(table.column_names)
    for name in table.column_names:
        values = table.column(name).to_pylist()
        yield f"column {name}", "\n".join(str(v) for v in values if v is not None)


def _zip_texts(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            yield f"member name {info.filename}", info.filename
            content = archive.read(info)
            if info.filename.lower().endswith(".parquet"):
                for place, text in _parquet_texts(content):
                    yield f"member {info.filename} {place}", text
            elif info.filename.lower().endswith(tuple(ZIP_SUFFIXES)):
                for place, text in _zip_texts(content):
                    yield f"member {info.filename} {place}", text
            else:
                for _, text in _markup_texts(content.decode("utf-8", "replace")):
                    yield f"member {info.filename}", text


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []
