"""Shared fixtures: a private copy of the data folder so no test touches the project's data."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import pytest

from analysis import config

matplotlib.use("Agg")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """A data folder holding a copy of the external (public) files and nothing else."""
    d = tmp_path / "data"
    shutil.copytree(config.project_root() / "data" / "external", d / "external")
    (d / "user").mkdir()
    monkeypatch.setenv("BATANG_DATA_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def built_tables():
    """The bundled default build (public + simulated), assembled in memory once per session."""
    from analysis.data.build import assemble

    tables, truth, _ = assemble()
    return tables, truth
