"""Errors about the researcher's input, in the one-line form of DESIGN §6.

    error: <file>[:<row or line>]: <what is wrong> — <how to fix it>

The command line prints one line per problem and exits 2; notebooks show the
same lines. Anything else is a bug and exits 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    what: str
    fix: str
    where: str | int | None = None  # row, line, sheet/row, …

    def line(self) -> str:
        place = self.file if self.where in (None, "") else f"{self.file}:{self.where}"
        return redact_message(f"error: {place}: {self.what} — {self.fix}")


class InputError(Exception):
    """One or more problems with the study's input files; exit status 2."""

    def __init__(self, problems: list[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(p.line() for p in self.problems))

    @classmethod
    def one(cls, file, what: str, fix: str, where=None) -> "InputError":
        return cls(Problem(display_path(file), what, fix, where))


class ProblemList:
    """Collects problems so that a researcher sees all of them at once."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, file, what: str, fix: str, where=None) -> None:
        self.problems.append(Problem(display_path(file), what, fix, where))

    def extend(self, other: "InputError | ProblemList") -> None:
        self.problems.extend(other.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


_ROOTS: list[Path] = []


def set_display_root(path: Path) -> None:
    """Paths in messages are shown relative to the study's parent folder."""
    _ROOTS.insert(0, Path(path).resolve())


def display_path(file) -> str:
    p = Path(str(file))
    try:
        resolved = p.resolve()
    except OSError:
        return str(p)
    for root in _ROOTS:
        try:
            return str(resolved.relative_to(root))
        except ValueError:
            continue
    return str(p)


# The study's redactor, once its redactions are read: every error and warning line passes
# through it, so that a value quoted in a message (a file name, a cell) never shows a term.
_REDACTOR: list = []


def set_redactor(redact) -> None:
    """Redact every later error and warning line with ``redact`` (text -> text)."""
    _REDACTOR[:] = [redact]


def redact_message(text: str) -> str:
    """``text`` with the study's redaction terms replaced (unchanged before any is read)."""
    return _REDACTOR[0](text) if _REDACTOR else text


class TooFew(ValueError):
    """An analysis needs more than the study has (a pilot of one or two interviews).

    Not an input error: the study is valid. Notebooks catch it, show "Too few to …: <why>"
    and go on (issue 19 item 8); a ``ValueError`` so that callers catching that still do.
    """
