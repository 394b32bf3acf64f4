"""The warm-kernel papermill engine: one Jupyter kernel per worker process, reused for
successive reports and reset between them.

Registered with papermill under the name ``batang-warm`` through the ``papermill.engine``
entry point (``pyproject.toml``), so ``papermill.execute_notebook(..., engine_name="batang-warm",
warm_kernel=warm_kernel(name))`` works in any process that has the package installed;
``ensure_registered()`` registers it by hand where the installed metadata is older than the
code (an editable install made before the entry point existed).

The engine classes are built on first access (``WarmKernelEngine`` is a module attribute
served by ``__getattr__``, PEP 562): papermill loads its entry points while ``papermill.engines``
is being imported, so a module that imported papermill at its top would, when imported first,
be handed to papermill half-initialised. Importing this module imports no papermill.

Why an engine of our own: papermill's ``NBClientEngine`` always starts (and shuts down) a new
kernel per notebook, ~1 s of the ~1.5 s a small report costs. This engine hands nbclient an
existing kernel manager and client. papermill has no hook for the client class, so
``execute_managed_notebook`` repeats NBClientEngine's argument mapping (about ten lines, using
papermill's own ``remove_args``/``merge_kwargs``); ``tests/test_render.py`` checks that a warm
render and a fresh-kernel render of the same report produce the same cells.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from queue import Empty
from typing import Any

from analysis.publish.kernel import BATCH_KERNEL_ARGS

WARM_ENGINE = "batang-warm"
"""Name under which the warm engine is registered with papermill (entry point)."""

# Run silently before every report in a reused kernel. Order matters: figures are closed and
# rcParams restored while the modules are still reachable, then the namespace is cleared.
# - plt.close("all"): no figure of the previous report can be flushed into this one;
# - matplotlib.rc_file_defaults(): rcParams back to what a fresh kernel has (matplotlibrc,
#   i.e. rcdefaults() plus any site/user matplotlibrc; the backend is kept), so the
#   template's own plots.use_style() starts from the same state as with a fresh kernel;
# - the warnings "already shown" registries are invalidated (a warning shown once in the
#   previous report is shown again, as in a fresh kernel): simplefilter(..., append=True)
#   adds the catch-all "default" entry, which is also Python's behaviour when no filter
#   matches, so it changes no decision; it only bumps the filters version;
# - execution_count = 1: execution counts (and PapermillExecutionError.exec_count) are the
#   same as with a fresh kernel;
# - %reset -f: every user global (the parameters, `rep`, `table`, imported names, Out, _i*);
# - at the second reset only (the first report has imported pandas, matplotlib, the package
#   and its caches): gc.collect() then gc.freeze(), which moves every object then alive out of
#   the cyclic collector's reach. The kernel's long-lived heap (modules, caches) is then not
#   traversed again by every full collection while a report allocates figures and frames;
#   measured on the pemda template in one 10-report run: 1.83 -> 1.74 s in cells per report
#   (the floor of benchmarks/bench_peers.py does the same). Objects frozen there are still
#   freed by reference counting.
_WARM_RESET_CODE = """\
import sys as _batang_sys, warnings as _batang_warnings
if "matplotlib.pyplot" in _batang_sys.modules:
    _batang_sys.modules["matplotlib.pyplot"].close("all")
if "matplotlib" in _batang_sys.modules:
    _batang_sys.modules["matplotlib"].rc_file_defaults()
_batang_warnings.onceregistry.clear()
_batang_warnings.simplefilter("default", append=True)
get_ipython().execution_count = 1
%reset -f
import sys as _batang_sys, gc as _batang_gc
_batang_sys._batang_warm_resets = getattr(_batang_sys, "_batang_warm_resets", 0) + 1
if _batang_sys._batang_warm_resets == 2:
    _batang_gc.collect()
    _batang_gc.freeze()
del _batang_sys, _batang_gc
"""


class WarmKernelResetError(RuntimeError):
    """The reset before a report failed in a reused kernel (the kernel is then replaced)."""


class WarmKernel:
    """One kernel kept alive in this process for successive reports.

    Started lazily by the warm engine (so a start failure surfaces inside papermill's call and
    is retried like a fresh-kernel start failure), shut down by ``shutdown()``: after a failed
    report, and at process exit (``atexit`` and a ``multiprocessing`` finalizer, because pool
    workers leave through ``os._exit`` and never run ``atexit`` handlers).
    """

    def __init__(self, kernel_name: str, extra_arguments: Iterable[str] = BATCH_KERNEL_ARGS):
        self.kernel_name = kernel_name
        self.extra_arguments = list(extra_arguments)
        self.pid = os.getpid()
        self.reports = 0
        self._client = None  # the nbclient NotebookClient that owns km/kc

    @property
    def km(self):
        return self._client.km if self._client is not None else None

    @property
    def kc(self):
        return self._client.kc if self._client is not None else None

    @property
    def started(self) -> bool:
        return self._client is not None

    def ensure_started(self, start_timeout: int = 60) -> None:
        """Start the kernel unless a live one is there (a dead one is cleaned up first)."""
        if self._client is not None and not self.is_alive():
            self.shutdown()
        if self._client is not None:
            return
        import nbformat
        from nbclient import NotebookClient

        client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name=self.kernel_name,
            extra_arguments=list(self.extra_arguments),
            startup_timeout=start_timeout,
            shutdown_kernel="immediate",
        )
        client.km = client.create_kernel_manager()
        self._client = client
        try:
            client.start_new_kernel()
            client.start_new_kernel_client()  # waits for kernel_info; cleans up on failure
        except BaseException:
            self.shutdown()
            raise
        self.reports = 0

    def is_alive(self) -> bool:
        if self._client is None or self._client.km is None:
            return False
        from jupyter_core.utils import ensure_async, run_sync

        async def _alive():
            return bool(await ensure_async(self._client.km.is_alive()))

        try:
            return run_sync(_alive)()
        except Exception:  # noqa: BLE001 - a broken manager counts as dead
            return False

    def shutdown(self) -> None:
        """Kill the kernel now (idempotent; never raises). A copy inherited through fork
        belongs to the parent's kernel and is only dropped, never shut down."""
        client, self._client = self._client, None
        if client is None or os.getpid() != self.pid:
            return
        with contextlib.suppress(Exception):
            if client.km is not None:
                client._cleanup_kernel()  # immediate shutdown, cleanup_resources, stop_channels


_WARM: dict[str, WarmKernel] = {}
_WARM_FINALIZER_PID: int | None = None


def shutdown_warm_kernels() -> None:
    """Shut down every warm kernel of this process (registered for process exit)."""
    for wk in list(_WARM.values()):
        wk.shutdown()
    _WARM.clear()


def warm_kernel(kernel_name: str) -> WarmKernel:
    """This process's warm kernel for ``kernel_name`` (created on first use)."""
    global _WARM_FINALIZER_PID
    pid = os.getpid()
    if _WARM_FINALIZER_PID != pid:
        # First use in this process (a forked worker inherits the parent's dict: drop it).
        _WARM.clear()
        import atexit
        from multiprocessing import util as mp_util

        atexit.register(shutdown_warm_kernels)
        mp_util.Finalize(None, shutdown_warm_kernels, exitpriority=100)
        _WARM_FINALIZER_PID = pid
    wk = _WARM.get(kernel_name)
    if wk is None:
        wk = _WARM[kernel_name] = WarmKernel(kernel_name)
    return wk


_CLASSES: dict[str, Any] = {}


def _engine_classes() -> dict[str, Any]:
    """Build (once) the papermill client and engine classes; see the module docstring."""
    if _CLASSES:
        return _CLASSES
    from jupyter_core.utils import ensure_async, run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine  # may load this module's entry point
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    if _CLASSES:  # built while papermill loaded its entry points (re-entrant import)
        return _CLASSES

    class WarmNotebookClient(PapermillNotebookClient):
        """papermill's client on an existing kernel: resets the namespace, then runs cells."""

        async def _async_reset_namespace(self) -> None:
            msg_id = await ensure_async(
                self.kc.execute(
                    _WARM_RESET_CODE, silent=True, store_history=False, allow_stdin=False
                )
            )
            deadline = time.monotonic() + (self.timeout or 60)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WarmKernelResetError("the warm kernel did not answer the reset")
                try:
                    msg = await ensure_async(
                        self.kc.shell_channel.get_msg(timeout=min(remaining, 1.0))
                    )
                except Empty:
                    await self._async_check_alive()  # DeadKernelError when it died
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    break
            content = msg["content"]
            if content.get("status") != "ok":
                raise WarmKernelResetError(
                    f"reset failed in the warm kernel: {content.get('ename')}: "
                    f"{content.get('evalue')}"
                )

        def papermill_execute_cells(self):
            run_sync(self._async_reset_namespace)()
            super().papermill_execute_cells()

    class WarmKernelEngine(NBClientEngine):
        """papermill engine: the same kernel for every notebook of this process."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            warm_kernel: WarmKernel | None = None,  # noqa: F821 (module level)
            **kwargs,
        ):
            if warm_kernel is None:
                raise ValueError(f"the {WARM_ENGINE!r} engine needs warm_kernel=WarmKernel(...)")
            # Same argument handling as papermill's NBClientEngine.execute_managed_notebook.
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            try:
                warm_kernel.ensure_started(start_timeout)
                # km given: nbclient neither starts nor shuts down the kernel (owns_km False);
                # kc given: it opens no second set of channels.
                client = WarmNotebookClient(nb_man, km=warm_kernel.km, **final_kwargs)
                client.kc = warm_kernel.kc
                nb = client.execute()
            except BaseException:
                warm_kernel.shutdown()  # dead, timed out or half-run: never reused
                raise
            warm_kernel.reports += 1
            return nb

    for cls in (WarmNotebookClient, WarmKernelEngine):
        cls.__qualname__ = cls.__name__
        _CLASSES[cls.__name__] = cls
    return _CLASSES


def __getattr__(name: str) -> Any:
    if name in ("WarmKernelEngine", "WarmNotebookClient"):
        return _engine_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ensure_registered() -> Any:
    """The engine class, registered with papermill unless the entry point already did."""
    from papermill.engines import papermill_engines

    engine = _engine_classes()["WarmKernelEngine"]
    if papermill_engines._engines.get(WARM_ENGINE) is not engine:
        papermill_engines.register(WARM_ENGINE, engine)
    return engine
