"""Running an import: read, convert, validate, merge with what was imported before, rebuild
the processed tables, and only then replace the user table: all or nothing.

How nothing already imported can be damaged by a failed import:

1. Everything is checked first (cells, units, the canonical schema). Any problem rejects the
   whole import; nothing is written.
2. The merged user table is written into a private staging folder (``data/interim/.import-*``,
   holding a copy of ``external/`` and of the current user tables) and the processed tables
   are built there with the settings of the last build (seed, simulated or not, years), by
   the ``rebuild`` the caller gives (the whole build with its steps: ``analysis.pipeline``
   passes ``pipeline.build``; data/ does not import the steps of later stages).
3. Only when that build succeeds: the user table is replaced (one atomic rename), then the
   staged ``processed/`` replaces the old one (rename; the old is kept aside until the new is
   in place). If this step fails the previous user table is put back.
4. ``--dry-run`` runs step 1 and the merge, reports what would change, and stops: it writes
   nothing and does not rebuild (so it is quick to iterate on a file).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.data import locking, store
from analysis.data.importers import kinds
from analysis.data.importers.mapping import Mapping, load, locate
from analysis.data.importers.read import ReadError, norm, read_file
from analysis.data.importers.report import Report
from analysis.data.importers.units import UnitResolver
from analysis.data.schema import SCHEMAS, InputError, Problem, validate

# Rows of a new import replace the previously imported rows that share these columns: a file
# that covers a unit and year (and stage / indicator) covers it completely.
REPLACE_KEYS = {
    "budget": ["region_code", "unit_id", "year", "stage"],
    "service": ["region_code", "unit_id", "year", "indicator"],
    "skm_responses": ["region_code", "unit_id", "year"],
    "innovations": ["region_code", "unit_id", "reporting_year"],
    "leadership": ["region_code", "unit_id", "date"],
    "indicators": ["region_code", "entity", "year", "framework", "indicator_key"],
}
KINDS = list(kinds.CONVERTERS)

Rebuild = Callable[..., object]
"""``rebuild(data_dir, seed=..., simulated=..., years=..., defer_fits=..., carry_from=...)``:
the whole build into ``data_dir`` (``analysis.pipeline.build``); an import defers the model
refits (:func:`rebuild_settings`)."""


def check_rebuild(rebuild: Rebuild | None, dry_run: bool) -> None:
    if rebuild is None and not dry_run:
        raise ValueError("an import rebuilds the processed tables: pass rebuild= (the whole "
                         "build, analysis.pipeline.build), or call analysis.pipeline."
                         "import_files / import_apbd")


def _fail(report: Report, table: str) -> InputError:
    err = InputError(table, list(report.problems))
    err.report = report  # type: ignore[attr-defined]
    return err


def _year_of(df: pd.DataFrame, table: str) -> pd.Series:
    if table == "innovations":
        return df["reporting_year"]
    if table == "leadership":
        return pd.to_datetime(df["date"]).dt.year
    return df["year"]


def _keys(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    parts = [df[c].astype(str).where(df[c].notna(), "") for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b):
        return False
    cols = sorted(a.columns)
    sa = a[cols].astype(str).sort_values(cols).reset_index(drop=True)
    sb = b[cols].astype(str).sort_values(cols).reset_index(drop=True)
    return sa.equals(sb)


def merge(old: pd.DataFrame | None, new: pd.DataFrame, table: str
          ) -> tuple[pd.DataFrame, list[dict]]:
    """The user table after the import, and what changed per unit and year."""
    rk = REPLACE_KEYS[table]
    uniq = SCHEMAS[table].unique or []
    if old is None or old.empty:
        old = new.iloc[0:0]
    hit = _keys(old, rk).isin(set(_keys(new, rk)))
    if uniq:
        hit |= _keys(old, list(uniq)).isin(set(_keys(new, list(uniq))))
    changes = []
    ny, oy = _year_of(new, table), _year_of(old, table)
    nu, ou = new["unit_id"].fillna("(unattributed)"), old["unit_id"].fillna("(unattributed)")
    for (u, y), g in new.groupby([nu, ny], sort=True):
        before = old[hit & (ou == u) & (oy == y)]
        action = ("added" if before.empty else
                  "unchanged" if _same(before, g) else "replaced")
        changes.append({"unit_id": u, "year": int(y), "action": action, "rows": len(g),
                        "before": len(before)})
    merged = pd.concat([old[~hit], new], ignore_index=True)
    return merged, changes


def rebuild_settings(data_dir: Path) -> dict:
    """Keyword arguments of the rebuild an import runs: the last build's settings (seed,
    simulated, years: ``build.settings_of``) and ``defer_fits=True`` with the data folder's
    ``processed/`` to keep the model results from. The import's rebuild then takes seconds:
    the models are refitted at the next ``render``, ``present`` or ``build`` (or now with
    ``import --fit``), and until then every view says the model results are older than the
    data (``build.fits_note``)."""
    from analysis.data.build import settings_of

    try:
        man = store.load_manifest(data_dir)
    except (store.NotBuiltError, ValueError):
        man = {}
    return {**settings_of(man), "defer_fits": True,
            "carry_from": config.processed_dir(data_dir)}


def deferred_note(stage: Path) -> str | None:
    """The import report's note when the rebuild in ``stage`` kept older model results."""
    from analysis.data.build import fits_note

    try:
        man = store.load_manifest(stage)
    except (store.NotBuiltError, ValueError):
        return None
    note = fits_note(man)
    if note is None:
        return None
    return (f"models not refitted yet: the tables and the reports' data are current; the "
            f"model results are still those fitted on the data of {note['fitted_at']}, and "
            "every view says so. They refit at the next `render` or `present`, or now with "
            "`python -m analysis build` (~30 s).")


def _stage(data_dir: Path, table: str, merged: pd.DataFrame) -> Path:
    (data_dir / "interim").mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir / "interim"))
    shutil.copytree(data_dir / "external", stage / "external")
    udir = data_dir / "user"
    if udir.is_dir():   # every user file, also user/national/ (imported APBD years)
        shutil.copytree(udir, stage / "user", ignore=shutil.ignore_patterns(".*"))
    else:
        (stage / "user").mkdir()
    merged.to_parquet(stage / "user" / f"{table}.parquet", index=False)
    return stage


def _commit(data_dir: Path, stage: Path, table: str) -> None:
    udir = data_dir / "user"
    udir.mkdir(parents=True, exist_ok=True)
    target = udir / f"{table}.parquet"
    backup = None
    if target.exists():
        backup = udir / f".{table}.parquet.before-import"
        shutil.copy2(target, backup)
    out = config.processed_dir(data_dir)
    old = None
    try:
        os.replace(stage / "user" / f"{table}.parquet", target)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=".processed-old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        try:
            os.replace(stage / "processed", out)
        except BaseException:
            if old is not None:
                os.replace(old, out)
                old = None
            raise
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
            backup = None
        else:
            target.unlink(missing_ok=True)
        raise
    finally:
        if backup is not None:
            backup.unlink(missing_ok=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _wide_extra(mapping: Mapping) -> dict[str, str]:
    ctx_map = kinds.Context(None, "", None, None, None, mapping)  # type: ignore[arg-type]
    syn, _ = kinds.indicator_tables(ctx_map)
    return {k: f"ind:{v}" for k, v in syn.items()}


def _locate_any(sheet, mappings: list[Mapping]):
    """The mapping whose header fits the sheet best (most columns found, no missing ones)."""
    best = None
    for m in mappings:
        extra = _wide_extra(m) if m.raw.get("wide") else None
        loc, probs = locate(sheet, m, extra)
        score = (not probs, len(loc.columns) if loc else -1)
        if best is None or score > best[0]:
            best = (score, m, loc, probs)
    _, m, loc, probs = best
    return m, loc, probs


# Sheet names of summary sheets (rekapitulasi) that sit next to detail sheets.
_SUMMARY = re.compile(r"^(rekap|rekapitulasi|ringkasan|summary|resume|total|jumlah|"
                      r"rangkuman)\b")
_ID_GROUPED_INT = re.compile(r"^\(?-?(rp\.?\s*)?\d{1,3}(\.\d{3})+$", re.I)


def csv_shape_problems(sh, loc) -> list[Problem]:
    """Rows of a CSV file that do not fit its header: more cells than header columns, or an
    Indonesian number split at its decimal comma by a comma delimiter ("1.000.000" then "50").
    Either shifts every cell to its right into the wrong column, so the file is refused."""
    if sh.delimiter is None:
        return []
    amount_cols = {c for k, c in loc.columns.items()
                   if k in ("murni", "perubahan", "realisasi", "value") or k.startswith("ind:")}
    hwidth = 0
    for i in loc.header_rows:
        for c, v in enumerate(sh.rows[i]):
            if v is not None and str(v).strip():
                hwidth = max(hwidth, c + 1)
    out: list[Problem] = []
    for i in range(loc.first_data, len(sh.rows)):
        row = sh.rows[i]
        filled = [c for c, v in enumerate(row) if v is not None and str(v).strip()]
        if not filled:
            continue
        split = sh.delimiter == "," and any(
            _ID_GROUPED_INT.match(str(row[c]).strip()) and c + 1 in amount_cols
            and c + 1 < len(row)
            and row[c + 1] is not None and re.fullmatch(r"\d{1,2}\)?", str(row[c + 1]).strip())
            for c in filled)
        if filled[-1] + 1 > hwidth or split:
            sep = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(
                sh.delimiter, sh.delimiter)
            out.append(Problem(
                sh.label, sh.row_numbers[i], None, ", ".join(str(row[c]) for c in filled[-4:]),
                (f"this row has {filled[-1] + 1} cells but the header has {hwidth} columns"
                 if filled[-1] + 1 > hwidth else "the cells of this row are shifted")
                + (" and a number looks split at its decimal comma" if split else "")
                + f": in a {sep}-separated file, numbers with decimal commas (1.000,50) must "
                "be quoted; save the file again as CSV with ';' as separator (or as .xlsx)"))
            if len(out) >= 5:
                break
    return out


def _where_of(df: pd.DataFrame, table: str) -> set[tuple]:
    if df is None or df.empty:
        return set()
    years = _year_of(df, table)
    return set(zip(df["unit_id"].fillna("(region)"), years.astype(int), strict=True))


def _check_hidden(hidden, frames, mappings, resolver, region, unit_id, year, report, convert
                  ) -> None:
    """Hidden and very hidden sheets are not read: Excel users do not see them, so their
    figures are not what the file shows. One that holds data of a unit or year the visible
    sheets do not cover is refused (which is meant cannot be told); any other is ignored with a
    note. ``--sheet NAME`` reads a hidden sheet on purpose."""
    table = report.table
    shown = set()
    for df in frames:
        shown |= _where_of(df, table)
    for sh in hidden:
        what = "very hidden" if sh.state == "veryHidden" else "hidden"
        m, loc, probs = _locate_any(sh, mappings)
        df = None
        if not probs:
            scratch = Report(report.kind, table, m.name)
            ctx = kinds.Context(resolver, region, unit_id, year, scratch, m)
            try:
                df = convert([kinds.Part(sh, loc)], ctx)
            except Exception:   # noqa: BLE001 - an unreadable hidden sheet is only noted
                df = None
        extra = sorted(_where_of(df, table) - shown)
        if extra:
            held = ", ".join(f"{u} {y}" for u, y in extra[:5])
            vis = ", ".join(f"{u} {y}" for u, y in sorted(shown)[:5]) or "nothing"
            report.problem(sh.label, "-", None, held,
                           f"a {what} sheet holds data of another unit or year ({held}) than "
                           f"the visible sheets ({vis}): which is meant cannot be told. "
                           f"Delete the sheet, unhide it, or read it alone with --sheet "
                           f"'{sh.name}'")
        else:
            report.notes.append(f"{sh.label}: a {what} sheet, not read (read it alone with "
                                f"--sheet '{sh.name}')")


def import_files(kind: str, files: list[str | Path], *, region: str = config.REGION_BATANG,
                 unit: str | None = None, year: int | None = None, mapping: str | None = None,
                 sheet: str | None = None, dry_run: bool = False,
                 data_dir: str | Path | None = None, rebuild: Rebuild | None = None) -> Report:
    """Import ``files`` of ``kind`` (budget, innovations, skm, service, leadership,
    indicators).

    Returns the :class:`Report`. Raises :class:`~analysis.data.schema.InputError` (with the
    report as ``.report``) when any row is rejected; then nothing is written. ``rebuild``:
    the whole build, ``rebuild(data_dir, **settings)`` (``analysis.pipeline.build``; needed
    unless ``dry_run``). ``analysis.pipeline.import_files`` passes it.
    """
    if kind not in kinds.CONVERTERS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    check_rebuild(rebuild, dry_run)
    data_dir = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    table, convert = kinds.CONVERTERS[kind]
    if mapping:
        mappings = [load(mapping)]
    elif kind == "service":
        mappings = [load("service_long"), load("service_wide")]
    elif kind == "budget":   # account-level first: it wins when both fit equally well
        mappings = [load("sipd_lra_budget"), load("programme_budget")]
    else:
        mappings = [load(kinds.DEFAULT_MAPPING[kind])]
    for m in mappings:
        if m.kind != kind:
            raise ValueError(f"mapping '{m.name}' is for kind '{m.kind}', not '{kind}'")
    report = Report(kind, table, ", ".join(m.name for m in mappings), dry_run=dry_run)
    report.files = [str(f) for f in files]
    resolver = UnitResolver.from_external(data_dir / "external" / "batang", region)
    unit_id = None
    if unit:
        amb = resolver.ambiguous(unit)
        if amb:
            report.problem("--unit", "-", None, unit, "ambiguous unit name: it could be "
                           + "; ".join(amb) + ". Give the unit id")
            raise _fail(report, table)
        m = resolver.resolve(unit)
        if m is None or m.unit_id is None:
            report.unknown_units[unit] = resolver.suggest(unit)
            report.problem("--unit", "-", None, unit, resolver.unknown_text(unit))
            raise _fail(report, table)
        unit_id = m.unit_id

    if year is not None and kinds.year_rule(year):
        report.problem("--year", "-", None, year, kinds.year_rule(year))
        raise _fail(report, table)

    groups: dict[str, tuple[Mapping, list[kinds.Part]]] = {}
    hidden: list = []
    for f in files:
        try:
            sheets = read_file(Path(f), sheet)
        except ReadError as exc:
            report.problems.append(exc.problem)
            continue
        for sh in [sh for sh in sheets if sh.chart]:
            report.notes.append(f"{sh.label}: a chart sheet (no cells), skipped")
        sheets = [sh for sh in sheets if not sh.chart]
        if sheet is None:   # hidden sheets: checked against the visible ones below
            hidden += [sh for sh in sheets if sh.state != "visible" and not sh.is_empty()]
            sheets = [sh for sh in sheets if sh.state == "visible"]
        data_sheets = [sh for sh in sheets if not sh.is_empty()]
        for sh in sheets:
            if sheet is None and len(data_sheets) > 1 and _SUMMARY.match(norm(sh.name or "")):
                report.notes.append(
                    f"{sh.label}: a summary sheet next to {len(data_sheets) - 1} other "
                    "sheet(s); not read, so nothing is summed twice (read it alone with "
                    f"--sheet '{sh.name}')")
                continue
            report.warnings += sh.warnings
            if sh.is_empty():
                if len(sheets) == 1:
                    report.problem(sh.label, "-", None, None, "the sheet is empty (no data)")
                else:
                    report.notes.append(f"{sh.label}: empty sheet, skipped")
                continue
            m, loc, probs = _locate_any(sh, mappings)
            if probs:
                report.problems += probs
                continue
            report.problems += csv_shape_problems(sh, loc)
            report.sheets.append(sh.label)
            if loc.ignored:
                report.notes.append(f"{sh.label}: columns not used: "
                                    + ", ".join(repr(t) for t in loc.ignored))
            groups.setdefault(m.name, (m, []))[1].append(kinds.Part(sh, loc))
    frames = []
    for m, parts in groups.values():
        ctx = kinds.Context(resolver, region, unit_id, year, report, m)
        df = convert(parts, ctx)
        if not df.empty:
            frames.append(df)
    _check_hidden(hidden, frames, mappings, resolver, region, unit_id, year, report, convert)
    if len(groups) > 1 or (mappings and len(mappings) > 1 and groups):
        report.mapping = ", ".join(groups)
    if report.problems:
        raise _fail(report, table)
    new = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if new.empty:
        report.problem(", ".join(report.files), "-", None, None,
                       "no data rows found under the header")
        raise _fail(report, table)
    try:
        new = validate(new, table, "<import>")
    except InputError as exc:
        report.problems += exc.problems
        raise _fail(report, table) from None
    report.rows_out = len(new)
    report.data = new

    if dry_run:
        return _merge_and_write(report, new, table, data_dir, dry_run=True, rebuild=rebuild)
    # one writer at a time: the user table is read, merged and replaced under the data lock,
    # so two imports into one table both land (the second waits and says so on stderr)
    with locking.data_lock(data_dir, f"import {kind}"):
        return _merge_and_write(report, new, table, data_dir, dry_run=False, rebuild=rebuild)


def _merge_and_write(report: Report, new: pd.DataFrame, table: str, data_dir: Path,
                     dry_run: bool, rebuild: Rebuild | None) -> Report:
    udir = data_dir / "user"
    old_path = udir / f"{table}.parquet"
    old = pd.read_parquet(old_path) if old_path.is_file() else None
    merged, report.changes = merge(old, new, table)
    try:
        merged = validate(merged, table, f"{old_path} + import")
    except InputError as exc:
        report.problems += exc.problems
        raise _fail(report, table) from None

    if dry_run:
        return report
    if old is not None and all(c["action"] == "unchanged" for c in report.changes):
        report.notes.append("the imported rows equal what was imported before: nothing "
                            "written, processed tables left as they are")
        return report
    stage = _stage(data_dir, table, merged)
    try:
        try:
            rebuild(stage, **rebuild_settings(data_dir))
        except InputError as exc:
            report.problems += exc.problems
            raise _fail(report, table) from None
        note = deferred_note(stage)
        if note:
            report.notes.append(note)
        _commit(data_dir, stage, table)
        report.written = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return report


def describe_problems(err: InputError) -> str:
    """Every problem, one per line (InputError's own text stops after 25)."""
    return "\n".join([f"{len(err.problems)} problem(s) in table '{err.table}':",
                      *(f"  - {p}" for p in err.problems)])


__all__ = ["KINDS", "REPLACE_KEYS", "import_files", "merge", "describe_problems", "Problem",
           "norm"]
