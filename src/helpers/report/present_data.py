"""A shown table's data, carried in the notebook beside its page HTML (issue 16 item 5).

Every table a notebook displays (a ``present.table`` or any DataFrame, through
``present.setup``) is also emitted, in the same display output, under ``TABLE_MIME``: its
columns (the names and the headers in words, as on the page), its rows as values (numbers as
numbers, percentages of a share on 0–100 as the "(%)" header says, missing cells null, lists
joined with "; ", flags "yes"/"no"), its caption and reading guide; the whole frame up to
``MAX_DATA_ROWS`` rows, saying when it was cut. No page shows it (``pages.render_notebook``
drops it); ``deliverables_tables`` reads it from the executed notebooks into ``tables.xlsx``.

The preparation ``present.table`` applies before formatting (index as a first column,
flattened column levels, kind of each column, headers in words) lives here too, so the data
and the page table have the same columns in the same order.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.report.present_format import _column_kind, format_number, format_value, header, is_missing

__all__ = ["MAX_DATA_ROWS", "TABLE_MIME", "cell_value", "columns_of", "frame_data", "prepared", "table_data"]

TABLE_MIME = "application/vnd.transcript-themes.table+json"
MAX_DATA_ROWS = 20_000
NUMERIC_KINDS = ("number", "percent", "share", "p")


def prepared(frame: pd.DataFrame, index: bool | None = None) -> pd.DataFrame:
    """A table as ``present.table`` lays it out: index kept as a first column (unless it is
    row numbers, or ``index`` says), column levels joined with " · ".

    Parameters
    ----------
    frame : DataFrame
        Any analysis table.
    index : bool, optional
        Keep the index as the first column; default: kept unless it is an unnamed integer index.

    Returns
    -------
    DataFrame
        A copy with a plain 0…n-1 index and one level of column names.
    """
    source = frame.copy()
    # An unnamed integer index (0…n-1, or what is left of it after sorting or filtering) is row numbers.
    plain = source.index.nlevels == 1 and source.index.name is None and pd.api.types.is_integer_dtype(source.index)
    keep_index = index if index is not None else not plain
    if keep_index:
        names = [n if n is not None else "" for n in source.index.names]
        if len(names) == 1 and names[0] == "":
            source.index.name = "" if source.columns.nlevels == 1 else None
        source = source.reset_index()
    else:
        source = source.reset_index(drop=True)
    if isinstance(source.columns, pd.MultiIndex):
        source.columns = [" · ".join(str(x) for x in col if str(x) != "") for col in source.columns]
    return source


def columns_of(source: pd.DataFrame, headers: dict | None = None, percent: Iterable = (), shares: Iterable = (),
               pvalues: Iterable = ()) -> list[tuple[str, str]]:
    """The header in words and the kind of each column of a prepared table.

    Parameters
    ----------
    source : DataFrame
        A table from ``prepared``.
    headers : dict, optional
        Column -> header text, overriding ``header``.
    percent, shares, pvalues : iterable of column names
        Columns to treat as percentages (0–100), shares (0–1) or p-values.

    Returns
    -------
    list of tuple of (str, str)
        (header, kind) per column, in order; kind is "p", "share", "percent", "number" or
        "text"; a header already taken gets a trailing space (two columns never merge).
    """
    percent, shares, pvalues = set(percent), set(shares), set(pvalues)
    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    for position, name in enumerate(source.columns):
        kind = _column_kind(name, source.iloc[:, position], percent, shares, pvalues)
        label = (headers or {}).get(name, header(name))
        while label in taken:
            label += " "
        taken.add(label)
        out.append((label, kind))
    return out


def cell_value(value, kind: str = "text"):
    """One cell as a JSON-safe value for a workbook.

    Parameters
    ----------
    value : object
        The cell as the analysis table holds it.
    kind : str
        The column's kind (``columns_of``): a "share" is multiplied by 100, as its "(%)"
        header says.

    Returns
    -------
    int, float, str or None
        None when missing; "yes"/"no" for flags; int or float for a finite number (infinities
        as "∞"/"−∞"); lists joined with "; "; anything else as its page text.
    """
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        if kind == "share":
            value = float(value) * 100.0
        if isinstance(value, (int, np.integer)):
            return int(value)
        number = float(value)
        return number if math.isfinite(number) else format_number(number)
    if kind in NUMERIC_KINDS and isinstance(value, str):
        try:
            return cell_value(float(value), kind) if value.strip() else None
        except ValueError:
            pass
    text = format_value(value)
    return text if text != "" else None


def table_data(source: pd.DataFrame, columns: list[tuple[str, str]], caption: str = "", note: str = "",
               max_rows: int = MAX_DATA_ROWS) -> dict:
    """The ``TABLE_MIME`` record of a prepared table.

    Parameters
    ----------
    source : DataFrame
        A table from ``prepared``.
    columns : list of tuple of (str, str)
        ``columns_of(source)``.
    caption, note : str
        The caption and reading guide shown with the table.
    max_rows : int
        Rows kept at most.

    Returns
    -------
    dict
        ``names`` (column names as str), ``columns`` (headers in words), ``rows`` (lists of
        ``cell_value``), ``n_rows`` (rows of the whole table), ``cut`` (rows were left off),
        ``caption`` and ``note``.
    """
    kinds = [kind for _, kind in columns]
    rows = [[cell_value(v, k) for v, k in zip(row, kinds)]
            for row in source.head(max_rows).itertuples(index=False, name=None)]
    return {"names": [str(c) for c in source.columns], "columns": [label for label, _ in columns], "rows": rows,
            "n_rows": int(len(source)), "cut": len(source) > max_rows, "caption": str(caption), "note": str(note)}


def frame_data(frame: pd.DataFrame, note: str = "", max_rows: int = MAX_DATA_ROWS) -> dict:
    """The ``TABLE_MIME`` record of a DataFrame shown as it is (``present.setup``'s formatter).

    Parameters
    ----------
    frame : DataFrame
        The table displayed (all of it, not only the rows the page shows).
    note : str
        Its reading guide.
    max_rows : int
        Rows kept at most.

    Returns
    -------
    dict
        As ``table_data``.
    """
    source = prepared(frame)
    return table_data(source, columns_of(source), note=note, max_rows=max_rows)
