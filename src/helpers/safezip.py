"""Reading untrusted archives and XML (a .qdpx from anywhere) without risk.

A .qdpx is a zip holding XML and text written by some other program, possibly
crafted. Everything here is refused with a one-line ``InputError`` rather than
trusted:

- zip slip: a member name that is absolute (``/x``, ``C:\\x``, ``\\\\host``) or
  has a ``..`` component. Nothing is ever extracted to disk, but such a name
  only ever comes from a crafted archive, so the whole file is refused;
- zip bombs: more members than ``Limits.max_members``, a declared total
  uncompressed size over ``Limits.max_total_bytes``, or a member whose
  declared size is more than ``Limits.max_ratio`` times its compressed size.
  The declared sizes can lie, so reading streams each member in chunks and
  stops as soon as it passes its declared size or the remaining total budget;
- encrypted members (cannot be read, and nothing legitimate needs them);
- XML with a DTD, entities or external references (billion laughs, XXE):
  parsed with ``defusedxml`` with DTDs forbidden outright.
"""
from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element, ParseError

from helpers.errors import InputError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = 200 * MiB   # all members together, uncompressed
    max_members: int = 10_000
    max_ratio: float = 200.0           # uncompressed / compressed, per member
    ratio_floor_bytes: int = 1 * MiB   # smaller members are not ratio-checked (tiny files compress oddly)
    chunk_bytes: int = 64 * 1024


DEFAULT_LIMITS = Limits()
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
# What a damaged or crafted member raises while being decompressed (bz2 raises OSError).
_CORRUPT = (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, zlib.error, lzma.LZMAError)


def unsafe_member_reason(name: str) -> str | None:
    """Why a member name could escape an extraction folder, or None if it cannot."""
    if "\x00" in name:
        return "a NUL character"
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE_RE.match(unified):
        return "an absolute path"
    if ".." in PurePosixPath(unified).parts:
        return "a '..' component"
    return None


class SafeZip:
    """An untrusted zip, checked from its central directory on opening and
    read member by member into memory with a byte cap."""

    def __init__(self, path: Path | str, limits: Limits = DEFAULT_LIMITS):
        self.path = Path(path)
        self.limits = limits
        self._read_so_far = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError.one(self.path, f"not a readable zip archive ({type(exc).__name__})",
                                 "export the project again from the QDA program (a .qdpx is a zip file)") from None
        try:
            self._check_directory()
        except InputError:
            self._zip.close()
            raise
        self.names = [i.filename for i in self._zip.infolist() if not i.is_dir()]

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def _refuse(self, what: str, where: str | None = None) -> InputError:
        return InputError.one(self.path, what, "refused for safety: export the project again from the QDA program, "
                              "or ask whoever sent it for a clean copy", where)

    def _check_directory(self) -> None:
        infos = self._zip.infolist()
        for info in infos:
            reason = unsafe_member_reason(info.filename)
            if reason:
                raise self._refuse(f"member name with {reason} ({info.filename[:80]!r}) could write outside "
                                   "the extraction folder (zip slip)")
            if info.flag_bits & 0x1:
                raise self._refuse(f"member {info.filename[:80]!r} is encrypted")
        problem = expansion_problem(infos, self.limits)
        if problem:
            raise self._refuse(problem)

    def read(self, name: str) -> bytes:
        """One member's bytes, streamed with a cap: never more than its declared
        size, and never more than what is left of the archive's total budget."""
        info = self._zip.getinfo(name)
        budget = self.limits.max_total_bytes - self._read_so_far
        cap = min(info.file_size, budget)
        chunks, size = [], 0
        try:
            with self._zip.open(info) as member:
                while True:
                    chunk = member.read(self.limits.chunk_bytes)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > cap:
                        raise self._refuse(f"member {name[:80]!r} expands past its declared size or the "
                                           f"{self.limits.max_total_bytes / MiB:.0f} MB limit (zip bomb)")
                    chunks.append(chunk)
        except _CORRUPT as exc:
            raise self._refuse(f"member {name[:80]!r} is corrupt ({type(exc).__name__})") from None
        self._read_so_far += size
        return b"".join(chunks)


def expansion_problem(infos: list[zipfile.ZipInfo], limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why an archive's central directory looks like a zip bomb (too many
    members, a member expanding too many times, too much in all), or None.
    zipfile never reads past a member's declared size (a member that does
    fails its CRC check), so declared sizes bound what reading can cost."""
    if len(infos) > limits.max_members:
        return f"the archive has {len(infos)} members, more than the limit of {limits.max_members}"
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                return (f"member {info.filename[:80]!r} expands {ratio:.0f} times "
                        f"(limit {limits.max_ratio:.0f}): a zip bomb")
    if total > limits.max_total_bytes:
        return (f"the archive expands to {total / MiB:.0f} MB, more than the limit of "
                f"{limits.max_total_bytes / MiB:.0f} MB (zip bomb?)")
    return None


def office_zip_problem(source) -> str | None:
    """``expansion_problem`` for a .docx/.xlsx (a path or bytes); None when it
    is not a zip at all (the Office reader then says it is unreadable)."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            return expansion_problem(archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def read_capped_file(path: Path, limit: int = DEFAULT_LIMITS.max_total_bytes) -> bytes:
    """A plain file's bytes, refused when larger than ``limit``."""
    path = Path(path)
    size = path.stat().st_size
    if size > limit:
        raise InputError.one(path, f"the file is {size / MiB:.0f} MB, more than the limit of {limit / MiB:.0f} MB",
                             "check this is the right file")
    return path.read_bytes()


def parse_xml(data: bytes, file: Path | str, where: str | None = None) -> Element:
    """Parse untrusted XML: no DTD, no entities, no external references.

    Namespaces are dropped from tags and attributes, so that a namespaced and a
    plain REFI-QDA file (or one naming another version) read the same.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError.one(file, f"the XML declares a DTD or entities ({type(exc).__name__}), which REFI-QDA "
                             "files never need", "refused for safety (entity expansion / external entities): "
                             "export the file again from the QDA program", where) from None
    except ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        place = f"{where}:line {line}" if where and line else (f"line {line}" if line else where)
        raise InputError.one(file, f"not well-formed XML ({exc})",
                             "export the file again from the QDA program", place) from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
        if any("}" in key for key in element.attrib):
            element.attrib = {k.rsplit("}", 1)[-1]: v for k, v in element.attrib.items()}
    return root
