"""The batch run: :func:`render_reports`, one HTML report per unit from one template.

The run, step by step (each a function below; docs/rendering.md, *How it works*):

1. :func:`check_request`: unit ids, parameters and options, before anything is written;
2. :func:`read_template`: the template's bytes (hashed) and text (sent to the workers);
3. under the output folder's lock (:mod:`~analysis.publish.render.outdir`), clean what a
   killed run left, read the last manifest and fingerprint the data;
4. :func:`plan_units`: skip every unit whose report is unchanged
   (:mod:`~analysis.publish.render.hashing`), make a task for each other one;
5. :func:`run_tasks`: run the tasks on an executor (process pool or Dask) with
   :func:`~analysis.publish.render.worker.render_unit`, writing each unit's files as it
   finishes;
6. :func:`finish_run`: index columns, rows kept from earlier runs, ``manifest.json``,
   ``manifest.csv`` and ``index.html``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.narrative.catalog import LANGS, text
from analysis.publish.executors import DaskTaskExecutor, TaskExecutor, make_executor
from analysis.publish.kernel import DEFAULT_KERNEL_NAME, ensure_kernel
from analysis.publish.render import manifest as mf
from analysis.publish.render.hashing import (
    FINGERPRINT_CACHE,
    RENDERER_VERSION,
    content_hash,
    data_fingerprint,
    read_sidecar,
)
from analysis.publish.render.kinds import ReportKind, get_kind
from analysis.publish.render.outdir import clean_stale_tmp, out_dir_lock
from analysis.publish.render.units import unit_paths, validate_unit_ids
from analysis.publish.render.worker import ENGINES, MAX_KERNEL_START_RETRIES, render_unit

DEFAULT_ENGINE = "fresh"
"""The engine of ``render_reports`` and ``render`` when none is given (docs/rendering.md,
"Engines")."""


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
        return mf.count_statuses(self.rows)

    @property
    def exit_status(self) -> int:
        """0 when no unit of this run failed, else 1 (the CLI's exit code)."""
        return 1 if self.failed else 0


@dataclass
class Template:
    """The report template of a run."""

    path: Path
    data: bytes
    """Its bytes (part of every content hash)."""
    text: str
    """Its text (sent with every task)."""


@dataclass
class Plan:
    """What a run does per unit: a row for each unchanged report, a task for each other."""

    rows: dict[str, dict]
    tasks: list[dict]


def check_request(ids: Iterable[str], registry: Iterable[str] | None,
                  parameters: Mapping[str, Any] | None, scheduler: str | None,
                  executor: TaskExecutor | None, engine: str) -> tuple[list[str], dict]:
    """The checked unit ids and shared parameters, or an error before anything is written."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine == "warm" and (scheduler or isinstance(executor, DaskTaskExecutor)):
        raise ValueError(
            "warm kernels run on the local process pool only: drop --warm (warm=True) or "
            "--scheduler (scheduler=...); a Dask worker would keep a kernel per worker "
            "process that nothing shuts down"
        )
    if engine == "inprocess" and (scheduler or isinstance(executor, DaskTaskExecutor)):
        raise ValueError(
            "the inprocess engine runs on the local process pool only (it stops a cell with "
            "SIGALRM in the worker's main thread and replaces a worker that dies): use "
            "--engine fresh with --scheduler"
        )
    ids = validate_unit_ids(ids, registry)
    params = dict(parameters or {})
    if "unit_id" in params:
        raise ValueError("parameters must not contain unit_id: it is set per unit")
    try:
        json.dumps(params)
    except TypeError as exc:
        raise ValueError(f"parameters must be JSON-serializable literals: {exc}") from exc
    return ids, params


def read_template(template: str | os.PathLike) -> Template:
    """Read the template; a missing or corrupt one fails here, in the parent."""
    path = Path(template).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"report template not found: {path}")
    data = path.read_bytes()
    txt = data.decode("utf-8")
    json.loads(txt)  # fail early (and in the parent) on a corrupt template
    return Template(path=path, data=data, text=txt)


def plan_units(ids: list[str], paths: Mapping[str, tuple[Path, Path]], template: Template,
               params: dict, fingerprint: str, titles: Mapping[str, str],
               previous: Mapping[str, dict], *, force: bool, kernel_name: str,
               timeout: int | None, start_timeout: int, engine: str) -> Plan:
    """Skip each unit whose report exists and whose content hash is unchanged (its sidecar, or
    the last manifest's row of a good report, says so), unless ``force``; make a task for
    every other unit."""
    rows: dict[str, dict] = {}
    tasks: list[dict] = []
    for uid in ids:
        html_path, hash_path = paths[uid]
        title = titles.get(uid) or (previous.get(uid) or {}).get("title") or uid
        unit_params = {"unit_id": uid, **params}
        h = content_hash(template.data, unit_params, fingerprint, title)
        prev = previous.get(uid) or {}
        unchanged = html_path.is_file() and (
            read_sidecar(hash_path) == h
            or (prev.get("content_hash") == h and prev.get("status") in ("ok", "skipped"))
        )
        if unchanged and not force:
            rows[uid] = mf.skipped_row(uid, title, h, html_path, prev)
            continue
        tasks.append(
            {
                "unit_id": uid,
                "title": title,
                "parameters": params,
                "content_hash": h,
                "template_text": template.text,
                "kernel_name": kernel_name,
                "timeout": timeout,
                "start_timeout": start_timeout,
                "max_retries": MAX_KERNEL_START_RETRIES,
                "engine": engine,
            }
        )
    return Plan(rows=rows, tasks=tasks)


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


def run_tasks(plan: Plan, paths: Mapping[str, tuple[Path, Path]], *, workers: int | None,
              scheduler: str | None, executor: TaskExecutor | None, kernel_name: str,
              progress: bool, engine: str = "fresh") -> tuple[str, int]:
    """Run the plan's tasks; each unit's files are written and its row added to
    ``plan.rows`` as it finishes. Returns (executor name, workers): ("none", 0) when there
    is nothing to run (no kernel is started, papermill is not imported)."""
    if not plan.tasks:
        return "none", 0
    rows, tasks = plan.rows, plan.tasks
    ensure_kernel(kernel_name)
    ex = executor or make_executor(min(workers or os.cpu_count() or 1, len(tasks)), scheduler,
                                   engine)
    ex_name, n_workers = ex.name, ex.workers
    bar = None
    try:
        with ex:
            n_workers = ex.workers   # a remote cluster says how many it has on entry
            results = ex.run(render_unit, tasks)
            bar = _make_progress(len(tasks), progress)
            for task, res in results:
                rows[task["unit_id"]] = mf.store_result(task, res, paths[task["unit_id"]])
                if bar is not None:
                    bar.update(1)
                    nfail = sum(r["status"] == "failed" for r in rows.values())
                    if nfail:
                        bar.set_postfix(failed=nfail)
    finally:
        if bar is not None:
            bar.close()
    return ex_name, n_workers


def finish_run(out: Path, ids: list[str], plan: Plan, previous: Mapping[str, dict], *,
               summary: Mapping[str, Mapping[str, Any]], registry: Iterable[str] | None,
               manifest: dict, lang: str, banner: str | None, title: str | None,
               filter_column: str | None, t_start: float,
               index_options: Mapping[str, Any] | None = None) -> RunResult:
    """Complete the rows (index columns, reports kept from earlier runs), write the manifest,
    its CSV and the index page, and return the run's result. ``manifest`` holds the run's
    settings; the counts, times and rows are added here."""
    rows = plan.rows
    run_rows = [rows[uid] for uid in ids]
    mf.attach_summaries(rows, ids, summary, previous)
    all_rows = run_rows + mf.carried_rows(previous, rows, out, registry)
    total = round(time.perf_counter() - t_start, 3)
    counts = mf.count_statuses(run_rows)
    document = {
        "schema": mf.MANIFEST_SCHEMA,
        "generated": mf.now(),
        **manifest,
        "total_seconds": total,
        "counts": counts,
        "exit_status": 1 if counts["failed"] else 0,
        "units": all_rows,
    }
    manifest_path, index_path = mf.write_run_files(
        out, document, lang=lang, banner=banner, title=title, filter_column=filter_column,
        **dict(index_options or {}))
    from analysis.publish import hub

    hub.write_hub_if_project(out)   # reports/index.html links this index
    return RunResult(rows=run_rows, out_dir=out, total_seconds=total,
                     workers=manifest["workers"], executor=manifest["executor"],
                     manifest_path=manifest_path, index_path=index_path, all_rows=all_rows)


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
    kind: str | ReportKind = "opd",
    engine: str | None = None,
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

    ``kind`` (:mod:`analysis.publish.render.kinds`: ``"opd"`` or ``"pemda"``) gives the
    template and output folder when they are not given, and the index page's title.

    ``engine``: ``"inprocess"`` (the cells in the worker process itself, no kernel),
    ``"warm"`` (same as ``warm=True``) or ``"fresh"``; default ``DEFAULT_ENGINE``
    (docs/rendering.md, "Engines").
    """
    t_start = time.perf_counter()
    engine = engine or ("warm" if warm else DEFAULT_ENGINE)
    ids, params = check_request(unit_ids, registry, parameters, scheduler, executor, engine)
    kind = get_kind(kind)
    lang = str(params.get("lang", "id"))
    tpl = read_template(template or kind.template())
    out = Path(out_dir or kind.out_dir()).expanduser().resolve()
    paths = unit_paths(out, ids)
    out.mkdir(parents=True, exist_ok=True)

    with out_dir_lock(out):
        clean_stale_tmp(out)
        previous = mf.load_previous_manifest(out)
        fingerprint = data_fingerprint(params.get("data_dir"), exclude=[out],
                                       cache=out / FINGERPRINT_CACHE)
        plan = plan_units(ids, paths, tpl, params, fingerprint, dict(titles or {}), previous,
                          force=force, kernel_name=kernel_name, timeout=timeout,
                          start_timeout=start_timeout, engine=engine)
        ex_name, n_workers = run_tasks(plan, paths, workers=workers, scheduler=scheduler,
                                       executor=executor, kernel_name=kernel_name,
                                       progress=progress, engine=engine)
        settings = {
            "template": str(tpl.path),
            "template_sha256": hashlib.sha256(tpl.data).hexdigest(),
            "parameters": params,
            "data_fingerprint": fingerprint,
            "package_version": __version__,
            "renderer_version": RENDERER_VERSION,
            "kernel": kernel_name,
            "kernels": engine,
            "executor": ex_name,
            "workers": n_workers,
        }
        return finish_run(out, ids, plan, previous, summary=dict(summary or {}),
                          registry=registry, manifest=settings, lang=lang, banner=banner,
                          title=text(kind.index_title, lang if lang in LANGS else LANGS[0]),
                          filter_column=filter_column,
                          t_start=t_start,
                          index_options={"name_head": text(kind.index_name, lang if lang in
                                                           LANGS else LANGS[0]),
                                         "highlight": kind.highlight})
