"""Benchmark: import + rebuild of one budget file, against a no-op import (not a test).

    python benchmarks/bench_import.py [--repeat 3] [--data-dir data] [--skip-fit]

What a user waits for after ``python -m analysis import budget FILE`` (the command in a fresh
interpreter, as typed), in a private copy of the built data folder (run ``make data`` first)
and a private fit cache (a copy of the data folder's, so the national tables' cache is warm
as on a user's machine), measured in one run:

no-op      the same file imported again: read, validate, merge, find nothing changed, write
           nothing (the floor: the work every import does before it can rebuild);
import     a budget file with new amounts (a panel never fitted): tables rebuilt, the model
           fits deferred (kept from the last build, marked older than the data);
import+fit the same with ``--fit`` (the models refitted at once: what every import cost
           before the refits were deferred), once (``--skip-fit`` leaves it out).

Prints the medians of ``--repeat`` runs and the ratios import / no-op and import+fit /
import. Target (issue 23): import <= 5 s on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def budget_csv(path: Path, amount: int) -> Path:
    rows = ["PEMERINTAH KABUPATEN BATANG - DINAS KESEHATAN;;", "TAHUN ANGGARAN 2020;;",
            "Kode Program;Program;Pagu Perubahan",
            f"1.02.1.02.01.01;Program Pelayanan Administrasi Perkantoran;{amount}",
            "1.02.1.02.01.16;Program Upaya Kesehatan Masyarakat;5275500000"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_import(data: Path, csv: Path, env: dict, *extra: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", "import", "budget", str(csv),
                           "--unit", "dinkes", "--data-dir", str(data), *extra],
                          capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"import failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return secs, proc.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    ap.add_argument("--skip-fit", action="store_true", help="leave out the import with --fit")
    args = ap.parse_args(argv)
    src = Path(args.data_dir)
    if not (src / "processed" / "manifest.json").is_file():
        sys.exit(f"no build in {src}: run `make data` first")
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        data = work / "data"
        shutil.copytree(src, data, ignore=shutil.ignore_patterns("interim"))
        cache = work / "fit-cache"
        cache.mkdir()
        from analysis import config

        for p in config.fit_cache_dir().glob("national-*.pkl"):   # the national tables' cache
            shutil.copy2(p, cache / p.name)
        env = {**os.environ, "BATANG_FIT_CACHE_DIR": str(cache), "BATANG_DATA_DIR": str(data)}
        print(f"import + rebuild of one budget file, {os.cpu_count()} cores, work dir {work}")
        base = 2_000_000_000
        first = budget_csv(work / "b0.csv", base)
        run_import(data, first, env)                          # warm-up: the file's first import
        noop, imp = [], []
        for i in range(args.repeat):
            s, out = run_import(data, first, env)             # the same file: nothing changes
            assert "unchanged" in out or "nothing written" in out, out
            noop.append(s)
            first = budget_csv(work / f"b{i + 1}.csv", base + 1_000_000 * (i + 1))
            s, out = run_import(data, first, env)             # new amounts: rebuild, fits deferred
            assert "models not refitted yet" in out, out
            imp.append(s)
            print(f"run {i + 1}/{args.repeat}: no-op {noop[-1]:.2f} s, import {imp[-1]:.2f} s")
        rows = [("no-op import (same file again)", statistics.median(noop)),
                ("import, fits deferred (new amounts)", statistics.median(imp))]
        if not args.skip_fit:
            s, _ = run_import(data, budget_csv(work / "bfit.csv", base + 7), env, "--fit")
            rows.append(("import --fit (refit at once: before this change)", s))
        print()
        for name, s in rows:
            print(f"  {name:<52} {s:7.2f} s")
        print()
        print(f"import / no-op        = {rows[1][1] / rows[0][1]:.2f}")
        if not args.skip_fit:
            print(f"import --fit / import = {rows[2][1] / rows[1][1]:.1f}")
        print(f"target: import <= 5 s: {'met' if rows[1][1] <= 5 else 'NOT met'} "
              f"({rows[1][1]:.2f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
