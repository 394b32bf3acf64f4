"""The build's steps, in order, above every stage.

``python -m analysis build`` assembles and validates the input tables (``data/build.py``),
then runs the derived steps below, once per build ("compute once, render many"), and writes
every table at once. The steps reach into every stage (methods, publish, data), so they are
declared here, above the stages (``analysis.stages``), and handed to
:func:`analysis.data.build.build`; no stage imports a later one to run them.

A :class:`Step` is a name, a function ``func(tables, truth) -> {table: frame}``, the tables it
reads (``inputs``: it is given only those) and the tables it may write (``outputs``: anything
else it returns is an error), in the spirit of Kedro's ``node(func, inputs, outputs)``. The
function is written ``"module:function"`` and imported when the step runs, so the "up to
date" check of an unchanged build imports neither pandas nor any table module.

The import command (``python -m analysis import``) rebuilds with these steps too: the
importers (``data/importers/``) take the rebuild as an argument (:func:`import_files`,
:func:`import_apbd` pass :func:`build`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.data import build as data_build

# the base tables data/build.assemble() makes, the inputs of the first steps
INPUT_TABLES = ("units", "reference", "region_finance", "innovations", "service", "budget",
                "skm_responses", "leadership", "indicators", "deflator")


@dataclass(frozen=True)
class Step:
    """One derived step of the build: ``func(tables, truth)`` on the tables named in
    ``inputs`` (those that exist), returning some of ``outputs`` (and optionally
    ``"__info__"``: a dict stored in the manifest under ``derived_info[name]``).

    ``func``: a callable or ``"module:function"`` (imported when the step runs).
    ``optional``: a ValueError means "not estimable with this data": the build goes on
    without the step's tables and says so (``derived_notes``).
    ``data_dir``: the function takes the build's data folder as ``data_dir=`` (steps that
    read their own input files).
    ``deferrable``: a build with ``defer=True`` (an import) may keep this step's tables from
    the last build instead of running it, marked older than the data (the model fits: ~30 s
    against ~3 s for the rest of a build); ``cached`` (``"module:function"``, given the
    step's inputs) says whether running it now would only read a cache, in which case it
    runs."""
    name: str
    func: str | Callable
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    optional: bool = False
    data_dir: bool = False
    deferrable: bool = False
    cached: str | None = None

    @property
    def target(self) -> str:
        if isinstance(self.func, str):
            return self.func
        return f"{self.func.__module__}:{self.func.__qualname__}"

    @property
    def spec(self) -> str:
        """What the build key hashes: name, function, inputs, outputs and flags."""
        flags = "".join((" optional" if self.optional else "", " data_dir" if self.data_dir
                         else "", " deferrable" if self.deferrable else ""))
        return (f"{self.name} = {self.target}({', '.join(self.inputs)}) -> "
                f"{', '.join(self.outputs)}{flags}")

    def load(self) -> Callable:
        if not isinstance(self.func, str):
            return self.func
        mod, _, attr = self.func.partition(":")
        return getattr(importlib.import_module(mod), attr)

    def is_cached(self, tables: dict) -> bool:
        """Whether running the step on ``tables`` would only read its cache (``cached``)."""
        if self.cached is None:
            return False
        mod, _, attr = self.cached.partition(":")
        probe = getattr(importlib.import_module(mod), attr)
        return bool(probe({k: tables[k] for k in self.inputs if k in tables}))

    def run(self, tables: dict, truth: dict, data_dir: Path | str | None = None) -> dict:
        fn = self.load()
        given = {k: tables[k] for k in self.inputs if k in tables}
        out = dict(fn(given, truth, **({"data_dir": data_dir} if self.data_dir else {})))
        extra = sorted(set(out) - set(self.outputs) - {"__info__"})
        if extra:
            raise RuntimeError(f"build step {self.name!r} ({self.target}) returned table(s) "
                               f"it does not declare: {', '.join(extra)}")
        return out


STEPS: tuple[Step, ...] = (
    Step("panel", "analysis.methods.measures:build_panel",
         inputs=("units", "budget", "deflator", "innovations", "service", "skm_responses",
                 "leadership"),
         outputs=("panel",)),
    Step("models", "analysis.methods.build_fits:fit_all",
         inputs=("panel",),
         outputs=("model_results", "event_study", "lag_results", "typology", "typology_k",
                  "resilience", "findings_regency"),
         optional=True, deferrable=True, cached="analysis.methods.build_fits:fit_is_cached"),
    Step("summaries", "analysis.publish.summaries:summary_tables",
         inputs=("panel", "typology", "resilience", "budget"),
         outputs=("unit_summary", "regency_year")),
    Step("national", "analysis.data.national:build_tables",
         inputs=("deflator",),
         outputs=("pemda", "pemda_finance", "pemda_ipm", "pemda_unmatched", "pemda_year",
                  "pemda_sikd", "pemda_lkpd", "pemda_iid"),
         data_dir=True),
    Step("national_2020", "analysis.methods.national_2020:fit_step",
         inputs=("pemda", "pemda_sikd", "pemda_year", "pemda_lkpd", "pemda_ipm", "deflator"),
         outputs=("pemda_shock_2020", "national_2020_results", "national_2020_event_study"),
         optional=True),
    Step("ledger", "analysis.methods.ledger:assemble",
         inputs=("findings_regency", "national_2020_results"),
         outputs=("findings",)),
)
"""The derived steps, in the order they run (each sees the tables of the steps before it)."""

NOT_TABLE_MODULES = ("analysis.__main__", "analysis.cli", "analysis.pipeline",
                     "analysis.stages", "analysis.publish.render", "analysis.publish.engine",
                     "analysis.publish.executors", "analysis.publish.index",
                     "analysis.publish.kernel", "analysis.data.locking",
                     "analysis.publish.present", "analysis.publish.explore")
"""Package modules (with their submodules) that never compute a table: their source is not
part of the build key (``manifest["code"]``). The steps themselves are (``spec``)."""


def build(data_dir: Path | str | None = None, seed: int = config.DEFAULT_SEED,
          simulated: bool = True, years: tuple[int, int] = config.DEFAULT_YEARS,
          force: bool = False, steps: tuple[Step, ...] = STEPS, defer_fits: bool = False,
          carry_from: Path | str | None = None) -> data_build.BuildResult:
    """The whole build (``python -m analysis build``): every processed table from the inputs,
    through :data:`STEPS`; incremental and all-or-nothing (:func:`analysis.data.build.build`).
    ``defer_fits`` (what an import does): the model fits are kept from the last build (in
    ``carry_from``, default this folder's ``processed/``) unless cached for the new panel,
    and marked older than the data until the next build without it."""
    return data_build.build(data_dir, seed=seed, simulated=simulated, years=years,
                            force=force, steps=steps, not_table_modules=NOT_TABLE_MODULES,
                            defer=defer_fits, carry_from=carry_from)


def refit_deferred(data_dir: Path | str | None = None, what: str = "render") -> bool:
    """Refit the models an import deferred (:func:`analysis.data.build.stale_fits`) before
    ``what`` (render, present) shows them: the whole build with the last build's settings.
    Returns whether it refitted. Reads only the manifest when nothing is deferred."""
    import json
    import sys

    path = config.processed_dir(data_dir) / "manifest.json"
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False     # not built: the command itself says so
    note = data_build.fits_note(man)
    if note is None:
        return False
    print(f"refitting first: the model results were fitted on the data of {note['fitted_at']}; "
          f"the data changed on {note['data_at']} (an import deferred the refits; ~30 s; "
          f"--no-refit runs this {what} now with the older results, marked as such)",
          file=sys.stderr, flush=True)
    res = build(data_dir, **data_build.settings_of(man))
    print(f"refitted in {res.seconds:.1f} s", file=sys.stderr, flush=True)
    return True


def import_files(kind: str, files, **kwargs):
    """:func:`analysis.data.importers.import_files`, rebuilding with :func:`build`."""
    from analysis.data.importers import commit as store

    return store.import_files(kind, files, rebuild=build, **kwargs)


def import_apbd(kind: str, files, **kwargs):
    """:func:`analysis.data.importers.apbd.import_apbd`, rebuilding with :func:`build`."""
    from analysis.data.importers import apbd

    return apbd.import_apbd(kind, files, rebuild=build, **kwargs)


def import_iid(files, **kwargs):
    """:func:`analysis.data.importers.iid_pemda.import_iid`, rebuilding with :func:`build`."""
    from analysis.data.importers import iid_pemda

    return iid_pemda.import_iid(files, rebuild=build, **kwargs)


# --------------------------------------------------------------------------- commands


def _cmd_build(args) -> int:
    res = build(args.data_dir, seed=args.seed, simulated=not args.no_simulated,
                force=args.force, defer_fits=args.defer_fits)
    if not res.built:
        print(f"up to date: nothing to build (last built {res.manifest.get('built_at')}, "
              f"same inputs, settings and code; --force rebuilds) -> {res.out_dir}")
        return 0
    if res.reasons:
        print("building: " + "; ".join(res.reasons))
    print(f"Built {len(res.tables)} tables in {res.seconds:.2f} s -> {res.out_dir}")
    print(data_build.format_summary(res.manifest))
    return 0


def _cmd_summary(args) -> int:
    from analysis.data import store

    print(data_build.format_summary(store.load_manifest(args.data_dir)))
    return 0


def register_cli(sub) -> None:
    """The ``build`` and ``summary`` commands."""
    p = sub.add_parser("build", help="build the processed tables (data/processed/)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED,
                   help=f"seed of the simulated panel (default {config.DEFAULT_SEED})")
    p.add_argument("--no-simulated", action="store_true",
                   help="public (and user) data only, no simulated panel")
    p.add_argument("--data-dir", default=None, help="data folder (default: the project's data/)")
    p.add_argument("--force", action="store_true",
                   help="build even when inputs, settings and code are unchanged")
    p.add_argument("--defer-fits", action="store_true",
                   help="keep the model results of the last build instead of refitting them "
                        "(as an import does; they are marked older than the data until a "
                        "build without this flag, a render or a present refits them)")
    p.set_defaults(func=_cmd_build)
    s = sub.add_parser("summary", help="print what the last build produced, per provenance")
    s.add_argument("--data-dir", default=None)
    s.set_defaults(func=_cmd_summary)


def register_import_cli(sub) -> None:
    """The ``import`` command (``data/importers/cli.py``), rebuilding with :func:`build`."""
    from analysis.data.importers.cli import register_cli as register

    register(sub, rebuild=build)
