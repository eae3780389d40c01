"""The run lock: one run per study at a time, and the leftovers of killed runs removed.

Split out of ``reports`` (issue 15), which re-exports every name.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from helpers import atomic
from helpers.errors import InputError
from helpers.study import StudyPaths

__all__ = ["lock_file", "remove_leftovers", "run_lock"]


def lock_file(paths: StudyPaths) -> Path:
    """The path of the study's run lock.

    It lies in the system's temporary folder, not in data/ or reports/ (a run refused for bad
    input leaves nothing there), in ``transcript-themes-<uid>/`` (created, mode 0700), named by
    the first 20 hex digits of the sha256 of the processed folder's resolved path, so each
    study has its own. (A tiny empty file, left in place: deleting a lock file races with the
    next run opening it.)

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``paths.processed`` names the lock).

    Returns
    -------
    Path
        ``<tmp>/transcript-themes-<uid>/<key>.lock`` (the file itself is not created here).

    Raises
    ------
    InputError
        The ``transcript-themes-<uid>`` folder is not a real folder owned by this user.
    OSError
        The folder cannot be created.
    """
    folder = Path(tempfile.gettempdir()) / f"transcript-themes-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()  # the temporary folder is shared: it must be our own real folder
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise InputError.one(folder, "is not a folder of yours", "remove it; it holds only run locks")
    key = hashlib.sha256(str(paths.processed.resolve()).encode("utf-8")).hexdigest()[:20]
    return folder / f"{key}.lock"


@contextlib.contextmanager
def run_lock(paths: StudyPaths):
    """Hold the study's run lock for the ``with`` block: one run per study at a time.

    flock is released by the kernel when the process dies, so a killed run never leaves the
    study locked; once the lock is held, the leftovers of killed runs are removed
    (``remove_leftovers``). The lock file is opened without following links.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``lock_file(paths)`` is the lock).

    Returns
    -------
    contextmanager
        A context manager yielding None while the lock is held.

    Raises
    ------
    InputError
        Another run holds the lock (file: the study's raw folder), or the lock folder is not
        the user's own (``lock_file``).
    OSError
        The lock file cannot be opened (a link planted in its place, for one).
    """
    path = lock_file(paths)
    # O_NOFOLLOW: the temporary folder is shared, never follow a planted link.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError.one(paths.raw, "another run on this study is in progress",
                                 "wait for it to finish (the lock frees itself when that process ends)") from None
        remove_leftovers(paths)
        yield
    finally:
        os.close(fd)


def remove_leftovers(paths: StudyPaths) -> list[Path]:
    """Delete what killed runs left behind.

    Staging and set-aside copies of data/processed/<study> and of reports/<study> whose
    writer process is dead (``atomic.remove_dead_folders``), and temporary files of atomic
    writes under those two folders (executed/ included) whose writer is dead
    (``atomic.remove_stale``). None of them is ever an output, so nothing is lost; a live
    writer's files are left alone.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``processed`` and ``reports`` are cleaned).

    Returns
    -------
    list of Path
        What was removed: leftover folders first, then temporary files.
    """
    removed = atomic.remove_dead_folders(paths.processed) + atomic.remove_dead_folders(paths.reports)
    for folder in (paths.processed, paths.reports):
        removed += atomic.remove_stale(folder)
    return removed
