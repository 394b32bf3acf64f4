"""Command line: ``python -m analysis <command>`` (also installed as ``batang-analysis``).

Each module that offers commands defines ``register_cli(subparsers)``; this file only lists
those modules, so adding a command never means editing another module's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that contribute sub-commands, in the order they appear in --help: "module" (its
# ``register_cli(subparsers)``) or "module:function" (that registering function).
COMMAND_MODULES = [
    "analysis.pipeline",
    "analysis.publish.render.cli",
    "analysis.publish.kernel",
    "analysis.pipeline:register_import_cli",
    "analysis.publish.present",
    "analysis.publish.hub",
]
# Which module registers which command: running one command imports only its module (a
# no-change ``build`` or ``render`` then starts in ~0.1 s instead of importing pandas,
# pandera and matplotlib for the other commands' parsers). A command not listed here, or
# ``--help``, imports every module of COMMAND_MODULES.
COMMAND_OWNERS = {
    "build": "analysis.pipeline",
    "summary": "analysis.pipeline",
    "render": "analysis.publish.render.cli",
    "kernel": "analysis.publish.kernel",
    "import": "analysis.pipeline:register_import_cli",
    "present": "analysis.publish.present",
    "hub": "analysis.publish.hub",
}


def _registrar(name: str):
    mod, _, func = name.partition(":")
    return getattr(importlib.import_module(mod), func or "register_cli")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or (``command`` given and in COMMAND_OWNERS) of that
    command's module only."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Batang OPD innovation, service and budget-cut analysis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    owner = COMMAND_OWNERS.get(command or "")
    for name in [owner] if owner else COMMAND_MODULES:
        _registrar(name)(sub)
    return parser


# Commands that write data/user, data/processed or reports/ run under analysis.data.locking's
# locks, one writer at a time (import and build take the data lock themselves).
DATA_WRITERS = {"import", "build"}
REPORT_WRITERS = {"render", "present"}


def _run(args) -> int:
    from analysis.data import locking

    if args.command in REPORT_WRITERS:
        # they read processed/ (which an import or build swaps) and write reports/
        data_dir = getattr(args, "data_dir", None)
        with locking.data_lock(data_dir, args.command), locking.reports_lock(args.command):
            if not getattr(args, "no_refit", False):
                # model refits an import deferred run first (the data lock is re-entrant)
                from analysis import pipeline

                pipeline.refit_deferred(data_dir, args.command)
            return int(args.func(args) or 0)
    return int(args.func(args) or 0)


def main(argv: list[str] | None = None) -> int:
    """Run one command. No traceback reaches the user: a problem with the data, a file or a
    setting is one line on stderr and a non-zero exit (2); anything unexpected is one line too
    (exit 3), with the traceback only when ``BATANG_DEBUG=1``."""
    import os

    from analysis import config
    from analysis.data import locking, store

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (store.NotBuiltError, config.ConfigError, locking.LockTimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        # an InputError can only come from analysis.data.schema, which is then imported (not
        # importing it up front keeps pandera and pandas out of a no-change build or render)
        schema = sys.modules.get("analysis.data.schema")
        if schema is not None and isinstance(exc, schema.InputError):
            print(f"error: {exc.problems[0]}" if len(exc.problems) == 1 else f"error: {exc}",
                  file=sys.stderr)
            return 2
        if os.environ.get("BATANG_DEBUG") == "1":
            raise
        text = " ".join(str(exc).split())[:500]
        print(f"error: {args.command} failed: {type(exc).__name__}: {text} (set "
              "BATANG_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
