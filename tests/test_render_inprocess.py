"""The in-process engine (``render --engine inprocess``, analysis/publish/inprocess.py): a
report's cells in the worker process itself. Isolation between the reports of one worker,
failures (a cell error, a hang, a worker that dies) and the same cells as a fresh kernel.

All on the tiny fixture template (tests/fixtures/render/) with explicit unit ids; the real
templates' pages are compared in tests/test_render_inprocess_pages.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from analysis.publish import inprocess
from analysis.publish.render import render_reports, worker

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "report_fixture.ipynb"

# After the fixture's failing cell (so failures stay at cell 3). It fails when anything an
# earlier report of the same worker changed is still visible, then changes all of it.
_LEAK_CELL = """\
import os, warnings
import matplotlib
import pandas as pd
leaks = []
if "leak_sentinel" in globals():
    leaks.append(f"global from {leak_sentinel}")
if matplotlib.rcParams["lines.linewidth"] != matplotlib.rcParamsOrig["lines.linewidth"]:
    leaks.append("rcParams")
if any(f[0] == "error" and f[2] is UserWarning for f in warnings.filters):
    leaks.append("warnings filter")
if hasattr(pd.DataFrame, "batang_patched") or pd.DataFrame.head.__name__ == "patched_head":
    leaks.append("DataFrame monkeypatch")
if pd.get_option("display.max_rows") == 3:
    leaks.append("pandas option")
if os.environ.get("BATANG_LEAK"):
    leaks.append("environment")
assert not leaks, f"state leaked from an earlier report: {leaks}"
leak_sentinel = unit_id
matplotlib.rcParams["lines.linewidth"] = 7.0
warnings.simplefilter("error", UserWarning)
pd.DataFrame.batang_patched = True
def patched_head(self, n=5):
    return "patched"
pd.DataFrame.head = patched_head
pd.set_option("display.max_rows", 3)
os.environ["BATANG_LEAK"] = unit_id
print(f"worker pid: {os.getpid()}")
"""


def _template(tmp_path: Path, *extra: str) -> Path:
    nb = nbformat.read(FIXTURE, as_version=4)
    for i, src in enumerate((_LEAK_CELL, *extra)):
        nb.cells.insert(3 + i, nbformat.v4.new_code_cell(src))
    tpl = tmp_path / "leaky.ipynb"
    nbformat.write(nb, tpl)
    return tpl


def _pid(html_text: str) -> int:
    return int(re.search(r"worker pid: (\d+)", html_text).group(1))


def test_engine_is_registered_with_papermill():
    from papermill.engines import papermill_engines

    cls = inprocess.ensure_registered()
    assert papermill_engines.get_engine(inprocess.INPROCESS_ENGINE) is cls
    assert worker.task_engine({"engine": "inprocess"}) == "inprocess"
    assert worker.task_engine({"warm": True}) == "warm" and worker.task_engine({}) == "fresh"


def test_inprocess_with_scheduler_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="process pool only"):
        render_reports(["u-a"], FIXTURE, tmp_path / "o", scheduler="local", engine="inprocess")
    with pytest.raises(ValueError, match="unknown engine"):
        render_reports(["u-a"], FIXTURE, tmp_path / "o", engine="turbo")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_nothing_leaks_between_reports_and_a_failure_marks_only_its_unit(tmp_path):
    tpl = _template(tmp_path)
    out = tmp_path / "reports"
    ids = ["u-a", "u-b", "u-c", "u-d"]
    # One worker: every report runs in the same process, after one that changed everything.
    res = render_reports(ids, tpl, out, parameters={"fail_unit": "u-c"}, workers=1,
                         progress=False, engine="inprocess")
    by = {r["unit_id"]: r for r in res.rows}
    assert [by[u]["status"] for u in ids] == ["ok", "ok", "failed", "ok"], by
    assert (by["u-c"]["ename"], by["u-c"]["cell_index"], by["u-c"]["exec_count"]) == (
        "ValueError", 3, 3)   # as with a fresh kernel: counts restart at 1
    assert "planted failure for u-c" in by["u-c"]["evalue"]
    assert res.exit_status == 1
    pids = {_pid((out / f"{u}.html").read_text()) for u in ("u-a", "u-b", "u-d")}
    assert len(pids) == 1, "one worker process ran every report"
    html_b = (out / "u-b.html").read_text()
    assert "unit: u-b" in html_b and "data:image/png;base64" in html_b and "unit: u-a" not in html_b
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kernels"] == "inprocess" and manifest["executor"] == "process-pool"


@pytest.mark.slow
def test_a_hang_is_stopped_at_its_timeout_and_a_dead_worker_is_replaced(tmp_path, monkeypatch):
    # u-b sleeps (stopped by SIGALRM), u-c blocks SIGALRM and sleeps (a cell in native code
    # that never sees the signal: the watchdog ends the worker), u-d dies with os._exit.
    monkeypatch.setattr(inprocess, "HUNG_GRACE", 1.0)   # inherited by the forked workers
    tpl = _template(tmp_path, (
        "import os, signal, time\n"
        'if unit_id == "u-b":\n    time.sleep(60)\n'
        'if unit_id == "u-c":\n'
        "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n    time.sleep(60)\n"
        'if unit_id == "u-d":\n    os._exit(3)\n'))
    out = tmp_path / "reports"
    ids = ["u-a", "u-b", "u-c", "u-d", "u-e"]
    res = render_reports(ids, tpl, out, workers=1, progress=False, engine="inprocess",
                         timeout=2)
    by = {r["unit_id"]: r for r in res.rows}
    assert [by[u]["status"] for u in ids] == ["ok", "failed", "failed", "failed", "ok"], by
    assert by["u-b"]["ename"] == "CellTimeoutError", by["u-b"]
    assert by["u-c"]["ename"] == "CellTimeoutError", by["u-c"]
    assert by["u-d"]["ename"] == "WorkerDied" and "exit status 3" in by["u-d"]["evalue"]
    assert res.exit_status == 1
    # each failure replaced the worker: u-e ran in a new process, after no leak
    assert _pid((out / "u-a.html").read_text()) != _pid((out / "u-e.html").read_text())


@pytest.mark.slow
def test_a_killed_worker_fails_only_its_unit_with_two_workers(tmp_path):
    tpl = _template(tmp_path, (
        'import os, signal\nif unit_id == "u-b":\n    os.kill(os.getpid(), signal.SIGKILL)\n'))
    out = tmp_path / "reports"
    ids = ["u-a", "u-b", "u-c", "u-d", "u-e"]
    res = render_reports(ids, tpl, out, workers=2, progress=False, engine="inprocess")
    by = {r["unit_id"]: r for r in res.rows}
    assert [by[u]["status"] for u in ids] == ["ok", "failed", "ok", "ok", "ok"], by
    assert by["u-b"]["ename"] == "WorkerDied" and "SIGKILL" in by["u-b"]["evalue"]


@pytest.mark.slow
def test_inprocess_cells_equal_a_fresh_kernels(tmp_path):
    """The executed notebook, cell by cell: the same outputs (types, mimetypes, text, PNG
    bytes), execution counts and papermill status as papermill's own nbclient engine."""
    import papermill as pm

    tpl = _template(tmp_path, 'from IPython.display import display, HTML\n'
                              'display(HTML("<b>x</b>"))\n"last value"',
                    "import warnings\nwarnings.warn('careful', RuntimeWarning)",
                    # below Python (a C extension's output): a kernel here does not put it on
                    # the page (ipykernel leaves fd 1 to the process), nor does this engine
                    "import os\nos.write(1, b'fd-level line\\n');")
    inprocess.ensure_registered()

    def run(**kw):
        return pm.execute_notebook(str(tpl), None, parameters={"unit_id": "u-a"},
                                   kernel_name="batang-analysis", progress_bar=False, **kw)

    fresh = run()
    # in a forked process, as in a pool worker (pytest's warning capture is not inherited by
    # the worker's default showwarning)
    import multiprocessing as mp

    with mp.get_context("fork").Pool(1) as pool:
        mine = pool.apply(_run_inprocess, (str(tpl),))
    assert normalize_cells(mine) == normalize_cells(fresh)


def _run_inprocess(tpl: str):
    import sys
    import warnings

    import papermill as pm

    warnings.resetwarnings()
    warnings.simplefilter("default")
    # pytest records warnings (catch_warnings(record=True) replaced how they are shown):
    # print them to sys.stderr as Python does by default
    warnings._showwarnmsg_impl = lambda msg: sys.stderr.write(warnings._formatwarnmsg(msg))
    inprocess.ensure_registered()
    return pm.execute_notebook(tpl, None, parameters={"unit_id": "u-a"},
                               kernel_name="batang-analysis", progress_bar=False,
                               engine_name=inprocess.INPROCESS_ENGINE)


def normalize_cells(nb) -> list:
    """Each cell without what differs by run: timestamps, ids, execution timing, the pid line,
    the traceback's colours."""
    cells = []
    for c in nb.cells:
        outs = []
        for o in c.get("outputs", []):
            o = json.loads(json.dumps(o))
            if o.get("output_type") == "stream":
                o["text"] = re.sub(r"worker pid: \d+", "pid", o["text"])
                o["text"] = re.sub(r"/tmp/ipykernel_\d+/\d+\.py", "CELL", o["text"])
            outs.append(o)
        # consecutive stream outputs of one name are one output on the page (nbconvert's
        # coalesce_streams): compare them merged
        merged: list = []
        for o in outs:
            if merged and o["output_type"] == "stream" and merged[-1]["output_type"] == "stream" \
                    and merged[-1]["name"] == o["name"]:
                merged[-1]["text"] += o["text"]
            else:
                merged.append(o)
        cells.append({"type": c.cell_type, "source": c.source, "outputs": merged,
                      "count": c.get("execution_count"),
                      "status": c.metadata.get("papermill", {}).get("status"),
                      "tags": c.metadata.get("tags", [])})
    return cells
