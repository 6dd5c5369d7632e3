"""The `alchemy` command line: one sub-command per stage.

Each stage owns a small CLI module exposing `register(subparsers)`; this file only knows the
table below.  Why lazy: importing every stage (pyarrow, SQLAlchemy, Lark) costs a second of
start-up that `alchemy status` should not pay, so a module is imported only when its
command is the one being run.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import tool_version

# command -> module providing `register(subparsers)` for it (a module may own several)
COMMANDS: dict[str, str] = {
    "extract": "lean_alchemy.extract.cli",
    "index": "lean_alchemy.index.cli",
    "graph": "lean_alchemy.index.cli",
    "explain": "lean_alchemy.index.cli",
    "mutate": "lean_alchemy.mutate.cli",
    "check": "lean_alchemy.jobs.check_cli",
    "status": "lean_alchemy.jobs.check_cli",
    "setup-lean": "lean_alchemy.jobs.check_cli",
    "corpus": "lean_alchemy.corpus.cli",
    "stats": "lean_alchemy.corpus.cli",
    "run": "lean_alchemy.cli.run",
}


def _version() -> str:
    from lean_alchemy.core.native import native_status

    return f"lean-alchemy {tool_version()}, {native_status().reason}"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alchemy", description=(
        "Synthetic theorems for Lean 4 libraries: extract, index, mutate, check, corpus."))
    p.add_argument("--version", action="version", version=_version())
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    seen: set[str] = set()
    for cmd, mod in COMMANDS.items():
        if mod in seen or (only is not None and cmd != only):
            continue
        seen.add(mod)
        importlib.import_module(mod).register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=cmd if cmd in COMMANDS else None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AlchemyError as e:
        print(f"alchemy {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"alchemy {args.command}: interrupted; work already recorded is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
