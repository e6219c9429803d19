"""Provenance that cannot be read is not "no provenance" (issue 11), and reading media never
touches the network (issue 19): real signed media made offline, then damaged, pointed at a
listener, or built with several actions; checked through the real CLI."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aigate_c2pa.store import claim_from_store
from helpers import clip, run_process, timeline, write
from mediakit import (
    CAPTURE,
    TRAINED,
    appended,
    cut_tail,
    empty_c2pa_chunk,
    flipped_in_manifest,
    sign,
    sign_manifest,
    signing_kit,
    sound,
    still,
    video,
    without_signature,
    xmp_packet,
)

MANIFEST_RULES = {"manifest-invalid", "manifest-unverifiable"}
DAMAGE = {"APPENDED": appended, "CUT": cut_tail, "FLIPPED": flipped_in_manifest,
          "NOSIG": without_signature}


@pytest.fixture(scope="module")
def kit():
    return signing_kit()


def cut_of(folder: Path, media: dict[str, Path], config: str = "show: TRUST\n") -> Path:
    """A timeline in ``folder`` whose clips (named by ``media``'s keys) use those files."""
    (folder / "media").mkdir(parents=True, exist_ok=True)
    (folder / "aigate.yaml").write_text(config)
    clips = []
    for name, source in media.items():
        target = folder / "media" / f"{name}{source.suffix}"
        target.write_bytes(source.read_bytes())
        clips.append(clip(name, 2, url=f"media/{target.name}"))
    return write(folder / f"{folder.name}.otio", timeline(clips))


def items(run) -> dict[str, dict]:
    return {i["clip"]: i for s in run.json["subjects"] for i in s["items"]}


def rules(entry: dict) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in entry["findings"]}


# -- issue 11: damaged Content Credentials are a finding, never a pass ------------------------

@pytest.mark.parametrize("make,suffix", [(still, ".jpg"), (still, ".png"), (video, ".mp4"),
                                         (sound, ".wav")])
def test_damaged_credentials_lock_at_review_and_final(cli, tmp_path, kit, make, suffix):
    plain = make(tmp_path / "src" / f"plain{suffix}")
    genai = sign(plain, tmp_path / "src" / f"genai{suffix}", kit)
    media = {"INTACT": sign(plain, tmp_path / "src" / f"camera{suffix}", kit,
                            source_type=CAPTURE, tool="CamApp")}
    for name, damage in DAMAGE.items():
        media[name] = damage(genai, tmp_path / "src" / f"{name.lower()}{suffix}")
    path = cut_of(tmp_path / "show", media)
    for stage in ("review", "final"):
        run = cli("check", path, "--stage", stage, "--format", "json")
        assert run.code == 1, run.err
        got = items(run)
        assert got["INTACT"]["verdict"] == "pass"
        for name in DAMAGE:
            found = rules(got[name])
            fired = MANIFEST_RULES & set(found)
            assert fired and all(found[r] == "lock" for r in fired), (name, found)
            assert got[name]["verdict"] == "lock"
            label = got[name]["evidence"][0]
            assert label.startswith(("c2pa (invalid): Invalid (", "c2pa (unverifiable): ")), label
    edit = cli("check", path, "--stage", "edit", "--format", "json")
    assert edit.code == 0  # the same findings warn while editing
    assert all(items(edit)[name]["verdict"] == "warn" for name in DAMAGE)


def test_cut_or_padded_movie_is_unverifiable_not_unsigned(cli, tmp_path, kit):
    genai = sign(video(tmp_path / "src" / "plain.mp4"), tmp_path / "src" / "genai.mp4", kit)
    path = cut_of(tmp_path / "show", {
        "CUT": cut_tail(genai, tmp_path / "src" / "cut.mp4"),
        "PADDED": appended(genai, tmp_path / "src" / "padded.mp4")})
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    for name in ("CUT", "PADDED"):
        entry = items(run)[name]
        assert rules(entry) == {"manifest-unverifiable": "lock"}
        assert entry["evidence"] == [
            "c2pa (unverifiable): ISO BMFF C2PA uuid box present but unreadable: Other: asset "
            "could not be parsed: Box size extends beyond asset bounds"]
        assert "cannot be verified" in entry["findings"][0]["message"]


def test_removed_signature_is_unverifiable(cli, tmp_path, kit):
    genai = sign(still(tmp_path / "src" / "plain.jpg"), tmp_path / "src" / "genai.jpg", kit)
    path = cut_of(tmp_path / "show", {"NOSIG": without_signature(
        genai, tmp_path / "src" / "nosig.jpg")})
    for stage in ("review", "final"):
        run = cli("check", path, "--stage", stage, "--format", "json")
        assert run.code == 1
        entry = items(run)["NOSIG"]
        assert rules(entry) == {"manifest-unverifiable": "lock"}
        assert entry["evidence"][0].startswith(
            "c2pa (unverifiable): JPEG APP11 C2PA JUMBF present but unreadable: Signature: ")


def test_container_that_looks_signed_but_yields_nothing_is_suspicious(cli, tmp_path):
    plain = still(tmp_path / "src" / "plain.png")
    path = cut_of(tmp_path / "show", {
        "PLAIN": plain, "HOLLOW": empty_c2pa_chunk(plain, tmp_path / "src" / "hollow.png")})
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    got = items(run)
    assert got["PLAIN"]["verdict"] == "pass" and got["PLAIN"]["evidence"] == []
    assert rules(got["HOLLOW"]) == {"manifest-unverifiable": "lock"}
    assert got["HOLLOW"]["evidence"] == [
        "c2pa (unverifiable): PNG caBX chunk present, but the SDK finds no manifest store in "
        "it (ManifestNotFound: no JUMBF data found)"]


@pytest.mark.parametrize("sidecar,message", [
    (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", "not well-formed XML"),
    (b"<html><body>not XMP</body></html>", "not an XMP packet (root element 'html')"),
    (b"\xff\xfe\x00\x01binary", "not well-formed XML"),
])
def test_unparseable_xmp_sidecar_is_a_finding(cli, tmp_path, sidecar, message):
    path = cut_of(tmp_path / "show", {"SH010": still(tmp_path / "src" / "plain.jpg")})
    (tmp_path / "show" / "media" / "SH010.xmp").write_bytes(sidecar)
    for stage, code, severity in (("edit", 0, "warn"), ("review", 1, "lock"),
                                  ("final", 1, "lock")):
        run = cli("check", path, "--stage", stage, "--format", "json")
        assert run.code == code
        entry = items(run)["SH010"]
        assert rules(entry) == {"provenance-malformed": severity}
        assert message in entry["findings"][0]["message"]
        assert "XMP sidecar SH010.xmp" in entry["findings"][0]["message"]


def test_embedded_xmp_cut_off_is_a_finding_and_bare_rdf_is_read(cli, tmp_path):
    plain = still(tmp_path / "src" / "plain.jpg").read_bytes()

    def with_xmp(name: str, packet: bytes) -> Path:
        payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
        segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        target = tmp_path / "src" / name
        target.write_bytes(plain[:2] + segment + plain[2:])
        return target

    full = xmp_packet(TRAINED).encode()
    bare = full[full.index(b"<rdf:RDF"):full.index(b"</x:xmpmeta>")]
    path = cut_of(tmp_path / "show", {
        "CUTOFF": with_xmp("cutoff.jpg", full[:len(full) // 2]),
        "BARE": with_xmp("bare.jpg", bare)})
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    got = items(run)
    assert rules(got["CUTOFF"]) == {"provenance-malformed": "lock"}
    assert "has no end (cut off or damaged)" in got["CUTOFF"]["findings"][0]["message"]
    assert got["BARE"]["ai"] is True  # an rdf:RDF packet without x:xmpmeta is XMP too


# -- issue 19: offline, always -------------------------------------------------------------

@dataclass
class Listener:
    """A loopback TCP listener that records connections and never answers; it stops by
    itself after ``life`` seconds (or when the test ends)."""

    life: float = 120.0
    seen: list[tuple[str, int]] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/manifests/clip.c2pa"

    def _serve(self) -> None:
        deadline = time.monotonic() + self.life
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                connection, address = self._socket.accept()
            except TimeoutError:
                continue
            self.seen.append(address)
            self._held.append(connection)  # held open, never answered
        for connection in self._held:
            connection.close()
        self._socket.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.stop()


def remote_cuts(tmp_path: Path, kit, url: str, count: int = 2) -> list[Path]:
    """``count`` timelines, each with a clip whose manifest lives only at ``url``."""
    plain = still(tmp_path / "src" / "plain.jpg")
    remote = sign(plain, tmp_path / "src" / "remote.jpg", kit, remote_url=url)
    return [cut_of(tmp_path / "shows" / f"reel{n}", {f"R{n}": remote, "PLAIN": plain})
            for n in range(count)]


def assert_remote_finding(run, host: str) -> None:
    for entry in (i for s in run.json["subjects"] for i in s["items"]):
        if entry["clip"] == "PLAIN":
            assert entry["verdict"] == "pass"
            continue
        assert entry["evidence"] == [f"c2pa (unverifiable): remote manifest at {host}, "
                                     "not fetched"]
        assert rules(entry) == {"manifest-unverifiable": "lock"}


def test_remote_manifest_is_not_fetched_and_is_a_finding(cli, tmp_path, kit, listener):
    [path] = remote_cuts(tmp_path, kit, listener.url, count=1)
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    assert_remote_finding(run, f"127.0.0.1:{listener.port}")
    edit = cli("check", path, "--stage", "edit", "--format", "json")
    assert edit.code == 0 and rules(items(edit)["R0"]) == {"manifest-unverifiable": "warn"}
    assert listener.seen == []


@pytest.mark.parametrize("executor", [["--jobs", "2"], ["--executor", "dask", "--jobs", "1"]],
                         ids=["forked-workers", "dask-workers"])
def test_workers_read_offline_too(tmp_path, kit, listener, executor):
    paths = remote_cuts(tmp_path, kit, listener.url)
    run = run_process("check", *paths, "--stage", "final", "--format", "json", *executor,
                      env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert run.code == 1, run.err
    assert len(run.json["subjects"]) == 2
    assert_remote_finding(run, f"127.0.0.1:{listener.port}")
    assert listener.seen == []


# -- issue 19: the tool is the one that generated -------------------------------------------

def edited_by_genai(tmp_path: Path, kit, *, agent: bool = True) -> Path:
    """A still whose active manifest opens a parent (no agent) and then edits it with a
    generative tool (``EditGen`` when ``agent``); the parent was created by ``OriginGen``."""
    plain = still(tmp_path / "src" / "plain.jpg")
    parent = sign(plain, tmp_path / "src" / "parent.jpg", kit, tool="OriginGen", version="1")
    edited: dict[str, object] = {"action": "c2pa.edited", "digitalSourceType": TRAINED}
    if agent:
        edited["softwareAgent"] = {"name": "EditGen", "version": "2"}
    manifest = {"claim_generator_info": [{"name": "SuiteApp", "version": "9"}],
                "title": "edited.jpg",
                "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
                    {"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}},
                    edited]}}]}
    return sign_manifest(plain, tmp_path / "src" / "edited.jpg", kit, manifest, parent=parent)


def test_tool_is_the_agent_of_the_generative_action(cli, tmp_path, kit):
    path = cut_of(tmp_path / "show", {"SH010": edited_by_genai(tmp_path, kit)})
    run = cli("check", path, "--stage", "final", "--format", "json")
    entry = items(run)["SH010"]
    assert entry["ai"] is True
    unvetted = next(f for f in entry["findings"] if f["rule"] == "tool-unvetted")
    assert "tool EditGen 2 is not on the policy's vetted tools list" in unvetted["message"]
    assert "SuiteApp" not in str(entry) and "OriginGen" not in str(entry)
    # vetting the generating tool clears the rule: the gate judged the right tool
    (tmp_path / "show" / "pack.yaml").write_text(
        "aigate_policy: 1\nname: vetted\nextends: netflix-genai\n"
        "vetted_tools: [{name: EditGen, enterprise: true}]\n")
    (tmp_path / "show" / "aigate.yaml").write_text("show: TRUST\npolicy: pack.yaml\n")
    vetted = items(cli("check", path, "--stage", "final", "--format", "json"))["SH010"]
    assert "tool-unvetted" not in rules(vetted)


def test_generative_action_without_agent_takes_the_ingredients_tool(cli, tmp_path, kit):
    path = cut_of(tmp_path / "show", {"SH010": edited_by_genai(tmp_path, kit, agent=False)})
    entry = items(cli("check", path, "--stage", "final", "--format", "json"))["SH010"]
    unvetted = next(f for f in entry["findings"] if f["rule"] == "tool-unvetted")
    assert "tool OriginGen 1 is not on the policy's vetted tools list" in unvetted["message"]
    assert "SuiteApp" not in str(entry)


def test_unknown_validation_state_fails_closed():
    store = {"manifests": {"m": {"assertions": []}}, "active_manifest": "m",
             "validation_state": "Pending"}
    claim = claim_from_store(store)
    assert claim.validation == "Unverifiable"
    assert claim.evidence == ("c2pa (unverifiable): validation state 'Pending' is not Trusted, "
                              "Valid or Invalid")


def test_without_the_sdk_signed_media_is_unverifiable_not_clean(tmp_path, kit):
    plain = still(tmp_path / "src" / "plain.jpg")
    path = cut_of(tmp_path / "show", {
        "SIGNED": sign(plain, tmp_path / "src" / "signed.jpg", kit), "PLAIN": plain})
    shadow = tmp_path / "shadow"  # c2pa-python cannot be imported in this process
    shadow.mkdir()
    (shadow / "c2pa.py").write_text("raise ImportError('c2pa-python is not installed')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = run_process("check", path, "--stage", "final", "--format", "json", env=env)
    assert run.code == 1, run.err
    assert "c2pa-python is not installed" in run.err
    got = items(run)
    assert got["PLAIN"]["verdict"] == "pass"
    assert rules(got["SIGNED"]) == {"manifest-unverifiable": "lock"}
    assert got["SIGNED"]["evidence"][0].startswith(
        "c2pa (unverifiable): JPEG APP11 C2PA JUMBF present, not verified: c2pa-python is "
        "not installed")


def _read_in_forked_child(path: str) -> tuple[str, bool]:
    import c2pa

    from aigate_c2pa import read_claim
    from aigate_c2pa.offline import _context, reader_context

    claim = read_claim(c2pa, Path(path), None)
    inherited = _context(c2pa, os.getppid(), None)  # the parent's, copied by fork
    return (claim.evidence if claim else ""), reader_context(c2pa, None) is not inherited


def test_a_forked_process_builds_its_own_offline_context(tmp_path, kit, listener):
    import multiprocessing

    import c2pa

    from aigate_c2pa.offline import reader_context

    remote = sign(still(tmp_path / "plain.jpg"), tmp_path / "remote.jpg", kit,
                  remote_url=listener.url)
    reader_context(c2pa, None)  # the parent has one before it forks
    with multiprocessing.get_context("fork").Pool(1) as pool:
        evidence, own = pool.apply(_read_in_forked_child, (str(remote),))
    assert own is True
    assert evidence == (f"c2pa (unverifiable): remote manifest at 127.0.0.1:{listener.port}, "
                        "not fetched")
    assert listener.seen == []
