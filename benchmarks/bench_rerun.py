"""Benchmark: the main job's re-run with nothing changed, against its floor (not a test).

    python benchmarks/bench_rerun.py [--repeat 5] [--kind opd|pemda] [--no-prime] [--make]

``make all`` with nothing changed runs four commands: ``build``, ``kernel``, ``summary`` and
``render --warm``. This script

1. primes (unless ``--no-prime``): runs ``build`` and ``render --warm`` once, untimed, so that
   the data and every report are current (the first run after a change renders what changed);
2. measures in the same run, each as the median of ``--repeat`` runs in a fresh process:
   - the **floor**: ``python -c`` that reads ``data/processed/manifest.json`` (interpreter
     start-up plus reading the manifest: what any re-run must at least do);
   - ``python -m analysis build`` (must print "up to date"), ``kernel``, ``summary`` and
     ``render --warm`` (must render nothing), and their sum (the make-all sequence);
   - with ``--make``: ``make all`` itself, with ``VENV`` = this interpreter's environment and a
     fresh install stamp (so make runs no ``pip``);
3. checks that nothing was written: every processed table and every report keeps its bytes and
   its mtime;
4. prints seconds and the ratio to the floor (the make-all sequence against 4 floors, since it
   starts four interpreters).

Measured on the 2-core machine (2026-12-01, a long validation job running on it; see
docs/rendering.md "Re-running the main job"): floor 0.03 s; build 0.15 s, kernel 0.09 s,
summary 0.09 s, render 0.22 s; sequence 0.55 s (about 4.6x its four floors); ``make all``
0.55-0.66 s. Before the incremental build and content fingerprint: 43-48 s (issue 13).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def timed(cmd: list[str], env: dict, check_out: str | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    if check_out is not None and check_out not in p.stdout:
        raise SystemExit(f"{' '.join(cmd)}: expected {check_out!r} in its output:\n{p.stdout}")
    return dt, p.stdout


def median_of(n: int, cmd: list[str], env: dict, check_out: str | None = None) -> float:
    return statistics.median(timed(cmd, env, check_out)[0] for _ in range(n))


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    out = {}
    for f in folders:
        if f.is_dir():
            for p in f.iterdir():
                if p.is_file() and not p.name.startswith("."):
                    st = p.stat()
                    out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--kind", choices=["opd", "pemda"], default="opd")
    ap.add_argument("--no-prime", action="store_true")
    ap.add_argument("--make", action="store_true", help="also time `make all` itself")
    args = ap.parse_args()

    from analysis import config

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src")] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    py = [sys.executable]
    an = py + ["-m", "analysis"]
    render = an + ["render", "--warm", "--no-progress"] + (
        ["--kind", "pemda"] if args.kind == "pemda" else [])
    processed = config.processed_dir()
    reports = config.reports_dir() / args.kind

    if not args.no_prime:
        print("priming: build and render once (untimed) ...", flush=True)
        timed(an + ["build"], env)
        timed(render, env)

    before = snapshot([processed, reports])
    manifest = processed / "manifest.json"
    floor = median_of(args.repeat, py + ["-c", "import json,sys; json.load(open(sys.argv[1]))",
                                         str(manifest)], env)
    python_only = median_of(args.repeat, py + ["-c", "pass"], env)
    rows = [
        ("build", median_of(args.repeat, an + ["build"], env, "up to date")),
        ("kernel", median_of(args.repeat, an + ["kernel"], env)),
        ("summary", median_of(args.repeat, an + ["summary"], env)),
        ("render --warm", median_of(args.repeat, render, env, "0 rendered")),
    ]
    seq = sum(s for _, s in rows)
    make_s = None
    if args.make and args.kind == "opd":
        with tempfile.TemporaryDirectory() as tmp:
            stamp = Path(tmp) / "installed"
            stamp.touch()
            make_s = median_of(args.repeat, ["make", "all", f"VENV={sys.prefix}",
                                             f"STAMP={stamp}"], env, "0 rendered")
    after = snapshot([processed, reports])
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    # index.html, manifest.json/csv of the reports folder are rewritten by every render
    changed = [c for c in changed if Path(c).name not in ("index.html", "manifest.json",
                                                          "manifest.csv")
               or Path(c).parent != reports]

    print(f"\nno-change re-run of the main job ({args.kind}), median of {args.repeat}:")
    print(f"{'step':<22}{'seconds':>9}{'x floor':>9}")
    print(f"{'python -c pass':<22}{python_only:>9.3f}{python_only / floor:>9.2f}")
    print(f"{'floor (read manifest)':<22}{floor:>9.3f}{1:>9.2f}")
    for name, s in rows:
        print(f"{name:<22}{s:>9.3f}{s / floor:>9.2f}")
    print(f"{'sequence (4 commands)':<22}{seq:>9.3f}{seq / (4 * floor):>9.2f}  (vs 4 floors)")
    if make_s is not None:
        print(f"{'make all':<22}{make_s:>9.3f}{make_s / (4 * floor):>9.2f}  (vs 4 floors)")
    print(f"files written by the re-runs (processed tables, reports): {len(changed)}")
    for c in changed[:10]:
        print(f"  changed: {c}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
