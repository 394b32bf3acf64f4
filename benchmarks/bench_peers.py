"""Benchmark: the per-pemda peer reports, renderer against its floor and the plain way (not a test).

    python benchmarks/bench_peers.py [--units N] [--workers 2] [--plain-sample 20]
                                     [--repeat 3] [--skip-plain] [--skip-one-worker]

On the same units (default: every kab/kota with APBD data, about 500) it measures, in one run:

floor  the template's code cells executed **in-process, no kernel** (``floor.py``): one
       IPython ``InteractiveShell`` per worker process (same worker count as the renderer),
       the parameters injected as papermill does, the inline backend drawing every displayed
       figure as in a kernel, display outputs captured. No ZMQ, no kernel start or reset, no
       papermill, no nbconvert.
warm   ``render_reports(..., warm=True, force=True)`` (``render --kind pemda --warm``), in a
       fresh Python process, with ``--workers`` workers and with one worker (for scaling);
rerun  ``python -m analysis render --kind pemda`` again with nothing changed (interpreter
       start included: what a user waits for);
plain  per unit one ``papermill`` CLI call and one ``jupyter nbconvert --to html --no-input``
       call, on a sample of ``--plain-sample`` units (what people do first).

Floor and warm are run ``--repeat`` times, interleaved (this VM's speed drifts by ~15 % between
identical runs), and medians are reported. ``paired`` (``floor.paired``, skip with
``--skip-paired``) then runs both per unit in the same worker one right after the other: the
median of those per-unit ratios is the per-report comparison that drift does not move. It prints seconds per report and the ratios: warm / floor (target: within 1.15), plain /
warm, one worker / two workers (target: >= 1.8), and the no-change re-run in seconds
(target: <= 2 s for 500 reports). Run ``make data`` first; the machine should be otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_render import _bin  # noqa: E402
from floor import floor, paired, summarize  # noqa: E402


def pemda_ids(n: int | None, data_dir: str) -> tuple[list[str], dict]:
    from analysis.publish import pemda_report

    table = pemda_report.pemda_units("id", data_dir)
    ids = list(table.names)
    return (ids[:n] if n else ids), table.names


# ------------------------------------------------------------------------------- renderer

def warm_run(template: Path, ids: list[str], params: dict, out: Path, workers: int,
             titles: dict, engine: str = "warm") -> tuple[float, dict]:
    code = (
        "import json, statistics, sys\n"
        "from analysis.publish.render import render_reports\n"
        "a = json.loads(sys.argv[1])\n"
        "r = render_reports(a['ids'], a['template'], a['out'], parameters=a['params'],\n"
        "                   workers=a['workers'], force=True, progress=False,\n"
        "                   engine=a['engine'],\n"
        "                   titles=a['titles'])\n"
        "print(json.dumps({'total': r.total_seconds, 'counts': r.counts,\n"
        "                  'workers': r.workers,\n"
        "                  'bytes': sum(x.get('html_bytes') or 0 for x in r.rows),\n"
        "                  'summed': sum(x.get('seconds') or 0 for x in r.rows),\n"
        "                  'median': statistics.median(x['seconds'] for x in r.rows)}))\n"
    )
    payload = json.dumps({"ids": ids, "template": str(template), "out": str(out),
                          "params": params, "workers": workers, "engine": engine,
                          "titles": {u: titles[u] for u in ids}})
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, payload], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"render_reports failed (exit {proc.returncode})")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def rerun(out: Path, data_dir: str, ids: list[str], all_ids: bool) -> float:
    cmd = [sys.executable, "-m", "analysis", "render", "--kind", "pemda", "--warm",
           "--out", str(out), "--data-dir", data_dir, "--no-progress"]
    if not all_ids:
        cmd += ["--units", ",".join(ids)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-2000:])
    return wall


def plain_loop(template: Path, ids: list[str], params: dict, kernel: str, work: Path) -> float:
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for uid in ids:
        nb = work / f"{uid}.ipynb"
        cmd = [*_bin("papermill"), str(template), str(nb), "-p", "unit_id", uid, "-k", kernel,
               "--no-progress-bar", "-p", "data_dir", params["data_dir"],
               "-p", "lang", params["lang"]]
        subprocess.run(cmd, check=False, capture_output=True)
        subprocess.run([*_bin("jupyter"), "nbconvert", "--to", "html", "--no-input",
                        "--output-dir", str(work), str(nb)], check=False, capture_output=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=None, help="first N pemda (default: all)")
    ap.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    ap.add_argument("--plain-sample", type=int, default=20, help="units of the CLI loop")
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    ap.add_argument("--repeat", type=int, default=3,
                    help="interleaved floor/warm runs; medians are reported (default 3)")
    ap.add_argument("--skip-plain", action="store_true")
    ap.add_argument("--skip-one-worker", action="store_true")
    ap.add_argument("--skip-paired", action="store_true")
    args = ap.parse_args(argv)

    from analysis.publish import pemda_report
    from analysis.publish.kernel import ensure_kernel

    kernel = ensure_kernel()
    data_dir = str(Path(args.data_dir).resolve())
    template = pemda_report.pemda_template()
    ids, titles = pemda_ids(args.units, data_dir)
    params = {"data_dir": data_dir, "lang": "id"}
    n, w = len(ids), args.workers
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    print(f"{n} pemda reports, {w} workers, {os.cpu_count()} cores, work dir {work}",
          flush=True)

    rows = []
    out = work / "warm"
    f_walls, b_walls, ratios, f_sums, b_sums, per_ratios = [], [], [], [], [], []
    i_walls, i_ratios, i_sums, i_per = [], [], [], []
    for i in range(args.repeat):      # interleaved: floor, inprocess, warm, floor, ...
        f_wall, f_sum, f_figs, f_med = floor(template, ids, params, w)
        i_wall, info_i = warm_run(template, ids, params, work / "inproc", w, titles,
                                  engine="inprocess")
        i_walls.append(i_wall)
        i_ratios.append(i_wall / f_wall)
        i_sums.append(info_i["summed"] / n)
        i_per.append(info_i["median"] / f_med)
        print(f"run {i + 1}/{args.repeat}: inprocess {i_wall:.1f} s, inprocess/floor "
              f"{i_wall / f_wall:.2f} (wall), {info_i['median'] / f_med:.2f} (median report: "
              f"{info_i['median']:.2f} / {f_med:.2f} s)", flush=True)
        b_wall, info = warm_run(template, ids, params, out, w, titles)
        f_walls.append(f_wall)
        b_walls.append(b_wall)
        ratios.append(b_wall / f_wall)
        f_sums.append(f_sum / n)
        b_sums.append(info["summed"] / n)
        per_ratios.append(info["median"] / f_med)
        print(f"run {i + 1}/{args.repeat}: floor {f_wall:.1f} s ({f_figs} figures drawn), "
              f"warm {b_wall:.1f} s, warm/floor {b_wall / f_wall:.2f} (wall), "
              f"{info['median'] / f_med:.2f} (median report in the workers: "
              f"{info['median']:.2f} / {f_med:.2f} s)", flush=True)
    f_wall, b_wall = statistics.median(f_walls), statistics.median(b_walls)
    rows.append((f"floor  in-process shell, {w} workers (median)", f_wall,
                 f"{statistics.median(f_sums):.3f} s/report in the workers (median)"))
    rows.append((f"inproc render_reports --engine inprocess, {info_i['workers']} workers (median)",
                 statistics.median(i_walls),
                 f"{statistics.median(i_sums):.3f} s/report in the workers (median); "
                 f"{info_i['counts']}, {info_i['bytes'] / n / 1024:.0f} KB/page"))
    rows.append((f"warm   render_reports --warm, {info['workers']} workers (median)", b_wall,
                 f"{statistics.median(b_sums):.3f} s/report in the workers (median); "
                 f"{info['counts']}, {info['bytes'] / n / 1024:.0f} KB/page"))
    pair = None
    if not args.skip_paired:
        pair = summarize(paired(template, ids, params, w, kernel))
        print(f"paired: {pair}", flush=True)
    one = one_i = None
    if not args.skip_one_worker:
        one_i, info1 = warm_run(template, ids, params, work / "inproc1", 1, titles,
                                engine="inprocess")
        rows.append(("inproc render_reports --engine inprocess, 1 worker", one_i,
                     f"{info1['counts']}"))
        one, info1 = warm_run(template, ids, params, work / "warm1", 1, titles)
        rows.append(("warm   render_reports --warm, 1 worker", one, f"{info1['counts']}"))
    # the no-change re-run needs the index/units of a whole CLI run: make one first
    full = args.units is None
    rerun(out, data_dir, ids, full)
    r = rerun(out, data_dir, ids, full)
    rows.append(("rerun  render --kind pemda, nothing changed (CLI)", r, ""))
    plain = None
    if not args.skip_plain:
        sample = ids[: args.plain_sample]
        plain = plain_loop(template, sample, params, kernel, work / "plain")
        rows.append((f"plain  papermill + nbconvert CLI, {len(sample)} units", plain,
                     f"{plain / len(sample):.2f} s/report"))

    print(f"\n{'method':<52} {'wall s':>8} {'s/report':>9}  notes")
    print("-" * 100)
    for name, secs, note in rows:
        k = args.plain_sample if name.startswith("plain") else n
        print(f"{name:<52} {secs:>8.2f} {secs / k:>9.3f}  {note}")
    print("-" * 100)
    print(f"inprocess / floor (wall, same workers) = median {statistics.median(i_ratios):.2f} "
          f"of {args.repeat} interleaved runs (min {min(i_ratios):.2f}, max {max(i_ratios):.2f};"
          f" target <= 1.15)")
    print(f"inprocess / floor (median report)     = median {statistics.median(i_per):.2f}")
    print(f"warm / floor (wall, same workers)     = median {statistics.median(ratios):.2f} of "
          f"{args.repeat} interleaved runs (min {min(ratios):.2f}, max {max(ratios):.2f}; "
          f"target <= 1.15)")
    print(f"warm / floor (median report)          = median {statistics.median(per_ratios):.2f} "
          f"(min {min(per_ratios):.2f}, max {max(per_ratios):.2f}): a report's own time in "
          f"its worker, without the fixed costs (interpreter, kernel start, first imports)")
    if pair is not None:
        print(f"warm / floor (per unit, paired)       = {pair}")
    if one is not None:
        print(f"1 worker / {w} workers (inprocess)      = "
              f"{one_i / statistics.median(i_walls):.2f}  (target >= 1.8)")
        print(f"1 worker / {w} workers (warm)           = {one / b_wall:.2f}  (target >= 1.8)")
    if plain is not None:
        print(f"plain / warm (per report)             = "
              f"{(plain / args.plain_sample) / (b_wall / n):.1f}x")
    print(f"no-change re-run                      = {r:.2f} s for {n} reports (target <= 2 s)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
