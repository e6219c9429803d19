"""Where a check's time goes, in-process: python bench/bench_phases.py CUT.otio [CUT.otio ...]

CPU seconds (time.process_time) of each phase of ``aigate check CUT --stage final
--format json``, run as the CLI runs them: imports, the session (plugins, config, policy,
approvals), reading the cut, the gate, and the JSON report of it (rendered as the report
renders it, collection paused). Whole-process ratios are bench_check.py's.
"""

from __future__ import annotations

import sys
import time
from itertools import pairwise

START = time.process_time()

from pathlib import Path  # noqa: E402

from aigate.core.gate import load_subject  # noqa: E402
from aigate.core.gcpause import paused_gc  # noqa: E402
from aigate.output.report import ReportOptions  # noqa: E402
from aigate.run.session import Session  # noqa: E402


def main() -> None:
    imported = time.process_time() - START
    for name in sys.argv[1:]:
        path = Path(name)
        marks = [time.process_time()]
        session = Session()
        gate = session.gate(path)
        marks.append(time.process_time())
        subject = load_subject(gate.plugins, path)
        marks.append(time.process_time())
        results = gate.check(subject, stage="final", path=path)
        marks.append(time.process_time())
        from aigate_reports.json_report import subject as render

        with paused_gc():
            size = sum(len(render(r, ReportOptions())) for r in results)
        marks.append(time.process_time())
        clips = sum(len(r.items) for r in results)
        session_s, read, check, report = (b - a for a, b in pairwise(marks))
        print(f"{path.name}: {clips} clips; imports {imported:.3f} s, "
              f"session {session_s:.3f} s, read {read:.3f} s, gate {check:.3f} s, "
              f"JSON report {report:.3f} s "
              f"({size / 1e6:.1f} MB); OTIO imported: {'opentimelineio' in sys.modules}")


if __name__ == "__main__":
    main()
