"""How report tasks run: a local process pool (default) or a Dask cluster, behind one small
interface (``TaskExecutor``). ``make_executor`` is the one place that chooses."""

from __future__ import annotations

import contextlib
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


def _worker_died(task: dict, exitcode: int | None) -> dict:
    from analysis.publish.inprocess import HUNG_EXIT

    if exitcode == HUNG_EXIT:
        exc: BaseException = TimeoutError(
            "a cell ignored its timeout (blocked in native code): its worker was ended and "
            "replaced")
        res = _infra_failure(task, exc)
        res["ename"] = "CellTimeoutError"
        return res
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exit status {exitcode}"
    res = _infra_failure(task, RuntimeError(
        f"the worker process died while rendering this unit ({how}); it was replaced"))
    res["ename"] = "WorkerDied"
    return res


def _replacing_worker(conn, fn, parent_pid: int) -> None:
    """A :class:`ReplacingPoolTaskExecutor` worker: run tasks from ``conn`` until told to stop
    (None) or until this process should be retired (a cell was stopped by its timeout)."""
    _worker_init(parent_pid)
    from analysis.publish.inprocess import worker_should_retire

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            res = fn(task)
        except Exception as exc:  # noqa: BLE001 - fn should not raise; keep the worker
            res = _infra_failure(task, exc)
        retire = worker_should_retire()
        conn.send((res, retire))
        if retire:
            return


class ReplacingPoolTaskExecutor:
    """A fork pool of ``workers`` processes, one unit at a time each, that **replaces a worker
    that dies** (a crash in a C extension, ``os._exit``, SIGKILL, a cell blocked past its
    timeout) and records only that worker's unit as failed; the other units go on.

    The engine that runs a report's cells in the worker itself (``inprocess``) needs this: in
    ``concurrent.futures.ProcessPoolExecutor`` one dead worker breaks the pool and fails every
    unit not yet finished. A worker also leaves (and is replaced) after a unit whose cell was
    stopped by its timeout (``inprocess.worker_should_retire``)."""

    name = "process-pool"

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._ctx = None
        self._procs: dict = {}   # conn -> process

    def __enter__(self):
        import multiprocessing as mp

        # Import the heavy modules once, before forking, so workers inherit them.
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401

        self._ctx = mp.get_context("fork")
        return self

    def _start(self, fn):
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_replacing_worker, args=(child, fn, os.getpid()),
                                 daemon=True)
        proc.start()
        child.close()
        self._procs[parent] = proc
        return parent

    def _stop(self, conn, graceful: bool) -> None:
        proc = self._procs.pop(conn)
        if graceful:
            with contextlib.suppress(OSError):
                conn.send(None)
        else:
            proc.terminate()
        proc.join(WORKER_EXIT_WAIT)
        if proc.is_alive():
            proc.kill()
            proc.join(WORKER_EXIT_WAIT)
        conn.close()

    def __exit__(self, exc_type, *exc):
        for conn in list(self._procs):
            self._stop(conn, graceful=exc_type is None)

    def run(self, fn, tasks):
        from collections import deque
        from multiprocessing.connection import wait

        todo = deque(tasks)

        def _results():
            busy: dict = {}   # conn -> task
            idle: list = []
            while todo or busy:
                while todo and (idle or len(self._procs) < self.workers):
                    conn = idle.pop() if idle else self._start(fn)
                    if not self._procs[conn].is_alive():   # died while idle: replace it
                        self._stop(conn, graceful=False)
                        continue
                    task = todo.popleft()
                    try:
                        conn.send(task)
                    except OSError:   # died just now: replace it
                        self._stop(conn, graceful=False)
                        todo.appendleft(task)
                        continue
                    busy[conn] = task
                sentinels = {self._procs[c].sentinel: c for c in busy}
                for ready in wait(list(busy) + list(sentinels)):
                    conn = sentinels.get(ready, ready)
                    if conn not in busy:
                        continue   # both its pipe and its sentinel were ready
                    task = busy.pop(conn)
                    try:
                        res, retire = conn.recv() if conn.poll() else (None, True)
                    except (EOFError, OSError):
                        res, retire = None, True
                    if res is None:
                        proc = self._procs[conn]
                        proc.join(WORKER_EXIT_WAIT)
                        res = _worker_died(task, proc.exitcode)
                    if retire:
                        self._stop(conn, graceful=False)
                    else:
                        idle.append(conn)
                    yield task, res
            for conn in idle:
                self._stop(conn, graceful=True)

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


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  engine: str = "fresh") -> TaskExecutor:
    """The one place that chooses how units run. The ``inprocess`` engine runs a report in
    the worker itself, so a worker may die with its unit: the replacing pool."""
    n = workers or os.cpu_count() or 1
    if scheduler:
        return DaskTaskExecutor(scheduler, n)
    if engine == "inprocess" and sys.platform.startswith("linux"):
        return ReplacingPoolTaskExecutor(n)
    return ProcessPoolTaskExecutor(n)

