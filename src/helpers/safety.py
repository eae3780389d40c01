"""Inputs stay inputs (issue 19, item 7).

- Every input file is resolved (symbolic links followed) and refused when it lies outside the
  study folder: a link inside ``transcripts/`` must not pull another study's transcript (or
  ``/etc/passwd``) into the outputs.
- No output is ever written inside a study folder or over an input: the folders of the studies
  read in this process are registered (:func:`protect`) and :mod:`helpers.atomic` refuses any
  target inside one (:func:`refuse_if_protected`), so ``export`` pointed at a coding sheet, or
  into ``codings/`` where the next ingest would read it back, fails with a one-line error.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError, ProblemList

__all__ = ["check_inputs_inside", "protect", "refuse_if_protected", "protected_roots"]

_PROTECTED: list[Path] = []


def protect(root: Path | str) -> None:
    """Register a study folder whose files are never written to by this process."""
    root = Path(root).resolve()
    if root not in _PROTECTED:
        _PROTECTED.append(root)


def protected_roots() -> list[Path]:
    """The study folders registered so far."""
    return list(_PROTECTED)


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def refuse_if_protected(target: Path | str, fix: str = "write the output to another folder") -> None:
    """Raise when ``target`` (resolved, links followed) lies inside a registered study folder.

    Parameters
    ----------
    target : Path or str
        The file about to be written.
    fix : str
        What to do instead, for the message (``export``: "export to another folder").

    Raises
    ------
    InputError
        ``<target>: inside the study folder, whose files are never written to — <fix>``.
    """
    target = Path(target)
    resolved = Path(os.path.realpath(target))
    for root in _PROTECTED:
        if _inside(resolved, root) or _inside(target.absolute(), root):
            raise InputError.one(target, "inside the study folder, whose files are never written to", fix)


def check_inputs_inside(config) -> None:
    """Refuse any input file that resolves outside the study folder.

    Parameters
    ----------
    config : helpers.ingest.config.StudyConfig

    Raises
    ------
    InputError
        One line per file: ``<file>: points outside the study folder (symbolic link) — copy
        the file into the study instead of linking it``.
    """
    root = Path(config.root).resolve()
    problems = ProblemList()
    for path in _candidate_inputs(config):
        resolved = Path(os.path.realpath(path))
        if not _inside(resolved, root):
            how = "symbolic link" if _has_link(path, root) else "resolves elsewhere"
            problems.add(path, f"points outside the study folder ({how})",
                         "copy the file into the study instead of linking it")
    problems.raise_if_any()


def _candidate_inputs(config) -> list[Path]:
    """Every file the study may read, links included (``input_files`` skips broken ones)."""
    out = []
    for path in [config.participants, config.codebook, config.redactions]:
        if path is not None and (path.exists() or path.is_symlink()):
            out.append(path)
    folders = [config.transcripts] + [source.path for source in config.codings]
    for folder in folders:
        if folder is None:
            continue
        if folder.is_file() or folder.is_symlink() and not folder.is_dir():
            out.append(folder)
        elif folder.is_dir():
            for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
                # a linked folder is an input too: check it rather than walk into it
                out += [Path(dirpath) / name for name in dirnames if (Path(dirpath) / name).is_symlink()]
                out += [Path(dirpath) / name for name in filenames]
    return list(dict.fromkeys(out))


def _has_link(path: Path, root: Path) -> bool:
    for part in [path, *path.parents]:
        if part.is_symlink():
            return True
        if part == root:
            break
    return False
