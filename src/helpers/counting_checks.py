"""Parameter validation in one message style (issue 15 item 3): the level and coder
parameters of a report run (``check_parameters``), a parameter with a few fixed values
(``check_choice``) and a participant attribute (``check_attribute``). Split out of
``counting``, which re-exports every name.
"""
from __future__ import annotations

from helpers.counting_coders import check_coder
from helpers.counting_levels import check_level

from .errors import InputError, ProblemList

__all__ = ["check_attribute", "check_choice", "check_parameters"]


def check_parameters(study, params: dict) -> None:
    """Refuse, before any notebook runs, a level or coder parameter the study
    does not have (one line each, listing the study's levels or coders).

    Parameters
    ----------
    study : Study
    params : dict
        Notebook parameters (``-p NAME=VALUE``): every name ending in "level"
        is a level (None and "as applied" allowed), "coder"/"coders" coders.

    Raises
    ------
    InputError
        One problem per bad parameter.
    """
    problems = ProblemList()
    for name, value in params.items():
        try:
            if name.endswith("level") and value != "as applied":
                check_level(study, value, name)
            elif name in ("coder", "coders") and value is not None:
                check_coder(study, value)
        except InputError as exc:
            problems.extend(exc)
    problems.raise_if_any()


# -- parameter validation --------------------------------------------------------------

def check_choice(value, choices, parameter: str) -> None:
    """A parameter that takes one of a few fixed values (unit, measure, turns …), or an error
    in the one message style of the analyses: ``unit must be one of a, b, c; got 'x'``.

    Parameters
    ----------
    value : object
        The value given.
    choices : sequence of str
        The values allowed, in the order the message lists them.
    parameter : str
        The parameter's name, for the message.

    Returns
    -------
    None
        When ``value`` is one of ``choices``.

    Raises
    ------
    ValueError
        Otherwise, naming the parameter, the choices and the value given.
    """
    if value not in tuple(choices):
        raise ValueError(f"{parameter} must be one of {', '.join(map(str, choices))}; got {value!r}")


def check_attribute(study, name, parameter: str = "by") -> str:
    """A participant attribute parameter (``by``, ``where``, ``colour_by`` …), or an error in the
    one message style of the analyses: ``by: participants have no attribute 'x'; they have: a, b``.

    Parameters
    ----------
    study : Study
        For ``study.participants``.
    name : str
        The attribute asked for.
    parameter : str
        The parameter's name, for the message.

    Returns
    -------
    str
        ``name``, a column of ``study.participants``.

    Raises
    ------
    ValueError
        ``name`` is not such a column; the message lists the attributes there are.
    """
    columns = [str(c) for c in study.participants.columns if c != "participant_id"]
    if name not in study.participants.columns:
        raise ValueError(f"{parameter}: participants have no attribute {name!r}; they have: "
                         f"{', '.join(columns) or '(none)'}")
    return name
