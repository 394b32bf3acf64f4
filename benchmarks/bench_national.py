"""Benchmark: building the national tables, cold and warm, against reading their raw files
(not a test).

    python benchmarks/bench_national.py [--repeat 3] [--data-dir data]

Issue 21, item 7: the national tables build in <= 10 s cold and are skipped when their inputs
are unchanged. This times, in one process, each the median of ``--repeat`` runs (after one
untimed warm-up that imports pandas, openpyxl and the readers):

floor   reading the raw files alone, the least any build must do: every JAGA APBD CSV
        (``djpk_jaga_apbd/data_apbd_*.csv``) with ``pandas.read_csv(dtype=str)``, the sheet the
        build reads of every DJPK 2018-2020 xlsx (``national_sikd.FILES`` and
        ``EARLIER_2020``) and the three sheets of the Maksikeuda ``data.xlsx`` (as many columns
        as the build reads) with ``openpyxl`` in read-only mode, every cell visited. (Every
        sheet of every workbook takes ~21 s: the DJPK workbooks carry sheets the build never
        opens, so that would be no floor.)
cold    the build step ``national`` (``analysis.data.national.build_tables``) with an empty
        result cache (a fresh ``BATANG_FIT_CACHE_DIR`` per run): read, check, join, measure;
warm    the same step again with unchanged inputs: the content key is computed (every input
        file hashed) and the tables come from the cache;
2020    the step ``national_2020`` (shock, panel, 16 confirmatory models) on the cold result,
        for scale (it is not cached: it runs whenever the build runs).

It prints seconds and the ratios cold / floor and warm / floor. Wall-clock is never asserted
in the tests (this 2-core VM drifts by ~15 % between identical runs); the numbers of a run are
recorded in docs/national.md ("Speed").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def floor(ndir: Path) -> int:
    """Read every raw national file the step reads, the sheets it reads (not the other sheets
    of the workbooks): returns the cells seen."""
    import openpyxl
    import pandas as pd

    from analysis.data import lkpd_indices, national_sikd

    n = 0
    for f in sorted((ndir / "djpk_jaga_apbd").glob("data_apbd_*.csv")):
        n += pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""]).size
    folder = ndir / "djpk_sikd_2018_2020"
    books = [(folder / f, [sheet], None) for f, (_, sheet, _, _) in
             {**national_sikd.FILES, **national_sikd.EARLIER_2020}.items()]
    books.append((ndir / "maksikeuda_lkpd_indices" / "data.xlsx", list(lkpd_indices.HEADERS),
                  {s: len(h) for s, h in lkpd_indices.HEADERS.items()}))
    for f, sheets, cols in books:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True, keep_links=False)
        for sheet in sheets:
            mc = cols.get(sheet) if cols else None
            for row in wb[sheet].iter_rows(values_only=True, max_col=mc):
                n += len(row)
        wb.close()
    return n


def _time(fn, repeat: int) -> tuple[float, object]:
    out, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out), value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    args = ap.parse_args(argv)

    from analysis.data import national
    from analysis.methods import national_2020
    from analysis.methods.measures import load_deflator

    data_dir = Path(args.data_dir).resolve()
    ndir = national.national_dir(data_dir)
    tables = {"deflator": load_deflator()}
    work = Path(tempfile.mkdtemp(prefix="bench-national-"))
    old_env = os.environ.get("BATANG_FIT_CACHE_DIR")
    runs = iter(range(10_000))

    def cold():
        os.environ["BATANG_FIT_CACHE_DIR"] = str(work / f"cold-{next(runs)}")
        return national.build_tables(tables, {}, data_dir=data_dir)

    def warm():
        os.environ["BATANG_FIT_CACHE_DIR"] = str(work / "warm")
        return national.build_tables(tables, {}, data_dir=data_dir)

    try:
        cells = floor(ndir)                     # warm-up: imports, OS file cache
        os.environ["BATANG_FIT_CACHE_DIR"] = str(work / "warm")
        national.build_tables(tables, {}, data_dir=data_dir)   # warm-up, fills "warm"
        t_floor, _ = _time(lambda: floor(ndir), args.repeat)
        t_cold, out = _time(cold, args.repeat)
        t_warm, again = _time(warm, args.repeat)
        assert again["pemda_year"].equals(out["pemda_year"]), "warm result differs from cold"
        step_in = {k: out[k] for k in ("pemda", "pemda_sikd", "pemda_year", "pemda_lkpd",
                                       "pemda_ipm") if k in out} | tables
        t_2020, res = _time(lambda: national_2020.fit_step(step_in), 1)
    finally:
        if old_env is None:
            os.environ.pop("BATANG_FIT_CACHE_DIR", None)
        else:
            os.environ["BATANG_FIT_CACHE_DIR"] = old_env
        import shutil

        shutil.rmtree(work, ignore_errors=True)

    rows = sum(len(v) for k, v in out.items() if k != "__info__")
    print(f"national tables: {rows:,} rows in {len(out) - 1} tables; raw files: {cells:,} "
          f"cells; median of {args.repeat} (2020 step: 1 run)")
    print(f"{'':<34} {'seconds':>8} {'/ floor':>8}")
    for name, t in (("floor (read the raw files alone)", t_floor),
                    ("cold (national step, no cache)", t_cold),
                    ("warm (inputs unchanged: cached)", t_warm)):
        print(f"{name:<34} {t:>8.2f} {t / t_floor:>8.2f}")
    print(f"{'national_2020 step (not cached)':<34} {t_2020:>8.2f}   "
          f"({res['__info__'].get('tests')} tests)")
    print(f"target: cold <= 10 s: {'met' if t_cold <= 10 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
