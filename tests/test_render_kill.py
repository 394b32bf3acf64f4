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


def _as_from_a_terminal() -> None:
    """``preexec_fn`` of a batch started by these tests: SIGINT at its default, as a shell
    starts a command (Python then raises KeyboardInterrupt on Ctrl-C), whatever the test
    process's own dispositions (a child inherits them). In one `make test` run (2026-12-07)
    both interrupt tests saw the batch run to its end, exit 0 and nothing on stderr, although
    SIGINT was sent to its group; an inherited ignored SIGINT is the one way we know to get
    that. It was not reproduced in 6 targeted runs nor in a whole-suite run that checked the
    disposition after every test, so the cause is not confirmed."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _batch_descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _wait_gone(procs: list, seconds: float = 10.0) -> list:
    import psutil

    _, alive = psutil.wait_procs(procs, timeout=seconds)
    left = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                left.append(p.pid)
            p.kill()          # never leave them to the next test
        except psutil.NoSuchProcess:
            pass
    return left


def _start_batch(out: Path, workers: int = 2, engine: str = "fresh") -> subprocess.Popen:
    script = SCRIPT.replace("workers=1", f"workers={workers}, engine={engine!r}")
    return subprocess.Popen([sys.executable, "-c", script, str(out), ",".join(UNITS),
                             str(FIXTURE)], start_new_session=True,
                            preexec_fn=_as_from_a_terminal)


def _wait_for_kernels(proc: subprocess.Popen, out: Path, timeout: float = 120,
                      engine: str = "fresh") -> list:
    """The batch's processes once its workers run their kernels (a unit being rendered; the
    in-process engine has no kernel: its two workers, once a report is being written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        procs = _batch_descendants(proc.pid)
        kernels = [p for p in procs if "ipykernel" in " ".join(p.cmdline())]
        if engine == "inprocess" and len(procs) >= 2 and (out.is_dir() and any(
                p.name.endswith(".tmp") or p.suffix == ".html" for p in out.iterdir())):
            return procs
        if kernels and len(procs) >= 3:
            return procs
        time.sleep(0.1)
    raise AssertionError("the batch finished or never started its kernels")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
@pytest.mark.parametrize("engine", ["fresh", "inprocess"])
def test_sigkill_of_the_renderer_alone_leaves_no_process_and_no_lock(tmp_path, engine):
    """``kill -9`` of the renderer only (not its group): its pool workers die with it and
    their kernels follow, within 10 s; the next render takes the folder and completes."""
    kernel.ensure_kernel()
    out = tmp_path / "out"
    proc = _start_batch(out, engine=engine)
    try:
        procs = _wait_for_kernels(proc, out, engine=engine)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert not _wait_gone(procs), "processes of the killed batch still alive"

    from analysis.publish.render import render_reports

    res = render_reports(UNITS, template=FIXTURE, out_dir=out, workers=2, progress=False,
                         registry=set(UNITS))
    assert res.exit_status == 0


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX process groups")
@pytest.mark.parametrize("engine", ["fresh", "inprocess"])
def test_ctrl_c_mid_batch_stops_workers_and_kernels(tmp_path, engine):
    """Ctrl-C (SIGINT to the terminal's process group) stops the batch: the renderer exits
    without a traceback, and no worker or kernel of it is alive 10 s later."""
    kernel.ensure_kernel()
    out = tmp_path / "out"
    # the command line's handling (analysis.cli: "interrupted", exit 130) around the batch
    script = ("import sys\ntry:\n" + "".join(f"    {ln}\n" for ln in SCRIPT.replace(
        "workers=1", f"workers=2, engine={engine!r}").strip().splitlines())
              + "except KeyboardInterrupt:\n    print('interrupted', file=sys.stderr)\n"
                "    sys.exit(130)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(out), ",".join(UNITS),
                             str(FIXTURE)], start_new_session=True, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_as_from_a_terminal)
    try:
        procs = _wait_for_kernels(proc, out, engine=engine)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in err and proc.returncode == 130, (proc.returncode, err)
    assert not _wait_gone(procs), "processes of the interrupted batch still alive"
