"""Batch renderer: one HTML report per unit from one parameterized papermill template.

``render_reports`` (and ``python -m analysis render``) runs the template once per unit with
papermill (``unit_id`` plus shared parameters such as ``data_dir`` and ``lang``), converts the
executed notebook to HTML in the same worker process (code cells and prompts hidden, no CDN
scripts), and writes into ``out_dir``:

- ``<unit_id>.html``: one report per unit, written atomically (temp file + ``os.replace``);
- ``<unit_id>.hash``: sidecar with the content hash the report was rendered from;
- ``manifest.json`` and ``manifest.csv``: what ran, how long, what failed and why;
- ``index.html``: links to every report and a summary table sortable in the browser.

Units run in parallel behind one small executor interface: a local process pool (default) or a
Dask cluster (``scheduler="local"`` or ``"tcp://host:8786"``), with the same task function.
A failing unit never stops the batch; only kernel-start failures are retried.
By default every report runs in a fresh kernel (per-report isolation); ``warm=True`` (CLI
``--warm``, process pool only) keeps one kernel per worker and resets it between reports.
A unit is skipped when its report exists and the hash of (template bytes, the unit's
parameters, its title, the data fingerprint, the package version) is unchanged.

See docs/rendering.md for the manifest format and the incremental rules.

The module is over 600 lines because the batch run, its content hashing (the incremental
rules), the worker function and the command share the manifest rows, the output lock and the
unit table; the warm-kernel engine, the executors, the HTML export and the index page are
already separate (``engine.py``, ``executors.py``, ``html.py``, ``index.py``). The hashing (``data_fingerprint``,
``content_hash``) is the next piece that could move out.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import hashlib
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import __version__, config
from analysis.data.store import atomic_write
from analysis.publish import engine
from analysis.publish.executors import DaskTaskExecutor, TaskExecutor, make_executor
from analysis.publish.html import notebook_to_html
from analysis.publish.index import UnitTable, build_index_html
from analysis.publish.kernel import BATCH_KERNEL_ARGS, DEFAULT_KERNEL_NAME, ensure_kernel

UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
"""Unit ids become file names: lowercase slug, 2-41 characters, no dots or slashes."""

RENDERER_VERSION = "1"
"""Part of every content hash: bump when the HTML conversion changes, to re-render all."""

MAX_KERNEL_START_RETRIES = 2
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
INDEX_HTML = "index.html"
HASH_SUFFIX = ".hash"
LOCK_NAME = ".render.lock"
MANIFEST_SCHEMA = 1

CSV_FIELDS = [
    "unit_id",
    "title",
    "status",
    "seconds",
    "started",
    "html",
    "content_hash",
    "attempts",
    "cell_index",
    "exec_count",
    "ename",
    "evalue",
    "html_bytes",
    "in_run",
]

# Error messages of a kernel that failed to start (jupyter_client, zmq port races); only these
# are retried. A cell error (PapermillExecutionError) or timeout is never retried.
_KERNEL_START_MESSAGES = (
    "kernel didn't respond",
    "kernel died before replying to kernel_info",
    "address already in use",
)

_TMP_RE = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]*\.(?:html|hash|json|csv)\.[A-Za-z0-9_]+\.tmp$")


class InvalidUnitError(ValueError):
    """A unit id is malformed or unknown; raised before anything runs or is written."""


class RenderLockedError(RuntimeError):
    """Another render is writing into the same output folder."""


# --------------------------------------------------------------------------- result types


@dataclass
class RunResult:
    """Outcome of one ``render_reports`` call."""

    rows: list[dict]
    """Manifest rows of the units of this run, in the order they were asked for."""
    out_dir: Path
    total_seconds: float
    workers: int
    executor: str
    manifest_path: Path
    index_path: Path
    all_rows: list[dict] = field(default_factory=list)
    """Every row in the manifest (this run plus reports kept from earlier runs)."""

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] == "failed"]

    @property
    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "failed": 0, "skipped": 0}
        for r in self.rows:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out

    @property
    def exit_status(self) -> int:
        """0 when no unit of this run failed, else 1 (the CLI's exit code)."""
        return 1 if self.failed else 0


# --------------------------------------------------------------------------- validation


def validate_unit_ids(unit_ids: Iterable[str], registry: Iterable[str] | None = None) -> list[str]:
    """Return the ids (deduplicated, in order) or raise InvalidUnitError naming every bad one."""
    if isinstance(unit_ids, str):
        unit_ids = [unit_ids]
    known = set(registry) if registry is not None else None
    ids: list[str] = []
    bad: list[str] = []
    for uid in unit_ids:
        if not isinstance(uid, str) or not UNIT_ID_RE.match(uid):
            bad.append(f"{uid!r} (must match {UNIT_ID_RE.pattern})")
        elif known is not None and uid not in known:
            bad.append(f"{uid!r} (not in the unit registry)")
        elif uid not in ids:
            ids.append(uid)
    if bad:
        raise InvalidUnitError("invalid unit id(s): " + "; ".join(bad))
    if not ids:
        raise InvalidUnitError("no unit ids to render")
    return ids


def safe_output_path(out_dir: Path, unit_id: str, suffix: str = ".html") -> Path:
    """``out_dir/<unit_id><suffix>``, checked to resolve inside ``out_dir``."""
    if not UNIT_ID_RE.match(unit_id):
        raise InvalidUnitError(f"invalid unit id {unit_id!r}")
    root = Path(out_dir).resolve()
    path = (root / f"{unit_id}{suffix}").resolve()
    if path.parent != root:
        raise InvalidUnitError(f"output path for {unit_id!r} escapes {root}")
    return path


# --------------------------------------------------------------------------- hashing


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


FINGERPRINT_CACHE = ".data-fingerprint.json"
"""In the output folder: (size, mtime_ns, sha256) of every data file last hashed, so an
unchanged file is not read again; a file whose size or mtime differs is re-hashed."""

# Keys of a build manifest (processed/manifest.json) that say when and from what a build ran,
# not what it produced (the time, the input and code hashes, the build key): left out of its
# content hash, so a rebuild with byte-identical tables re-renders nothing.
VOLATILE_MANIFEST_KEYS = ("built_at", "seconds", "inputs", "code", "libraries", "steps",
                          "build_key")
_RACY_NS = 2_000_000_000   # a file modified this recently is hashed again next time


def _file_content_digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "manifest.json" and path.parent.name == "processed":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            obj = json.loads(data)
            if isinstance(obj, dict):
                for k in VOLATILE_MANIFEST_KEYS:
                    obj.pop(k, None)
                data = json.dumps(obj, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def _load_fp_cache(cache: Path | None) -> dict:
    if cache is None:
        return {}
    try:
        obj = json.loads(Path(cache).read_text(encoding="utf-8"))
        return obj.get("files", {}) if obj.get("version") == 1 else {}
    except (OSError, ValueError, AttributeError):
        return {}


def data_fingerprint(
    data_dir: str | os.PathLike | None,
    exclude: Iterable[Path] = (),
    cache: str | os.PathLike | None = None,
) -> str:
    """Content hash of the data under ``data_dir``: the relative name and sha256 of every file
    (a single file is also accepted), plus the package version. When ``data_dir`` has a
    ``processed/`` folder (a project data folder) only that folder is hashed: it is what the
    report templates read. Timestamps are not part of it:
    a file rewritten or touched with the same bytes leaves the fingerprint unchanged. Names
    starting with a dot (locks, staging folders, caches) and folders in ``exclude`` are not
    walked. In ``processed/manifest.json`` the per-build keys ``VOLATILE_MANIFEST_KEYS`` are
    ignored.

    ``cache``: a JSON file remembering (size, mtime_ns, sha256) per file, so only files whose
    size or mtime changed are read again (a file modified within the last 2 s is never taken
    from the cache). Without it every file is read."""
    h = hashlib.sha256(f"analysis {__version__}\n".encode())
    if not data_dir:
        h.update(b"no data_dir\n")
        return h.hexdigest()
    root = Path(data_dir).expanduser().resolve()
    skip = {Path(p).resolve() for p in exclude}
    old = _load_fp_cache(cache)
    new: dict[str, list] = {}
    now = time.time_ns()

    def digest(p: Path) -> str | None:
        try:
            st = p.stat()
        except OSError:
            return None
        key = str(p)
        hit = old.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            d = hit[2]
        else:
            try:
                d = _file_content_digest(p)
            except OSError:
                return None
        if now - st.st_mtime_ns > _RACY_NS:
            new[key] = [st.st_size, st.st_mtime_ns, d]
        return d

    if root.is_file():
        d = digest(root)
        h.update(f"{root.name}\0{d}\n".encode())
    elif root.is_dir():
        # A project data folder: the templates read its processed tables only (analysis.data.store),
        # so raw, external, user and interim files (inputs of the build, caches) are not data
        # of a report; a new input changes a report only through the build.
        top = root / "processed"
        if not top.is_dir() or top.resolve() in skip:
            top = root
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and (here / d).resolve() not in skip)
            for name in sorted(filenames):
                if name.startswith("."):   # analysis.data.locking's lock files, temp files
                    continue
                p = here / name
                d = digest(p)
                if d is None:
                    continue
                rel = p.relative_to(root).as_posix()
                h.update(f"{rel}\0{d}\n".encode())
    else:
        h.update(f"missing {root}\n".encode())
    if cache is not None and new != old:
        with contextlib.suppress(OSError):
            atomic_write(Path(cache), json.dumps({"version": 1, "files": new}, sort_keys=True))
    return h.hexdigest()


PACKAGE_FILES = ("*.py", "*.toml", "*.j2", "*.css", "*.js", "*.mplstyle")


def package_digest() -> str:
    """SHA-256 of the package's own files (code, word catalog, templates, style): a report
    re-renders when anything it is made with changed, not only when the version is bumped.
    About 100 small files; computed once per process."""
    global _PACKAGE_DIGEST
    if _PACKAGE_DIGEST is None:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256(__version__.encode())
        for pattern in PACKAGE_FILES:
            for f in sorted(root.rglob(pattern)):
                if "__pycache__" not in f.parts:
                    h.update(f.relative_to(root).as_posix().encode() + b"\0")
                    h.update(hashlib.sha256(f.read_bytes()).digest())
        _PACKAGE_DIGEST = h.hexdigest()
    return _PACKAGE_DIGEST


_PACKAGE_DIGEST: str | None = None


def content_hash(
    template_bytes: bytes, parameters: Mapping[str, Any], fingerprint: str, title: str | None = None
) -> str:
    """The incremental key of one report (see docs/rendering.md)."""
    payload = {
        "renderer": RENDERER_VERSION,
        "package": package_digest(),
        "template": hashlib.sha256(template_bytes).hexdigest(),
        "parameters": parameters,
        "data": fingerprint,
        "title": title,
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _clean_stale_tmp(out_dir: Path) -> list[Path]:
    removed = []
    for p in out_dir.iterdir():
        if p.is_file() and _TMP_RE.match(p.name):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


OUT_DIR_LOCK_WAIT = 15.0   # seconds a render waits for the output folder before giving up


@contextlib.contextmanager
def _out_dir_lock(out_dir: Path):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(out_dir / LOCK_NAME, "a+") as fh:
        # a render that was just killed may still be exiting (its pool workers hold the lock
        # until the OS has reaped them): wait a little before calling the folder busy
        deadline = time.monotonic() + OUT_DIR_LOCK_WAIT
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise RenderLockedError(f"another render is writing into {out_dir}") \
                        from exc
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- worker side

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


# --------------------------------------------------------------------------- warm kernels
#
# Opt-in (``render_reports(..., warm=True)``, CLI ``--warm``): each worker process keeps one
# kernel alive and runs its successive reports in it, through papermill with a custom engine
# (WARM_ENGINE) that hands the existing kernel manager and client to papermill's nbclient
# client instead of starting a kernel per report. Before every report the kernel runs
# _WARM_RESET_CODE out of band (silent, not a notebook cell). After any failure the kernel is
# shut down and the next report starts a fresh one. See docs/rendering.md, "Warm kernels".

def render_unit(task: Mapping[str, Any]) -> dict:
    """The task function run by every executor: execute one unit's notebook and convert it.

    Never raises for a unit's failure: returns a dict with ``status`` ("ok" / "failed"), the
    HTML text when ok, and papermill's error details when not. Runs in a worker process
    (process pool or Dask worker), so everything it needs is in ``task``; the parent writes
    the files (one place for atomic writes and path checks).
    """
    started = _now()
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
        if task.get("warm"):
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


# --------------------------------------------------------------------------- manifest & index


def _load_previous_manifest(out_dir: Path) -> dict[str, dict]:
    try:
        data = json.loads((out_dir / MANIFEST_JSON).read_text(encoding="utf-8"))
        return {
            r["unit_id"]: r
            for r in data.get("units", [])
            if isinstance(r, dict)
            and isinstance(r.get("unit_id"), str)
            and UNIT_ID_RE.match(r["unit_id"])
        }
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}


def _read_sidecar(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _manifest_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


# --------------------------------------------------------------------------- main entry


def default_template() -> Path:
    return config.notebooks_dir() / "reports" / "opd_report.ipynb"


def default_out_dir() -> Path:
    return config.reports_dir() / "opd"


def _make_progress(total: int, enabled: bool):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(
        total=total,
        file=sys.stderr,
        unit="report",
        desc="render",
        disable=(not enabled) or None,
        dynamic_ncols=True,
    )


def render_reports(
    unit_ids: Iterable[str],
    template: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    parameters: Mapping[str, Any] | None = None,
    workers: int | None = None,
    force: bool = False,
    timeout: int | None = 120,
    scheduler: str | None = None,
    progress: bool = True,
    registry: Iterable[str] | None = None,
    titles: Mapping[str, str] | None = None,
    summary: Mapping[str, Mapping[str, Any]] | None = None,
    banner: str | None = None,
    kernel_name: str = DEFAULT_KERNEL_NAME,
    filter_column: str | None = None,
    start_timeout: int = 60,
    executor: TaskExecutor | None = None,
    warm: bool = False,
) -> RunResult:
    """Render one HTML report per unit; return the manifest rows and the exit status.

    ``parameters`` are shared by every unit (e.g. ``data_dir``, ``lang``) and must be
    JSON-serializable literals; ``unit_id`` is added per unit. ``timeout`` is per cell.
    ``scheduler``: None for a local process pool of ``workers`` processes (default: one per
    core), ``"local"`` for a Dask LocalCluster, or a Dask scheduler address. ``executor``
    overrides both (any object with the TaskExecutor interface). Unit ids are checked against
    ``registry`` (when given) and UNIT_ID_RE before anything runs.

    ``warm=True`` (local process pool only): each worker keeps one kernel alive and runs its
    successive reports in it after a namespace reset, instead of one fresh kernel per report;
    faster, but modules and their caches persist between reports (docs/rendering.md, "Warm
    kernels"). A failed report's kernel is replaced. Default False: per-report isolation.
    """
    t_start = time.perf_counter()
    if warm and (scheduler or isinstance(executor, DaskTaskExecutor)):
        raise ValueError(
            "warm kernels run on the local process pool only: drop --warm (warm=True) or "
            "--scheduler (scheduler=...); a Dask worker would keep a kernel per worker "
            "process that nothing shuts down"
        )
    ids = validate_unit_ids(unit_ids, registry)
    params = dict(parameters or {})
    if "unit_id" in params:
        raise ValueError("parameters must not contain unit_id: it is set per unit")
    try:
        json.dumps(params)
    except TypeError as exc:
        raise ValueError(f"parameters must be JSON-serializable literals: {exc}") from exc
    lang = str(params.get("lang", "id"))
    titles = dict(titles or {})
    summary = dict(summary or {})

    template_path = Path(template or default_template()).expanduser().resolve()
    if not template_path.is_file():
        raise FileNotFoundError(f"report template not found: {template_path}")
    template_bytes = template_path.read_bytes()
    template_text = template_bytes.decode("utf-8")
    json.loads(template_text)  # fail early (and in the parent) on a corrupt template

    out = Path(out_dir or default_out_dir()).expanduser().resolve()
    paths = {
        uid: (safe_output_path(out, uid), safe_output_path(out, uid, HASH_SUFFIX)) for uid in ids
    }
    out.mkdir(parents=True, exist_ok=True)

    with _out_dir_lock(out):
        _clean_stale_tmp(out)
        previous = _load_previous_manifest(out)
        fingerprint = data_fingerprint(params.get("data_dir"), exclude=[out],
                                       cache=out / FINGERPRINT_CACHE)

        rows: dict[str, dict] = {}
        tasks: list[dict] = []
        for uid in ids:
            html_path, hash_path = paths[uid]
            title = titles.get(uid) or (previous.get(uid) or {}).get("title") or uid
            unit_params = {"unit_id": uid, **params}
            h = content_hash(template_bytes, unit_params, fingerprint, title)
            prev = previous.get(uid) or {}
            unchanged = html_path.is_file() and (
                _read_sidecar(hash_path) == h
                or (prev.get("content_hash") == h and prev.get("status") in ("ok", "skipped"))
            )
            if unchanged and not force:
                rows[uid] = {
                    "unit_id": uid,
                    "title": title,
                    "status": "skipped",
                    "seconds": 0.0,
                    "started": None,
                    "html": html_path.name,
                    "content_hash": h,
                    "attempts": 0,
                    "cell_index": None,
                    "exec_count": None,
                    "ename": None,
                    "evalue": None,
                    "html_bytes": html_path.stat().st_size,
                    "rendered_at": prev.get("rendered_at"),
                    "in_run": True,
                }
                continue
            tasks.append(
                {
                    "unit_id": uid,
                    "title": title,
                    "parameters": params,
                    "content_hash": h,
                    "template_text": template_text,
                    "kernel_name": kernel_name,
                    "timeout": timeout,
                    "start_timeout": start_timeout,
                    "max_retries": MAX_KERNEL_START_RETRIES,
                    "warm": bool(warm),
                }
            )

        ex_name, n_workers = "none", 0
        if tasks:
            ensure_kernel(kernel_name)
            ex = executor or make_executor(
                min(workers or os.cpu_count() or 1, len(tasks)), scheduler
            )
            ex_name, n_workers = ex.name, ex.workers
            bar = None
            try:
                with ex:
                    n_workers = ex.workers   # a remote cluster says how many it has on entry
                    results = ex.run(render_unit, tasks)
                    bar = _make_progress(len(tasks), progress)
                    for task, res in results:
                        rows[task["unit_id"]] = _store_result(task, res, paths[task["unit_id"]])
                        if bar is not None:
                            bar.update(1)
                            nfail = sum(r["status"] == "failed" for r in rows.values())
                            if nfail:
                                bar.set_postfix(failed=nfail)
            finally:
                if bar is not None:
                    bar.close()

        run_rows = [rows[uid] for uid in ids]
        for uid in ids:
            if uid in summary:
                rows[uid]["summary"] = {str(k): _jsonable(v) for k, v in summary[uid].items()}
            elif previous.get(uid, {}).get("summary") and rows[uid]["status"] == "skipped":
                rows[uid]["summary"] = previous[uid]["summary"]
        known = set(registry) if registry is not None else None
        carried = []
        for uid, prev in previous.items():
            if uid in rows or (known is not None and uid not in known):
                continue
            try:
                html_path = safe_output_path(out, uid)
            except InvalidUnitError:
                continue
            if prev.get("status") in ("ok", "skipped") and not html_path.is_file():
                continue
            if prev.get("stale") and not html_path.is_file():
                prev = {**prev, "stale": False, "html": None}
            carried.append({**prev, "in_run": False})
        all_rows = run_rows + carried

        total = round(time.perf_counter() - t_start, 3)
        counts = {"ok": 0, "failed": 0, "skipped": 0}
        for r in run_rows:
            counts[r["status"]] += 1
        generated = _now()
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "generated": generated,
            "template": str(template_path),
            "template_sha256": hashlib.sha256(template_bytes).hexdigest(),
            "parameters": params,
            "data_fingerprint": fingerprint,
            "package_version": __version__,
            "renderer_version": RENDERER_VERSION,
            "kernel": kernel_name,
            "kernels": "warm" if warm else "fresh",
            "executor": ex_name,
            "workers": n_workers,
            "total_seconds": total,
            "counts": counts,
            "exit_status": 1 if counts["failed"] else 0,
            "units": all_rows,
        }
        manifest_path = out / MANIFEST_JSON
        index_path = out / INDEX_HTML
        atomic_write(manifest_path, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        atomic_write(out / MANIFEST_CSV, _manifest_csv(all_rows))
        atomic_write(
            index_path, build_index_html(all_rows, lang=lang, banner=banner, generated=generated,
                                         filter_column=filter_column)
        )

    return RunResult(
        rows=run_rows,
        out_dir=out,
        total_seconds=total,
        workers=n_workers,
        executor=ex_name,
        manifest_path=manifest_path,
        index_path=index_path,
        all_rows=all_rows,
    )


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return None if v != v else v
    if hasattr(v, "item"):  # numpy scalars
        with contextlib.suppress(Exception):
            return _jsonable(v.item())
    return str(v)


def _store_result(task: dict, res: dict, paths: tuple[Path, Path]) -> dict:
    """Write one finished unit's files (parent side) and return its manifest row."""
    html_path, hash_path = paths
    uid = task["unit_id"]
    row = {
        "unit_id": uid,
        "title": task["title"],
        "status": res.get("status", "failed"),
        "seconds": res.get("seconds"),
        "started": res.get("started"),
        "html": None,
        "content_hash": task["content_hash"],
        "attempts": res.get("attempts"),
        "cell_index": res.get("cell_index"),
        "exec_count": res.get("exec_count"),
        "ename": res.get("ename"),
        "evalue": res.get("evalue"),
        "html_bytes": None,
        "rendered_at": None,
        "in_run": True,
    }
    if row["status"] == "ok" and res.get("html"):
        try:
            data = res["html"].encode("utf-8")
            atomic_write(html_path, data)
            atomic_write(hash_path, task["content_hash"] + "\n")
            row.update(html=html_path.name, html_bytes=len(data), rendered_at=_now())
            return row
        except OSError as exc:
            row.update(status="failed", ename=type(exc).__name__, evalue=str(exc))
    elif row["status"] == "ok":
        row.update(status="failed", ename="EmptyReport", evalue="the conversion returned no HTML")
    row["status"] = "failed"
    row["traceback"] = res.get("traceback")
    # A failed unit keeps the last good report of an earlier run, marked stale (the index
    # links it with the error and when it was rendered); its hash sidecar goes, so the next
    # run tries again.
    with contextlib.suppress(OSError):
        hash_path.unlink()
    if html_path.is_file():
        with contextlib.suppress(OSError):
            st = html_path.stat()
            when = _dt.datetime.fromtimestamp(st.st_mtime, _dt.UTC).isoformat(
                timespec="seconds")
            row.update(html=html_path.name, html_bytes=st.st_size, rendered_at=when,
                       stale=True)
    return row


# --------------------------------------------------------------------------- CLI


# Processed tables the report template reads, with the columns the index page needs.
REPORT_TABLES = {"units": ["unit_id", "name", "is_opd"],
                 "unit_summary": ["unit_id", "cut_2020_pct"],
                 "panel": ["unit_id", "year"], "regency_year": ["year"],
                 "innovations": [], "leadership": [], "service": []}


def check_report_tables(data_dir: str | None = None) -> None:
    """Refuse to start a render (FileNotFoundError, one line) when a table the reports read is
    missing, unreadable or lacks its key columns, instead of failing every report."""
    import pyarrow.parquet as pq

    base = config.processed_dir(data_dir)
    for name, cols in REPORT_TABLES.items():
        path = base / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"processed table '{name}' not found at {path}; the "
                                    "reports need it: run `python -m analysis build`")
        try:
            have = set(pq.read_schema(path).names)
        except Exception as exc:  # ArrowInvalid, OSError: truncated or not Parquet
            raise FileNotFoundError(
                f"processed table '{name}' at {path} is unreadable ({type(exc).__name__}); "
                "rebuild it with `python -m analysis build`") from None
        missing = [c for c in cols if c not in have]
        if missing:
            raise FileNotFoundError(
                f"processed table '{name}' at {path} lacks column(s) {', '.join(missing)}; "
                "rebuild it with `python -m analysis build`")


def load_opd_units(lang: str = "id", data_dir: str | None = None) -> UnitTable:
    """Default unit list and registry: OPD rows of ``processed/units.parquet``, with the
    per-unit summary columns of the index page (``analysis.publish.report.index_summary``)."""
    import pandas as pd

    from analysis.publish import report

    path = config.processed_dir(data_dir) / "units.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"units table not found: {path} (run `python -m analysis build`)")
    check_report_tables(data_dir)
    units = pd.read_parquet(path, columns=["unit_id", "name", "is_opd"])
    units = units[units["is_opd"].astype(bool)]
    names = {str(u): str(n) for u, n in zip(units["unit_id"], units["name"], strict=True)}
    banner = None
    try:
        built = json.loads(
            (config.processed_dir(data_dir) / "manifest.json").read_text(encoding="utf-8"))
        if built.get("simulated"):
            from analysis.narrative.catalog import text

            banner = text("index.banner", lang)
    except (OSError, ValueError):
        pass
    return UnitTable(names=names, banner=banner, summary=report.index_summary(data_dir, lang))


UNITS_CACHE = ".units-cache.json"
"""In the output folder: the unit table (names, banner, index columns) of the last render and
the data fingerprint it was read from. When the data are unchanged, the next render reuses it
instead of importing pandas and reading the tables (a no-change render then takes ~0.1 s)."""


def _cached_unit_table(loader, lang: str, data_dir_arg, data_dir: str, out: Path) -> UnitTable:
    """``loader(lang=..., data_dir=...)``, reused from ``out/UNITS_CACHE`` when the data under
    ``data_dir`` have the same content fingerprint. Only the project's own loaders (OPD and
    pemda units) are cached; any other loader runs every time."""
    name = f"{getattr(loader, '__module__', '?')}.{getattr(loader, '__qualname__', '?')}"
    if name not in ("analysis.publish.render.load_opd_units", "analysis.publish.pemda.pemda_units"):
        return loader(lang=lang, data_dir=data_dir_arg)
    fp = data_fingerprint(data_dir, exclude=[out], cache=out / FINGERPRINT_CACHE)
    key = hashlib.sha256(json.dumps([name, lang, data_dir, fp, __version__]).encode()
                         ).hexdigest()
    path = out / UNITS_CACHE
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        obj = json.loads(path.read_text(encoding="utf-8"))
        if obj["key"] == key:
            return UnitTable(names=obj["names"], banner=obj["banner"], summary=obj["summary"],
                             filter_column=obj["filter_column"])
    table = loader(lang=lang, data_dir=data_dir_arg)
    with contextlib.suppress(OSError, TypeError, ValueError):
        text = json.dumps({"key": key, "names": table.names, "banner": table.banner,
                           "summary": table.summary, "filter_column": table.filter_column})
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    return table


def _cli_render(args) -> int:
    loader: Callable[..., UnitTable] = args.units_loader
    template, out = args.template, args.out
    if getattr(args, "kind", "opd") == "pemda":   # one peer report per kab/kota (publish/pemda.py)
        from analysis.publish import pemda

        loader = pemda.pemda_units
        template = template or str(pemda.pemda_template())
        out = out or str(config.reports_dir() / "pemda")
    wanted = None
    if args.units is not None:
        wanted = [u.strip() for u in args.units.split(",") if u.strip()]
        if not wanted:
            print("error: --units is empty: give unit ids separated by commas (e.g. "
                  "--units dinkes,bpbd), or leave --units out to render every OPD",
                  file=sys.stderr)
            return 2
    params: dict[str, Any] = {"lang": args.lang}
    params["data_dir"] = str(
        Path(args.data_dir).expanduser().resolve() if args.data_dir else config.data_dir()
    )
    try:
        table = _cached_unit_table(loader, args.lang, args.data_dir, params["data_dir"],
                                   Path(out or default_out_dir()).expanduser().resolve())
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    units = list(table.names) if wanted is None else wanted
    try:
        result = render_reports(
            units,
            template=template,
            out_dir=out,
            parameters=params,
            workers=args.workers,
            force=args.force,
            timeout=args.timeout,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            registry=set(table.names),
            titles=table.names,
            banner=args.banner if args.banner is not None else table.banner,
            summary=table.summary,
            warm=args.warm,
            filter_column=table.filter_column,
        )
    except (InvalidUnitError, FileNotFoundError, RenderLockedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    c = result.counts
    print(
        f"{c['ok']} rendered, {c['skipped']} unchanged, {c['failed']} failed "
        f"in {result.total_seconds:.1f} s ({result.executor}, {result.workers} workers"
        f"{', warm kernels' if args.warm and result.workers else ''}) "
        f"-> {result.index_path}"
    )
    for r in result.failed:
        where = f" cell {r['cell_index']}" if r.get("cell_index") is not None else ""
        print(
            f"  FAILED {r['unit_id']}{where}: {r.get('ename')}: {r.get('evalue')}", file=sys.stderr
        )
    return result.exit_status


def register_cli(subparsers, units_loader: Callable[..., UnitTable] = load_opd_units) -> None:
    p = subparsers.add_parser(
        "render",
        help="render one HTML report per OPD from the papermill template",
        description="Run the report template once per unit (papermill), convert to HTML without "
        "code, and write an index page and a run manifest. Unchanged reports are skipped. "
        "Exit status 1 if any unit failed.",
    )
    p.add_argument("--units", help="comma-separated unit ids (default: every OPD in units.parquet)")
    p.add_argument(
        "--kind", choices=["opd", "pemda"], default="opd",
        help="opd: the per-OPD reports (default); pemda: one peer report per kab/kota "
        "(template notebooks/reports/pemda_report.ipynb, output reports/pemda/, ids = "
        "Kemendagri codes without the dot, e.g. 3325)",
    )
    p.add_argument(
        "--lang", choices=["id", "en"], default="id", help="report language (default: id)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="parallel workers (default: one per core)"
    )
    p.add_argument("--force", action="store_true", help="re-render even unchanged reports")
    p.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address (tcp://host:8786) or 'local' for a LocalCluster",
    )
    p.add_argument("--out", default=None, help=f"output folder (default: {default_out_dir()})")
    p.add_argument(
        "--template", default=None, help=f"template notebook (default: {default_template()})"
    )
    p.add_argument(
        "--timeout", type=int, default=120, help="per-cell timeout in seconds (default: 120)"
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help="data folder passed as data_dir (default: config.data_dir())",
    )
    p.add_argument("--banner", default=None, help="banner text at the top of the index page")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--warm",
        action="store_true",
        help="faster: one persistent kernel per worker, reset between reports (imported "
        "modules persist; process pool only, not with --scheduler). Default: a fresh kernel "
        "per report",
    )
    p.set_defaults(func=_cli_render, units_loader=units_loader)
