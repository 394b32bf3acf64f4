"""Build the processed tables from raw, external (public), simulated and user inputs.

The build loads the public reference files, generates the seeded simulated panel calibrated
to the real regency totals, lays any imported user data over it (user rows replace simulated
rows at the grain the file covers: ``OVERLAY_KEYS``), validates every table (``assemble``),
runs the derived steps it is given (``run_steps``) and writes everything to
``data/processed/`` in one atomic step, incrementally (``check_up_to_date``, ``build_key``).

Which derived steps run, in which order, is declared above the stages in
:mod:`analysis.pipeline`, which calls :func:`build` with them and owns the ``build`` and
``summary`` commands (``python -m analysis build``); this module imports no later stage.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from analysis import __version__, config
from analysis.data import versions

# pandas, pandera and the table modules are imported when a build runs: the "up to date"
# check of an unchanged build needs none of them.
if TYPE_CHECKING:
    import pandas as pd

# Keys at which user data replaces simulated data: the grain a user file covers. A budget
# file that holds only the perubahan stage of 2020 replaces the simulated perubahan rows of
# that unit and year, not its murni or realisasi (so the unit keeps a complete year, marked
# as mixed in the panel: provenance_budget "simulated+user").
OVERLAY_KEYS = {
    "budget": ["region_code", "unit_id", "year", "stage"],
    "service": ["region_code", "unit_id", "year", "indicator"],
    "skm_responses": ["region_code", "unit_id", "year"],
    "innovations": ["region_code", "unit_id", "reporting_year"],
    "leadership": ["region_code", "unit_id"],
    "indicators": ["region_code", "entity", "year", "framework", "indicator_key"],
}
TRUTH_FILE = "simulation_truth.json"

# The derived steps (panel, model fits, summaries, national tables) are not listed here: what
# runs after the base tables are assembled, and in which order, is declared above the stages
# in ``analysis.pipeline`` (``pipeline.STEPS``), which hands them to :func:`build`. This
# module only runs the steps it is given (:func:`run_steps`), so data/ never imports a later
# stage. A step (:class:`Step`) has a ``name``, a ``spec`` (what the build key hashes), an
# ``optional`` flag and ``run(tables, truth, data_dir)`` returning a dict of extra tables;
# ``"__info__"`` in it is stored in the manifest under ``derived_info[name]``.


class Step(Protocol):
    name: str
    spec: str
    optional: bool
    deferrable: bool

    def run(self, tables: dict, truth: dict, data_dir: Path | str | None = None) -> dict: ...

    def is_cached(self, tables: dict) -> bool: ...


@dataclass
class BuildResult:
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    seconds: float
    manifest: dict
    built: bool = True
    """False when the build was up to date and wrote nothing (``tables`` is then empty)."""
    reasons: list[str] = field(default_factory=list)
    """Why a build ran: what differs from the last build's manifest (empty when forced)."""


def overlay(base: pd.DataFrame, user: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``user`` replace the simulated rows of ``base`` that share their key; public rows
    are never replaced."""
    import pandas as pd

    if user is None or user.empty:
        return base
    if base.empty:
        return user.reset_index(drop=True)
    ukeys = user[keys].drop_duplicates()
    marked = base.merge(ukeys.assign(_hit=True), on=keys, how="left")
    replace = marked["_hit"].fillna(False).astype(bool).to_numpy() & (
        base["provenance"].to_numpy() == "simulated")
    return pd.concat([base[~replace], user], ignore_index=True)


SPM_INDICATOR = {"indicator": "Capaian SPM", "indicator_key": "capaian_spm",
                 "framework": "SPM", "measure_unit": "%", "direction": "higher",
                 # PP 2/2018: every eligible citizen receives each basic service (100 %)
                 "target": 100.0}


def service_indicator_rows(service: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """The ``indicators`` table with the SPM achievements of ``service`` (``spm_pct``, imported
    with the service indicators) added in the general form, unless the same unit, year and
    indicator was imported there already."""
    import pandas as pd

    spm = service[service["indicator"] == "spm_pct"] if len(service) else service
    if spm is None or spm.empty:
        return indicators
    rows = spm[["region_code", "unit_id", "entity", "year", "value", "provenance",
                "source"]].assign(**SPM_INDICATOR)
    if len(indicators):
        have = indicators[["region_code", "entity", "year", "framework", "indicator_key"]]
        rows = rows.merge(have.assign(_have=True), how="left",
                          on=["region_code", "entity", "year", "framework", "indicator_key"])
        rows = rows[rows["_have"].isna()].drop(columns="_have")
    rows = rows[list(indicators.columns)]
    if indicators.empty:   # an empty frame has object columns: do not let it set the dtypes
        return rows.reset_index(drop=True)
    return pd.concat([indicators, rows], ignore_index=True)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _user_tables(data_dir: Path | None, units: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Imported user tables (``data/user/<table>.parquet``), validated, with unit ids checked
    against the registry. Rows are numbered from 1 in messages."""
    import pandas as pd

    from analysis.data.schema import InputError, Problem, validate

    udir = (Path(data_dir) if data_dir else config.data_dir()) / "user"
    known = set(zip(units["region_code"], units["unit_id"], strict=True))
    out = {}
    for name in OVERLAY_KEYS:
        path = udir / f"{name}.parquet"
        if not path.is_file():
            continue
        df = pd.read_parquet(path)
        df.index = pd.RangeIndex(1, len(df) + 1)
        df = validate(df, name, str(path))
        pairs = pd.Series(list(zip(df["region_code"], df["unit_id"], strict=True)),
                          index=df.index)
        bad = df["unit_id"].notna() & ~pairs.isin(known)
        if bad.any():
            raise InputError(name, [Problem(str(path), i, "unit_id", v,
                                            "unknown unit id (not in the unit registry)")
                                    for i, v in df.loc[bad, "unit_id"].items()])
        out[name] = df.reset_index(drop=True)
    return out


def assemble(data_dir: Path | str | None = None, seed: int = config.DEFAULT_SEED,
             simulated: bool = True, years: tuple[int, int] = config.DEFAULT_YEARS,
             ) -> tuple[dict[str, pd.DataFrame], dict, dict]:
    """Load and validate every input; return (tables, truth, inputs) without writing."""
    import pandas as pd

    from analysis.data import public
    from analysis.data.schema import TABLES, validate
    from analysis.data.schema import empty as schema_empty

    ext = (Path(data_dir) / "external" / "batang") if data_dir else config.external_dir()
    aliases = public.load_aliases(ext)
    units = public.load_units(ext)
    reference = public.load_reference(ext)
    finance = public.load_region_finance(reference)
    tables: dict[str, pd.DataFrame] = {
        "units": units,
        "reference": validate(reference, "reference", public.REFERENCE_FILE),
        "region_finance": finance,
        "innovations": public.load_innovations(ext, aliases),
        "service": public.load_public_service(reference, aliases),
    }
    tables["deflator"] = public.load_deflator(data_dir=data_dir)
    truth: dict = {}
    if simulated:
        from analysis.data import simulate as sim

        targets = public.calibration_targets(finance)
        targets = targets[targets["year"].between(*years)]
        panel = sim.simulate(units, targets, seed=seed, years=years)
        truth = panel.truth
        for name, df in panel.tables.items():
            tables[name] = df if name not in tables else pd.concat([tables[name], df],
                                                                    ignore_index=True)
    for name, udf in _user_tables(data_dir, units).items():
        tables[name] = overlay(tables.get(name, pd.DataFrame()), udf, OVERLAY_KEYS[name])
    for name in OVERLAY_KEYS:   # every input table exists, if only empty (no simulated panel)
        if name not in tables:
            tables[name] = schema_empty(name)
    tables["indicators"] = service_indicator_rows(tables["service"], tables["indicators"])
    for name in TABLES:
        if name in tables and not tables[name].empty:
            tables[name] = validate(tables[name], name, f"<assembled {name}>")
    return tables, truth, input_digests(data_dir)


# --------------------------------------------------------------------------- up to date?
# A build is a pure function of its inputs: the files under data/external and data/user (by
# content), the settings (seed, simulated, years), the package version, the source of the
# package modules that compute tables, the derived steps (their specs) and the versions of the libraries
# that shape the tables. Their hash is the manifest's ``build_key``; a build whose key equals
# the last build's, and whose outputs are still on disk with the hashes the manifest recorded,
# writes nothing ("up to date: nothing to build"). ``--force`` (force=True) builds anyway.

INPUT_FOLDERS = ("external", "user")
# The libraries that shape the tables (``BUILD_LIBRARIES``) and their versions
# (``library_versions``) are declared in ``analysis.data.versions``: the build key, the manifest
# and every processed Parquet file (``store.write_processed``) read them from there.
# Which package modules never compute a table (their source is left out of the build key) is
# declared with the steps, in ``analysis.pipeline.NOT_TABLE_MODULES``, and passed to build().


def input_files(data_dir: Path | str | None = None) -> list[Path]:
    """Every file the build may read: all files under ``<data>/external`` and ``<data>/user``
    (recursively; names starting with a dot, e.g. staging files and ``.gitkeep``, excluded)."""
    base = Path(data_dir) if data_dir else config.data_dir()
    out = []
    for folder in INPUT_FOLDERS:
        root = base / folder
        if root.is_dir():
            out += [p for p in root.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted(out)


def input_digests(data_dir: Path | str | None = None) -> dict[str, str]:
    """``{relative path: sha256}`` of every input file (the manifest's ``inputs``)."""
    base = Path(data_dir) if data_dir else config.data_dir()
    return {p.relative_to(base).as_posix(): _file_digest(p) for p in input_files(base)}


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[1]


def table_modules(exclude: Sequence[str] = ()) -> dict[str, str]:
    """``{file relative to the package: sha256}`` of every loaded ``analysis`` module that can
    compute a table (after a build: every module the build used; ``exclude``: modules, with
    their submodules, that never compute one), and the word catalog's TOML files when the
    catalog was loaded."""
    pkg = _package_dir()
    out = {}
    for name, mod in list(sys.modules.items()):
        if not (name == "analysis" or name.startswith("analysis.")) or any(
                name == x or name.startswith(x + ".") for x in exclude):
            continue
        f = getattr(mod, "__file__", None)
        if not f:
            continue
        p = Path(f).resolve()
        if p.suffix == ".py" and p.is_relative_to(pkg):
            out[p.relative_to(pkg).as_posix()] = _file_digest(p)
    if "analysis.narrative.catalog" in sys.modules:
        # the word catalog is data the build writes into tables (the unit summary's cluster
        # labels; no fitted table holds words: data/cache.py leaves the catalog out of fits)
        for p in sorted((pkg / "narrative" / "words").glob("*.toml")):
            out[p.relative_to(pkg).as_posix()] = _file_digest(p)
    return dict(sorted(out.items()))


def _module_digests(files) -> dict[str, str]:
    pkg = _package_dir()
    out = {}
    for rel in files:
        p = pkg / rel
        out[rel] = _file_digest(p) if p.is_file() else "missing"
    return out


def build_key(inputs: dict, seed, simulated: bool, years, code: dict, libraries: dict,
              steps: Sequence[Step]) -> str:
    payload = {"inputs": inputs, "seed": seed if simulated else None,
               "simulated": bool(simulated), "years": list(years),
               "package_version": __version__, "code": code, "libraries": libraries,
               "steps": [s.spec for s in steps]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def check_up_to_date(data_dir: Path | str | None = None, seed: int = config.DEFAULT_SEED,
                     simulated: bool = True, years: tuple[int, int] = config.DEFAULT_YEARS,
                     steps: Sequence[Step] = (), defer: bool = False
                     ) -> tuple[dict | None, list[str]]:
    """``(manifest, [])`` when the last build's outputs are current, else ``(None, reasons)``.
    Reads the manifest and hashes the input files, the table modules and the outputs; imports
    neither pandas nor any table module. ``steps``: the derived steps the build would run.
    A build whose deferrable steps were kept from an older build (:func:`stale_fits`) is not
    current unless ``defer`` (the build asked for would defer them too)."""
    path = config.processed_dir(data_dir) / "manifest.json"
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, ["no readable processed/manifest.json"]
    if not man.get("build_key") or not isinstance(man.get("outputs"), dict):
        return None, ["the last build recorded no build key"]
    reasons = []
    inputs = input_digests(data_dir)
    old_inputs = man.get("inputs") or {}
    changed = sorted(k for k in set(inputs) | set(old_inputs)
                     if inputs.get(k) != old_inputs.get(k))
    if changed:
        reasons.append("input files changed: " + ", ".join(changed[:5])
                       + (f" (+{len(changed) - 5} more)" if len(changed) > 5 else ""))
    if (man.get("seed"), bool(man.get("simulated")), list(man.get("years") or [])) != (
            seed if simulated else None, bool(simulated), list(years)):
        reasons.append("settings changed (seed, simulated or years)")
    if man.get("package_version") != __version__:
        reasons.append(f"package version {man.get('package_version')} -> {__version__}")
    code = _module_digests(man.get("code") or {})
    if code != man.get("code"):
        reasons.append("package code changed: " + ", ".join(
            sorted(k for k in code if code[k] != man["code"].get(k))))
    libraries = versions.library_versions()
    if libraries != man.get("libraries"):
        reasons.append("library versions changed")
    if list(man.get("steps") or []) != [s.name for s in steps]:
        reasons.append("derived steps changed")
    stale = stale_fits(man)
    if stale and not defer:
        reasons.append(f"the {', '.join(stale)} tables are older than the data (refits "
                       f"deferred by an import; fitted on the data of "
                       f"{_when(min(v['fitted_at'] for v in stale.values()))}): refitting")
    if reasons:
        return None, reasons
    if build_key(inputs, seed, simulated, years, code, libraries, steps) != man["build_key"]:
        return None, ["build key differs"]
    out_dir = path.parent
    bad = [name for name, digest in man["outputs"].items()
           if not (out_dir / name).is_file() or _file_digest(out_dir / name) != digest]
    if bad:
        return None, ["processed files missing or changed: " + ", ".join(sorted(bad))]
    return man, []


def run_steps(steps: Sequence[Step], tables: dict, truth: dict, notes: list[str] | None = None,
              data_dir: Path | str | None = None, info: dict | None = None,
              carry: Callable[[Step], tuple[dict, dict, dict | None] | None] | None = None,
              fits: dict | None = None) -> dict[str, pd.DataFrame]:
    """Run ``steps`` in order on the assembled ``tables`` (each step sees the tables of the
    steps before it); return the extra tables. A step whose ValueError means "not estimable
    with this data" (``optional``, e.g. the model fits with only user budget rows and no
    service indicators) is skipped and said so in ``notes`` (the manifest's
    ``derived_notes``) instead of failing the build; reports then show what exists.

    ``carry`` (a deferring build, :func:`build` with ``defer=True``): for a ``deferrable``
    step whose result is not cached for these tables, ``carry(step)`` returns the step's
    tables from the last build, their state (``{"current": False, "fitted_at": ...}``) and
    the step's info, or None when there is nothing to keep (then the step runs). ``fits``
    receives the state of every deferrable step (the manifest's ``fits``)."""
    extra: dict = {}
    for step in steps:
        deferrable = bool(getattr(step, "deferrable", False))
        if deferrable and carry is not None and not step.is_cached({**tables, **extra}):
            kept = carry(step)
            if kept is not None:
                kept_tables, state, step_info = kept
                extra.update(kept_tables)
                if fits is not None:
                    fits[step.name] = state
                if step_info is not None and info is not None:
                    info[step.name] = step_info
                continue
        try:
            out = dict(step.run({**tables, **extra}, truth, data_dir=data_dir))
        except ValueError as exc:
            if not step.optional:
                raise
            if notes is not None:
                notes.append(f"{step.name} skipped (not estimable with this data): {exc}")
            continue
        step_info = out.pop("__info__", None)
        if step_info is not None and info is not None:
            info[step.name] = step_info
        if deferrable and fits is not None:
            fits[step.name] = {"current": True, "fitted_at": _now()}
        extra.update(out)
    return extra


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()


def _when(iso: str | None) -> str:
    """``2026-12-07 09:41 UTC`` from an ISO time stamp (as written in the manifest)."""
    return (str(iso or "?")[:16].replace("T", " ") + " UTC") if iso else "an unknown time"


def stale_fits(manifest: dict) -> dict[str, dict]:
    """The deferrable steps (the model fits) whose tables in this build were kept from an
    older build instead of refitted (an import defers the refits): ``{step: {"current": False,
    "fitted_at": ISO time of the build whose data they were fitted on}}``; empty when every
    fit is current. Every view that shows model results says so when this is not empty
    (:func:`fits_note`)."""
    return {name: dict(state) for name, state in (manifest.get("fits") or {}).items()
            if not state.get("current", True)}


def fits_note(manifest: dict) -> dict | None:
    """``{"fitted_at": ..., "data_at": ...}`` (readable UTC times) when the model results are
    older than the data (:func:`stale_fits`), else None: what the views word as "the model
    results were fitted on the data of X; the data changed on Y"."""
    stale = stale_fits(manifest)
    if not stale:
        return None
    return {"fitted_at": _when(min(v["fitted_at"] for v in stale.values())),
            "data_at": _when(manifest.get("built_at")), "steps": sorted(stale)}


def settings_of(manifest: dict) -> dict:
    """The build settings (seed, simulated, years) a manifest was built with, as keyword
    arguments of :func:`build` (a rebuild of the same data keeps them)."""
    out: dict = {}
    if manifest.get("seed") is not None:
        out["seed"] = int(manifest["seed"])
    if "simulated" in manifest:
        out["simulated"] = bool(manifest["simulated"])
    if manifest.get("years"):
        out["years"] = tuple(int(y) for y in manifest["years"])
    return out


def _carrier(carry_from: Path):
    """``carry(step)`` for :func:`run_steps`: the step's tables from the processed folder
    ``carry_from`` (the last build), checked against that build's manifest (sha256 of each
    file), with their fit state; None (the step runs) when that build has none of them, a
    file differs, or it was made with other library versions or other estimator code
    (``methods/``) than this one."""
    import pandas as pd

    try:
        prev = json.loads((carry_from / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        prev = None

    def carry(step):
        if not prev or not isinstance(prev.get("outputs"), dict):
            return None
        # results of another estimator or library version are refitted, never kept
        if prev.get("libraries") != versions.library_versions():
            return None
        methods = {k: v for k, v in (prev.get("code") or {}).items()
                   if k.startswith("methods/")}
        if not methods or _module_digests(methods) != methods:
            return None
        files = {n: carry_from / f"{n}.parquet" for n in step.outputs
                 if f"{n}.parquet" in prev["outputs"]}
        if not files:
            return None
        for n, path in files.items():
            if not path.is_file() or _file_digest(path) != prev["outputs"][path.name]:
                return None
        state = (prev.get("fits") or {}).get(step.name) or {}
        state = {"current": False, "fitted_at": state.get("fitted_at") or prev.get("built_at")}
        return ({n: pd.read_parquet(path) for n, path in files.items()}, state,
                (prev.get("derived_info") or {}).get(step.name))
    return carry


def provenance_counts(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, int]]:
    out = {}
    for name, df in tables.items():
        col = "provenance" if "provenance" in df.columns else "dataset"
        if col in df.columns:
            out[name] = {str(k): int(v) for k, v in df[col].value_counts().items()}
        else:
            out[name] = {"derived": len(df)}
    return out


def build(data_dir: Path | str | None = None, seed: int = config.DEFAULT_SEED,
          simulated: bool = True, years: tuple[int, int] = config.DEFAULT_YEARS,
          force: bool = False, *, steps: Sequence[Step],
          not_table_modules: Sequence[str] = (), defer: bool = False,
          carry_from: Path | str | None = None) -> BuildResult:
    """Build the processed tables: assemble and validate the inputs, run ``steps`` (the derived
    steps, given by ``analysis.pipeline``: ``pipeline.build`` is the whole build) and write
    everything; on any error nothing already written is touched. Runs under the data folder's
    writer lock (``analysis.data.locking``): one writer at a time.

    Incremental: when the inputs, settings, code and steps are those of the last build and its
    outputs are intact (``check_up_to_date``), nothing is written and the result has
    ``built=False`` and no tables. ``force=True`` builds anyway. ``not_table_modules``:
    modules whose source is left out of the build key (they never compute a table).

    ``defer=True`` (an import): a ``deferrable`` step (the model fits, ~30 s) whose result is
    not cached for the new tables is not run; its tables are kept from the last build in
    ``carry_from`` (default: this data folder's ``processed/``) and the manifest marks them
    older than the data (``fits``; :func:`stale_fits`). The next build without ``defer``
    refits them; until then every view says so (:func:`fits_note`)."""
    from analysis.data import locking

    with locking.data_lock(data_dir, "build"):
        t0 = time.perf_counter()
        reasons: list[str] = []
        if not force:
            man, reasons = check_up_to_date(data_dir, seed, simulated, years, steps, defer)
            if man is not None:
                return BuildResult(config.processed_dir(data_dir), {},
                                   round(time.perf_counter() - t0, 2), man, built=False)
        carry = None
        if defer:
            carry = _carrier(Path(carry_from) if carry_from is not None
                             else config.processed_dir(data_dir))
        res = _build(data_dir, seed, simulated, years, steps, not_table_modules, carry)
        res.reasons = reasons
        return res


def _build(data_dir, seed, simulated, years, steps, not_table_modules, carry=None
           ) -> BuildResult:
    import pandas as pd

    from analysis.data import store

    t0 = time.perf_counter()
    tables, truth, inputs = assemble(data_dir, seed=seed, simulated=simulated, years=years)
    notes: list[str] = []
    info: dict = {}
    fits: dict = {}
    tables.update(run_steps(steps, tables, truth, notes, data_dir=data_dir, info=info,
                            carry=carry, fits=fits))
    manifest = {
        "derived_notes": notes,
        "derived_info": info,
        "fits": fits,
        "package_version": __version__,
        "built_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "seed": seed if simulated else None,
        "simulated": simulated,
        "years": list(years),
        "inputs": inputs,
        "tables": {n: len(df) for n, df in tables.items()},
        "provenance": provenance_counts(tables),
    }
    code, libraries = table_modules(not_table_modules), versions.library_versions()
    # what made the tables: the manifest and every Parquet file's metadata say the same
    made = versions.made_with(libraries, package_version=__version__)
    manifest.update(code=code, libraries=libraries, python=made["python"],
                    steps=[s.name for s in steps],
                    build_key=build_key(inputs, seed, simulated, years, code, libraries, steps))
    files: dict[str, object] = {store.MANIFEST: manifest}
    if truth:
        files[TRUTH_FILE] = truth
    out_dir = config.processed_dir(data_dir)
    # the manifest records the sha256 of every other file it is written with ("outputs")
    store.write_processed(tables, files, out_dir, record_outputs=store.MANIFEST, made_with=made)
    manifest["seconds"] = round(time.perf_counter() - t0, 2)
    return BuildResult(out_dir, tables, manifest["seconds"], manifest)


def format_summary(manifest: dict) -> str:
    """A plain-text table: rows per table and provenance."""
    prov = manifest["provenance"]
    kinds = ["public", "simulated", "user", "derived"]
    lines = [f"note: {n}" for n in manifest.get("derived_notes") or []]
    note = fits_note(manifest)
    if note:
        lines.append(f"note: the model results ({', '.join(note['steps'])}) were fitted on the "
                     f"data of {note['fitted_at']}; the data changed on {note['data_at']} (an "
                     "import deferred the refits). They refit at the next `render` or "
                     "`present`, or now with `python -m analysis build` (~30 s).")
    lines += [f"{'table':<16}" + "".join(f"{k:>11}" for k in kinds) + f"{'total':>11}"]
    for name, counts in prov.items():
        lines.append(f"{name:<16}" + "".join(f"{counts.get(k, 0):>11,}" for k in kinds)
                     + f"{sum(counts.values()):>11,}")
    if manifest.get("simulated"):
        lines.append(f"Simulated rows come from the seeded generator (seed {manifest['seed']}); "
                     "they are labelled provenance=simulated everywhere they appear.")
    return "\n".join(lines)
