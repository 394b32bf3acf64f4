"""The ``render`` command: ``python -m analysis render [--kind opd|pemda] ...``.

:func:`register_cli` adds the command and its flags (docs/rendering.md lists them);
:func:`_cli_render` resolves the kind (:mod:`~analysis.publish.render.kinds`), loads its units
(reusing ``<out>/.units-cache.json`` while the data are unchanged), runs
:func:`~analysis.publish.render.batch.render_reports` and prints one line, plus one per
failed unit. Exit status 0, 1 when any unit failed, 2 for a usage error (nothing run)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis import __version__, config
from analysis.data.store import atomic_write
from analysis.publish.index import UnitTable
from analysis.publish.render.batch import DEFAULT_ENGINE, ENGINES, render_reports
from analysis.publish.render.hashing import FINGERPRINT_CACHE, data_fingerprint
from analysis.publish.render.kinds import DEFAULT_KIND, KINDS, get_kind, is_kind_loader
from analysis.publish.render.opd import default_out_dir, default_template
from analysis.publish.render.outdir import RenderLockedError
from analysis.publish.render.units import InvalidUnitError

UNITS_CACHE = ".units-cache.json"
"""In the output folder: the unit table (names, banner, index columns) of the last render and
the data fingerprint it was read from. When the data are unchanged, the next render reuses it
instead of importing pandas and reading the tables (a no-change render then takes ~0.1 s)."""


def cached_unit_table(loader, lang: str, data_dir_arg, data_dir: str, out: Path) -> UnitTable:
    """``loader(lang=..., data_dir=...)``, reused from ``out/UNITS_CACHE`` when the data under
    ``data_dir`` have the same content fingerprint. Only the registered kinds' own loaders
    (OPD and pemda units) are cached; any other loader runs every time."""
    if not is_kind_loader(loader):
        return loader(lang=lang, data_dir=data_dir_arg)
    name = f"{getattr(loader, '__module__', '?')}.{getattr(loader, '__qualname__', '?')}"
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
    kind = get_kind(getattr(args, "kind", DEFAULT_KIND))
    # a loader given to register_cli (tests, other projects) replaces the default kind's
    loader: Callable[..., UnitTable] = kind.units
    if args.units_loader is not None and kind.name == DEFAULT_KIND:
        loader = args.units_loader
    out = args.out or str(kind.out_dir())
    wanted = None
    if args.units is not None:
        wanted = [u.strip() for u in args.units.split(",") if u.strip()]
        if kind.normalize_id is not None:
            wanted = [kind.normalize_id(u) for u in wanted]
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
        table = cached_unit_table(loader, args.lang, args.data_dir, params["data_dir"],
                                  Path(out).expanduser().resolve())
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    units = list(table.names) if wanted is None else wanted
    engine_name = args.engine or ("warm" if args.warm else DEFAULT_ENGINE)
    try:
        result = render_reports(
            units,
            template=args.template,
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
            engine=engine_name,
            filter_column=table.filter_column,
            kind=kind,
        )
    except (InvalidUnitError, FileNotFoundError, RenderLockedError, ValueError) as exc:
        hint = f" ({kind.id_hint})" if isinstance(exc, InvalidUnitError) and kind.id_hint else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    c = result.counts
    print(
        f"{c['ok']} rendered, {c['skipped']} unchanged, {c['failed']} failed "
        f"in {result.total_seconds:.1f} s ({result.executor}, {result.workers} workers"
        f"{', engine ' + engine_name if result.workers else ''}) "
        f"-> {result.index_path}"
    )
    for r in result.failed:
        where = f" cell {r['cell_index']}" if r.get("cell_index") is not None else ""
        print(
            f"  FAILED {r['unit_id']}{where}: {r.get('ename')}: {r.get('evalue')}", file=sys.stderr
        )
    return result.exit_status


def register_cli(subparsers, units_loader: Callable[..., UnitTable] | None = None) -> None:
    """Add the ``render`` command. ``units_loader`` (default: the ``opd`` kind's
    :func:`~analysis.publish.render.opd.load_opd_units`) gives the units of ``--kind opd``."""
    p = subparsers.add_parser(
        "render",
        help="render one HTML report per OPD from the papermill template",
        description="Run the report template once per unit (papermill), convert to HTML without "
        "code, and write an index page and a run manifest. Unchanged reports are skipped. "
        "Exit status 1 if any unit failed.",
    )
    p.add_argument("--units", help="comma-separated unit ids (default: every OPD in units.parquet)")
    p.add_argument(
        "--kind", choices=list(KINDS), default=DEFAULT_KIND,
        help="; ".join(f"{k.name}: {k.help}" for k in KINDS.values()),
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
    p.add_argument("--no-refit", action="store_true",
                   help="do not refit the models an import deferred before rendering: the "
                        "reports then say their model results are older than the data")
    p.add_argument(
        "--warm",
        action="store_true",
        help="same as --engine warm: one persistent kernel per worker, reset between reports "
        "(imported modules persist; process pool only, not with --scheduler)",
    )
    p.add_argument(
        "--engine", choices=list(ENGINES), default=None,
        help="how a report's cells run: inprocess (in the worker process itself, no kernel), "
        "warm (one kernel per worker), fresh (a new kernel per report); default "
        f"{DEFAULT_ENGINE} (docs/rendering.md, 'Engines'); inprocess and warm: process pool "
        "only, not with --scheduler",
    )
    p.set_defaults(func=_cli_render, units_loader=units_loader)
