"""An XML timeline that declares entities is refused with one line saying why, before any
reader expands them (FCP7 XML, FCPXML; the same check the MLT side uses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigate.api import InputError, refuse_xml_entities

CORPUS = Path(__file__).resolve().parent / "corpus"
FCP7 = CORPUS / "OpenTimeline__sample_just_track.xml"
FCPX = CORPUS / "OpenTimeline__fcpx_clips.fcpxml"

DECLARATIONS = {
    "internal": ('<!ENTITY who "Firefly">', "entity &who;"),
    "billion laughs": ('<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                       '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">', "entity &a;"),
    "external file": ('<!ENTITY who SYSTEM "file:///etc/hostname">', "entity &who;"),
    "parameter": ('<!ENTITY % p "x">', "parameter entity %p;"),
}


def with_entities(source: Path, folder: Path, declaration: str, suffix: str) -> Path:
    text = source.read_text(encoding="utf-8")
    root = "xmeml" if suffix == ".xml" else "fcpxml"
    head, body = text.split(f"<{root}", 1)
    head = head.replace(f"<!DOCTYPE {root}>", "")
    # the clip name uses the entity where one is declared for it
    body = body.replace("<name>", "<name>&who;", 1) if "who" in declaration else body
    path = folder / f"cut{suffix}"
    path.write_text(f"{head}<!DOCTYPE {root} [\n{declaration}\n]>\n<{root}{body}",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", list(DECLARATIONS))
@pytest.mark.parametrize("source", [FCP7, FCPX], ids=["fcp7", "fcpx"])
def test_a_document_declaring_entities_is_refused_in_one_line(tmp_path, cli, kind, source):
    declaration, named = DECLARATIONS[kind]
    bad = with_entities(source, tmp_path, declaration, source.suffix)
    good = tmp_path / f"good{source.suffix}"
    good.write_bytes(source.read_bytes())
    run = cli("check", bad, good, "--jobs", "1")
    assert run.code == 2
    [line] = [x for x in run.out.splitlines() if x.startswith("error:")]
    line_number = bad.read_text().splitlines().index(declaration) + 1
    assert line.startswith(f"error: {bad}: refused: line {line_number} declares an XML "
                           f"{named}")
    assert "Traceback" not in run.err and "EntitiesForbidden" not in run.err
    assert "1 checked, 1 failed" in run.out  # the other file is still checked


def test_annotate_refuses_it_and_writes_nothing(tmp_path, cli):
    bad = with_entities(FCP7, tmp_path, DECLARATIONS["internal"][0], ".xml")
    out = tmp_path / "out.otio"
    run = cli("annotate", bad, out)
    assert run.code == 2 and "declares an XML entity &who;" in run.err
    assert not out.exists()


def test_documents_without_declarations_pass_and_any_encoding_is_checked(tmp_path):
    refuse_xml_entities(FCP7)  # a plain DOCTYPE, no subset
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x/>'
    wide = tmp_path / "wide.xml"
    wide.write_bytes(text.encode("utf-16"))
    with pytest.raises(InputError, match="line 2 declares an XML entity &a;"):
        refuse_xml_entities(wide)
    comment = tmp_path / "comment.xml"
    comment.write_text("<x><!-- <!ENTITY a 'b'> is only text here --></x>")
    refuse_xml_entities(comment)
