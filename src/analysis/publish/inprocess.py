"""The in-process papermill engine: a report's cells run in the worker process itself.

Registered with papermill as ``batang-inprocess`` (``papermill.engine`` entry point in
``pyproject.toml``; ``ensure_registered()`` registers it by hand where the installed metadata
is older). papermill still reads the template, injects the parameters, keeps each cell's
papermill metadata and raises ``PapermillExecutionError`` naming the failing cell
(``raise_for_execution_errors``, from the ``error`` output this engine records); the engine
replaces nbclient + kernel: one IPython ``InteractiveShell`` per worker process with the inline
backend, as the render floor (``benchmarks/floor.py``) runs a template, so a cell costs no
kernel message round trip and a report no kernel start or reset round trip.

Outputs have the shapes nbclient gives them, built with nbformat's ``output_from_msg`` from the
same message contents an ipykernel sends: ``stream`` (consecutive writes to one stream merged,
as the kernel's buffered ``OutStream`` does), ``display_data`` (``display()``, figures drawn by
the inline backend, PNG base64), ``execute_result`` (with its execution count), ``error``
(``ename``, ``evalue``, the colour traceback). ``clear_output`` (also with ``wait``) and
``update_display`` by ``display_id`` behave as in nbclient.

Between reports (:func:`reset_worker_state`): figures closed, rcParams back to the matplotlibrc
defaults, warnings filters and ``showwarning`` back to the shell's initial ones and the
"already shown" registries invalidated, user namespace cleared (``%reset -f``), execution count
1, pandas options, the working directory, ``os.environ`` and ``sys.path`` restored, and class
attributes of pandas, numpy and matplotlib restored (a monkeypatch such as
``pandas.DataFrame.x = ...`` is undone; :class:`_ClassGuard`). Imported modules persist, as
with the warm kernel.

Timeouts: a cell is stopped at ``execution_timeout`` by ``SIGALRM`` (the worker's main thread),
which raises inside the cell's Python code and fails the unit with nbclient's
``CellTimeoutError``, like a kernel's timeout. After a timeout the process is *retired*
(:func:`worker_should_retire`): the pool replaces it, since a cell stopped half-way may have
left module state (a lock, a half-built cache) that no reset knows about. A cell blocked in
native code that never returns to the interpreter cannot see the signal: a watchdog thread
then ends the process with exit status :data:`HUNG_EXIT` ``timeout + HUNG_GRACE`` seconds
after the cell started, and the pool records that unit as failed (``CellTimeoutError``) and
starts a new worker. A worker that dies in any other way (a crash in a C extension,
``os._exit``, SIGKILL) is likewise replaced, its unit failed (``executors.ReplacingPool``).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import gc
import os
import signal
import sys
import threading
import warnings
from typing import Any

INPROCESS_ENGINE = "batang-inprocess"
"""Name under which the in-process engine is registered with papermill (entry point)."""

HUNG_EXIT = 70
"""Exit status of a worker whose cell ignored the timeout signal (native code)."""
HUNG_GRACE = 10.0
"""Seconds after the timeout before the watchdog ends a worker whose cell ignores SIGALRM."""

_LANGUAGE_INFO = {  # what ipykernel's kernel_info reply says (papermill stores it)
    "name": "python",
    "version": sys.version.split()[0],
    "mimetype": "text/x-python",
    "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
    "pygments_lexer": "ipython3",
    "nbconvert_exporter": "python",
    "file_extension": ".py",
}

_GUARDED_MODULES = ("pandas", "numpy", "matplotlib", "matplotlib.pyplot", "matplotlib.figure",
                    "matplotlib.axes", "matplotlib.artist")


class _CellTimeout(BaseException):
    """Raised by SIGALRM inside a cell that ran past its timeout."""


class _Sink:
    """The outputs of the cell being run (a list of NotebookNodes), nbclient's rules."""

    def __init__(self):
        self.outs: list | None = None
        self.clear_next = False
        self.display_ids: dict[str, list] = {}

    def start(self, outs: list) -> None:
        self.outs = outs
        self.clear_next = False

    def _add(self, msg_type: str, content: dict, display_id: str | None = None) -> None:
        from nbformat.v4 import output_from_msg

        if self.outs is None:
            return
        out = output_from_msg({"header": {"msg_type": msg_type}, "msg_type": msg_type,
                               "content": content})
        if self.clear_next:
            self.outs[:] = []
            self.clear_next = False
        if display_id:
            self.display_ids.setdefault(display_id, []).append(out)
        self.outs.append(out)

    def stream(self, name: str, text: str) -> None:
        if self.outs is None or not text:
            return
        if not self.clear_next and self.outs and self.outs[-1].get("output_type") == "stream" \
                and self.outs[-1].get("name") == name:
            self.outs[-1]["text"] += text
            return
        self._add("stream", {"name": name, "text": text})

    def display(self, data, metadata, transient, update) -> None:
        data = _encode(data)
        metadata = metadata or {}
        display_id = (transient or {}).get("display_id")
        if update:
            for out in self.display_ids.get(display_id, []):
                out["data"], out["metadata"] = copy.deepcopy(data), copy.deepcopy(metadata)
            return
        self._add("display_data", {"data": data, "metadata": metadata}, display_id)

    def clear(self, wait: bool) -> None:
        if self.outs is None:
            return
        if wait:
            self.clear_next = True
        else:
            self.outs[:] = []


def _encode(data: dict) -> dict:
    """bytes (a raw PNG, JPEG, PDF) as base64 text, as ipykernel's ``encode_images`` does."""
    return {k: (base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v)
            for k, v in (data or {}).items()}


class _Stream:
    """``sys.stdout``/``sys.stderr`` while a cell runs: text goes to the cell's outputs."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, sink: _Sink, name: str):
        self.sink, self.name = sink, name

    def write(self, s) -> int:
        if not isinstance(s, str):
            s = s.decode("utf-8", "replace")
        self.sink.stream(self.name, s)
        return len(s)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("in-process cell output has no file descriptor")

    @property
    def closed(self) -> bool:
        return False


class _ClassGuard:
    """Snapshot of the attribute dicts of the classes (and the function attributes of the
    modules) of a few libraries; ``restore()`` undoes what a report changed there."""

    def __init__(self, module_names=_GUARDED_MODULES):
        self.classes: dict[type, dict[str, Any]] = {}
        self.modules: dict[Any, dict[str, Any]] = {}
        import types

        for name in module_names:
            mod = sys.modules.get(name)
            if mod is None:
                continue
            funcs = {}
            for k, v in list(vars(mod).items()):
                if isinstance(v, type) and v not in self.classes:
                    self.classes[v] = dict(vars(v))
                elif isinstance(v, types.FunctionType | types.BuiltinFunctionType):
                    funcs[k] = v
            self.modules[mod] = funcs

    def restore(self) -> int:
        changed = 0
        for cls, saved in self.classes.items():
            current = vars(cls)
            if len(current) == len(saved) and all(current.get(k, saved) is v
                                                  for k, v in saved.items()):
                continue
            for k in [k for k in current if k not in saved]:
                delattr(cls, k)
                changed += 1
            for k, v in saved.items():
                if current.get(k, _MISSING) is not v:
                    setattr(cls, k, v)
                    changed += 1
        for mod, funcs in self.modules.items():
            d = vars(mod)
            for k, v in funcs.items():
                if d.get(k, _MISSING) is not v:
                    setattr(mod, k, v)
                    changed += 1
        return changed


_MISSING = object()


def _restore_nested(target: dict, saved: dict) -> None:
    """Put ``saved``'s values back into ``target`` in place (pandas keeps references to the
    nested option dicts)."""
    for k in [k for k in target if k not in saved]:
        del target[k]
    for k, v in saved.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _restore_nested(target[k], v)
        else:
            target[k] = copy.deepcopy(v)


class InProcessShell:
    """This worker's shell, its output sink and the state restored between reports."""

    def __init__(self):
        from ipykernel.compiler import XCachingCompiler
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import DisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        sink = self.sink = _Sink()

        class _Publisher(DisplayPublisher):
            def publish(self, data, metadata=None, source=None, *, transient=None,
                        update=False, **kwargs):
                sink.display(data, metadata, transient, update)

            def clear_output(self, wait=False):
                sink.clear(wait)

        class _Hook(DisplayHook):
            def start_displayhook(self):
                self._result = None

            def write_output_prompt(self):
                pass

            def write_format_data(self, format_dict, md_dict=None):
                self._result = (format_dict, md_dict)

            def finish_displayhook(self):
                if self._result and self._result[0]:
                    fmt, md = self._result
                    sink._add("execute_result", {"data": _encode(fmt), "metadata": md or {},
                                                 "execution_count": self.prompt_count})
                self._result = None

        class _Shell(InteractiveShell):
            displayhook_class = _Hook
            display_pub_class = _Publisher
            compiler_class = XCachingCompiler   # ipykernel's: cells are /tmp/ipykernel_<pid>/…

            def _showtraceback(self, etype, evalue, stb):
                sink._add("error", {"ename": str(etype.__name__), "evalue": str(evalue),
                                    "traceback": stb})

            def enable_gui(self, gui=None):  # no event loop: only the inline backend
                pass

        main = sys.modules.get("__main__")
        stdout, stderr = sys.stdout, sys.stderr
        try:
            if InteractiveShell.initialized():
                InteractiveShell.clear_instance()
            cfg = Config()
            cfg.HistoryManager.enabled = False
            # a kernel's shell: no terminal colours guessed from the environment
            self.shell = _Shell.instance(config=cfg)
            for var, val in (("TERM", "xterm-color"), ("CLICOLOR", "1"), ("PAGER", "cat"),
                             ("GIT_PAGER", "cat")):   # what ipykernel's shell sets
                os.environ[var] = val
            self.shell.enable_matplotlib("inline")
            import pandas  # noqa: F401  (snapshotted below; every report imports it)
        finally:
            sys.modules["__main__"] = main
            sys.stdout, sys.stderr = stdout, stderr
        self.reports = 0
        self.retire = False
        self.guard = _ClassGuard()
        self.filters = list(warnings.filters)
        self.showwarning = warnings.showwarning
        self.cwd = os.getcwd()
        self.environ = dict(os.environ)
        self.path = list(sys.path)
        self.pandas_options = copy.deepcopy(self._pandas_config())
        self.pid = os.getpid()

    @staticmethod
    def _pandas_config() -> dict:
        try:
            from pandas._config import config as pdc

            return pdc._global_config
        except Exception:  # noqa: BLE001 - a pandas without it: nothing to restore
            return {}

    def reset(self) -> None:
        """Everything a report may have changed that a fresh kernel would not have."""
        mods = sys.modules
        if "matplotlib.pyplot" in mods:
            mods["matplotlib.pyplot"].close("all")
        if "matplotlib" in mods:
            mods["matplotlib"].rc_file_defaults()
        warnings.filters[:] = self.filters
        warnings.showwarning = self.showwarning
        warnings.onceregistry.clear()
        warnings._filters_mutated()  # invalidates every module's __warningregistry__
        self.guard.restore()
        _restore_nested(self._pandas_config(), self.pandas_options)
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)
        if os.environ != self.environ:
            for k in [k for k in os.environ if k not in self.environ]:
                del os.environ[k]
            os.environ.update(self.environ)
        sys.path[:] = self.path
        self.shell.reset(new_session=False)
        self.shell.execution_count = 1
        self.sink.display_ids.clear()
        self.reports += 1
        if self.reports == 2:  # as the warm kernel's reset: freeze the long-lived heap
            gc.collect()
            gc.freeze()

    def run_cell(self, cell, timeout: float | None) -> dict | None:
        """Run one code cell into ``cell.outputs``; the error content when it raised."""
        sink, shell = self.sink, self.shell
        cell.outputs = []
        sink.start(cell.outputs)
        count = shell.execution_count
        cell.execution_count = count
        timing = cell.metadata.setdefault("execution", {})
        timing["iopub.status.busy"] = timing["iopub.execute_input"] = _now()
        error: dict | None = None
        timed_out = False

        def _alarm(signum, frame):
            raise _CellTimeout()

        watchdog = None
        use_alarm = bool(timeout) and threading.current_thread() is threading.main_thread()
        old_handler = None
        main = sys.modules.get("__main__")
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Stream(sink, "stdout"), _Stream(sink, "stderr")
        try:
            if timeout:
                watchdog = threading.Timer(timeout + HUNG_GRACE, os._exit, (HUNG_EXIT,))
                watchdog.daemon = True
                watchdog.start()
            if use_alarm:
                old_handler = signal.signal(signal.SIGALRM, _alarm)
                signal.setitimer(signal.ITIMER_REAL, float(timeout))
            try:
                res = shell.run_cell(cell.source, store_history=True, silent=False)
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            if isinstance(res.error_in_exec, _CellTimeout):
                timed_out = True
            elif not res.success:
                exc = res.error_in_exec or res.error_before_exec
                err = [o for o in cell.outputs if o.get("output_type") == "error"]
                error = ({"ename": err[-1]["ename"], "evalue": err[-1]["evalue"],
                          "traceback": err[-1]["traceback"]} if err else
                         {"ename": type(exc).__name__, "evalue": str(exc), "traceback": []})
        except _CellTimeout:
            timed_out = True
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if use_alarm:
                signal.signal(signal.SIGALRM, old_handler or signal.SIG_DFL)
            sys.stdout, sys.stderr = stdout, stderr
            sys.modules["__main__"] = main
            sink.outs = None
            timing["shell.execute_reply"] = timing["iopub.status.idle"] = _now()
        if timed_out:
            # drop the error output of the interrupted frame: nbclient records none either
            cell.outputs[:] = [o for o in cell.outputs if o.get("output_type") != "error"]
            self.retire = True
            from nbclient.exceptions import CellTimeoutError

            raise CellTimeoutError.error_from_timeout_and_cell(
                "Cell execution timed out", timeout, cell)
        return error


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat().replace("+00:00", "Z")


_SHELL: InProcessShell | None = None


def worker_shell() -> InProcessShell:
    """This process's shell (made on first use; a forked copy is never reused)."""
    global _SHELL
    if _SHELL is None or _SHELL.pid != os.getpid():
        _SHELL = InProcessShell()
    return _SHELL


def worker_should_retire() -> bool:
    """True when this process ran a cell that was stopped by its timeout (replace it)."""
    return _SHELL is not None and _SHELL.pid == os.getpid() and _SHELL.retire


def execute_cells(nb_man, execution_timeout: float | None = None) -> Any:
    """Run ``nb_man.nb`` in this process's shell, with papermill's per-cell bookkeeping (as
    ``PapermillNotebookClient.papermill_execute_cells``)."""
    from nbclient.exceptions import CellExecutionError

    sh = worker_shell()
    sh.reset()
    nb = nb_man.nb
    for index, cell in enumerate(nb.cells):
        try:
            nb_man.cell_start(cell, index)
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if "skip-execution" in cell.metadata.get("tags", []):
                continue
            error = sh.run_cell(cell, execution_timeout)
            if error is not None and "raises-exception" not in cell.metadata.get("tags", []):
                raise CellExecutionError.from_cell_and_msg(cell, error)
        except CellExecutionError as ex:
            nb_man.cell_exception(nb.cells[index], cell_index=index, exception=ex)
            break
        finally:
            nb_man.cell_complete(nb.cells[index], cell_index=index)
    nb.metadata["language_info"] = dict(_LANGUAGE_INFO)
    return nb


_CLASSES: dict[str, Any] = {}


def _engine_class() -> Any:
    if _CLASSES:
        return _CLASSES["InProcessEngine"]
    from papermill.engines import Engine

    if _CLASSES:  # built while papermill loaded its entry points (re-entrant import)
        return _CLASSES["InProcessEngine"]

    class InProcessEngine(Engine):
        """papermill engine: the cells run in this process's IPython shell, no kernel."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            return execute_cells(nb_man, execution_timeout=execution_timeout)

    InProcessEngine.__qualname__ = "InProcessEngine"
    _CLASSES["InProcessEngine"] = InProcessEngine
    return InProcessEngine


def __getattr__(name: str) -> Any:
    if name == "InProcessEngine":
        return _engine_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ensure_registered() -> Any:
    """The engine class, registered with papermill unless the entry point already did."""
    from papermill.engines import papermill_engines

    engine = _engine_class()
    if papermill_engines._engines.get(INPROCESS_ENGINE) is not engine:
        papermill_engines.register(INPROCESS_ENGINE, engine)
    return engine
