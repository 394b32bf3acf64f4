"""Importing more years of the national APBD files (``python -m analysis import apbd-kabkota``).

The DJPK/JAGA kab/kota files of 2019 and 2020 (``data_apbd_kabkota_level3-2019.csv``,
``-2020.csv``) are published by the same source as the bundled 2021-2025 files, in the same
layout (``namapemda, provinsi, tahun, level1coa90, level2coa90, level3coa90, jenis, nilai``),
but are not bundled. A researcher who has them imports them here:

1. each file is read and checked exactly as the build reads the public files
   (:func:`analysis.data.national.read_apbd_file`: every pemda must be in the JAGA code list of
   its province, every account a coa90 level-3 code, every value a number, one year per file);
   a year that the public files already hold is refused;
2. the file is copied **verbatim** into a staging copy of the data folder as
   ``user/national/data_apbd_<level>_level3-<year>.csv`` and the processed tables are built
   there (the national step reads it with ``provenance = "user"``);
3. only when that build succeeds are the file and the new ``processed/`` moved into place
   (under the data folder's writer lock). Any problem: nothing is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.data.schema import InputError, Problem

LEVELS = {"apbd-kabkota": "kabkota", "apbd-provinsi": "provinsi"}


@dataclass
class ApbdReport:
    kind: str
    files: list[dict] = field(default_factory=list)   # file, year, rows, pemda, dropped
    written: bool = False
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"Import report: {self.kind} -> table 'pemda_finance' (user/national/)"]
        for f in self.files:
            lines.append(f"  {f['file']}: year {f['year']}, {f['rows']} rows read, "
                         f"{f['kept']} kept, {f['pemda']} pemda, {f['dropped']} rows without "
                         f"an account code or value dropped -> {f['target']}"
                         f"{' (replaces the earlier import)' if f['replaces'] else ''}")
        lines += [f"  note: {n}" for n in self.notes]
        lines.append("  dry run: nothing was written" if self.dry_run else
                     "  written and processed tables rebuilt" if self.written else
                     "  nothing written")
        return "\n".join(lines)


def _year_of(path: Path) -> int:
    """The one year of a file (column ``tahun``), or an InputError naming the file."""
    import pandas as pd

    from analysis.data import national

    df = national._read_csv(path, national.APBD_COLUMNS)
    years = pd.to_numeric(df["tahun"], errors="coerce").dropna().astype(int)
    if years.empty:
        raise InputError("pemda_finance", [Problem(str(path), 2, "tahun", None,
                                                   "no year in column 'tahun'")])
    year = int(years.mode().iloc[0])
    return year


def import_apbd(kind: str, files: list[str | Path], data_dir: str | Path | None = None,
                dry_run: bool = False, rebuild=None) -> ApbdReport:
    """Import national APBD files of ``kind`` (``apbd-kabkota`` or ``apbd-provinsi``).
    ``rebuild``: the whole build (``analysis.pipeline.build``; needed unless ``dry_run``),
    as ``analysis.pipeline.import_apbd`` passes it."""
    from analysis.data import locking, national
    from analysis.data.importers.commit import rebuild_settings, check_rebuild

    if kind not in LEVELS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(LEVELS)}")
    check_rebuild(rebuild, dry_run)
    level = LEVELS[kind]
    data_dir = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    ndir = national.national_dir(data_dir)
    if not (ndir / national.APBD_DIR).is_dir():
        raise InputError("pemda_finance", [Problem(str(ndir), "-", None, None,
                                                   "the national public files are missing "
                                                   "(data/external/national)")])
    registry = national.load_registry(ndir)
    public_years = {y for _, lv, y, _ in national.apbd_files(ndir) if lv == level}
    user_dir = data_dir / "user" / national.USER_DIR
    report = ApbdReport(kind, dry_run=dry_run)
    problems: list[Problem] = []
    staged: dict[str, Path] = {}
    for f in files:
        path = Path(f)
        if not path.is_file():
            problems.append(Problem(str(path), "-", None, None, "file not found"))
            continue
        try:
            year = _year_of(path)
            if year in public_years:
                problems.append(Problem(str(path), "-", "tahun", year,
                                        f"{level} {year} is already in the bundled public "
                                        "files; only other years can be imported"))
                continue
            df, counts = national.read_apbd_file(path, level, year, registry, "user")
        except InputError as exc:
            problems += exc.problems
            continue
        except (UnicodeDecodeError, ValueError) as exc:
            problems.append(Problem(str(path), "-", None, None,
                                    f"not a readable CSV file ({type(exc).__name__})"))
            continue
        target = f"data_apbd_{level}_level3-{year}.csv"
        if target in staged:
            problems.append(Problem(str(path), "-", "tahun", year,
                                    f"two files for {level} {year} in one import"))
            continue
        staged[target] = path
        report.files.append({"file": str(path), "year": year, "rows": counts["rows"],
                             "kept": len(df), "pemda": int(df["region_code"].nunique()),
                             "dropped": counts["dropped_junk"], "target": target,
                             "replaces": (user_dir / target).is_file()})
    if problems:
        raise InputError("pemda_finance", problems)
    if dry_run:
        return report
    with locking.data_lock(data_dir, f"import {kind}"):
        _stage_build_commit(data_dir, staged, rebuild, rebuild_settings(data_dir))
    report.written = True
    return report


def _stage_build_commit(data_dir: Path, files: dict[str, Path], rebuild, settings: dict
                        ) -> None:
    """Build in a staging copy with the new files; then move files and processed/ in place."""
    from analysis.data import national

    (data_dir / "interim").mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir / "interim"))
    try:
        shutil.copytree(data_dir / "external", stage / "external")
        if (data_dir / "user").is_dir():
            shutil.copytree(data_dir / "user", stage / "user",
                            ignore=shutil.ignore_patterns(".*"))
        sdir = stage / "user" / national.USER_DIR
        sdir.mkdir(parents=True, exist_ok=True)
        for name, src in files.items():
            shutil.copyfile(src, sdir / name)
        rebuild(stage, **settings)
        udir = data_dir / "user" / national.USER_DIR
        udir.mkdir(parents=True, exist_ok=True)
        moved: list[tuple[Path, Path | None]] = []
        out = config.processed_dir(data_dir)
        old = None
        try:
            for name in files:
                target = udir / name
                backup = None
                if target.exists():
                    backup = udir / f".{name}.before-import"
                    shutil.copy2(target, backup)
                os.replace(sdir / name, target)
                moved.append((target, backup))
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=".processed-old-", dir=out.parent))
                os.rmdir(old)
                os.replace(out, old)
            os.replace(stage / "processed", out)
        except BaseException:
            if old is not None and not out.exists():
                os.replace(old, out)
                old = None
            for target, backup in moved:
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
            raise
        finally:
            for _, backup in moved:
                if backup is not None:
                    backup.unlink(missing_ok=True)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
