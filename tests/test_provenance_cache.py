"""The provenance cache cannot be fooled, and cannot break a check (issue 11): its key holds
what a user cannot put back (inode, ctime), a decision resting on a sha256 at the final
stage reads the file itself, and a damaged cache is a miss."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from test_approval_identity import DIGEST
from test_approvals import Legal

from helpers import ai, clip, movie_bytes, timeline, write
from mediakit import TRAINED, xmp_packet


@pytest.fixture
def legal(tmp_path: Path, cli) -> Legal:
    legal = Legal(tmp_path, cli)
    with (tmp_path / "aigate.yaml").open("a") as config:
        config.write("cache: cache.sqlite\n")
    legal.approval(scope=f"{{media_sha256: [{DIGEST}]}}")
    return legal


def sh1(legal: Legal, stage: str) -> dict:
    run = legal.cli("check", legal.cut, "--stage", stage, "--format", "json",
                    "--as-of", "2026-06-01")
    assert run.code in (0, 1), run.out
    return next(i for i in run.json["subjects"][0]["items"] if i["clip"] == "SH1")


def rows(legal: Legal) -> list[tuple]:
    with sqlite3.connect(legal.root / "cache.sqlite") as db:
        return db.execute("SELECT source, path, value FROM claims ORDER BY source").fetchall()


def test_same_size_rewrite_with_its_mtime_put_back_is_not_served_from_the_cache(legal):
    media = legal.root / "media" / "SH1.mov"
    assert sh1(legal, "review")["findings"][0]["approval"] == "APR-1"
    assert "sha256" in {r[0] for r in rows(legal)}  # the approved file's hash is cached
    before = os.stat(media)
    media.write_bytes(movie_bytes(b"swapped  pixels"))  # same size, other content...
    os.utime(media, ns=(before.st_atime_ns, before.st_mtime_ns))  # ...and the old mtime
    after = os.stat(media)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    finding = sh1(legal, "review")["findings"][0]
    assert finding["severity"] == "warn" and finding["approval"] is None
    assert "'APR-1' covers other media (the clip's media sha256 differs)" in finding["message"]


def test_final_stage_reads_the_file_whatever_the_cache_says(legal):
    media = legal.root / "media" / "SH1.mov"
    media.write_bytes(movie_bytes(b"other pixels"))
    sh1(legal, "review")  # caches the true hash of "other pixels"
    with sqlite3.connect(legal.root / "cache.sqlite") as db:  # poisoned: the approved hash
        db.execute("UPDATE claims SET value=? WHERE source='sha256'", (json.dumps(DIGEST),))
    # below final the cache is believed (this is what the poisoned row would buy)...
    assert sh1(legal, "review")["findings"][0]["approval"] == "APR-1"
    # ...but a decision at the final stage rests on the file itself
    finding = sh1(legal, "final")["findings"][0]
    assert finding["severity"] == "lock" and finding["approval"] is None
    assert "covers other media (the clip's media sha256 differs)" in finding["message"]


GARBAGE = ["not json{", "42", '"zzzz"', "[1, 2]", '{"trust": "NOPE"}', "true",
           '{"source": "xmp sidecar", "trust": "CLAIMED", "generated": "no"}',
           '{"source": "xmp sidecar", "trust": "CLAIMED", "talent": [{"name": 1}]}',
           '{"source": "xmp sidecar", "trust": "CLAIMED", "surprise": 1}',
           "[" * 100000 + "]" * 100000]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_malformed_cache_rows_are_misses(legal, garbage):
    (legal.root / "media" / "SH1.xmp").write_text(xmp_packet(TRAINED, "attribute", "Midj"))
    write(legal.cut, timeline([clip("SH1", 2, ai(approvals=["APR-1"]), url="media/SH1.mov"),
                               clip("SH2", 2, url="media/SH1.mov")]))
    first = legal.cli("check", legal.cut, "--stage", "review", "--format", "json",
                      "--as-of", "2026-06-01")
    assert {"sha256", "xmp-sidecar"} <= {r[0] for r in rows(legal)}
    with sqlite3.connect(legal.root / "cache.sqlite") as db:
        db.execute("UPDATE claims SET value=?", (garbage,))
    again = legal.cli("check", legal.cut, "--stage", "review", "--format", "json",
                      "--as-of", "2026-06-01")
    assert (again.code, again.verdicts()) == (first.code, first.verdicts())
    assert again.findings("SH2") == first.findings("SH2")  # the sidecar still says AI
    assert again.json["subjects"][0]["items"][1]["findings"][0]["approval"] == "APR-1"


@pytest.mark.parametrize("column,value", [("size", "'big'"), ("inode", "NULL"),
                                          ("value", "x'00ff'"), ("path", "42")])
def test_cache_rows_of_the_wrong_type_are_misses(legal, column, value):
    assert sh1(legal, "review")["findings"][0]["approval"] == "APR-1"
    with sqlite3.connect(legal.root / "cache.sqlite") as db:
        # one row per source (two rows of one source cannot share a path)
        db.execute(f"UPDATE claims SET {column}={value} WHERE rowid IN "
                   "(SELECT min(rowid) FROM claims GROUP BY source)")
    assert sh1(legal, "review")["findings"][0]["approval"] == "APR-1"


@pytest.mark.parametrize("content", [b"garbage, not a database" * 100,
                                     b"SQLite format 3\x00" + b"\xff" * 4000],
                         ids=["garbage", "damaged-header"])
def test_a_garbage_cache_file_is_skipped(legal, content):
    (legal.root / "cache.sqlite").write_bytes(content)
    for stage in ("review", "final"):
        assert sh1(legal, stage)["findings"][0]["approval"] == "APR-1"


def test_a_cache_of_the_older_schema_is_replaced(legal):
    with sqlite3.connect(legal.root / "cache.sqlite") as db:
        db.execute("CREATE TABLE claims (source TEXT, path TEXT, size INTEGER, "
                   "mtime_ns INTEGER, value TEXT, PRIMARY KEY (source, path))")
        db.execute("PRAGMA user_version=1")
    assert sh1(legal, "review")["findings"][0]["approval"] == "APR-1"
    assert "sha256" in {r[0] for r in rows(legal)}
