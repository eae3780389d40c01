"""A REFI-QDA project on disk: the project XML of a .qdpx archive (or a bare .qde) and the
source files beside it, read safely (``safezip``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from xml.etree.ElementTree import Element

from helpers.safezip import Limits, SafeZip, parse_xml, read_capped_file, unsafe_member_reason

from ..errors import InputError


@dataclass
class _Project:
    path: Path
    root: Element
    xml_name: str                                   # member or file name, for messages
    read_member: Callable[[str], bytes | None]      # internal path -> bytes, None when absent
    notes: list[str] = field(default_factory=list)


def _pick_qde(names: list[str], path: Path) -> str:
    qdes = [n for n in names if n.lower().endswith(".qde")]
    if not qdes:
        raise InputError.one(path, "no project XML (.qde) in the archive",
                             "export the project again as REFI-QDA (.qdpx) from the QDA program")
    # The shallowest wins; project.qde before other names; then alphabetical.
    qdes.sort(key=lambda n: (n.count("/"), n.rsplit("/", 1)[-1].lower() != "project.qde", n))
    return qdes[0]


def _member_candidates(internal: str, qde_folder: str) -> list[str]:
    """Where a source named ``internal`` may be, most likely first (lower case)."""
    internal = internal.lstrip("/")
    out = []
    for folder in dict.fromkeys([qde_folder, ""]):
        out += [f"{folder}sources/{internal}", f"{folder}{internal}"]
    return [o.lower() for o in out]


def _internal_name(reference: str) -> str | None:
    """The path inside the project that a plainTextPath names, or None when it
    points outside the project (absolute paths)."""
    ref = reference.strip()
    low = ref.lower()
    if low.startswith("internal://"):
        return ref[len("internal://"):]
    if low.startswith("relative://"):
        return ref[len("relative://"):].lstrip("/")
    if low.startswith(("absolute://", "file://")) or re.match(r"^[a-z][a-z0-9+.-]*://", low):
        return None
    return ref


class _opened:
    """Context manager giving a ``_Project`` for a .qdpx (zip) or a bare .qde."""

    def __init__(self, path: Path, limits: Limits):
        self.path, self.limits, self.zip = Path(path), limits, None

    def __enter__(self) -> _Project:
        path = self.path
        if not path.is_file():
            raise InputError.one(path, "file not found", "check the path in study.yml 'codings:'")
        head = path.read_bytes()[:4] if path.stat().st_size else b""
        if head.startswith(b"PK") or path.suffix.lower() == ".qdpx":
            self.zip = SafeZip(path, self.limits)
            try:
                return self._from_zip()
            except BaseException:
                self.zip.close()
                raise
        return self._from_file()

    def __exit__(self, *exc) -> None:
        if self.zip is not None:
            self.zip.close()

    def _from_zip(self) -> _Project:
        z = self.zip
        xml_name = _pick_qde(z.names, self.path)
        root = parse_xml(z.read(xml_name), self.path, xml_name)
        folder = xml_name.rsplit("/", 1)[0] + "/" if "/" in xml_name else ""
        by_lower = {}
        for name in sorted(z.names):
            by_lower.setdefault(name.lower(), name)

        def read_member(internal: str) -> bytes | None:
            if unsafe_member_reason(internal):
                raise InputError.one(self.path, f"a source path escapes the project ({internal[:80]!r})",
                                     "refused for safety: export the project again from the QDA program")
            for candidate in _member_candidates(internal, folder):
                if candidate in by_lower:
                    return z.read(by_lower[candidate])
            return None

        project = _Project(self.path, root, xml_name, read_member)
        if len([n for n in z.names if n.lower().endswith(".qde")]) > 1:
            project.notes.append(f"{self.path.name}: several .qde files in the archive; read {xml_name}")
        return project

    def _from_file(self) -> _Project:
        path = self.path
        root = parse_xml(read_capped_file(path, self.limits.max_total_bytes), path)
        folder = path.parent.resolve()

        def read_member(internal: str) -> bytes | None:
            if unsafe_member_reason(internal):
                raise InputError.one(path, f"a source path escapes the project folder ({internal[:80]!r})",
                                     "refused for safety: sources must sit in Sources/ beside the .qde")
            for sub in ("Sources", "sources", ""):
                candidate = (folder / sub / internal.lstrip("/")).resolve()
                if candidate.is_file() and candidate.is_relative_to(folder):
                    return read_capped_file(candidate, self.limits.max_total_bytes)
            return None

        return _Project(path, root, path.name, read_member)


def _decode_source(data: bytes, file: Path, where: str) -> str:
    """Source texts are UTF-8 (REFI-QDA §8); a byte-order mark is dropped,
    which is also what NVivo's positions count from."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.one(file, f"source text is not UTF-8 (byte {exc.start})",
                             "export the project again; REFI-QDA source texts are UTF-8", where) from None
