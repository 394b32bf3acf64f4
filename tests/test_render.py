"""Tests of the batch renderer (the analysis.publish.render package) and the project kernel
(analysis.publish.kernel).

The slow tests run real kernels on a tiny fixture template (tests/fixtures/render/); they use
explicit unit ids, never the project's units table.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
from pathlib import Path

import pytest

from analysis.data import store
from analysis.publish import kernel
from analysis.publish.index import UnitTable, build_index_html
from analysis.publish.render import (
    InvalidUnitError,
    hashing,
    manifest,
    render_reports,
    units,
    worker,
)
from analysis.publish.render import cli as render_cli

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "report_fixture.ipynb"
HOSTILE = "<script>alert(1)</script> \"quoted\" 'single'\nnewline ../../etc"


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _no_raw_script(text: str) -> None:
    """The only <script> in the page is the index's own sorter."""
    assert "<script>alert" not in text
    assert text.count("<script") == 1


# ---------------------------------------------------------------- fast tests (no kernel)


@pytest.mark.parametrize(
    "bad", ["../x", "a b", "A1", "x", "a/b", "..", "-ab", "a" * 42, "ab.html", ""]
)
def test_bad_unit_ids_are_rejected_before_anything_is_written(tmp_path, bad):
    out = tmp_path / "out"
    with pytest.raises(InvalidUnitError, match="invalid unit id"):
        render_reports(["ok-1", bad], FIXTURE, out, progress=False)
    assert not out.exists()
    assert _files(tmp_path) == set()


def test_unknown_unit_is_rejected_by_registry(tmp_path):
    with pytest.raises(InvalidUnitError, match="not in the unit registry"):
        render_reports(["dinkes", "nope"], FIXTURE, tmp_path / "out", registry={"dinkes"})
    assert not (tmp_path / "out").exists()


def test_safe_output_path_stays_inside(tmp_path):
    assert units.safe_output_path(tmp_path, "dinkes") == (tmp_path / "dinkes.html").resolve()
    for bad in ("../x", "..", "a/../../b"):
        with pytest.raises(InvalidUnitError):
            units.safe_output_path(tmp_path, bad)


def test_parameters_must_not_override_unit_id(tmp_path):
    with pytest.raises(ValueError, match="unit_id"):
        render_reports(["ab"], FIXTURE, tmp_path / "o", parameters={"unit_id": "x"})
    with pytest.raises(ValueError, match="JSON"):
        render_reports(["ab"], FIXTURE, tmp_path / "o", parameters={"x": object()})


def test_index_escapes_hostile_titles_messages_and_summary():
    rows = [
        {
            "unit_id": "u-a",
            "title": HOSTILE,
            "status": "ok",
            "seconds": 1.5,
            "html": "u-a.html",
            "summary": {HOSTILE: HOSTILE, "score": 81.25},
        },
        {
            "unit_id": "u-b",
            "title": "../../etc/passwd",
            "status": "failed",
            "seconds": 0.7,
            "html": None,
            "cell_index": 3,
            "exec_count": 3,
            "ename": "<b>E</b>",
            "evalue": HOSTILE,
            "summary": {"score": 12},
        },
    ]
    page = build_index_html(rows, lang="en", banner="DATA SIMULASI <i>x</i> & co")
    _no_raw_script(page)
    # autoescape (markupsafe) writes quotes as &#34; and &#39;
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; &#39;single&#39;" in page
    assert "&lt;b&gt;E&lt;/b&gt; [cell 3, In [3]]" in page
    assert "DATA SIMULASI &lt;i&gt;x&lt;/i&gt; &amp; co" in page
    assert 'href="u-a.html"' in page and "u-b.html" not in page  # failed: no link
    assert 'data-sort="81.25"' in page
    assert "http" not in page  # offline: no CDN


def test_one_data_fingerprint_for_reports_and_notebook_fits(tmp_path):
    """The notebooks' cache key of a model refit is the renderer's data fingerprint
    (analysis.data.fingerprint), over the tables a fit reads: it moves with the panel and the
    units, not with any other table."""
    from analysis.data import fingerprint
    from analysis.publish.explore import Context, refits

    assert hashing.data_fingerprint is fingerprint.data_fingerprint
    data = tmp_path / "data"
    (data / "processed").mkdir(parents=True)
    for name in ("panel", "units", "findings"):
        (data / "processed" / f"{name}.parquet").write_bytes(name.encode())
    ctx = Context(str(data), "33.25", (2016, 2024), "id")
    fp = refits.data_fingerprint(ctx)
    assert fp == hashing.data_fingerprint(data, tables=("units", "panel"))
    assert fp != hashing.data_fingerprint(data)          # every table
    (data / "processed" / "findings.parquet").write_bytes(b"rebuilt")
    assert refits.data_fingerprint(ctx) == fp
    (data / "processed" / "panel.parquet").write_bytes(b"another panel")
    fp2 = refits.data_fingerprint(ctx)
    assert fp2 != fp
    (data / "processed" / "units.parquet").unlink()
    assert refits.data_fingerprint(ctx) not in (fp, fp2)


def test_content_hash_and_data_fingerprint(tmp_path):
    data = tmp_path / "data"
    (data / "processed").mkdir(parents=True)
    f = data / "processed" / "t.parquet"
    f.write_bytes(b"1")
    fp1 = hashing.data_fingerprint(data)
    assert hashing.data_fingerprint(data) == fp1
    f.write_bytes(b"22")
    fp2 = hashing.data_fingerprint(data)
    assert fp2 != fp1
    assert hashing.data_fingerprint(data, exclude=[data / "processed"]) != fp2
    h = hashing.content_hash(b"tpl", {"unit_id": "a", "lang": "id"}, fp2)
    assert h == hashing.content_hash(b"tpl", {"lang": "id", "unit_id": "a"}, fp2)
    assert h != hashing.content_hash(b"tpl2", {"unit_id": "a", "lang": "id"}, fp2)
    assert h != hashing.content_hash(b"tpl", {"unit_id": "a", "lang": "en"}, fp2)
    assert h != hashing.content_hash(b"tpl", {"unit_id": "a", "lang": "id"}, fp1)


def test_ensure_kernel_is_idempotent(tmp_path):
    assert kernel.ensure_kernel("batang-test", prefix=tmp_path) == "batang-test"
    spec_file = tmp_path / "share" / "jupyter" / "kernels" / "batang-test" / "kernel.json"
    spec = json.loads(spec_file.read_text())
    assert spec["argv"][0] == __import__("sys").executable
    assert spec["display_name"] == "Python (batang-analysis)"
    mtime = spec_file.stat().st_mtime_ns
    kernel.ensure_kernel("batang-test", prefix=tmp_path)
    assert spec_file.stat().st_mtime_ns == mtime
    with pytest.raises(ValueError):
        kernel.ensure_kernel("../evil", prefix=tmp_path)


def test_kernel_start_failures_are_retried_cell_errors_are_not(monkeypatch):
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    calls = []

    def flaky(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return nbformat.v4.new_notebook()

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    monkeypatch.setattr(worker.time, "sleep", lambda s: None)
    task = {
        "unit_id": "u-a",
        "title": "A",
        "parameters": {},
        "template_text": FIXTURE.read_text(),
        "kernel_name": "batang-analysis",
        "ensure_kernel": False,
    }
    res = worker.render_unit(task)
    assert res["status"] == "ok" and res["attempts"] == 2 and res["html"]
    assert calls[0]["shutdown_kernel"] == "immediate"
    assert "--HistoryManager.enabled=False" in calls[0]["extra_arguments"]

    def cell_error(*args, **kwargs):
        calls.append(kwargs)
        raise PapermillExecutionError(4, 2, "x", "ValueError", "bad", ["tb"])

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", cell_error)
    res = worker.render_unit(task)
    assert len(calls) == 1
    assert (res["status"], res["cell_index"], res["exec_count"], res["ename"]) == (
        "failed",
        4,
        2,
        "ValueError",
    )

    def always_down(*args, **kwargs):
        calls.append(kwargs)
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", always_down)
    res = worker.render_unit(task)
    assert len(calls) == 1 + worker.MAX_KERNEL_START_RETRIES and res["status"] == "failed"


# ---------------------------------------------------------------- slow tests (real kernels)


@pytest.mark.slow
def test_batch_with_failure_then_incremental_then_force(tmp_path):
    out = tmp_path / "reports"
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text("unit_id\nu-a\n")
    params = {"fail_unit": "u-b", "data_dir": str(data), "lang": "en"}
    titles = {"u-a": HOSTILE, "u-b": "Dinas <B>", "u-c": "../../etc"}
    summary = {"u-a": {"IKM": 81.5, "<th>": "<td>x</td>"}, "u-c": {"IKM": 77}}

    res = render_reports(
        ["u-a", "u-b", "u-c"],
        FIXTURE,
        out,
        parameters=params,
        workers=2,
        progress=False,
        titles=titles,
        summary=summary,
        banner="DATA SIMULASI",
    )
    by = {r["unit_id"]: r for r in res.rows}
    assert [r["unit_id"] for r in res.rows] == ["u-a", "u-b", "u-c"]
    assert by["u-a"]["status"] == by["u-c"]["status"] == "ok"
    assert by["u-b"]["status"] == "failed"
    assert by["u-b"]["ename"] == "ValueError"
    assert by["u-b"]["cell_index"] == 3  # markdown, parameters, injected-parameters, failing cell
    assert by["u-b"]["exec_count"] == 3
    assert "planted failure for u-b" in by["u-b"]["evalue"]
    assert res.exit_status == 1

    names = _files(out)
    assert {
        "u-a.html",
        "u-c.html",
        "u-a.hash",
        "index.html",
        "manifest.json",
        "manifest.csv",
    } <= names
    assert "u-b.html" not in names
    assert not [n for n in names if n.endswith(".tmp")]
    assert all(p.resolve().parent == out.resolve() for p in out.iterdir())
    assert not (tmp_path / "etc").exists()

    html_a = (out / "u-a.html").read_text()
    assert "unit: u-a" in html_a and "data:image/png;base64" in html_a
    assert "fail_unit" not in html_a  # code cells hidden
    assert "<script src=" not in html_a and "cdnjs" not in html_a and "require.js" not in html_a
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;" in html_a

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["executor"] == "process-pool" and manifest["workers"] == 2
    assert manifest["exit_status"] == 1 and manifest["total_seconds"] > 0
    m_b = next(r for r in manifest["units"] if r["unit_id"] == "u-b")
    assert (m_b["cell_index"], m_b["ename"]) == (3, "ValueError")
    m_a = next(r for r in manifest["units"] if r["unit_id"] == "u-a")
    assert m_a["html"] == "u-a.html" and len(m_a["content_hash"]) == 64 and m_a["started"]
    assert m_a["seconds"] > 0
    with open(out / "manifest.csv", newline="") as fh:
        assert [r["status"] for r in csv.DictReader(fh)] == ["ok", "failed", "ok"]

    index = (out / "index.html").read_text()
    _no_raw_script(index)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "planted failure for u-b: &lt;script&gt;alert(1)&lt;/script&gt; &#34;q&#34;" in index
    assert (
        "Dinas &lt;B&gt;" in index and "&lt;th&gt;" in index and "&lt;td&gt;x&lt;/td&gt;" in index
    )
    assert "DATA SIMULASI" in index and 'href="u-a.html"' in index

    # Nothing changed: the two good reports are skipped without a kernel; the failed one retries.
    mtime = (out / "u-a.html").stat().st_mtime_ns
    res2 = render_reports(
        ["u-a", "u-b", "u-c"],
        FIXTURE,
        out,
        parameters=params,
        workers=2,
        progress=False,
        titles=titles,
    )
    assert [r["status"] for r in res2.rows] == ["skipped", "failed", "skipped"]
    assert (out / "u-a.html").stat().st_mtime_ns == mtime

    # Only unchanged units: no kernel at all, fast, exit 0.
    res3 = render_reports(
        ["u-a", "u-c"], FIXTURE, out, parameters=params, progress=False, titles=titles
    )
    assert [r["status"] for r in res3.rows] == ["skipped", "skipped"]
    assert res3.exit_status == 0 and res3.executor == "none" and res3.total_seconds < 3
    assert {r["unit_id"] for r in res3.all_rows} == {"u-a", "u-b", "u-c"}  # index keeps u-b

    # force re-renders an unchanged unit; a data change invalidates every unit.
    res4 = render_reports(
        ["u-a"], FIXTURE, out, parameters=params, progress=False, titles=titles, force=True
    )
    assert res4.rows[0]["status"] == "ok"
    assert (out / "u-a.html").stat().st_mtime_ns != mtime
    (data / "new.csv").write_text("x\n")
    res5 = render_reports(["u-c"], FIXTURE, out, parameters=params, progress=False, titles=titles)
    assert res5.rows[0]["status"] == "ok"


@pytest.mark.slow
def test_interrupted_run_leaves_no_partial_report_and_next_run_completes(tmp_path, monkeypatch):
    out = tmp_path / "reports"

    class Killed(BaseException):
        pass

    real_write = store._write_all

    def dying_write(fh, data, path):
        if path.name == "u-b.html":
            fh.write(data[: len(data) // 2])  # half a report on disk, then "the power goes"
            raise Killed()
        real_write(fh, data, path)

    monkeypatch.setattr(store, "_write_all", dying_write)
    with pytest.raises(Killed):
        render_reports(["u-a", "u-b", "u-c"], FIXTURE, out, workers=2, progress=False)
    assert "u-b.html" not in _files(out)
    assert not [n for n in _files(out) if n.endswith(".tmp")]

    # A hard kill (no cleanup at all) would leave a temp file: it never counts as a report.
    (out / ".u-c.html.abc123.tmp").write_text("<html>half")
    monkeypatch.setattr(store, "_write_all", real_write)
    res = render_reports(["u-a", "u-b", "u-c"], FIXTURE, out, workers=2, progress=False)
    assert res.exit_status == 0
    assert {r["status"] for r in res.rows} <= {"ok", "skipped"}
    assert next(r for r in res.rows if r["unit_id"] == "u-b")["status"] == "ok"
    names = _files(out)
    assert {"u-a.html", "u-b.html", "u-c.html"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    for uid in ("u-a", "u-b", "u-c"):
        assert (out / f"{uid}.html").read_text().rstrip().endswith("</html>")


@pytest.mark.slow
def test_cli_render_exit_status_and_injected_units_loader(tmp_path, capsys):
    import nbformat

    tpl = tmp_path / "tpl.ipynb"
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace('fail_unit = ""', 'fail_unit = "u-b"')
    nbformat.write(nb, tpl)

    def loader(lang="id", data_dir=None):
        return UnitTable(names={"u-a": "Unit A", "u-b": "Unit B"}, banner="SIM",
                                summary={"u-a": {"cut": -12.5}})

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    render_cli.register_cli(sub, units_loader=loader)
    kernel.register_cli(sub)
    out = tmp_path / "out"
    base = [
        "render",
        "--template",
        str(tpl),
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path),
        "--no-progress",
        "--workers",
        "2",
    ]

    args = parser.parse_args(base + ["--units", "u-a,../x"])
    assert args.func(args) == 2
    assert "invalid unit id" in capsys.readouterr().err and not out.exists()

    args = parser.parse_args(base)  # default units: all from the loader
    assert args.func(args) == 1
    captured = capsys.readouterr()
    assert "FAILED u-b" in captured.err and "1 rendered" in captured.out
    index = (out / "index.html").read_text()
    assert "Unit A" in index and "SIM" in index

    args = parser.parse_args(["kernel"])
    assert args.func(args) == 0
    assert "batang-analysis" in capsys.readouterr().out


@pytest.mark.slow
def test_dask_local_cluster_renders_two_units(tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "reports"
    res = render_reports(["u-a", "u-b"], FIXTURE, out, workers=2, scheduler="local", progress=False)
    assert res.executor == "dask-local"
    assert [r["status"] for r in res.rows] == ["ok", "ok"]
    assert "unit: u-b" in (out / "u-b.html").read_text()
    assert json.loads((out / "manifest.json").read_text())["executor"] == "dask-local"


@pytest.mark.slow
def test_dask_scheduler_and_worker_processes_render_through_tcp(tmp_path):
    """The scale-out path: `dask scheduler` and `dask worker` started as separate processes on
    loopback, and a batch rendered through tcp:// (what --scheduler tcp://host:8786 does)."""
    pytest.importorskip("distributed")
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from distributed import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    addr = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", addr, "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(addr, timeout=5) as c:
                    if c.scheduler_info().get("workers"):
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "dask scheduler/worker did not come up"
            time.sleep(1)
        out = tmp_path / "reports"
        res = render_reports(["u-a", "u-b"], FIXTURE, out, scheduler=addr, progress=False)
        assert res.executor == f"dask:{addr}" and res.workers == 1
        assert [r["status"] for r in res.rows] == ["ok", "ok"]
        assert "unit: u-a" in (out / "u-a.html").read_text()
        assert json.loads((out / "manifest.json").read_text())["executor"] == f"dask:{addr}"
    finally:
        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_fixture_template_is_parameterized():
    nb = json.loads(FIXTURE.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and "fail_unit" in "".join(tagged[0]["source"])


# ---------------------------------------------------------------- warm kernels

# Added after the fixture's failing cell (so failures stay at cell 3): it fails when a global of
# an earlier report, or its rcParams change, is visible, then leaves both behind, and prints the
# kernel's pid so the test can tell reused kernels from fresh ones.
_SENTINEL_CELL = """\
import os
import matplotlib
assert "leak_sentinel" not in globals(), f"state leaked from report {leak_sentinel!r}"
assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsOrig["lines.linewidth"]
leak_sentinel = unit_id
matplotlib.rcParams["lines.linewidth"] = 7.0
print(f"kernel pid: {os.getpid()}")
"""


def _sentinel_template(tmp_path: Path) -> Path:
    import nbformat

    nb = nbformat.read(FIXTURE, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(_SENTINEL_CELL))
    tpl = tmp_path / "sentinel.ipynb"
    nbformat.write(nb, tpl)
    return tpl


def _kernel_pid(html_text: str) -> int:
    import re

    return int(re.search(r"kernel pid: (\d+)", html_text).group(1))


def _gone(pid: int) -> bool:
    """True when the process no longer exists (or is a zombie waiting for init)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_warm_with_scheduler_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="process pool only"):
        render_reports(["u-a"], FIXTURE, tmp_path / "o", scheduler="local", warm=True)
    assert not (tmp_path / "o").exists()


def test_cli_rejects_warm_with_scheduler(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    render_cli.register_cli(
        parser.add_subparsers(dest="command"),
        units_loader=lambda lang="id", data_dir=None: UnitTable(names={"u-a": "A"}),
    )
    out = tmp_path / "out"
    args = parser.parse_args(
        ["render", "--warm", "--scheduler", "local", "--out", str(out), "--template",
         str(FIXTURE), "--data-dir", str(tmp_path), "--no-progress"]
    )
    assert args.func(args) == 2
    assert "process pool only" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_warm_kernels_reuse_isolate_replace_after_failure_and_leave_no_process(tmp_path):
    tpl = _sentinel_template(tmp_path)
    out = tmp_path / "reports"
    ids = ["u-a", "u-b", "u-c", "u-d"]
    # One worker, so the order is fixed: u-a and u-b share a kernel, u-b fails (its kernel is
    # replaced), u-c and u-d share the new one.
    res = render_reports(
        ids, tpl, out, parameters={"fail_unit": "u-b"}, workers=1, progress=False, warm=True
    )
    by = {r["unit_id"]: r for r in res.rows}
    assert [by[u]["status"] for u in ids] == ["ok", "failed", "ok", "ok"], by
    assert (by["u-b"]["ename"], by["u-b"]["cell_index"], by["u-b"]["exec_count"]) == (
        "ValueError", 3, 3)  # same as with a fresh kernel: counts restart at 1
    pids = {u: _kernel_pid((out / f"{u}.html").read_text()) for u in ("u-a", "u-c", "u-d")}
    assert pids["u-c"] == pids["u-d"], "warm: the kernel is reused after a success"
    assert pids["u-a"] != pids["u-c"], "the kernel is replaced after a failed report"
    html_d = (out / "u-d.html").read_text()
    assert "unit: u-d" in html_d and "data:image/png;base64" in html_d and "unit: u-c" not in html_d
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kernels"] == "warm" and manifest["executor"] == "process-pool"
    # The workers shut their kernels down on exit: nothing is left running.
    assert all(_gone(pid) for pid in pids.values()), pids

    # Warm and fresh kernels give the same report (modulo random ids), so the hash is shared:
    # nothing to re-render in fresh mode.
    res2 = render_reports(ids, tpl, out, parameters={"fail_unit": "u-b"}, progress=False)
    assert [r["status"] for r in res2.rows] == ["skipped", "failed", "skipped", "skipped"]


@pytest.mark.slow
def test_warm_batch_of_fixture_reports_matches_fresh(tmp_path):
    import re

    ids = ["u-a", "u-b", "u-c"]
    fresh = render_reports(ids, FIXTURE, tmp_path / "fresh", workers=2, progress=False)
    warm = render_reports(ids, FIXTURE, tmp_path / "warm", workers=2, progress=False, warm=True)
    assert warm.exit_status == fresh.exit_status == 0
    assert [r["content_hash"] for r in warm.rows] == [r["content_hash"] for r in fresh.rows]

    def norm(p: Path) -> str:
        return re.sub(r"\b(?:cell-id|id)=\"[^\"]*\"", "", p.read_text())

    for uid in ids:
        assert norm(tmp_path / "warm" / f"{uid}.html") == norm(tmp_path / "fresh" / f"{uid}.html")


@pytest.mark.slow
def test_warm_kernel_is_replaced_after_a_timeout_and_a_dead_kernel(tmp_path):
    import nbformat

    tpl = _sentinel_template(tmp_path)
    nb = nbformat.read(tpl, as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell(
        'import time\nif unit_id == "u-b":\n    time.sleep(30)\n'
        'if unit_id == "u-c":\n    os._exit(1)\n'
    ))
    nbformat.write(nb, tpl)
    out = tmp_path / "reports"
    ids = ["u-a", "u-b", "u-c", "u-d"]
    res = render_reports(ids, tpl, out, workers=1, progress=False, warm=True, timeout=2)
    by = {r["unit_id"]: r for r in res.rows}
    assert [by[u]["status"] for u in ids] == ["ok", "failed", "failed", "ok"], by
    assert by["u-b"]["ename"] == "CellTimeoutError" and by["u-c"]["ename"] == "DeadKernelError"
    pid_a, pid_d = (_kernel_pid((out / f"{u}.html").read_text()) for u in ("u-a", "u-d"))
    assert pid_a != pid_d and _gone(pid_a) and _gone(pid_d)


# ---------------------------------------------------------------- staleness by content


def test_data_fingerprint_is_by_content_not_timestamps(tmp_path):
    import os

    data = tmp_path / "data"
    (data / "processed").mkdir(parents=True)
    f = data / "processed" / "t.parquet"
    f.write_bytes(b"abc")
    man = data / "processed" / "manifest.json"
    man.write_text(json.dumps({"built_at": "2026-01-01", "seconds": 1.0, "tables": {"t": 1}}))
    cache = tmp_path / "out" / ".fp.json"
    cache.parent.mkdir()
    fp = hashing.data_fingerprint(data)
    assert hashing.data_fingerprint(data, cache=cache) == fp
    os.utime(f, ns=(1, 1))                         # touched: same bytes, another mtime
    assert hashing.data_fingerprint(data) == fp
    assert hashing.data_fingerprint(data, cache=cache) == fp
    assert json.loads(cache.read_text())["files"]  # old mtimes are cached
    # a rebuild writes another built_at and duration, same tables: same fingerprint
    man.write_text(json.dumps({"built_at": "2026-02-02", "seconds": 2.5, "tables": {"t": 1}}))
    assert hashing.data_fingerprint(data, cache=cache) == fp
    f.write_bytes(b"abd")                          # same size, new content, new mtime
    assert hashing.data_fingerprint(data, cache=cache) != fp
    assert hashing.data_fingerprint(data) != fp
    (data / ".writer.lock").write_text("")        # locks and dot-files are not data
    assert hashing.data_fingerprint(data) == hashing.data_fingerprint(data, cache=cache)


class _FakeExecutor:
    """Renders without a kernel: records which units ran."""

    name = "fake"
    workers = 1

    def __init__(self):
        self.ran: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def run(self, fn, tasks):
        for t in tasks:
            self.ran.append(t["unit_id"])
            yield t, {"unit_id": t["unit_id"], "status": "ok", "attempts": 1, "seconds": 0.01,
                      "started": manifest.now(), "html": f"<html>{t['unit_id']}</html>"}


def test_touching_processed_data_does_not_make_reports_stale_changing_it_does(tmp_path):
    import os

    data = tmp_path / "data"
    (data / "processed").mkdir(parents=True)
    table = data / "processed" / "panel.parquet"
    table.write_bytes(b"PAR1 v1")
    out = tmp_path / "reports"
    params = {"data_dir": str(data), "lang": "id"}

    def run(**kw):
        ex = _FakeExecutor()
        render_reports(["u-a", "u-b"], FIXTURE, out, parameters=params, progress=False,
                       executor=ex, **kw)
        return ex.ran

    assert run() == ["u-a", "u-b"]
    assert run() == []
    mtime = (out / "u-a.html").stat().st_mtime_ns
    table.write_bytes(b"PAR1 v1")            # rewritten, byte-identical (a rebuild)
    os.utime(table, ns=(10**18, 10**18))     # and touched
    assert run() == []
    assert (out / "u-a.html").stat().st_mtime_ns == mtime
    table.write_bytes(b"PAR1 v2")            # content changed
    assert run() == ["u-a", "u-b"]
    assert run() == []
    (data / "processed" / "new.parquet").write_bytes(b"x")   # a new table
    assert run() == ["u-a", "u-b"]
    assert run(force=True) == ["u-a", "u-b"]


def test_a_rebuild_with_identical_tables_re_renders_nothing(public_data_copy, tmp_path):
    from analysis import pipeline

    data_dir = public_data_copy      # built, public only (tests/conftest.py)
    out = tmp_path / "reports"
    params = {"data_dir": str(data_dir), "lang": "id"}

    def run():
        ex = _FakeExecutor()
        render_reports(["u-a"], FIXTURE, out, parameters=params, progress=False, executor=ex)
        return ex.ran

    assert run() == ["u-a"]
    pipeline.build(data_dir, simulated=False, force=True)   # new files, new built_at, same tables
    assert run() == []
    with (data_dir / "external" / "batang" / "batang_reference.csv").open("a") as fh:
        fh.write("\n")                                  # an input changed, the tables did not
    assert pipeline.build(data_dir, simulated=False).built
    assert run() == []
    import pandas as pd

    pd.DataFrame({"region_code": ["33.25"], "unit_id": ["dinkes"], "year": [2022],
                  "stage": ["realisasi"], "programme_class": ["urusan"],
                  "spending_type": ["pegawai"], "amount_idr": [1.0e10], "provenance": ["user"],
                  "source": ["LRA Dinkes 2022"]}).to_parquet(data_dir / "user" / "budget.parquet")
    assert pipeline.build(data_dir, simulated=False).built   # the budget table changes
    assert run() == ["u-a"]


def test_warm_engine_is_registered_through_the_papermill_entry_point():
    """papermill finds the warm engine by its entry point, whichever module is imported first
    (the engine module builds its classes lazily so papermill never loads it half-imported)."""
    import subprocess
    import sys

    for first in ("import papermill", "import analysis.publish.engine; import papermill"):
        code = (f"{first}\nfrom papermill.engines import papermill_engines\n"
                "e = papermill_engines.get_engine('batang-warm')\n"
                "print(e.__module__, e.__name__)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["analysis.publish.engine", "WarmKernelEngine"]


def test_a_changed_package_file_changes_every_report_key(monkeypatch, tmp_path):
    """A report is re-rendered when the code, words or templates it is made with change, not
    only when the version is bumped."""
    before = hashing.content_hash(b"t", {"lang": "id"}, "fp", "x")
    real = Path.read_bytes

    def edited(self):
        data = real(self)
        return data + b"\n# edited" if self.name == "sentences.py" else data

    monkeypatch.setattr(hashing, "_PACKAGE_DIGEST", None)
    monkeypatch.setattr(Path, "read_bytes", edited)
    after = hashing.content_hash(b"t", {"lang": "id"}, "fp", "x")
    monkeypatch.undo()
    hashing._PACKAGE_DIGEST = None
    assert after != before and hashing.content_hash(b"t", {"lang": "id"}, "fp", "x") == before
