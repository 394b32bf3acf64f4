"""Command line: ``python -m analysis <command>`` (also installed as ``batang-analysis``).

Each module that offers commands defines ``register_cli(subparsers)``; this file only lists
those modules, so adding a command never means editing another module's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that contribute sub-commands, in the order they appear in --help.
COMMAND_MODULES = [
    "analysis.build",
    "analysis.render",
    "analysis.kernel",
    "analysis.importers",
    "analysis.present",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Batang OPD innovation, service and budget-cut analysis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
