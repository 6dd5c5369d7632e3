"""Lean checkers: every mutant gets one verdict (verified, rejected, timeout, crashed).

Two backends behind one interface (`Checker`): batch files compiled by `lake env lean --json`
(`lean_json`, the default: needs only the toolchain and Mathlib's oleans) and a pool of
leanprover-community REPL processes (`repl`: the import header paid once per process).  Both
run Lean under an address-space cap, a wall-clock limit and a per-declaration heartbeat limit,
kill and replace a process that exceeds them, and classify Lean's errors the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.jobs.checkers.base import (
    CRASHED, REJECTED, TIMEOUT, VERIFIED, Checker, CheckerError, CheckUnit, LeanMessage,
    StartRetry, VerdictMaker, classify_error, judge)
from lean_alchemy.jobs.checkers.lean_json import LeanJsonChecker
from lean_alchemy.jobs.checkers.repl import ReplChecker
from lean_alchemy.jobs.options import CheckOptions
from lean_alchemy.jobs.toolchain import Toolchain, search_path, setup_hint

__all__ = ["CRASHED", "REJECTED", "TIMEOUT", "VERIFIED", "Checker", "CheckerError",
           "CheckUnit", "LeanJsonChecker", "LeanMessage", "ReplChecker", "StartRetry", "VerdictMaker",
           "classify_error", "judge", "make_checker"]


def make_checker(opts: CheckOptions, toolchain: Toolchain, *, pool_size: int = 1,
                 import_timeout_s: float | None = None, repl_header: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, tmp_dir: Path | None = None) -> Checker:
    """The checker `opts.backend` names, for a ready toolchain (else one AlchemyError that
    names `alchemy setup-lean`).  Verdicts carry the toolchain's Lean version and Mathlib
    revision.  `pool_size`: REPL processes in this checker (one per worker is the usual);
    `repl_header`: import this (e.g. `("Mathlib",)`) for every unit instead of each unit's
    own imports, so that a REPL process imports once whatever the mix of modules."""
    if not toolchain.ready:
        raise AlchemyError(f"no usable Lean toolchain: {toolchain.problem}")
    workspace = Path(toolchain.workspace).resolve()
    env = env if env is not None else {**os.environ, "PATH": search_path()}
    maker = VerdictMaker(opts.backend, toolchain.lean_version, toolchain.mathlib_rev)
    starts = StartRetry(opts.start_attempts, opts.start_backoff_s)
    if opts.backend == "repl":
        if toolchain.repl_path is None:
            raise AlchemyError(f"the REPL is not built in {toolchain.workspace}: "
                               f"{setup_hint(toolchain.workspace)}")
        return ReplChecker(
            toolchain.repl_command(), workspace, maker, timeout_s=opts.timeout_s,
            import_timeout_s=import_timeout_s if import_timeout_s is not None
            else opts.import_timeout_s,
            memory_limit_mb=opts.memory_limit_mb, max_heartbeats=opts.max_heartbeats,
            max_commands=opts.repl_max_commands, max_rss_mb=opts.repl_max_rss_mb,
            pool_size=pool_size, header=repl_header, env=env, starts=starts)
    return LeanJsonChecker(toolchain.lean_command(), workspace, maker,
                           timeout_s=opts.timeout_s, memory_limit_mb=opts.memory_limit_mb,
                           max_heartbeats=opts.max_heartbeats, env=env, tmp_dir=tmp_dir,
                           starts=starts)
