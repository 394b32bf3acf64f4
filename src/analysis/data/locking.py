"""One writer at a time: a lock file (the ``filelock`` library, which also works on Windows)
around every command that writes ``data/user``, ``data/processed`` or ``reports/``.

* ``data_lock(data_dir)``: ``<data>/.writer.lock``, held by ``import`` (from reading the user
  table it merges into until the new one is in place), ``build``, and by ``render`` and
  ``present`` (they read ``processed/`` and must not see it swapped half-way).
* ``reports_lock()``: ``<reports>/.writer.lock``, held by ``render`` and ``present``.

A second writer **waits** and says so on stderr (who holds the lock, since when), then runs;
after ``BATANG_LOCK_TIMEOUT`` seconds (default 1800) it gives up with a clear message. The
locks are re-entrant within a process (``import`` runs a build while holding the data lock).
A lock held by a process that died is released by the operating system, so a killed command
never blocks the next one (``render`` forks pool workers, which inherit the descriptor; they die
with their parent, :func:`analysis.publish.executors.die_with_parent`).

Whoever takes the data lock first also removes what a killed writer left behind: staging
folders ``data/interim/.import-*`` and ``data/.processed-new-*`` / ``.processed-old-*``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from analysis import config

LOCK_NAME = ".writer.lock"
INFO_SUFFIX = ".holder.json"
DEFAULT_TIMEOUT = 1800.0

_held: dict[str, list] = {}   # lock path -> [FileLock, depth]


class LockTimeoutError(RuntimeError):
    """Another writer held the lock for longer than the timeout."""


def _timeout() -> float:
    try:
        return float(os.environ.get("BATANG_LOCK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _holder(info: Path) -> str:
    try:
        h = json.loads(info.read_text(encoding="utf-8"))
        return f"{h.get('what', '?')} (pid {h.get('pid', '?')}, since {h.get('since', '?')})"
    except (OSError, ValueError):
        return "another process"


@contextlib.contextmanager
def _locked(path: Path, what: str, timeout: float | None = None,
            on_first=None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    lock = FileLock(str(path), thread_local=False)
    info = path.with_name(path.name + INFO_SUFFIX)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        wait = _timeout() if timeout is None else timeout
        print(f"waiting: {path.parent} is being written by {_holder(info)}; this {what} "
              f"starts when that finishes (up to {wait:.0f} s)", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise LockTimeoutError(
                f"{path.parent} is still being written by {_holder(info)} after {wait:.0f} s; "
                f"try again when it has finished (or set BATANG_LOCK_TIMEOUT)") from None
        print(f"lock acquired after {time.monotonic() - t0:.1f} s; running {what}",
              file=sys.stderr, flush=True)
    _held[key] = [lock, 1]
    try:
        with contextlib.suppress(OSError):
            info.write_text(json.dumps({"what": what, "pid": os.getpid(),
                                        "since": time.strftime("%Y-%m-%d %H:%M:%S")}),
                            encoding="utf-8")
        if on_first is not None:
            on_first()
        yield
    finally:
        del _held[key]
        with contextlib.suppress(OSError):
            info.unlink()
        lock.release()


def clean_stale(data_dir: Path) -> list[Path]:
    """Remove what a killed import or build left behind (only call with the data lock)."""
    removed = []
    candidates = list((data_dir / "interim").glob(".import-*")) if (
        data_dir / "interim").is_dir() else []
    candidates += list(data_dir.glob(".processed-new-*")) + list(data_dir.glob(
        ".processed-old-*"))
    udir = data_dir / "user"
    candidates += list(udir.glob(".*.before-import")) if udir.is_dir() else []
    for p in candidates:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        removed.append(p)
    return removed


def data_lock(data_dir: str | os.PathLike | None = None, what: str = "write",
              timeout: float | None = None):
    """The lock of one data folder (``data/user`` and ``data/processed``)."""
    d = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    return _locked(d / LOCK_NAME, what, timeout, on_first=lambda: clean_stale(d))


def reports_lock(what: str = "write", timeout: float | None = None):
    """The lock of the reports folder."""
    return _locked(config.reports_dir() / LOCK_NAME, what, timeout)


def held(data_dir: str | os.PathLike | None = None) -> bool:
    d = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    return str((d / LOCK_NAME).resolve()) in _held
