"""Property-based tests of how approval scopes identify clips, of blanket globs and of the
monotone merge (issue 11)."""

from __future__ import annotations

import dataclasses
import tempfile

from hypothesis import configuration, given, settings
from hypothesis import strategies as st

from aigate.config import globs
from aigate.core.approvals import ClipIdentity, Scope, identity
from aigate.core.media import Media
from aigate.core.provenance import _CONCERN, INPUTS, PURPOSES, ROLES, TALENT_USES, merge
from aigate.model import Claim, TalentUse, Tool, Trust

# hypothesis keeps its caches outside the repository
configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="aigate-hypothesis-"))

DIGESTS = [c * 64 for c in "0123456789abcdef"[:4]]
ASSETS = ["NF-1", "NF-2", "NF-3"]
GLOB_TEXT = st.text(alphabet="*?[]!/ab.-_Sx", max_size=6)

digests = st.none() | st.sampled_from(DIGESTS)
#: no example database: tests write nothing into the repository
NO_DATABASE = settings(database=None)


@st.composite
def clips(draw: st.DrawFn) -> ClipIdentity:
    digest = draw(digests)
    return ClipIdentity(
        clip=draw(st.text(max_size=12)),
        media=draw(st.none() | st.text(max_size=16)),
        asset_ids=tuple(draw(st.lists(st.sampled_from(ASSETS), max_size=2, unique=True))),
        claimed_asset_id=draw(st.none() | st.sampled_from(ASSETS)),
        hasher=lambda: digest, media_note=draw(st.sampled_from(["", "not found: x"])))


@st.composite
def scopes(draw: st.DrawFn, sha256: bool = False, assets: bool = False) -> Scope:
    return Scope(
        clips=tuple(draw(st.lists(GLOB_TEXT, max_size=3))),
        media=tuple(draw(st.lists(GLOB_TEXT, max_size=3))),
        asset_ids=tuple(draw(st.lists(st.sampled_from(ASSETS), min_size=assets,
                                      max_size=2))),
        media_sha256=tuple(draw(st.lists(st.sampled_from(DIGESTS), min_size=sha256,
                                         max_size=2))))


@NO_DATABASE
@given(clips(), scopes(sha256=True))
def test_a_record_pinning_sha256_covers_only_that_media(clip, scope):
    covered, by = scope.match(clip, None, None)
    assert covered == (clip.sha256() is not None and clip.sha256() in scope.media_sha256)
    assert not covered or by == "media sha256"


@NO_DATABASE
@given(clips(), scopes(assets=True))
def test_a_record_pinning_asset_ids_covers_only_trusted_asset_ids_it_lists(clip, scope):
    scope = dataclasses.replace(scope, media_sha256=())
    covered, by = scope.match(clip, None, None)
    assert covered == (bool(clip.asset_ids) and set(clip.asset_ids) <= set(scope.asset_ids))
    assert not covered or by == "asset id"


@NO_DATABASE
@given(clips(), scopes(), st.text(max_size=12), st.none() | st.text(max_size=16),
       st.none() | st.sampled_from(ASSETS))
def test_a_strong_pin_makes_name_path_and_claimed_asset_id_irrelevant(
        clip, scope, name, media, claimed):
    other = dataclasses.replace(clip, clip=name, media=media, claimed_asset_id=claimed)
    if scope.media_sha256 or scope.asset_ids:
        covered, by = scope.match(clip, None, None)
        assert scope.match(other, None, None)[0] == covered
        assert not covered or by == scope.match(other, None, None)[1]
    # and a claimed asset id never decides, whatever the scope pins
    assert scope.match(clip, None, None)[0] == scope.match(
        dataclasses.replace(clip, claimed_asset_id=claimed), None, None)[0]


claims = st.builds(
    Claim, source=st.sampled_from(["clip metadata", "ledger", "c2pa", "xmp sidecar"]),
    trust=st.sampled_from(list(Trust)), generated=st.booleans(),
    tool=st.none() | st.builds(Tool, name=st.sampled_from(["Firefly", "LeakyGen"])),
    purpose=st.none() | st.sampled_from(PURPOSES), role=st.none() | st.sampled_from(ROLES),
    inputs=st.lists(st.sampled_from(INPUTS), max_size=2).map(tuple),
    talent=st.lists(st.builds(TalentUse, name=st.sampled_from(["Ray", "Ann"]),
                              use=st.sampled_from(TALENT_USES)), max_size=2).map(tuple),
    depicts_real_events=st.booleans(), asset_id=st.none() | st.sampled_from(ASSETS),
    declaration=st.booleans())


@NO_DATABASE
@given(st.lists(claims, max_size=4))
def test_only_trusted_claims_give_a_clip_an_asset_id(found):
    clip = identity("SH1", Media("media/SH1.mov", "ok"), found, lambda media: None)
    assert set(clip.asset_ids) == {c.asset_id for c in found
                                   if c.asset_id and c.trust is Trust.TRUSTED}
    covered, _ = Scope(asset_ids=tuple(ASSETS)).match(clip, None, None)
    assert covered == any(c.asset_id and c.trust is Trust.TRUSTED for c in found)


def concern(value: str | None, field: str) -> int:
    return -1 if value is None else _CONCERN[field][value]


@NO_DATABASE
@given(st.lists(claims, max_size=4), claims)
def test_no_source_can_erase_a_concern_another_states(found, extra):
    before, after = merge(found), merge([*found, extra])
    assert after.ai >= before.ai and after.depicts_real_events >= before.depicts_real_events
    assert set(before.inputs) <= set(after.inputs)
    assert set(before.talent) <= set(after.talent)
    assert set(before.problems) <= set(after.problems)
    for field in ("purpose", "role"):
        assert concern(getattr(after, field), field) >= concern(getattr(before, field), field)
    # every tool any claim names stays among the claims the rules judge
    assert {c.tool for c in before.claims} <= {c.tool for c in after.claims}


WILDCARDS = st.lists(st.sampled_from(["*", "**", "?"]), min_size=1, max_size=5).filter(
    lambda parts: parts.count("?") <= 1 and parts != ["?"]).map("".join)


@NO_DATABASE
@given(WILDCARDS)
def test_wildcards_alone_are_blankets_however_spelled(pattern):
    assert globs.blanket(pattern, globs.CLIPS)
    assert globs.blanket(pattern, globs.MEDIA)


@settings(max_examples=60, database=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=3,
               max_size=8), st.sampled_from(["{}*", "*{}", "*{}*", "**/{}*", "{}/**"]))
def test_a_glob_that_names_something_is_not_a_blanket(word, form):
    pattern = form.format(word)
    kind = globs.MEDIA if "/" in pattern else globs.CLIPS
    assert not globs.blanket(pattern, kind)
    assert not globs.blanket(form.format(word).replace("/", ""), globs.CLIPS)
