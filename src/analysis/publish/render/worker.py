"""The worker side: :func:`render_unit`, the one task function every executor runs.

It executes one unit's notebook with papermill (a fresh kernel, or with ``task["warm"]`` the
worker's warm kernel through :mod:`analysis.publish.engine`), converts it to HTML
(:func:`analysis.publish.html.notebook_to_html`) and returns the HTML text or the error as
data. It writes no file: the parent does (:func:`analysis.publish.render.manifest.store_result`).
Only kernel-start failures are retried (:func:`is_kernel_start_failure`); a cell error or a
timeout never is.

Warm kernels (opt-in, ``render_reports(..., warm=True)``, CLI ``--warm``): each worker process
keeps one kernel alive and runs its successive reports in it, through papermill with a custom
engine (``engine.WARM_ENGINE``) that hands the existing kernel manager and client to
papermill's nbclient client instead of starting a kernel per report. Before every report the
kernel is reset out of band (silent, not a notebook cell). After any failure the kernel is
shut down and the next report starts a fresh one. See docs/rendering.md, "Warm kernels".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from analysis.publish import engine, inprocess
from analysis.publish.html import notebook_to_html
from analysis.publish.kernel import BATCH_KERNEL_ARGS, ensure_kernel
from analysis.publish.render.manifest import now

MAX_KERNEL_START_RETRIES = 2

# Error messages of a kernel that failed to start (jupyter_client, zmq port races); only these
# are retried. A cell error (PapermillExecutionError) or timeout is never retried.
_KERNEL_START_MESSAGES = (
    "kernel didn't respond",
    "kernel died before replying to kernel_info",
    "address already in use",
)

_KERNELS_ENSURED: set[str] = set()


def is_kernel_start_failure(exc: BaseException) -> bool:
    """True for the kernel-start races worth a retry (never for a cell error)."""
    msg = str(exc).lower()
    if type(exc).__name__ == "PapermillExecutionError":
        return False
    if type(exc).__name__ == "ZMQError" and "address" in msg and "in use" in msg:
        return True
    return isinstance(exc, RuntimeError | OSError | TimeoutError) and any(
        m in msg for m in _KERNEL_START_MESSAGES
    )


_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _traceback_tail(lines: Iterable[str] | None, n: int = 30) -> str:
    text = "\n".join(_ANSI_RE.sub("", str(x)) for x in (lines or []))
    return "\n".join(text.splitlines()[-n:])


ENGINES = ("inprocess", "warm", "fresh")
"""The report engines (``render --engine``): the cells in the worker process itself, a warm
kernel per worker, a fresh kernel per report."""


def task_engine(task: Mapping[str, Any]) -> str:
    """The engine a task asks for (``task["engine"]``; the older ``task["warm"]``)."""
    mode = task.get("engine") or ("warm" if task.get("warm") else "fresh")
    if mode not in ENGINES:
        raise ValueError(f"unknown engine {mode!r}: one of {', '.join(ENGINES)}")
    return mode


def render_unit(task: Mapping[str, Any]) -> dict:
    """The task function run by every executor: execute one unit's notebook and convert it.

    Never raises for a unit's failure: returns a dict with ``status`` ("ok" / "failed"), the
    HTML text when ok, and papermill's error details when not. Runs in a worker process
    (process pool or Dask worker), so everything it needs is in ``task``; the parent writes
    the files (one place for atomic writes and path checks).
    """
    started = now()
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "unit_id": task["unit_id"],
        "started": started,
        "attempts": 0,
        "status": "failed",
        "html": None,
        "cell_index": None,
        "exec_count": None,
        "ename": None,
        "evalue": None,
        "traceback": None,
    }
    warm: engine.WarmKernel | None = None
    try:
        import nbformat
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        kernel_name = task["kernel_name"]
        if task.get("ensure_kernel", True) and kernel_name not in _KERNELS_ENSURED:
            ensure_kernel(kernel_name)  # remote Dask workers install it for their interpreter
            _KERNELS_ENSURED.add(kernel_name)
        template = nbformat.reads(task["template_text"], as_version=4)
        params = {"unit_id": task["unit_id"], **task["parameters"]}
        retries = int(task.get("max_retries", MAX_KERNEL_START_RETRIES))
        engine_args: dict[str, Any] = {}
        mode = task_engine(task)
        if mode == "inprocess":
            inprocess.ensure_registered()
            engine_args = {"engine_name": inprocess.INPROCESS_ENGINE}
        elif mode == "warm":
            engine.ensure_registered()
            warm = engine.warm_kernel(kernel_name)
            engine_args = {"engine_name": engine.WARM_ENGINE, "warm_kernel": warm}
        nb = None
        for attempt in range(retries + 1):
            out["attempts"] = attempt + 1
            try:
                nb = pm.execute_notebook(
                    nbformat.from_dict(template),  # a fresh copy per attempt
                    None,  # no .ipynb written: the HTML is built from the returned node
                    parameters=params,
                    kernel_name=kernel_name,
                    progress_bar=False,
                    request_save_on_cell_execute=False,
                    start_timeout=task.get("start_timeout", 60),
                    execution_timeout=task.get("timeout"),
                    # engine kwargs, passed through papermill to nbclient's NotebookClient:
                    shutdown_kernel="immediate",
                    extra_arguments=list(BATCH_KERNEL_ARGS),
                    **engine_args,
                )
                break
            except PapermillExecutionError:
                if warm is not None:
                    warm.shutdown()  # a failed report never leaves its kernel to the next
                raise
            except Exception as exc:
                if attempt < retries and is_kernel_start_failure(exc):
                    time.sleep(0.5 * (attempt + 1))
                    continue
                raise
        out["html"] = notebook_to_html(
            nb, task.get("title") or task["unit_id"], task["parameters"].get("lang", "id")
        )
        out["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a unit's failure is data, not a crash
        out["ename"] = getattr(exc, "ename", None) or type(exc).__name__
        out["evalue"] = str(getattr(exc, "evalue", None) or exc)
        if type(exc).__name__ == "PapermillExecutionError":
            out["cell_index"] = exc.cell_index
            out["exec_count"] = exc.exec_count
            out["traceback"] = _traceback_tail(exc.traceback)
        else:
            import traceback as _tb

            out["traceback"] = _traceback_tail(_tb.format_exception(exc))
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out
