"""study.yml: load, default and check it (DESIGN §2)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers.errors import InputError, ProblemList
from helpers.hierarchy import DEFAULT_LEVELS, normalise_level
from helpers.safety import protect
from helpers.textutil import DEFAULT_FILLERS  # noqa: F401  (defined with the word rules; read here)

DEFAULT_SPEAKERS = {
    "interviewer": ["I", "Interviewer", "Int", "Facilitator"],
    "participant": ["P", "Participant", "R", "Respondent", "Interviewee"],
}

# claim_words: (helpers.analysis.claims) word -> bounds on n (participants with the code) of N (all participants).
# Keys: min, max (counts), min_share, max_share, more_than_share (0–1).
DEFAULT_CLAIM_WORDS: dict[str, dict] = {
    "all": {"min_share": 1.0},
    "all but one": {"exact_missing": 1},
    "most": {"more_than_share": 0.5},
    "majority": {"more_than_share": 0.5},
    "half": {"min_share": 0.4, "max_share": 0.6},
    "many": {"min": 3},
    "several": {"min": 3},
    "some": {"min": 3},
    "a few": {"min": 2, "max": 4},
    "one": {"min": 1, "max": 1},
    "none": {"max": 0},
}
BOUND_KEYS = {"min", "max", "min_share", "max_share", "more_than_share", "exact_missing"}


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
    "min_group_size": ((int,), "a whole number of participants"),
    "report": ((dict,), "a mapping of notebook name to its parameters"),
    "drafts": ((list, str), "a list of write-up drafts (.docx, .md, .txt)"),
    "claim_words": ((dict,), "a mapping of claim word to bounds"),
    "primary_coder": ((str,), "a coder's name"),
    "strict": ((bool,), "true or false"),
    "encoding": ((str,), "an encoding name such as cp1252"),
}
CODING_ENTRY_KEYS = {"path", "coder", "level", "strict", "use", "kind", "encoding", "code_separator"}
CODING_KINDS = {"quote_bank"}
CODING_USES = ("analysis", "agreement")   # use: agreement = a reliability coder, counted by agreement only
# study.yml is a page of settings: a bigger file is a mistake (a transcript saved under the
# wrong name) and would only cost memory. The limit is stated in the error.
MAX_YML_BYTES = 256 * 1024


class _StrictLoader(yaml.SafeLoader):
    """safe_load without anchors, aliases or duplicate keys.

    Aliases let a few hundred bytes expand to billions of items ("billion laughs",
    https://en.wikipedia.org/wiki/Billion_laughs_attack); they are refused as the parser
    meets them, before anything is built. A key given twice would silently keep the last
    value, so it is refused too.
    """

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("YAML anchors and aliases (& and *) are not allowed in study.yml",
                           "write each list out in full", event.start_mark.line + 1)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: construct_mapping reports it
                break
            if duplicate:
                raise _Refused(f"key '{key}' is given twice", "keep one of the two lines (the second would "
                               "silently replace the first)", key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _Refused(Exception):
    def __init__(self, what: str, fix: str, line: int):
        super().__init__(what)
        self.what, self.fix, self.line = what, fix, line


@dataclass
class CodingSource:
    path: Path
    coder: str | None = None
    level: str | None = None
    strict: bool = True
    use: str = "analysis"
    use_given: bool = False            # 'use:' written in study.yml (it then wins over a file's own record)
    kind: str | None = None            # "quote_bank": rows may name participants without transcripts
    encoding: str | None = None        # overrides detection for .csv sheets
    code_separator: str | None = None  # e.g. ",": also split cells on it


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
    levels_given: bool = False         # study.yml names its levels (not the default list)
    speakers: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_SPEAKERS.items()})
    fillers: list[str] = field(default_factory=lambda: list(DEFAULT_FILLERS))
    stopwords: list[str] = field(default_factory=list)
    quote_match_threshold: float = 0.9
    min_group_size: int = 3                                  # smallest attribute group shown in reports
    report: dict[str, dict] = field(default_factory=dict)    # notebook stem -> parameters for `report`
    drafts: list[Path] = field(default_factory=list)     # write-ups to audit (issue 17)
    claim_words: dict = field(default_factory=dict)      # claims.DEFAULT_CLAIM_WORDS overrides
    primary_coder: str | None = None
    strict: bool = False               # reading losses (conservation check) are errors, not warnings
    encoding: str | None = None        # transcripts' encoding, overriding detection

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


def _check_words(items: list, key: str, yml: Path, problems: ProblemList) -> bool:
    """Each item of a word list is a word (text or number), checked before any ``str()``.

    A nested list would otherwise become one long "word" such as "['a', 'b']"; YAML reads
    yes/no/on/off as true/false, which would silently become the word 'true'.
    """
    ok = True
    for i, item in enumerate(items, start=1):
        if isinstance(item, bool):
            problems.add(yml, f"{key} item {i} is read as {str(item).lower()} (YAML reads yes/no/on/off so)",
                         "put the word in quotes, e.g. 'no'")
            ok = False
        elif not isinstance(item, (str, int, float)):
            kind = {list: "a list", dict: "a mapping"}.get(type(item), type(item).__name__)
            problems.add(yml, f"{key} item {i} is {kind}, not a word", "write the list as [word, word]")
            ok = False
    return ok


def load_config(root: Path) -> StudyConfig:
    root = Path(root)
    yml = root / "study.yml"
    if not root.is_dir():
        raise InputError.one(root, "study folder not found", "give a folder under data/raw/ or a path to a study folder")
    if not yml.is_file():
        raise InputError.one(yml, "study.yml not found", "create study.yml with at least a 'title:' line (see README)")
    size = yml.stat().st_size
    if size > MAX_YML_BYTES:
        raise InputError.one(yml, f"study.yml is {size:,} bytes; the limit is {MAX_YML_BYTES:,}",
                             "keep study.yml to settings (lists of words belong in it, texts do not)")
    try:
        raw = yaml.load(yml.read_text(encoding="utf-8-sig"), Loader=_StrictLoader)
    except _Refused as exc:
        raise InputError.one(yml, exc.what, exc.fix, exc.line) from None
    except UnicodeDecodeError:
        raise InputError.one(yml, "study.yml is not UTF-8 text", "save study.yml as UTF-8") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError.one(yml, "study.yml is not valid YAML", "fix the YAML syntax (indentation, colons, quotes)",
                             None if line is None else line + 1) from None
    if not isinstance(raw, dict):
        raise InputError.one(yml, "study.yml is not a mapping of keys to values", "write it as 'key: value' lines, starting with 'title:'")
    protect(root)  # nothing this process writes may land in the study folder
    problems = ProblemList()
    for key, value in raw.items():
        if key not in KEYS:
            problems.add(yml, f"unknown key '{key}'", f"remove it or use one of: {', '.join(KEYS)}")
        elif value is not None and not isinstance(value, KEYS[key][0]) or (isinstance(value, bool) and bool not in KEYS[key][0]):
            problems.add(yml, f"'{key}' should be {KEYS[key][1]}, not {type(value).__name__}", f"correct '{key}:'")
    if not raw.get("title"):
        problems.add(yml, "no 'title'", "add a line 'title: <your study title>'")
    for key in ("levels", "fillers", "stopwords"):
        if isinstance(raw.get(key), list):
            _check_words(raw[key], f"'{key}'", yml, problems)
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
    if config.participants is not None and not config.participants.is_file() and raw.get("participants") is None:
        xlsx = root.resolve() / "participants.xlsx"
        config.participants = xlsx if xlsx.is_file() else config.participants
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
            problems.add(yml, f"codings entry {i} has unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(sorted(unknown))}", f"use only {', '.join(sorted(CODING_ENTRY_KEYS))}")
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
        use = str(entry.get("use") or "analysis").strip().lower()
        if use not in CODING_USES:
            problems.add(yml, f"codings entry {i}: 'use' should be analysis or agreement, not {entry.get('use')!r}",
                         "write 'use: agreement' for a reliability coder, or leave it out")
            use = "analysis"
        kind = entry.get("kind")
        if kind is not None and kind not in CODING_KINDS:
            problems.add(yml, f"codings entry {i}: unknown kind '{kind}'", f"use {', '.join(sorted(CODING_KINDS))} or leave it out")
        config.codings.append(CodingSource(path=path, coder=None if entry.get("coder") is None else str(entry["coder"]),
                                           level=None if entry.get("level") is None else str(entry["level"]),
                                           strict=strict, use=use, use_given=entry.get("use") is not None, kind=kind,
                                           encoding=None if entry.get("encoding") is None else str(entry["encoding"]),
                                           code_separator=None if entry.get("code_separator") is None
                                           else str(entry["code_separator"])))
    if raw.get("levels"):
        config.levels = [str(x).lower() for x in raw["levels"]]
        config.levels_given = True
    if raw.get("speakers"):
        speakers = raw["speakers"]
        bad_roles = set(speakers) - {"interviewer", "participant", "other"}
        if bad_roles:
            problems.add(yml, f"speakers: unknown {'role' if len(bad_roles) == 1 else 'roles'} {', '.join(sorted(map(str, bad_roles)))}", "use interviewer, participant or other")
        config.speakers = {}
        for role, labels in speakers.items():
            # "interviewer: Facilitator" is one label, not the letters F, a, c, …
            if isinstance(labels, (str, int, float)) and not isinstance(labels, bool):
                labels = [labels]
            if labels is not None and not isinstance(labels, list):
                problems.add(yml, f"speakers: '{role}' should be a list of labels", f"write '{role}: [I, Interviewer]'")
                continue
            if _check_words(labels or [], f"speakers: '{role}'", yml, problems):
                config.speakers[str(role)] = [str(x) for x in (labels or [])]
    if raw.get("fillers") is not None:
        config.fillers = [str(x).lower() for x in raw["fillers"]]
    config.stopwords = [str(x).lower() for x in raw.get("stopwords") or []]
    if raw.get("quote_match_threshold") is not None:
        t = float(raw["quote_match_threshold"])
        if not 0 < t <= 1:
            problems.add(yml, f"quote_match_threshold {t} is outside (0, 1]", "use a number such as 0.9")
        config.quote_match_threshold = t
    known_levels = [normalise_level(lv) or "code" for lv in config.levels]
    for i, source in enumerate(config.codings, start=1):
        # a level named in study.yml must be one of the study's levels (issue 12, point 3)
        if source.level is not None and (normalise_level(source.level) or "code") not in known_levels:
            problems.add(yml, f"codings entry {i}: unknown level '{source.level}'",
                         f"use one of the study's levels: {', '.join(known_levels)} (or add it to 'levels:')")
    if raw.get("min_group_size") is not None:
        config.min_group_size = int(raw["min_group_size"])
        if config.min_group_size < 1:
            problems.add(yml, f"min_group_size {config.min_group_size} is below 1", "use a whole number such as 3")
    for notebook, settings in (raw.get("report") or {}).items():
        if not isinstance(settings, dict):
            problems.add(yml, f"report: '{notebook}' should be a mapping of parameter to value",
                         f"write '{notebook}: {{unit: overlap}}'")
            continue
        config.report[str(notebook)] = dict(settings)
    _drafts(raw, config, yml, problems, inside)
    if raw.get("primary_coder") is not None:
        config.primary_coder = str(raw["primary_coder"])
    config.strict = bool(raw.get("strict") or False)
    config.encoding = None if raw.get("encoding") is None else str(raw["encoding"])
    problems.raise_if_any()
    return config


def _drafts(raw: dict, config: StudyConfig, yml: Path, problems: ProblemList, inside) -> None:
    """``drafts:`` (files inside the study folder) and ``claim_words:`` (issue 17)."""
    entries = raw.get("drafts") or []
    for entry in [entries] if isinstance(entries, str) else entries:
        path = inside(str(entry), "drafts", None)
        if path is not None and not path.is_file():
            problems.add(yml, f"drafts: {entry} not found", "correct the path or remove the entry")
        elif path is not None:
            config.drafts.append(path)
    config.claim_words = check_claim_words(raw.get("claim_words"), yml, problems)


def check_claim_words(raw, where, problems) -> dict:
    """Validate study.yml ``claim_words:`` (a mapping of word to bounds); problems are added, not raised."""
    out = {}
    for word, bounds in (raw or {}).items():
        if str(word).lower() not in DEFAULT_CLAIM_WORDS:
            problems.add(where, f"claim_words: unknown word '{word}'",
                         f"use one of: {', '.join(DEFAULT_CLAIM_WORDS)}")
        elif not isinstance(bounds, dict) or not bounds or set(bounds) - BOUND_KEYS or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds.values()):
            problems.add(where, f"claim_words: '{word}' should map to numbers under {', '.join(sorted(BOUND_KEYS))}",
                         f"write e.g. '{word}: {{min_share: 1.0}}'")
        else:
            out[str(word).lower()] = bounds
    return out
