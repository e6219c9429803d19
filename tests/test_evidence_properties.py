"""Property tests of how a signed record names what it rests on: DSSE base64 in either
alphabet, padded or not, decodes to the same bytes (and nothing else decodes); a path under
the show root is named relatively and found again under any other root."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigate.output.evidence import Root, b64decode


@given(st.binary(min_size=1, max_size=200), st.booleans(), st.booleans())
def test_either_base64_alphabet_padded_or_not_decodes_the_same(data: bytes, urlsafe: bool,
                                                               padded: bool) -> None:
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    assert b64decode(text if padded else text.rstrip("=")) == data


@given(st.text(alphabet="!@#$%^&*()<>?,.;:'\"[]{}|\\ ", min_size=1, max_size=20))
def test_text_that_is_not_base64_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        b64decode(text)
    with pytest.raises(ValueError):
        b64decode("   ")


@given(st.lists(st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=12)
                .filter(lambda p: p not in (".", "..") and p.strip() == p),
                min_size=1, max_size=5))
def test_a_path_under_the_root_is_named_relatively_and_found_under_another(
        parts: list[str]) -> None:
    here, there = Path("/studio/site-a/show"), Path("/elsewhere/b/show")
    named = Root(here).name(here.joinpath(*parts))
    assert named is not None and not named.startswith("/")
    assert Root(there).path(named) == there.joinpath(*parts)
    outside = Root(here).name(Path("/other").joinpath(*parts))
    assert outside == str(Path("/other").joinpath(*parts))  # outside the show: as it is
