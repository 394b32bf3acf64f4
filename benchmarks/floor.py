"""The render floor shared by the benchmarks: a template's code run in-process, no kernel.

One IPython ``InteractiveShell`` per worker process (a fork pool of the same size as the
renderer's), and per unit: the namespace reset, the template's ``parameters`` cell, the
injected values (as papermill injects them), then every other code cell. What it keeps of a
real render is everything the template's own code causes:

* **the inline backend**, enabled as a kernel enables it (``%matplotlib inline``): every figure
  a cell displays (``display(fig)``) or leaves open is drawn to PNG by
  ``matplotlib_inline`` with the same ``print_figure`` settings (``bbox_inches="tight"``) as
  in the kernel. (Until 2026-12-01 the floor ran on the Agg backend with no figure formatter,
  so ``display(fig)`` gave only ``text/plain`` and most figures were never drawn: the floor
  was ~1 s per pemda report too low and the warm/floor ratio it printed, 2.8, too high.)
* **display outputs**, formatted for every mimetype as in a kernel and captured;
* **the same garbage-collector policy as the warm kernel's reset**: at the second report,
  once the first has imported everything, ``gc.collect(); gc.freeze()`` moves the live objects
  out of the collector's reach; so the ratio measures kernel and papermill overhead, not a GC
  setting.

What it leaves out is exactly what the renderer adds: kernel start/reset, ZMQ messages,
papermill's notebook bookkeeping and the nbconvert HTML export.

``paired()`` measures the same per unit, in the same worker, one right after the other: the
floor, then the renderer's worker function with a warm kernel (``render_unit``). This VM's
speed drifts by ~15 % between identical runs (and within a run), so a ratio of two separate
runs moves by as much as the 15 % target; the ratio of the two times of one unit, taken
seconds apart, does not drift with it. Its median over the units is "warm / floor per report".
"""

from __future__ import annotations

import gc
import sys
import time

_SHELL = None
_RUNS = 0


def code_cells(template) -> list[str]:
    """The template's parameters cell first, then its other code cells, in order."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c.source for c in code if "parameters" in c.metadata.get("tags", [])]
    return params[:1] + [c.source for c in code if "parameters" not in c.metadata.get("tags", [])]


def _shell():
    global _SHELL
    if _SHELL is None:
        from IPython.core.displaypub import CapturingDisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shell.display_pub = CapturingDisplayPublisher()
        shell.enable_gui = lambda gui=None: None  # no event loop: only the inline backend
        shell.enable_matplotlib("inline")
        _SHELL = shell
    return _SHELL


def run_one(task: tuple[str, list[str], dict]) -> tuple[float, int]:
    """(seconds, figures drawn) of one unit's cells in this process's shell (raises on a
    cell error)."""
    global _RUNS
    uid, cells, params = task
    main = sys.modules["__main__"]   # IPython's shell installs its own __main__: put ours back,
    try:                             # or the pool cannot unpickle the next task's function
        shell = _shell()
        import matplotlib
        import matplotlib.pyplot as plt

        t0 = time.perf_counter()
        plt.close("all")                      # what the warm kernel's reset does, in order
        matplotlib.rc_file_defaults()
        shell.reset(new_session=False)
        _RUNS += 1
        if _RUNS == 2:                        # as the warm kernel's reset does
            gc.collect()
            gc.freeze()
        shell.display_pub.outputs.clear()     # (clear_output() would print an ANSI erase)
        injected = "\n".join(f"{k} = {v!r}" for k, v in {**params, "unit_id": uid}.items())
        for src in [cells[0], injected, *cells[1:]]:
            res = shell.run_cell(src, store_history=False, silent=False)
            if not res.success:
                raise RuntimeError(f"{uid}: {res.error_in_exec or res.error_before_exec}")
        seconds = time.perf_counter() - t0
        return seconds, sum("image/png" in o["data"] for o in shell.display_pub.outputs)
    finally:
        sys.modules["__main__"] = main


def floor(template, ids: list[str], params: dict,
          workers: int) -> tuple[float, float, int, float]:
    """(wall seconds, summed per-report seconds, figures drawn, median per-report seconds) of
    the floor over ``ids`` on ``workers`` forked processes (chunks of 4, like the renderer's
    pool)."""
    import multiprocessing as mp
    import statistics

    cells = code_cells(template)
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(workers) as pool:
        per = pool.map(run_one, [(u, cells, params) for u in ids], chunksize=4)
    return (time.perf_counter() - t0, sum(s for s, _ in per), sum(n for _, n in per),
            statistics.median(s for s, _ in per))


def _paired_one(task: tuple) -> tuple[float, float]:
    uid, cells, params, warm_task = task
    from analysis.publish.render.worker import render_unit

    f, _ = run_one((uid, cells, params))
    t0 = time.perf_counter()
    res = render_unit(warm_task)
    w = time.perf_counter() - t0
    if res["status"] != "ok":
        raise RuntimeError(f"{uid}: {res['ename']}: {res['evalue']}")
    return f, w


def paired(template, ids: list[str], params: dict, workers: int,
           kernel_name: str) -> list[tuple[float, float]]:
    """Per unit (floor seconds, warm-render seconds), both run in the same forked worker one
    right after the other (see the module docstring). The first unit of each worker pays the
    imports and the kernel start: use medians."""
    import multiprocessing as mp
    from pathlib import Path

    cells = code_cells(template)
    text = Path(template).read_text(encoding="utf-8")
    tasks = [(u, cells, params, {
        "unit_id": u, "title": u, "parameters": params, "content_hash": "",
        "template_text": text, "kernel_name": kernel_name, "timeout": 300,
        "start_timeout": 60, "max_retries": 2, "warm": True, "ensure_kernel": False,
    }) for u in ids]
    pool = mp.get_context("fork").Pool(workers)
    try:
        per = pool.map(_paired_one, tasks, chunksize=4)
    finally:
        pool.close()   # not terminate(): the workers' exit finalizers shut their kernels down
        pool.join()
    return per


def summarize(per: list[tuple[float, float]]) -> str:
    """'median r (quartiles a-b, n units; medians w / f s)' of the per-unit warm/floor."""
    import statistics

    ratios = [w / f for f, w in per]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return (f"median {statistics.median(ratios):.2f} (quartiles {q1:.2f}-{q3:.2f}, "
            f"{len(ratios)} units; median times warm {statistics.median(w for _, w in per):.3f}"
            f" s, floor {statistics.median(f for f, _ in per):.3f} s)")
