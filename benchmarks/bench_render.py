"""Benchmark: the plain CLI loop vs ``analysis.publish.render.render_reports`` (not a test).

    python benchmarks/bench_render.py [--template T] [--units N] [--data-dir D] [--workers W]
                                      [--warm-workers 2,3] [--skip-plain]

renders the same N units these ways and prints a table:

a. plain: per unit one ``papermill`` CLI subprocess, then one ``jupyter nbconvert --to html
   --no-input`` CLI subprocess, in a loop (what people do first);
b. ``render_reports(..., force=True)`` into a fresh folder, in a fresh Python process (so its
   time includes interpreter start and imports, as the CLI loop's does);
c. the same call again with nothing changed (every report skipped, no kernel started);
b-warm. ``render_reports(..., force=True, warm=True)`` (CLI ``--warm``: one persistent kernel
   per worker, reset between reports) into another fresh folder, once per worker count of
   ``--warm-workers`` (default 2 and 3; ``--warm-workers ""`` skips it);
f. the floor (``floor.py``, as in ``bench_peers.py``): the template's code cells in-process in
   an IPython shell with the inline backend, no kernel, no papermill, no nbconvert, on as many
   forked workers as the first ``--warm-workers`` count; printed as b-warm / f, both for the
   whole run (wall) and for the median report in its worker (``--skip-floor`` skips it);
p. with ``--paired``: floor and warm render per unit in the same worker one right after the
   other (``floor.paired``), the median per-unit ratio (robust to this VM's drift).

Default: the real OPD report template (notebooks/reports/opd_report.ipynb) on all 44 units of
the project's processed data (run `make data` first). `--template fixture` uses the tiny test
fixture with synthetic unit ids instead. With a real template the unit ids are the first N OPDs
of processed/units.parquet (or --ids a,b,c).

Measured on the 2-core machine (2026-11-29, real template, 44 units): a 289.2 s (6.57 s/report),
b 51.7 s (1.17 s/report, 2 workers), c 0.07 s; a/b = 5.6x. b-warm (--warm): 24.4 s (0.56 s/report)
with 2 workers, 26.2 s (0.60) with 3. 2026-12-04 (``--skip-plain --warm-workers 2 --paired``):
b 55.1 s, b-warm 27.9 s, f 21.9 s: b-warm / f = 1.27 (wall), paired per unit 1.24 (quartiles
1.13-1.33); see docs/rendering.md, "Peer reports against their floor".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import floor, paired, summarize  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "render" / "report_fixture.ipynb"
REAL_TEMPLATE = ROOT / "notebooks" / "reports" / "opd_report.ipynb"


def _bin(name: str) -> list[str]:
    """The console script next to this interpreter (the plain way), else ``python -m``."""
    exe = Path(sys.executable).with_name(name)
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", {"jupyter": "jupyter", "papermill": "papermill"}[name]]


def unit_ids(args) -> list[str]:
    if args.ids:
        return [u.strip() for u in args.ids.split(",") if u.strip()][: args.units]
    if Path(args.template).resolve() == FIXTURE.resolve():
        return [f"u-{i:02d}" for i in range(1, args.units + 1)]
    import pandas as pd

    from analysis import config

    units = pd.read_parquet(config.processed_dir() / "units.parquet", columns=["unit_id", "is_opd"])
    return [str(u) for u in units.loc[units["is_opd"].astype(bool), "unit_id"]][: args.units]


def plain_loop(template: str, ids: list[str], params: dict, kernel: str, work: Path) -> float:
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for uid in ids:
        nb = work / f"{uid}.ipynb"
        cmd = [
            *_bin("papermill"),
            template,
            str(nb),
            "-p",
            "unit_id",
            uid,
            "-k",
            kernel,
            "--no-progress-bar",
        ]
        for k, v in params.items():
            cmd += ["-p", k, str(v)]
        subprocess.run(cmd, check=False, capture_output=True)
        subprocess.run(
            [
                *_bin("jupyter"),
                "nbconvert",
                "--to",
                "html",
                "--no-input",
                "--output-dir",
                str(work),
                str(nb),
            ],
            check=False,
            capture_output=True,
        )
    return time.perf_counter() - t0


def api_run(
    template: str,
    ids: list[str],
    params: dict,
    out: Path,
    workers: int | None,
    force: bool,
    engine: str = "fresh",
) -> tuple[float, dict]:
    code = (
        "import json, statistics, sys\n"
        "from analysis.publish.render import render_reports\n"
        "a = json.loads(sys.argv[1])\n"
        "r = render_reports(a['ids'], a['template'], a['out'], parameters=a['params'],\n"
        "                   workers=a['workers'], force=a['force'], progress=False,\n"
        "                   engine=a['engine'])\n"
        "done = [x['seconds'] for x in r.rows if x['status'] == 'ok']\n"
        "print(json.dumps({'total': r.total_seconds, 'counts': r.counts, 'workers': r.workers,\n"
        "                  'median': statistics.median(done) if done else None}))\n"
    )
    payload = json.dumps(
        {
            "ids": ids,
            "template": template,
            "out": str(out),
            "params": params,
            "workers": workers,
            "force": force,
            "engine": engine,
        }
    )
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, payload], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"render_reports failed (exit {proc.returncode})")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--template", default=str(REAL_TEMPLATE),
        help="template notebook (default: the real OPD report; 'fixture' = the test fixture)"
    )
    ap.add_argument("--units", type=int, default=44, help="number of units (default: 44)")
    ap.add_argument("--ids", default=None, help="explicit comma-separated unit ids")
    ap.add_argument("--data-dir", default=None, help="passed to the template as data_dir")
    ap.add_argument("--lang", default=None, help="passed to the template as lang")
    ap.add_argument(
        "--workers", type=int, default=None, help="render_reports workers (default: cores)"
    )
    ap.add_argument(
        "--warm-workers",
        default="2,3",
        help="worker counts for the b-warm rows, comma-separated (default: 2,3; '' = none)",
    )
    ap.add_argument("--skip-plain", action="store_true", help="skip (a), the slow CLI loop")
    ap.add_argument("--skip-fresh", action="store_true",
                    help="skip (b) and (c), the fresh-kernel engine")
    ap.add_argument("--skip-floor", action="store_true", help="skip (f), the in-process floor")
    ap.add_argument("--paired", action="store_true", help="add (p), paired floor/warm per unit")
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    args = ap.parse_args(argv)

    from analysis.publish.kernel import ensure_kernel

    kernel = ensure_kernel()
    if args.template == "fixture":
        args.template = str(FIXTURE)
    if args.template == str(REAL_TEMPLATE) and not args.data_dir:
        args.data_dir = str(ROOT / "data")
    template = str(Path(args.template).resolve())
    ids = unit_ids(args)
    params: dict = {}
    if args.data_dir:
        params["data_dir"] = str(Path(args.data_dir).resolve())
    if args.lang:
        params["lang"] = args.lang
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    print(
        f"template {template}\n{len(ids)} units, {os.cpu_count()} cores, work dir {work}",
        flush=True,
    )

    rows = []
    a = None
    if not args.skip_plain:
        a = plain_loop(template, ids, params, kernel, work / "plain")
        n_html = len(list((work / "plain").glob("*.html")))
        rows.append(("a  papermill CLI + nbconvert CLI loop", a, f"{n_html} html"))
    b = info_b = c = info_c = None
    if not args.skip_fresh:
        b, info_b = api_run(template, ids, params, work / "api", args.workers, force=True)
        rows.append((f"b  render_reports --engine fresh, {info_b['workers']} workers", b,
                     f"{info_b['counts']}"))
        c, info_c = api_run(template, ids, params, work / "api", args.workers, force=False)
        rows.append(("c  render_reports again, nothing changed", c, f"{info_c['counts']}"))
    warm_rows = []
    inproc_rows = []
    for w in [int(x) for x in args.warm_workers.split(",") if x.strip()]:
        bi, info_i = api_run(template, ids, params, work / f"inproc{w}", w, force=True,
                             engine="inprocess")
        inproc_rows.append((w, bi, info_i))
        rows.append(
            (f"b-inproc --engine inprocess, {info_i['workers']} workers", bi,
             f"{info_i['counts']}, median report {info_i['median']:.3f} s in its worker")
        )
        bw, info_w = api_run(template, ids, params, work / f"warm{w}", w, force=True,
                             engine="warm")
        warm_rows.append((w, bw, info_w))
        rows.append(
            (f"b-warm --engine warm, {info_w['workers']} workers", bw,
             f"{info_w['counts']}, median report {info_w['median']:.3f} s in its worker")
        )
    f = None
    if warm_rows and not args.skip_floor:
        fw = warm_rows[0][0]
        f, _, f_figs, f_med = floor(template, ids, params, fw)
        rows.append((f"f  floor: in-process shell, {fw} workers", f,
                     f"{f_figs} figures drawn, median report {f_med:.3f} s in its worker"))

    n = len(ids)
    print(f"\n{'method':<46} {'total s':>9} {'s/report':>9}  notes")
    print("-" * 90)
    for name, secs, note in rows:
        print(f"{name:<46} {secs:>9.2f} {secs / n:>9.3f}  {note}")
    print("-" * 90)
    if a is not None and b is not None:
        print(f"ratio a/b = {a / b:.1f}x   (b/a = {b / a:.2f})")
    if args.paired:
        pw = warm_rows[0][0] if warm_rows else 2
        print(f"p  warm / floor per unit, paired ({pw} workers): "
              f"{summarize(paired(template, ids, params, pw, kernel))}")
    if f is not None:
        fw, bw, info_w = warm_rows[0]
        _, bi, info_i = inproc_rows[0]
        print(f"b-inproc / f ({fw} workers) = {bi / f:.2f} (wall), "
              f"{info_i['median'] / f_med:.2f} (median report in its worker)")
        print(f"b-warm / f ({fw} workers)   = {bw / f:.2f} (wall), "
              f"{info_w['median'] / f_med:.2f} (median report in its worker; one run each: "
              "this VM drifts ~15 % between identical runs)")
        print("(b-* wall includes a fresh interpreter's start and imports; f does not)")
    if info_b is not None:
        print(f"in-process totals from the manifest: b {info_b['total']:.2f} s, "
              f"c {info_c['total']:.3f} s")
    for w, _bi, info_i in inproc_rows:
        print(f"b-inproc {w} workers: manifest total {info_i['total']:.2f} s")
    for w, _bw, info_w in warm_rows:
        print(f"b-warm   {w} workers: manifest total {info_w['total']:.2f} s")
    if args.keep:
        print(f"outputs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
