"""The one submit loop both runners share: input order, a bounded window, nothing lost."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from aigate.model import CheckedFile, FailedFile, InputProblem
from aigate.run.parallel import windowed


@given(st.integers(0, 40), st.integers(1, 8), st.sets(st.integers(0, 39)))
def test_outcomes_stream_in_input_order_with_a_bounded_window(count, width, broken):
    files = [Path(f"cut{i}.otio") for i in range(count)]
    in_flight: set[Path] = set()
    widest = 0
    progress: list[tuple[int, int, Path]] = []

    def submit(path):
        nonlocal widest
        in_flight.add(path)
        widest = max(widest, len(in_flight))
        return path

    def collect(path, future, pending):
        in_flight.discard(future)
        number = int(path.stem[3:])
        yield path, (FailedFile(str(path), InputProblem(str(path), "bad")) if number in broken
                     else CheckedFile(str(path), ()))

    outcomes = list(windowed(files, width, submit, collect,
                             lambda done, total, path: progress.append((done, total, path))))
    assert [o.path for o in outcomes] == [str(f) for f in files]
    assert {o.path for o in outcomes if isinstance(o, FailedFile)} == {
        str(f) for f in files if int(f.stem[3:]) in broken}
    assert widest <= width
    assert progress == [(i + 1, count, f) for i, f in enumerate(files)]


def test_a_stopped_run_abandons_what_is_in_flight():
    files = [Path(f"cut{i}.otio") for i in range(10)]
    abandoned: list[Path] = []

    def collect(path, future, pending):
        yield path, CheckedFile(str(path), ())

    stream = windowed(files, 3, lambda path: path, collect, lambda *a: None,
                      abandon=abandoned.append)
    next(stream)
    stream.close()  # the reader stopped (Ctrl-C, a broken pipe)
    assert abandoned == files[1:3]  # three submitted, one answered
