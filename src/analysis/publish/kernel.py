"""The project's Jupyter kernel: one kernelspec for the current interpreter.

Both the batch renderer (``python -m analysis render``) and JupyterLab users (``make lab``) run
notebooks on this kernel, so a notebook always sees the environment where ``analysis`` is
installed, whatever kernel name its metadata carries (papermill is always given the name).

The spec is installed into ``sys.prefix/share/jupyter/kernels/<name>``, a folder Jupyter
searches for every interpreter of this environment, so nothing is written to the user's home.
Installing is idempotent: the file is rewritten only when its content would change (for example
after the environment moved to another interpreter path).

The spec itself stays an ordinary ipykernel spec, because interactive users need the debugger
and input history. The renderer adds the lean batch-only options at launch time instead
(``--HistoryManager.enabled=False`` as an nbclient ``extra_arguments``, always together with
``shutdown_kernel="immediate"``; see docs/rendering.md for why the two go together).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

DEFAULT_KERNEL_NAME = "batang-analysis"
DISPLAY_NAME = "Python (batang-analysis)"

# Extra kernel arguments the batch renderer passes at launch: history off, and the kernel app
# logs errors only (drops the "running over TCP without encryption" warning of every report).
# Never put in the spec: with a graceful shutdown, as JupyterLab does, a history-less kernel
# often stalls ~2.5 s on exit; the renderer always shuts kernels down "immediate".
BATCH_KERNEL_ARGS = ("--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR")

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def kernel_dir(name: str = DEFAULT_KERNEL_NAME, prefix: str | os.PathLike | None = None) -> Path:
    """Folder of the kernelspec ``name`` under ``prefix`` (default ``sys.prefix``)."""
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid kernel name {name!r}: use lowercase letters, digits, . _ -")
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / name


def kernel_spec(display_name: str = DISPLAY_NAME) -> dict:
    """The kernel.json content for the current interpreter."""
    return {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"debugger": True},
        "env": {},
        "interrupt_mode": "signal",
    }


def ensure_kernel(
    name: str = DEFAULT_KERNEL_NAME,
    *,
    prefix: str | os.PathLike | None = None,
    display_name: str = DISPLAY_NAME,
) -> str:
    """Install (idempotently) the kernelspec ``name`` for ``sys.executable``; return the name.

    Safe to call from many processes at once: the file is written to a temporary name and
    moved into place, and rewritten only when it differs.
    """
    folder = kernel_dir(name, prefix)
    target = folder / "kernel.json"
    text = json.dumps(kernel_spec(display_name), indent=1, sort_keys=True) + "\n"
    try:
        if target.read_text(encoding="utf-8") == text:
            return name
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kernel.json.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def _cli_kernel(args) -> int:
    name = ensure_kernel(args.name)
    print(f"kernel {name!r} ({DISPLAY_NAME}) -> {kernel_dir(name) / 'kernel.json'}")
    print(f"interpreter: {sys.executable}")
    return 0


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "kernel",
        help="install the project's Jupyter kernel for this interpreter",
        description="Install (idempotently) the Jupyter kernelspec used by the report renderer "
        "and by JupyterLab, pointing at the current Python interpreter.",
    )
    p.add_argument(
        "--name", default=DEFAULT_KERNEL_NAME, help="kernelspec name (default: %(default)s)"
    )
    p.set_defaults(func=_cli_kernel)
