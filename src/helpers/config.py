"""study.yml: load, default and check it (DESIGN §2)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError, ProblemList
from .hierarchy import DEFAULT_LEVELS

DEFAULT_SPEAKERS = {
    "interviewer": ["I", "Interviewer", "Int", "Facilitator"],
    "participant": ["P", "Participant", "R", "Respondent"],
}
DEFAULT_FILLERS = ["um", "umm", "uh", "uhm", "er", "erm", "ah", "hmm", "mm", "mhm", "mm-hm", "uh-huh"]

# key -> (expected type(s), description for messages)
KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "title": ((str,), "a text"),
    "description": ((str,), "a text"),
    "transcripts": ((str,), "a folder path"),
    "participants": ((str,), "a file path"),
    "codebook": ((str,), "a file path"),
    "codings": ((list, str), "a list of files or folders"),
    "redactions": ((str,), "a file path"),
    "levels": ((list,), "a list of level names"),
    "speakers": ((dict,), "a mapping of role to labels"),
    "fillers": ((list,), "a list of words"),
    "stopwords": ((list,), "a list of words"),
    "quote_match_threshold": ((float, int), "a number between 0 and 1"),
}
CODING_ENTRY_KEYS = {"path", "coder", "level", "strict"}


@dataclass
class CodingSource:
    path: Path
    coder: str | None = None
    level: str | None = None
    strict: bool = True


@dataclass
class StudyConfig:
    root: Path
    title: str
    description: str = ""
    transcripts: Path | None = None
    participants: Path | None = None
    codebook: Path | None = None
    codings: list[CodingSource] = field(default_factory=list)
    redactions: Path | None = None
    levels: list[str] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    speakers: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_SPEAKERS.items()})
    fillers: list[str] = field(default_factory=lambda: list(DEFAULT_FILLERS))
    stopwords: list[str] = field(default_factory=list)
    quote_match_threshold: float = 0.9

    @property
    def yml(self) -> Path:
        return self.root / "study.yml"

    def input_files(self) -> list[Path]:
        """Every file the study reads, for fingerprints and the manifest."""
        files = [self.yml]
        for p in [self.participants, self.codebook, self.redactions]:
            if p is not None and p.is_file():
                files.append(p)
        if self.transcripts is not None and self.transcripts.is_dir():
            files += sorted(f for f in self.transcripts.rglob("*") if f.is_file() and not f.name.startswith("."))
        for source in self.codings:
            if source.path.is_dir():
                files += sorted(f for f in source.path.rglob("*") if f.is_file() and not f.name.startswith((".", "~$")))
            elif source.path.is_file():
                files.append(source.path)
        return list(dict.fromkeys(files))


def load_config(root: Path) -> StudyConfig:
    root = Path(root)
    yml = root / "study.yml"
    if not root.is_dir():
        raise InputError.one(root, "study folder not found", "give a folder under data/raw/ or a path to a study folder")
    if not yml.is_file():
        raise InputError.one(yml, "study.yml not found", "create study.yml with at least a 'title:' line (see README)")
    try:
        raw = yaml.safe_load(yml.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError.one(yml, "study.yml is not UTF-8 text", "save study.yml as UTF-8") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError.one(yml, "study.yml is not valid YAML", "fix the YAML syntax (indentation, colons, quotes)",
                             None if line is None else line + 1) from None
    if not isinstance(raw, dict):
        raise InputError.one(yml, "study.yml is not a mapping of keys to values", "write it as 'key: value' lines, starting with 'title:'")
    problems = ProblemList()
    for key, value in raw.items():
        if key not in KEYS:
            problems.add(yml, f"unknown key '{key}'", f"remove it or use one of: {', '.join(KEYS)}")
        elif value is not None and not isinstance(value, KEYS[key][0]) or isinstance(value, bool):
            problems.add(yml, f"'{key}' should be {KEYS[key][1]}, not {type(value).__name__}", f"correct '{key}:'")
    if not raw.get("title"):
        problems.add(yml, "no 'title'", "add a line 'title: <your study title>'")
    problems.raise_if_any()

    def inside(value, key, default) -> Path | None:
        given = value if value is not None else default
        if given is None:
            return None
        path = (root / given).resolve()
        if not path.is_relative_to(root.resolve()):
            problems.add(yml, f"'{key}' points outside the study folder ({given})",
                         "keep every input inside the study folder and give its path relative to it")
            return None
        return path

    config = StudyConfig(root=root.resolve(), title=str(raw["title"]), description=str(raw.get("description") or ""))
    config.transcripts = inside(raw.get("transcripts"), "transcripts", "transcripts")
    config.participants = inside(raw.get("participants"), "participants", "participants.csv")
    config.codebook = inside(raw.get("codebook"), "codebook", "codebook.csv")
    config.redactions = inside(raw.get("redactions"), "redactions", "redactions.csv")
    for key, explicit in [("participants", raw.get("participants")), ("codebook", raw.get("codebook")),
                          ("redactions", raw.get("redactions"))]:
        path = getattr(config, key)
        if explicit and path is not None and not path.is_file():
            problems.add(yml, f"'{key}' file {explicit} not found", f"correct the path or remove '{key}:'")
    if config.codebook is not None and not config.codebook.is_file() and raw.get("codebook") is None:
        xlsx = root.resolve() / "codebook.xlsx"
        config.codebook = xlsx if xlsx.is_file() else config.codebook

    entries = raw.get("codings", ["codings/"])
    if isinstance(entries, str):
        entries = [entries]
    for i, entry in enumerate(entries or [], start=1):
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not entry["path"].strip():
            problems.add(yml, f"codings entry {i} is neither a path nor a mapping with 'path:'", "write '- codings/file.xlsx' or '- {path: codings/file.xlsx, coder: AB}'")
            continue
        unknown = set(entry) - CODING_ENTRY_KEYS
        if unknown:
            problems.add(yml, f"codings entry {i} has unknown key(s) {', '.join(sorted(unknown))}", f"use only {', '.join(sorted(CODING_ENTRY_KEYS))}")
        path = inside(entry["path"], f"codings entry {i}", None)
        if path is None:
            continue
        if not path.exists():
            if "codings" in raw:  # the default codings/ folder may be absent
                problems.add(yml, f"codings entry {i}: {entry['path']} not found", "correct the path or remove the entry")
            continue
        strict = entry.get("strict", True)
        if not isinstance(strict, bool):
            problems.add(yml, f"codings entry {i}: 'strict' should be true or false", "write 'strict: false' or leave it out")
            strict = True
        config.codings.append(CodingSource(path=path, coder=None if entry.get("coder") is None else str(entry["coder"]),
                                           level=None if entry.get("level") is None else str(entry["level"]),
                                           strict=strict))
    if raw.get("levels"):
        config.levels = [str(x).lower() for x in raw["levels"]]
    if raw.get("speakers"):
        speakers = raw["speakers"]
        bad_roles = set(speakers) - {"interviewer", "participant", "other"}
        if bad_roles:
            problems.add(yml, f"speakers: unknown role(s) {', '.join(sorted(map(str, bad_roles)))}", "use interviewer, participant or other")
        config.speakers = {}
        for role, labels in speakers.items():
            # "interviewer: Facilitator" is one label, not the letters F, a, c, …
            if isinstance(labels, (str, int, float)) and not isinstance(labels, bool):
                labels = [labels]
            if labels is not None and not isinstance(labels, list):
                problems.add(yml, f"speakers: '{role}' should be a list of labels", f"write '{role}: [I, Interviewer]'")
                continue
            config.speakers[str(role)] = [str(x) for x in (labels or [])]
    if raw.get("fillers") is not None:
        config.fillers = [str(x).lower() for x in raw["fillers"]]
    config.stopwords = [str(x).lower() for x in raw.get("stopwords") or []]
    if raw.get("quote_match_threshold") is not None:
        t = float(raw["quote_match_threshold"])
        if not 0 < t <= 1:
            problems.add(yml, f"quote_match_threshold {t} is outside (0, 1]", "use a number such as 0.9")
        config.quote_match_threshold = t
    problems.raise_if_any()
    return config
