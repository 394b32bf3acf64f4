"""The output folder of a render: one writer at a time, and no temp file left behind.

:func:`out_dir_lock` holds an exclusive POSIX record lock on ``<out>/.render.lock`` for the whole run
(:class:`RenderLockedError` after :data:`OUT_DIR_LOCK_WAIT` seconds); :func:`clean_stale_tmp`
removes the temp files (``.<name>.<random>.tmp``) of :func:`analysis.data.store.atomic_write`
that a killed run left, so they never count as reports."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

LOCK_NAME = ".render.lock"
OUT_DIR_LOCK_WAIT = 15.0   # seconds a render waits for the output folder before giving up

_TMP_RE = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]*\.(?:html|hash|json|csv)\.[A-Za-z0-9_]+\.tmp$")


class RenderLockedError(RuntimeError):
    """Another render is writing into the same output folder."""


def clean_stale_tmp(out_dir: Path) -> list[Path]:
    """Remove the temp files a killed render left in ``out_dir``; return what was removed."""
    removed = []
    for p in out_dir.iterdir():
        if p.is_file() and _TMP_RE.match(p.name):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


@contextlib.contextmanager
def out_dir_lock(out_dir: Path):
    """Hold the output folder's lock for the duration of the block.

    A POSIX record lock (``fcntl.lockf``), not ``flock``: a record lock belongs to the process
    that took it and is not inherited by forked children, so pool workers or kernels that
    outlive a killed renderer never hold the folder (with ``flock`` they did: every later
    render exited 2 "another render is writing"). The OS releases it when the renderer dies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(out_dir / LOCK_NAME, "a+") as fh:
        # a render that was just killed may still be exiting: wait a little before calling
        # the folder busy
        deadline = time.monotonic() + OUT_DIR_LOCK_WAIT
        while True:
            try:
                fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise RenderLockedError(f"another render is writing into {out_dir}") \
                        from exc
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.lockf(fh.fileno(), fcntl.LOCK_UN)
