"""Build the processed tables from raw, external (public), simulated and user inputs.

``python -m analysis build`` loads the public reference files, generates the seeded simulated
panel calibrated to the real regency totals, lays any imported user data over it (user rows
replace simulated rows at the grain the file covers: ``OVERLAY_KEYS``), validates every table and writes them to
``data/processed/`` in one atomic step. ``python -m analysis summary`` prints what was built.
"""

from __future__ import annotations

import hashlib
import importlib
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import __version__, config, io, public
from analysis.schema import TABLES, InputError, Problem, validate
from analysis.schema import empty as schema_empty

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
}
TRUTH_FILE = "simulation_truth.json"

# Derived steps run after the base tables are assembled ("compute once, render many"). Each is
# "module:function" taking (tables, truth) and returning a dict of extra tables; a module that
# does not exist yet is skipped, so the build works while the package grows.
DERIVED_STEPS: list[str] = [
    "analysis.measures:build_panel",
    "analysis.models:fit_all",
    "analysis.report:summary_tables",
    "analysis.national:build_tables",
]
# A step that takes a ``data_dir`` keyword gets the build's data folder (steps that read their
# own input files, e.g. the national peers layer). A step may return ``"__info__"``: a dict
# stored in the manifest under ``derived_info[step]`` (counts of dropped rows, ...).


@dataclass
class BuildResult:
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    seconds: float
    manifest: dict


def overlay(base: pd.DataFrame, user: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``user`` replace the simulated rows of ``base`` that share their key; public rows
    are never replaced."""
    if user is None or user.empty:
        return base
    if base.empty:
        return user.reset_index(drop=True)
    ukeys = user[keys].drop_duplicates()
    marked = base.merge(ukeys.assign(_hit=True), on=keys, how="left")
    replace = marked["_hit"].fillna(False).astype(bool).to_numpy() & (
        base["provenance"].to_numpy() == "simulated")
    return pd.concat([base[~replace], user], ignore_index=True)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _user_tables(data_dir: Path | None, units: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Imported user tables (``data/user/<table>.parquet``), validated, with unit ids checked
    against the registry. Rows are numbered from 1 in messages."""
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
    from analysis.measures import load_deflator

    tables["deflator"] = load_deflator(data_dir=data_dir)
    truth: dict = {}
    if simulated:
        from analysis import simulate as sim

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
    for name in TABLES:
        if name in tables and not tables[name].empty:
            tables[name] = validate(tables[name], name, f"<assembled {name}>")
    base = Path(data_dir) if data_dir else config.data_dir()
    files = sorted((base / "external").rglob("*.csv")) + sorted((base / "user").glob("*.parquet"))
    inputs = {str(p.relative_to(base)): _file_digest(p) for p in files}
    return tables, truth, inputs


# Steps whose ValueError means "not estimable with this data" (e.g. only user budget rows,
# no service indicators): the build goes on without their tables and says so in the manifest
# (``derived_notes``) instead of failing; reports then show what exists.
OPTIONAL_STEPS = {"analysis.models:fit_all"}


def _run_derived(tables: dict, truth: dict, notes: list[str] | None = None,
                 data_dir: Path | str | None = None, info: dict | None = None
                 ) -> dict[str, pd.DataFrame]:
    import inspect

    extra: dict[str, pd.DataFrame] = {}
    for step in DERIVED_STEPS:
        mod_name, func = step.split(":")
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name == mod_name:
                continue
            raise
        fn = getattr(mod, func)
        kwargs = {"data_dir": data_dir} if "data_dir" in inspect.signature(fn).parameters else {}
        try:
            out = dict(fn({**tables, **extra}, truth, **kwargs))
            step_info = out.pop("__info__", None)
            if step_info is not None and info is not None:
                info[step] = step_info
            extra.update(out)
        except ValueError as exc:
            if step not in OPTIONAL_STEPS:
                raise
            if notes is not None:
                notes.append(f"{step} skipped (not estimable with this data): {exc}")
    return extra


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
          simulated: bool = True, years: tuple[int, int] = config.DEFAULT_YEARS) -> BuildResult:
    """Build every processed table; on any error nothing already written is touched. Runs
    under the data folder's writer lock (``analysis.locking``): one writer at a time."""
    from analysis import locking

    with locking.data_lock(data_dir, "build"):
        return _build(data_dir, seed, simulated, years)


def _build(data_dir, seed, simulated, years) -> BuildResult:
    t0 = time.perf_counter()
    tables, truth, inputs = assemble(data_dir, seed=seed, simulated=simulated, years=years)
    notes: list[str] = []
    info: dict = {}
    tables.update(_run_derived(tables, truth, notes, data_dir=data_dir, info=info))
    manifest = {
        "derived_notes": notes,
        "derived_info": info,
        "package_version": __version__,
        "built_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "seed": seed if simulated else None,
        "simulated": simulated,
        "years": list(years),
        "inputs": inputs,
        "tables": {n: len(df) for n, df in tables.items()},
        "provenance": provenance_counts(tables),
    }
    files: dict[str, object] = {io.MANIFEST: manifest}
    if truth:
        files[TRUTH_FILE] = truth
    out_dir = config.processed_dir(data_dir)
    io.write_processed(tables, files, out_dir)
    manifest["seconds"] = round(time.perf_counter() - t0, 2)
    return BuildResult(out_dir, tables, manifest["seconds"], manifest)


def format_summary(manifest: dict) -> str:
    """A plain-text table: rows per table and provenance."""
    prov = manifest["provenance"]
    kinds = ["public", "simulated", "user", "derived"]
    lines = [f"note: {n}" for n in manifest.get("derived_notes") or []]
    lines += [f"{'table':<16}" + "".join(f"{k:>11}" for k in kinds) + f"{'total':>11}"]
    for name, counts in prov.items():
        lines.append(f"{name:<16}" + "".join(f"{counts.get(k, 0):>11,}" for k in kinds)
                     + f"{sum(counts.values()):>11,}")
    if manifest.get("simulated"):
        lines.append(f"Simulated rows come from the seeded generator (seed {manifest['seed']}); "
                     "they are labelled provenance=simulated everywhere they appear.")
    return "\n".join(lines)


def _cmd_build(args) -> int:
    res = build(args.data_dir, seed=args.seed, simulated=not args.no_simulated)
    print(f"Built {len(res.tables)} tables in {res.seconds:.2f} s -> {res.out_dir}")
    print(format_summary(res.manifest))
    return 0


def _cmd_summary(args) -> int:
    print(format_summary(io.load_manifest(args.data_dir)))
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("build", help="build the processed tables (data/processed/)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED,
                   help=f"seed of the simulated panel (default {config.DEFAULT_SEED})")
    p.add_argument("--no-simulated", action="store_true",
                   help="public (and user) data only, no simulated panel")
    p.add_argument("--data-dir", default=None, help="data folder (default: the project's data/)")
    p.set_defaults(func=_cmd_build)
    s = sub.add_parser("summary", help="print what the last build produced, per provenance")
    s.add_argument("--data-dir", default=None)
    s.set_defaults(func=_cmd_summary)
