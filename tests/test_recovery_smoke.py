"""Smoke test of the recovery study (validation/recovery.py): one seed end to end, as CI can
afford. The full study (`make recovery`: 120 seeds, a few hours on 2 cores, resumable) is run outside CI and its table
committed in validation/recovery_results.md with the command that made it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_recovery_study_runs_one_seed(tmp_path):
    out = tmp_path / "recovery.md"
    r = subprocess.run([sys.executable, str(ROOT / "validation" / "recovery.py"), "--seeds", "1",
                        "--power-seeds", "0", "--workers", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    md = out.read_text()
    for needle in ("## Coefficients", "lead_ombudsman_score", "cumulative_ikm",
                   "## Unit resilience", "## Offices in a null world", "## Pre-trend test",
                   "## Null world", "reject (Holm, product's rule)"):
        assert needle in md, needle
    # every planted effect got a row with a finite estimate
    rows = [ln for ln in md.splitlines() if ln.startswith("| b_") or ln.startswith("| lag")]
    assert len(rows) >= 8 + 12 and not any("nan" in ln for ln in rows)
