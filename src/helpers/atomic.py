"""Atomic writes: a reader never sees a half-written table or report.

Every output is written to a temporary file in the same folder and renamed
into place (``os.replace`` is atomic on POSIX), so a run killed at any point
leaves either the old file or the new one — plus, at worst, a temporary file.

Temporary files are named ``.<file name>.<pid>.<random>.tmp``: hidden, never
ending in an output's extension (so no ``*.parquet``/``*.ipynb``/``*.html``
glob ever picks one up), and carrying the writer's pid, so that a later run
can tell a dead writer's leftover (``remove_stale``) from a file a live
process is still writing.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from .safety import refuse_if_protected

TEMP_SUFFIX = ".tmp"
# .<file name>.<pid>.<mkstemp's random part>.tmp
TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")

# Files are created by mkstemp with mode 0600; outputs get the usual mode
# (0666 less the umask), as a plain open() would give them. Read once, at
# import, while no other thread can be changing it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
OUTPUT_MODE = 0o666 & ~_UMASK


@contextlib.contextmanager
def atomic_path(path: Path | str, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    ``suffix`` is accepted for compatibility and ignored: the temporary name
    always ends in ``.tmp`` so it can never be mistaken for an output."""
    path = Path(path)
    refuse_if_protected(path)  # never inside a study folder, never over an input
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _flush_to_disk(tmp_path)
        os.chmod(tmp_path, OUTPUT_MODE)
        fault_point("replace", path.name)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _flush_to_disk(path: Path) -> None:
    """fsync before the rename, so that even a power cut leaves the old or the
    complete new file, never an empty one (a killed process needs no fsync)."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: Path | str, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def write_parquet(path: Path | str, frame: pd.DataFrame) -> None:
    # No pandas index and no creation time in the metadata: identical inputs
    # give byte-identical files (determinism).
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")


# -- spreadsheet safety ----------------------------------------------------------------
# A cell whose text starts with one of these is read as a formula by Excel, LibreOffice and
# Google Sheets when they open a CSV (OWASP, "CSV Injection": =, +, -, @, tab, carriage return).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?$")


def neutralise_cell(value):
    """A text cell made safe to open in a spreadsheet: prefixed with ``'`` when it starts
    with ``=``, ``+``, ``-``, ``@``, tab or carriage return, as OWASP's CSV-injection
    guidance advises (the quote makes the spreadsheet show the text as typed). Numbers,
    and text that is just a number ("-0.58", "+44"), are left as they are.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        ``value`` itself unless it is such a string.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value.strip()):
        return "'" + value
    return value


def restore_cell(value):
    """The inverse of :func:`neutralise_cell`, for reading a table this package wrote."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START) \
            and not _NUMBER.match(value[1:].strip()):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name passed through :func:`neutralise_cell`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = _neutralise_index(out.columns)
    out.index = _neutralise_index(out.index)  # written with index=True (a co-occurrence matrix)
    return out


def _neutralise_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        index = index.set_levels([_neutralise_index(level) for level in index.levels])
    elif index.dtype == object or pd.api.types.is_string_dtype(index) or isinstance(index, pd.CategoricalIndex):
        index = pd.Index([neutralise_cell(v) for v in index], name=index.name)
    return index.set_names([neutralise_cell(n) for n in index.names])


def write_csv(path: Path | str, frame: pd.DataFrame, index: bool = False) -> None:
    """Write a table as CSV, text cells neutralised (:func:`neutralise_cell`)."""
    with atomic_path(path) as tmp:
        neutralise_frame(frame).to_csv(tmp, index=index, lineterminator="\n")


def text_cells_as_strings(sheet) -> None:
    """Every text cell of an openpyxl worksheet stored as a string, never as a formula
    (openpyxl stores a text starting with ``=`` as a formula)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"


def write_excel(path: Path | str, sheets: dict[str, pd.DataFrame], wrap: bool = True) -> None:
    """One sheet per frame, header frozen, long text wrapped. Identical sheets
    give a byte-identical file (no save time inside, see ``_without_times``)."""
    from openpyxl.styles import Alignment

    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                sheet_name = safe_sheet_name(name)
                frame.to_excel(writer, sheet_name=sheet_name, index=False)
                ws = writer.sheets[sheet_name]
                text_cells_as_strings(ws)  # the study's text is text, never a live formula
                ws.freeze_panes = "A2"
                for col_cells in ws.columns:
                    longest = max((len(str(c.value)) for c in col_cells if c.value is not None), default=8)
                    ws.column_dimensions[col_cells[0].column_letter].width = min(max(10, longest + 2), 60)
                    if wrap:
                        for c in col_cells[1:]:
                            c.alignment = Alignment(wrap_text=True, vertical="top")
        _without_times(tmp)


# openpyxl stamps the save time into docProps/core.xml and every zip entry;
# both are optional, and the only bytes that differ between two saves.
_CORE_TIMES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def _without_times(xlsx: Path) -> None:
    with zipfile.ZipFile(xlsx) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(xlsx, "w") as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(b"", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)


def safe_sheet_name(name: str) -> str:
    for ch in '[]:*?/\\':
        name = name.replace(ch, "-")
    return (name or "Sheet")[:31]


# -- leftovers of killed runs ------------------------------------------------------------

def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (a zombie counts as dead).
    A pid reused by an unrelated process reads as alive: its leftover then
    waits for a later run, which is harmless."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def temp_writer(path: Path) -> int | None:
    """The pid that wrote this temporary file, or None when ``path`` is not one."""
    match = TEMP_NAME.match(path.name)
    return int(match["pid"]) if match else None


def remove_stale(folder: Path) -> list[Path]:
    """Delete the temporary files under ``folder`` whose writer is dead.

    They are never outputs (a finished write renames its temporary file away),
    so removing them loses nothing; a live writer's files are left alone."""
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.rglob(f"*{TEMP_SUFFIX}")):
        pid = temp_writer(path)
        if pid is not None and not pid_alive(pid) and (path.is_file() or path.is_symlink()):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def leftover_folders_pattern(final: Path) -> re.Pattern:
    """Names of ``atomic_folder``'s staging and set-aside folders for ``final``."""
    return re.compile(rf"^\.{re.escape(final.name)}\.(?:staging|old)-(?P<pid>\d+)$")


def remove_dead_folders(final: Path) -> list[Path]:
    """Delete the staging and set-aside folders of ``atomic_folder(final)``
    left by dead processes (a live writer's are left alone)."""
    parent, pattern = final.parent, leftover_folders_pattern(final)
    if not parent.is_dir():
        return []
    removed = []
    for path in sorted(parent.iterdir()):
        match = pattern.match(path.name)
        if match and path.is_dir() and not path.is_symlink() and not pid_alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_folder(final: Path | str) -> Iterator[Path]:
    """Yield an empty staging folder beside ``final``; on success swap it in.

    The swap is two renames (``final`` aside, staging into place): a run killed
    between them leaves no ``final`` and a complete set-aside copy, and the
    next ingest rebuilds ``final``; it never leaves a half-written one. The
    staging and set-aside folders carry the pid, for ``remove_dead_folders``."""
    final = Path(final)
    refuse_if_protected(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_folders(final)
    staging = final.parent / f".{final.name}.staging-{os.getpid()}"
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        yield staging
        fault_point("staged", final.name)
        if final.exists():
            os.replace(final, old)
        fault_point("swap", final.name)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back while the block runs, then raised as
    ``KeyboardInterrupt`` once it is done: for a few renames that must happen
    together (the report batch swaps data/processed/ and reports/ in one go).
    Outside the main thread the block runs unguarded (signals reach only it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


# -- fault injection (tests only) ----------------------------------------------------------

FAULT_VARIABLE = "TT_FAULT"


def fault_point(point: str, detail: str = "") -> None:
    """TEST-ONLY crash hook: when the environment variable TT_FAULT is
    ``<point>`` or ``<point>:<detail>``, kill this process with SIGKILL right
    here, as a power cut or the OOM killer would. tests/integration/test_crash_safety.py
    uses it to stop a run at a known point; it is never set in normal use.

    Points (``<detail>`` is a file or folder name, e.g. ``replace:index.html``):
    ``replace`` a temporary file complete, not yet renamed into place;
    ``staged`` an ``atomic_folder`` complete, not swapped in; ``swap`` the old
    folder set aside, the new one not yet in place; ``notebook`` a batch
    notebook part-executed (helpers.report.reports)."""
    wanted = os.environ.get(FAULT_VARIABLE)
    if wanted and wanted in (point, f"{point}:{detail}"):
        os.kill(os.getpid(), signal.SIGKILL)
