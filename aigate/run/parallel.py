"""Checking files on every core, or on a Dask cluster when one machine is not enough.

Both runners stream :class:`~aigate.model.FileOutcome` in input order with a bounded number
of files in flight, so a 10,000-file run never holds every timeline in memory. What a task
needs travels with it: the :class:`~aigate.run.session.Options` (stage, policy, approvals and
config paths as given) and the file path; each worker finds a file's aigate.yaml by walking
up from the file, on its own filesystem, exactly as a local run does. Media are read where
they live: workers need the same mounts (or ``media.remap``).

A worker process that dies mid-file has that file retried once, alone; if it dies again the
file is reported under errors ("the worker checking it died twice"), never silently missing.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.errors import AigateError, InputError, UsageError, describe
from aigate.model import FailedFile, FileOutcome, InputProblem
from aigate.output.report import ReportOptions, rendered
from aigate.run.pinning import Input, compare_plugins, timed_out, without_environment
from aigate.run.session import Options, Progress, Session, problem

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

WINDOW = 4  # files in flight per worker: enough to keep it busy, few enough to stream
DIED = ("the worker process checking this file died twice, checked alone (crash or out "
        "of memory)")


@lru_cache(maxsize=4)
def _worker_session(options: Options) -> Session:
    """One session per options in each worker process: plugins and gates load once."""
    return Session(options, warn=lambda message: print(f"aigate: warning: {message}",
                                                       file=sys.stderr))


#: what a worker renders its results in: (format name, report options), or None for results
Render = tuple[str, ReportOptions] | None


def check_one(path: str, options: Options, render: Render = None,
              expected: tuple[Input, ...] | None = None) -> FileOutcome:
    """The task a worker runs: check one file (also what Dask workers import and call),
    with the submitter's options and inputs (:mod:`aigate.run.pinning`): its own AIGATE_*
    variables set aside, its plugins and the files the verdict rests on compared with the
    submitter's.

    With ``render``, the worker also renders each timeline in the report's format and sends
    back a :class:`~aigate.model.RenderedFile` (text and counts) instead of the results: far
    less to carry back (a 1,000-clip result costs ~6 ms to pickle and unpickle), and the
    rendering itself is spread over the workers.
    """
    with without_environment(options.run is not None):
        session = _worker_session(options)
        try:
            if options.plugin_names:  # the submitter's set, when it sent one
                compare_plugins(options.plugin_names, session.base_plugins)
        except InputError as exc:
            return FailedFile(path, problem(path, exc))
        outcome = session.outcome(Path(path), expected)
    if render is not None:
        name, report_options = render
        return rendered(session.formats()[name], outcome, report_options)
    return outcome


def failed(path: Path, exc: BaseException) -> FailedFile:
    """A file whose outcome could not come back from its worker (it did not pickle, the
    task raised): its error line, never a stopped run."""
    return FailedFile(str(path), InputProblem(
        str(path), f"the worker could not return this file's result: {describe(exc)}"))


def died(path: Path) -> FailedFile:
    return FailedFile(str(path), InputProblem(str(path), DIED))


def expected_inputs(session: Session, path: Path) -> tuple[Input, ...] | None:
    """What the submitter's gate for ``path`` rests on (None: its config is refused, which
    the worker finds and reports itself)."""
    try:
        return session.inputs(session.gate(path))
    except AigateError:
        return None


def pinned_options(session: Session) -> Options:
    """The run's options as every worker gets them; the report states what they pin."""
    options = session.options.portable(session.base_plugins)
    session.options = options
    return options


#: how much longer than the per-file time-out a worker may take before it is stopped from
#: outside (its own alarm did not end the file)
GRACE = 30.0


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


#: answers a submitted file: the outcome(s) of it (and of files in flight it took down),
#: each with its path; it may take files out of the pending queue it is given
Collect = Callable[[Path, Any, "deque[tuple[Path, Any]]"],
                   Iterator[tuple[Path, FileOutcome]]]


def windowed(files: Sequence[Path], width: int, submit: Callable[[Path], Any],
             collect: Collect, progress: Progress,
             abandon: Callable[[Any], None] | None = None) -> Iterator[FileOutcome]:
    """The one submit loop both runners share: at most ``width`` files in flight, outcomes
    streamed in input order, so a 10,000-file run never holds every timeline in memory.
    When the run stops early (Ctrl-C, the reader stopped), ``abandon`` gets each future
    still in flight."""
    pending: deque[tuple[Path, Any]] = deque()
    queue = iter(files)
    done = 0
    try:
        while True:
            while len(pending) < width and (path := next(queue, None)) is not None:
                pending.append((path, submit(path)))
            if not pending:
                return
            path, future = pending.popleft()
            for answered, outcome in collect(path, future, pending):
                done += 1
                yield outcome
                progress(done, len(files), answered)
    finally:
        if abandon is not None:
            for _, future in pending:
                abandon(future)


def in_processes(session: Session, jobs: int,
                 render: Render = None) -> Callable[..., Iterator[FileOutcome]]:
    """A runner checking files in ``jobs`` worker processes (a single file: here)."""

    def run(files: Sequence[Path], progress: Progress) -> Iterator[FileOutcome]:
        if len(files) < 2:  # starting workers would cost more than the check
            yield from session.serial(files, progress)
            return
        options = pinned_options(session)
        limit = options.timeout + GRACE if options.timeout else None
        # imported here: a one-file run (the common case in hooks and scripts) never pays
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        context = multiprocessing.get_context(_start_method())
        pools = [ProcessPoolExecutor(jobs, mp_context=context)]

        def submit(path: Path) -> Any:
            return pools[-1].submit(check_one, str(path), options, render,
                                    expected_inputs(session, path))

        def collect(path: Path, future: Any, pending: deque[tuple[Path, Any]]
                    ) -> Iterator[tuple[Path, FileOutcome]]:
            try:
                outcome = future.result(timeout=limit)
            except TimeoutError:
                # the worker is stuck past its own alarm: stopped; the files in flight with
                # it are checked again, only this one is reported
                _stop(pools[-1])
                pools.append(ProcessPoolExecutor(jobs, mp_context=context))
                yield path, FailedFile(str(path), problem(path, timed_out(
                    path, options.timeout or 0)))
                stranded = [p for p, _ in pending]
                pending.clear()
                pending.extend((p, submit(p)) for p in stranded)
                return
            except BrokenProcessPool:
                # a worker died: every file in flight failed with it; retry each alone
                # (so the one that kills workers is found), then carry on
                pools[-1].shutdown(wait=False, cancel_futures=True)
                stranded = [path, *(p for p, _ in pending)]
                pending.clear()
                for each in stranded:
                    yield each, _alone(each, options, render, context,
                                       expected_inputs(session, each))
                pools.append(ProcessPoolExecutor(jobs, mp_context=context))
                return
            except Exception as exc:  # this file's error, not the run's
                outcome = failed(path, exc)
            yield path, outcome

        finished = False
        try:
            yield from windowed(files, jobs * WINDOW, submit, collect, progress)
            finished = True
        finally:
            if finished:
                pools[-1].shutdown(wait=True)
            else:  # interrupted, or the reader stopped early: do not wait for files in flight
                _stop(pools[-1])
    return run


def _start_method() -> str:
    """fork where it is safe (Linux, no other thread running): workers start with the
    modules, plugins and policy already loaded; otherwise a clean forkserver or spawn."""
    if sys.platform == "linux":
        return "fork" if threading.active_count() == 1 else "forkserver"
    return "spawn"


def _alone(path: Path, options: Options, render: Render, context: Any,
           expected: tuple[Input, ...] | None = None) -> FileOutcome:
    """``path`` checked in a worker of its own. When a pool breaks, every file in flight
    fails with it, including files that never started (another file killed the worker):
    so each gets two tries alone, and only a file that kills its own worker twice is
    reported as one that does."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    for _ in range(2):
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            try:
                limit = options.timeout + GRACE if options.timeout else None
                return pool.submit(check_one, str(path), options, render,
                                   expected).result(timeout=limit)
            except BrokenProcessPool:
                continue
            except TimeoutError:
                _stop(pool)
                return FailedFile(str(path), problem(path, timed_out(path,
                                                                     options.timeout or 0)))
            except Exception as exc:  # this file's error, not the run's
                return failed(path, exc)
    return died(path)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut down without waiting for files in flight (Ctrl-C must stop promptly)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def on_dask(session: Session, scheduler: str | None, workers: int,
            render: Render = None) -> Callable[..., Iterator[FileOutcome]]:
    """A runner sending files to a Dask cluster: ``scheduler`` (tcp://HOST:PORT), or a local
    cluster of ``workers`` processes on 127.0.0.1 when None."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--executor dask needs Dask: pip install 'aigate[dask]'") from None

    def run(files: Sequence[Path], progress: Progress) -> Iterator[FileOutcome]:
        import multiprocessing

        from distributed import KilledWorker

        options = pinned_options(session)

        cluster = None
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            if scheduler is None:
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=True, host="127.0.0.1",
                                       dashboard_address=None)
            client = Client(cluster or scheduler)
        def submit(path: Path) -> Any:
            # a worker's folder is not the submitter's: the file by its absolute path
            return client.submit(check_one, str(path.absolute()), options, render,
                                 expected_inputs(session, path), pure=False)

        def collect(path: Path, future: Any, pending: deque[tuple[Path, Any]]
                    ) -> Iterator[tuple[Path, FileOutcome]]:
            try:  # a task runs in a worker's thread, where no alarm reaches it
                outcome = future.result(timeout=options.timeout)
            except TimeoutError:
                future.cancel()
                outcome = FailedFile(str(path), problem(path, timed_out(
                    path, options.timeout or 0)))
            except KilledWorker:
                # files queued on a worker that died are suspected with it: checked again
                # alone, here, so only the file that kills its own worker is blamed
                outcome = _alone(path, options, render,
                                 multiprocessing.get_context(_start_method()),
                                 expected_inputs(session, path)) \
                    if path.exists() else died(path)
            except Exception as exc:  # this file's error, not the run's
                outcome = failed(path, exc)
            yield path, outcome

        try:
            width = max(sum(w.get("nthreads", 1) for w in
                            client.scheduler_info()["workers"].values()), 1) * WINDOW
            yield from windowed(files, width, submit, collect, progress,
                                abandon=lambda future: future.cancel())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return run
