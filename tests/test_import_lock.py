"""One writer at a time: concurrent imports into one table all land, a second writer waits
and says so, and what a killed import left behind is cleaned by the next run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from _support import copy_data

import analysis
from analysis.data import locking

SRC = str(Path(analysis.__file__).resolve().parents[1])
UNITS = ["dinkes", "dinsos", "dlh", "disdikbud", "bpbd", "dpupr", "disdukcapil", "bkd",
         "setda", "inspektorat"]


@pytest.fixture
def small(public_data_dir, tmp_path) -> Path:
    """Public data only (no simulated panel): a rebuild takes about a second. A copy of the
    session's public-only build."""
    return copy_data(public_data_dir, tmp_path / "data")


def budget_csv(path: Path, amount: int) -> Path:
    path.write_text("Kode Rekening;Uraian;Realisasi\n"
                    "1.02.01;Program Penunjang Urusan Pemerintahan Daerah;\n"
                    f"5.1.01.01.01.0001;Belanja Gaji Pokok PNS;{amount}\n", encoding="utf-8")
    return path


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": SRC, "BATANG_LOCK_TIMEOUT": "300"}


WORKER = textwrap.dedent("""
    import sys
    from analysis.cli import main
    data, *jobs = sys.argv[1:]
    for job in jobs:
        f, unit = job.split("=")
        rc = main(["import", "budget", f, "--unit", unit, "--year", "2022", "--data-dir", data])
        if rc:
            sys.exit(rc)
""")


@pytest.mark.slow   # ten imports, ten rebuilds, one at a time under the lock
def test_two_times_five_parallel_imports_lose_no_rows(small, tmp_path):
    jobs = [f"{budget_csv(tmp_path / f'{u}.csv', 1000 * (i + 1))}={u}"
            for i, u in enumerate(UNITS)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(small), *half],
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for half in (jobs[0::2], jobs[1::2])]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    user = pd.read_parquet(small / "user" / "budget.parquet")
    got = user.groupby("unit_id")["amount_idr"].sum().to_dict()
    assert got == {u: 1000.0 * (i + 1) for i, u in enumerate(UNITS)}   # 0 rows lost
    proc = pd.read_parquet(small / "processed" / "budget.parquet")
    assert set(proc.loc[proc["provenance"] == "user", "unit_id"]) == set(UNITS)
    assert sum(o[0].count("written and processed tables rebuilt") for o in outs) == 10
    print(f"10 imports in 2 processes: {time.perf_counter() - t0:.1f} s")


@pytest.mark.slow   # holds the lock for a fixed 4 s, then an import and its rebuild
def test_second_writer_waits_and_says_so(small, tmp_path):
    f = budget_csv(tmp_path / "dinkes.csv", 5000)
    with locking.data_lock(small, "test holder"):
        p = subprocess.Popen([sys.executable, "-m", "analysis", "import", "budget", str(f),
                              "--unit", "dinkes", "--year", "2022", "--data-dir", str(small)],
                             env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(4)
        assert p.poll() is None                 # it waits while the lock is held
        assert not (small / "user" / "budget.parquet").exists()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "waiting:" in err and "test holder" in err and "lock acquired after" in err
    assert (small / "user" / "budget.parquet").exists()


def test_a_writer_that_waits_too_long_gives_up_with_one_line(small, tmp_path):
    f = budget_csv(tmp_path / "dinkes.csv", 5000)
    with locking.data_lock(small, "test holder"):
        r = subprocess.run([sys.executable, "-m", "analysis", "import", "budget", str(f),
                            "--unit", "dinkes", "--year", "2022", "--data-dir", str(small)],
                           env={**_env(), "BATANG_LOCK_TIMEOUT": "1"}, capture_output=True,
                           text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "still being written by test holder" in r.stderr
    assert not (small / "user" / "budget.parquet").exists()


def test_stale_staging_folders_are_cleaned_by_the_next_run(small, tmp_path):
    stale = small / "interim" / ".import-killed123"
    (stale / "user").mkdir(parents=True)
    (stale / "user" / "budget.parquet").write_bytes(b"half")
    old = small / ".processed-new-killed"
    old.mkdir()
    f = budget_csv(tmp_path / "dinkes.csv", 5000)
    r = subprocess.run([sys.executable, "-m", "analysis", "import", "budget", str(f), "--unit",
                        "dinkes", "--year", "2022", "--data-dir", str(small)], env=_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not stale.exists() and not old.exists()
    assert not list((small / "interim").glob(".import-*"))
