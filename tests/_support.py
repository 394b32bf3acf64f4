"""Helpers the tests share: data folders (a fresh copy of the public files, a copy of a built
folder, the shared session builds and the check that nothing wrote into them).

Test modules import these from here (``from _support import copy_data``), never from
``conftest.py``, which holds only pytest's hooks and fixtures (it uses these helpers too).
``tests/`` is on ``sys.path`` under pytest (the rootdir's conftest is imported with the default
``prepend`` import mode), so this module is importable as ``_support``; its name does not start
with ``test_``, so pytest does not collect it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from analysis import config

EXTERNAL = config.project_root() / "data" / "external"
"""The project's public input files; every test data folder starts from a copy of them."""


def copy_data(src: Path, dst: Path) -> Path:
    """Copy a data folder (external, user, processed, interim caches) to ``dst``."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


def fresh_data_dir(parent: Path) -> Path:
    """``parent/data`` holding a copy of the external (public) files and an empty ``user/``."""
    d = parent / "data"
    shutil.copytree(EXTERNAL, d / "external")
    (d / "user").mkdir()
    return d


def data_digest(d: Path) -> dict[str, str]:
    """Bytes of everything a reader of a built folder depends on (interim caches excluded)."""
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in ("external", "user", "processed") for p in sorted((d / sub).rglob("*"))
            if p.is_file()}


def shared_build(tmp_path_factory, name: str, **kwargs):
    """Build a fresh data folder once (``analysis.pipeline.build(**kwargs)``); returns the
    folder, the ``BuildResult`` and :func:`data_digest` of what it wrote."""
    from analysis import pipeline

    d = fresh_data_dir(tmp_path_factory.mktemp(name))
    lock = contextlib.nullcontext()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # pytest-xdist: each worker builds its own folder, one at a time, so the second finds
        # the first one's model fits in the shared cache instead of fitting them again
        from filelock import FileLock

        lock = FileLock(tmp_path_factory.getbasetemp().parent / f"{name}.lock")
    with lock:
        res = pipeline.build(d, **kwargs)
    return d, res, data_digest(d)


def check_untouched(d: Path, before: dict[str, str]) -> None:
    """Fail when a shared build folder differs from its :func:`data_digest` ``before``."""
    after = data_digest(d)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, (f"a test wrote into the shared build {d} (take a copy: "
                         f"built_data_copy / public_data_copy): {changed[:10]}")
