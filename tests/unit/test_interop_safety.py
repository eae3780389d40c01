"""A .qdpx is an untrusted zip holding untrusted XML: every attack here is made
in tmp_path by the test itself and must end in a one-line InputError."""
from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest

from helpers.errors import InputError
from helpers.interop.refi import read_qdc, read_qdpx
from helpers.safezip import Limits, SafeZip, unsafe_member_reason

MINIMAL = b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project name="&lol9;"/>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project name="x"><Description>&secret;</Description></Project>"""


def one_line(exc: InputError) -> str:
    text = str(exc)
    assert text.startswith("error: ") and "\n" not in text and " — " in text
    return text


def make_zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


# -- zip slip ------------------------------------------------------------------------------------

@pytest.mark.parametrize("member", ["../evil.txt", "Sources/../../evil.txt", "/etc/evil.txt",
                                    "C:/Windows/evil.txt", "..\\evil.txt"])
def test_zip_slip_member_names_are_refused(tmp_path, member):
    path = make_zip(tmp_path / "slip.qdpx", {"project.qde": MINIMAL, member: b"x"})
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    assert "zip slip" in one_line(info.value)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_member_name_rules():
    # What may name a file outside the folder, and what may not.
    assert unsafe_member_reason("a/../../b") == "a '..' component"
    assert unsafe_member_reason("\\\\server\\share") == "an absolute path"
    assert unsafe_member_reason("Sources/a..b.txt") is None
    assert unsafe_member_reason("Sources/x.txt") is None


def test_source_path_escaping_the_archive_is_refused(tmp_path):
    xml = (b'<Project name="x"><Sources><TextSource guid="C0000000-0000-4000-8000-000000000001" name="a" '
           b'plainTextPath="internal://../../etc/passwd"/></Sources></Project>')
    with pytest.raises(InputError) as info:
        read_qdpx(make_zip(tmp_path / "p.qdpx", {"project.qde": xml}))
    assert "escapes the project" in one_line(info.value)


def test_bare_qde_source_outside_its_folder_is_refused(tmp_path):
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "project.qde").write_bytes(
        b'<Project name="x"><Sources><TextSource guid="C0000000-0000-4000-8000-000000000001" name="a" '
        b'plainTextPath="relative:///../outside.txt"/></Sources></Project>')
    with pytest.raises(InputError) as info:
        read_qdpx(folder / "project.qde")
    assert "escapes the project folder" in one_line(info.value)


def test_bare_qde_does_not_follow_a_symlink_out_of_its_folder(tmp_path):
    (tmp_path / "outside.txt").write_text("P: secret", encoding="utf-8")
    folder = tmp_path / "project"
    (folder / "sources").mkdir(parents=True)
    os.symlink(tmp_path / "outside.txt", folder / "sources" / "a.txt")
    (folder / "project.qde").write_bytes(
        b'<Project name="x"><Sources><TextSource guid="C0000000-0000-4000-8000-000000000001" name="a" '
        b'plainTextPath="internal://a.txt"/></Sources></Project>')
    ext = read_qdpx(folder / "project.qde")
    assert ext.documents == []   # the link's target is outside the folder: not read


# -- zip bombs -------------------------------------------------------------------------------------

def test_high_compression_ratio_is_refused(tmp_path):
    # 8 MB of zeros deflate to about 8 KB: a ratio near 1000, over the default limit of 200.
    path = make_zip(tmp_path / "bomb.qdpx", {"project.qde": MINIMAL, "Sources/a.txt": bytes(8 * 1024 * 1024)})
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    assert "zip bomb" in one_line(info.value) and "expands" in str(info.value)


def test_total_size_over_the_limit_is_refused(tmp_path):
    # Random bytes do not compress (ratio ~1), so only the total trips: 2 MB over a 1 MB limit.
    path = make_zip(tmp_path / "big.qdpx", {"project.qde": MINIMAL, "Sources/a.txt": os.urandom(2 * 1024 * 1024)})
    with pytest.raises(InputError) as info:
        read_qdpx(path, limits=Limits(max_total_bytes=1024 * 1024))
    assert "more than the limit of 1 MB" in one_line(info.value)


def test_too_many_members_is_refused(tmp_path):
    # The default limit is 10,000 members: 10,001 is one too many.
    path = tmp_path / "many.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("project.qde", MINIMAL)
        for i in range(10_000):
            archive.writestr(f"Sources/{i}.txt", b"")
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    assert "10001 members, more than the limit of 10000" in one_line(info.value)


def _patch_sizes(data: bytes, declared: int) -> bytes:
    """Make every header declare ``declared`` uncompressed bytes (a lying zip)."""
    out = bytearray(data)
    i = out.find(b"PK\x03\x04")
    while i != -1:   # local headers: uncompressed size at offset 22
        out[i + 22:i + 26] = struct.pack("<I", declared)
        i = out.find(b"PK\x03\x04", i + 4)
    i = out.find(b"PK\x01\x02")
    while i != -1:   # central directory: uncompressed size at offset 24
        out[i + 24:i + 28] = struct.pack("<I", declared)
        i = out.find(b"PK\x01\x02", i + 4)
    return bytes(out)


def test_member_that_expands_past_its_declared_size_is_refused(tmp_path):
    honest = make_zip(tmp_path / "honest.qdpx", {"project.qde": MINIMAL + b" " * 500_000})
    lying = tmp_path / "lying.qdpx"
    lying.write_bytes(_patch_sizes(honest.read_bytes(), 100))
    with SafeZip(lying) as archive:   # the central directory looks harmless
        with pytest.raises(InputError) as info:
            archive.read("project.qde")
    assert "refused for safety" in one_line(info.value)


def test_encrypted_member_is_refused(tmp_path):
    # Set the "encrypted" bit (0x1) of the general purpose flags in both headers.
    data = bytearray(make_zip(tmp_path / "plain.qdpx", {"project.qde": MINIMAL}).read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    path = tmp_path / "locked.qdpx"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    assert "encrypted" in one_line(info.value)


# -- hostile XML ------------------------------------------------------------------------------------

@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused_in_projects_bare_qde_and_codebooks(tmp_path, xml):
    with pytest.raises(InputError) as info:
        read_qdpx(make_zip(tmp_path / "x.qdpx", {"project.qde": xml}))
    assert "DTD or entities" in one_line(info.value)
    (tmp_path / "x.qde").write_bytes(xml)
    with pytest.raises(InputError) as info:
        read_qdpx(tmp_path / "x.qde")
    assert "DTD or entities" in one_line(info.value)
    (tmp_path / "x.qdc").write_bytes(xml.replace(b"<Project", b"<CodeBook").replace(b"</Project>", b"</CodeBook>"))
    with pytest.raises(InputError) as info:
        read_qdc(tmp_path / "x.qdc")
    assert "DTD or entities" in one_line(info.value)


def test_malformed_xml_names_the_line(tmp_path):
    path = make_zip(tmp_path / "x.qdpx", {"project.qde": b"<Project>\n<Users>\n</Project>"})
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    text = one_line(info.value)
    assert "not well-formed XML" in text and "project.qde:line 3" in text


def test_a_plain_file_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "huge.qde"
    path.write_bytes(MINIMAL + b" " * 2048)
    with pytest.raises(InputError) as info:
        read_qdpx(path, limits=Limits(max_total_bytes=1024))
    assert "more than the limit" in one_line(info.value)
