"""How report tasks run: a local process pool (default) or a Dask cluster, behind one small
interface (``TaskExecutor``). ``make_executor`` is the one place that chooses."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Protocol

PR_SET_PDEATHSIG = 1   # linux/prctl.h
WORKER_EXIT_WAIT = 5.0
"""Seconds a worker gets to exit after SIGTERM before it is killed (interrupted batch)."""


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` dies, even by SIGKILL: on Linux the kernel
    sends SIGTERM at the parent's death (``prctl(PR_SET_PDEATHSIG)``); if the parent is
    already gone, exit now. A worker's kernels then exit too: ipykernel polls its parent
    (``JPY_PARENT_PID``) and shuts down when it changes."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _worker_init(parent_pid: int) -> None:
    """Pool worker start: the parent decides on Ctrl-C (it terminates the workers, whose
    kernels follow), and the worker dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


class TaskExecutor(Protocol):
    """Runs ``fn(task)`` for every task and yields ``(task, result)`` as each one finishes.

    ``fn`` never raises for a unit's failure; an executor turns infrastructure failures
    (a worker process died, a lost Dask worker) into failed results itself.
    """

    name: str
    workers: int

    def __enter__(self) -> TaskExecutor: ...
    def __exit__(self, *exc) -> None: ...
    def run(self, fn: Callable[[dict], dict], tasks: list[dict]) -> Iterator[tuple[dict, dict]]:
        """Submit every task now; return an iterator of results in completion order."""
        ...


def _infra_failure(task: dict, exc: BaseException) -> dict:
    return {
        "unit_id": task["unit_id"],
        "status": "failed",
        "html": None,
        "seconds": None,
        "started": None,
        "attempts": 1,
        "cell_index": None,
        "exec_count": None,
        "ename": type(exc).__name__,
        "evalue": str(exc) or type(exc).__name__,
        "traceback": None,
    }


class ProcessPoolTaskExecutor:
    """``concurrent.futures.ProcessPoolExecutor``, one unit per task, ``workers`` processes."""

    name = "process-pool"

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._pool = None

    def __enter__(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = None
        if "fork" in mp.get_all_start_methods() and sys.platform.startswith("linux"):
            # Import the heavy modules once, before forking, so workers inherit them.
            import nbconvert  # noqa: F401
            import papermill  # noqa: F401

            ctx = mp.get_context("fork")
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                         initializer=_worker_init, initargs=(os.getpid(),))
        return self

    def __exit__(self, exc_type, *exc):
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if exc_type is None:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        # interrupted (Ctrl-C, SIGTERM) or failed: stop the workers now instead of waiting for
        # their units; each worker's kernel exits when its parent is gone
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.join(WORKER_EXIT_WAIT)
            if p.is_alive():
                p.kill()
                p.join(WORKER_EXIT_WAIT)

    def run(self, fn, tasks):
        from concurrent.futures import as_completed

        futures = {self._pool.submit(fn, t): t for t in tasks}  # submitted (forked) now

        def _results():
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    yield task, fut.result()
                except Exception as exc:  # BrokenProcessPool, pickling errors
                    yield task, _infra_failure(task, exc)

        return _results()


class DaskTaskExecutor:
    """A Dask ``distributed.Client``: ``"local"`` starts a LocalCluster of ``workers``
    single-threaded processes; any other value is a scheduler address (``tcp://host:8786``)."""

    def __init__(self, scheduler: str, workers: int):
        self.scheduler = scheduler
        self.workers = max(1, int(workers))
        self.name = "dask-local" if scheduler == "local" else f"dask:{scheduler}"
        self._cluster = None
        self._client = None

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.scheduler == "local":
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            )
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.scheduler)
            self.workers = len(self._client.scheduler_info().get("workers", {})) or self.workers
        return self

    def __exit__(self, *exc):
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run(self, fn, tasks):
        import uuid

        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        futures = {}
        for t in tasks:
            fut = self._client.submit(fn, t, key=f"render-{t['unit_id']}-{token}", pure=False)
            futures[fut] = t

        def _results():
            for fut in as_completed(list(futures)):
                task = futures[fut]
                try:
                    yield task, fut.result()
                except Exception as exc:  # lost worker, KilledWorker
                    yield task, _infra_failure(task, exc)
                finally:
                    fut.release()

        return _results()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> TaskExecutor:
    """The one place that chooses how units run."""
    n = workers or os.cpu_count() or 1
    if scheduler:
        return DaskTaskExecutor(scheduler, n)
    return ProcessPoolTaskExecutor(n)

