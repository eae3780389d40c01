"""The redaction scan of a study's outputs: every processed table and report file searched for
every redaction term (``helpers.leakscan``).

Split out of ``reports`` (issue 15), which re-exports every name.
"""
from __future__ import annotations

from pathlib import Path

from helpers.study import StudyPaths

__all__ = ["scan_for_terms", "scan_outputs"]


def scan_for_terms(paths: StudyPaths, redactor) -> list[tuple[Path, str]]:
    """Every output file in which a redaction term was found, with the term's placeholder.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders: ``processed`` and ``reports`` are scanned (``scan_outputs``).
    redactor : Redactor
        The study's redactor (``helpers.ingest.cleaning.Redactor``).

    Returns
    -------
    list of tuple of (Path, str)
        (file, placeholder), each pair once, in the order found; empty when nothing leaks.
        ``scan_outputs`` also says where in each file.
    """
    return list(dict.fromkeys((leak.path, leak.placeholder) for leak in scan_outputs(paths, redactor).leaks))


def scan_outputs(paths: StudyPaths, redactor):
    """The leak scan of a study's processed tables and reports (``leakscan.scan_folders``).

    Parameters
    ----------
    paths : StudyPaths
        The study's folders: ``processed`` and ``reports`` are scanned (absent ones skipped).
    redactor : Redactor
        The study's redactor (``helpers.ingest.cleaning.Redactor``).

    Returns
    -------
    helpers.leakscan.LeakScan
        The leaks with their place, the files the scan could not read, and the count of files.
    """
    from helpers.leakscan import scan_folders

    return scan_folders([paths.processed, paths.reports], redactor)
