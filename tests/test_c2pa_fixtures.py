"""A peer's fixtures (issue 19): public C2PA test files from the C2PA organisation and the
c2pa-rs and c2pa-python repositories (tests/fixtures/c2pa/SOURCES), read by aigate through
the real CLI, and by c2pa-python directly as the reference; the two must agree, with and
without the test trust anchors the fixtures ship."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT, clip, timeline, write

FIXTURES = ROOT / "tests" / "fixtures" / "c2pa"
ANCHORS = FIXTURES / "test_cert_root_bundle.pem"
#: what c2pa-python says of each file (without anchors, with the test anchors); "error" is a
#: file the SDK refuses to read offline, None a file without Content Credentials
EXPECTED: dict[str, tuple[str | None, str | None]] = {
    "C.jpg": ("Valid", "Trusted"),
    "C_with_CAWG_data.jpg": ("Valid", "Valid"),
    "XCA.jpg": ("Invalid", "Invalid"),
    "E-sig-CA.jpg": ("Invalid", "Invalid"),
    "adobe-20220124-E-uri-CA.jpg": ("Invalid", "Invalid"),
    "no_manifest.jpg": (None, None),
    "ocsp.jpg": ("Valid", "Valid"),
    "libpng-test_with_url.png": ("error", "error"),
    "cloud.jpg": ("error", "error"),
    "no_alg.jpg": ("error", "error"),
}
FAILURE = {"XCA.jpg": "assertion.dataHash.mismatch", "E-sig-CA.jpg": "claimSignature.mismatch",
           "adobe-20220124-E-uri-CA.jpg": "assertion.hashedURI.mismatch"}
MANIFEST_RULES = {"manifest-invalid", "manifest-unverifiable"}


def reference(path: Path, anchors: str | None) -> tuple[str | None, str]:
    """c2pa-python's own answer: (validation state, or "error", or None; detail). Remote
    fetching is off here too: the reference must not reach the network either."""
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False,
                                           "ocsp_fetch": False},
                                "core": {"allowed_network_hosts": []}}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors}
    context = c2pa.Context(c2pa.Settings.from_dict(settings))
    try:
        with c2pa.Reader(str(path), context=context) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return None, ""
    except c2pa.C2paError as exc:
        return "error", str(exc)
    return store["validation_state"], json.dumps(store)


def test_fixtures_are_the_recorded_bytes():
    spec = importlib.util.spec_from_file_location("c2pa_fixtures_refetch",
                                                  FIXTURES / "refetch.py")
    assert spec is not None and spec.loader is not None
    refetch = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = refetch  # its dataclass resolves its module by name
    spec.loader.exec_module(refetch)
    listed = {s.file for s in refetch.sources(FIXTURES / "SOURCES")}
    assert listed == {*EXPECTED, ANCHORS.name}
    assert refetch.check(FIXTURES) == []
    assert sum((FIXTURES / f).stat().st_size for f in listed) < 3 * 1024 * 1024


@pytest.mark.parametrize("anchored", [False, True], ids=["no-anchors", "test-anchors"])
def test_c2pa_python_says_what_the_fixture_is(anchored):
    anchors = ANCHORS.read_text() if anchored else None
    got = {name: reference(FIXTURES / name, anchors)[0] for name in EXPECTED}
    assert got == {name: states[anchored] for name, states in EXPECTED.items()}


@pytest.mark.parametrize("anchored", [False, True], ids=["no-anchors", "test-anchors"])
def test_aigate_agrees_with_c2pa_python(cli, tmp_path, anchored):
    (tmp_path / "media").mkdir()
    clips = []
    for name in EXPECTED:
        (tmp_path / "media" / name).write_bytes((FIXTURES / name).read_bytes())
        clips.append(clip(Path(name).stem, 2, url=f"media/{name}"))
    config = "show: PEERS\n"
    if anchored:
        (tmp_path / "anchors.pem").write_bytes(ANCHORS.read_bytes())
        config += "c2pa: {trust_anchors: anchors.pem}\n"
    (tmp_path / "aigate.yaml").write_text(config)
    path = write(tmp_path / "peers.otio", timeline(clips))
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1, run.err
    got = {i["clip"]: i for s in run.json["subjects"] for i in s["items"]}
    anchors = ANCHORS.read_text() if anchored else None
    for name in EXPECTED:
        state, detail = reference(FIXTURES / name, anchors)
        entry = got[Path(name).stem]
        rules = {f["rule"]: f["severity"] for f in entry["findings"]}
        c2pa = [e for e in entry["evidence"] if e.startswith("c2pa ")]
        if state is None:
            assert c2pa == [] and entry["verdict"] == "pass", name
        elif state == "Trusted":
            assert c2pa == ["c2pa (trusted): Trusted"], name
            assert not MANIFEST_RULES & set(rules), name
        elif state == "Valid":
            assert c2pa[0].startswith("c2pa (valid): Valid ("), name
            assert not MANIFEST_RULES & set(rules), name
        elif state == "Invalid":
            assert c2pa[0].startswith("c2pa (invalid): Invalid ("), name
            assert FAILURE[name] in c2pa[0] and FAILURE[name] in detail, name
            assert rules["manifest-invalid"] == "lock", name
        else:
            assert state == "error", name
            assert c2pa[0].startswith("c2pa (unverifiable): "), name
            assert rules["manifest-unverifiable"] == "lock", name
            remote = re.search(r"from url (\S+)", detail)
            if remote:  # the SDK names the URL it was told not to fetch
                host = re.sub(r"^https?://([^/]+).*$", r"\1", remote.group(1))
                assert c2pa[0] == f"c2pa (unverifiable): remote manifest at {host}, not fetched"
    genai = got["ocsp"]
    assert genai["ai"] is True
    unvetted = next(f for f in genai["findings"] if f["rule"] == "tool-unvetted")
    assert "Adobe Firefly" in unvetted["message"]
    assert got["no_alg"]["evidence"][0].endswith("unknown algorithm")
