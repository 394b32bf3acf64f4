"""Benchmark: re-running an edited model cell of notebook 2.0 (not a test).

    python benchmarks/bench_refit.py [--repeat 5] [--data-dir data]

A researcher edits the formula in the model cell and re-runs it. This times, on the Batang
panel of the processed data (run ``make data`` first), after one warm-up call (pyfixest
compiles on its first call in a session):

plain   ``pf.fepois(formula, panel, vcov=...)``: the plain pyfixest call (the floor: the work
        that must be done);
fit     ``analysis.methods.fit.fit(formula, panel, vcov=...)`` + ``tidy(...)``: what the cell
        runs (formula check, complete rows, t(G-1) intervals, planted values);

each with CRV1 (clustered) and CRV3 (cluster jackknife, the default), and prints seconds and
the ratio fit / plain. Target: the default cell re-runs in <= 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMULA = "innovations ~ dlog_budget + acting_share + cut_2020_x_post | unit_id + year"
EDITED = "innovations ~ dlog_budget + acting_any + cut_2020_x_post | unit_id + sector^year"


def _time(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    args = ap.parse_args(argv)

    import pyfixest as pf

    from analysis.methods.fit import fit, tidy
    from analysis.publish import explore

    ctx = explore.validate_params(args.data_dir, lang="en")
    panel = explore.model_panel(ctx)
    truth = explore.load_truth(ctx)
    d = panel.dropna(subset=["innovations", "dlog_budget", "acting_any", "acting_share",
                             "cut_2020_x_post"]).reset_index(drop=True)
    fit(FORMULA, panel)                       # warm-up: pyfixest compiles on its first call
    rows = []
    for kind in ("CRV1", "CRV3"):
        vcov = {kind: "unit_id"}
        plain = _time(lambda v=vcov: pf.fepois(EDITED, d, vcov=v).tidy(), args.repeat)
        ours = _time(lambda v=vcov: tidy(fit(EDITED, panel, vcov=v), truth), args.repeat)
        rows.append((kind, plain, ours))
    print(f"edited formula: {EDITED}\n{len(d)} rows, {d['unit_id'].nunique()} OPDs, "
          f"median of {args.repeat}")
    print(f"{'vcov':<6} {'plain pf.fepois s':>18} {'fit + tidy s':>13} {'fit / plain':>12}")
    for kind, plain, ours in rows:
        print(f"{kind:<6} {plain:>18.3f} {ours:>13.3f} {ours / plain:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
