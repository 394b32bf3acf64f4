"""A render killed with SIGKILL mid-batch (process group: renderer, workers and kernels)
leaves no half-written report, and the next run completes what is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.publish import kernel

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "report_fixture.ipynb"
UNITS = [f"u-{i:02d}" for i in range(1, 9)]

SCRIPT = """
import sys
from analysis.publish import render
units = sys.argv[2].split(",")
render.render_reports(units, template=sys.argv[3], out_dir=sys.argv[1], workers=1,
                      progress=False, registry=set(units))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_sigkill_mid_batch_leaves_no_partial_html_and_next_run_completes(tmp_path):
    kernel.ensure_kernel()
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), ",".join(UNITS),
                             str(FIXTURE)], start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if list(out.glob("u-*.hash")):   # one unit finished: its report and its hash
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    written = sorted(p.name for p in out.glob("u-*.html"))
    # finished units have both files; a unit killed between its report and its hash sidecar
    # (written in that order) has only the report, which the next run cannot trust
    finished = {p.stem for p in out.glob("u-*.hash")}
    assert finished and finished <= {Path(n).stem for n in written}, (finished, written)
    assert len(written) < len(UNITS), written
    for p in out.glob("u-*.html"):
        assert p.read_text(encoding="utf-8").rstrip().endswith("</html>"), p.name

    from analysis.publish.render import render_reports

    res = render_reports(UNITS, template=FIXTURE, out_dir=out, workers=2, progress=False,
                         registry=set(UNITS))
    assert res.exit_status == 0
    assert sorted(p.name for p in out.glob("u-*.html")) == [f"{u}.html" for u in UNITS]
    assert not list(out.glob("*.tmp")) and not [p for p in out.iterdir() if ".tmp" in p.name]
    statuses = {r["unit_id"]: r["status"] for r in res.rows}
    # what the killed run finished is skipped, the rest (a report without its hash
    # included) rendered now
    assert {u: statuses[u] for u in finished} == dict.fromkeys(finished, "skipped")
    assert {u: s for u, s in statuses.items() if u not in finished} == {
        u: "ok" for u in UNITS if u not in finished}
